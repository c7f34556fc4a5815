"""``lsbo.optimize``: the one-call entry point, a thin shell over :class:`Optimizer`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lsbo.loop import OptimizationResult, Optimizer, OptimizerOptions, Record
from lsbo.models import VAE
from lsbo.objective import Objective
from lsbo.representations import Codec


def optimize(
    objective: Objective | Callable[[Any], Any],
    designs: Sequence[Any],
    budget: int = 100,
    maximize: bool | None = None,
    seed: int = 0,
    *,
    scores: Sequence[float | None] | None = None,
    model: VAE | None = None,
    codec: Codec | None = None,
    options: OptimizerOptions | None = None,
    callbacks: Sequence[Callable[[Optimizer, Record], None]] = (),
) -> OptimizationResult:
    """Optimize a black-box function over designs like ``designs``.

    Trains a VAE on the designs (unless ``model`` is given), then spends ``budget``
    evaluations of ``objective`` on designs proposed by Bayesian optimization in the
    VAE's latent space.

    Args:
        objective: A callable ``design -> float`` or an :class:`lsbo.Objective`.
        designs: Unlabeled training designs: a list of strings, or of 2-D arrays with
            values in [0, 1].
        budget: Number of objective evaluations.
        maximize: ``True`` to maximize, ``False`` to minimize; ``None`` takes the
            objective's own direction (maximize for a plain function).
        seed: Makes the run reproducible on CPU.
        scores: Known values, one per design (``None`` where unknown); those designs
            are not evaluated again and cost no budget.
        model: A pretrained VAE (see :func:`lsbo.load_model`).
        codec: Codec for the VAE lsbo trains (default: chosen from the designs).
        options: Search and training settings.
        callbacks: Called as ``callback(optimizer, record)`` after each evaluation.

    Returns:
        The history of evaluations with ``best_design`` and ``best_value``.

    Example:
        >>> result = lsbo.optimize(lambda s: s.count("a"), ["ab", "bb", "ba"], budget=20)
        >>> result.best_design, result.best_value
    """
    optimizer = Optimizer(
        objective,
        designs,
        scores=scores,
        model=model,
        codec=codec,
        maximize=maximize,
        options=options,
        seed=seed,
    )
    return optimizer.run(budget, callbacks=callbacks)
