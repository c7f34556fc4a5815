"""``lsbo.optimize``: the one-call entry point, a thin shell over :class:`Optimizer`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from lsbo.exceptions import RunExistsError
from lsbo.loop import (
    OptimizationResult,
    Optimizer,
    OptimizerOptions,
    Record,
    RunStats,
    record_from_row,
)
from lsbo.models import VAE, load_model
from lsbo.objective import Objective
from lsbo.representations import Codec
from lsbo.storage import RDBStorage, get_storage
from lsbo.strategies import Strategy


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
    storage: str | os.PathLike[str] | RDBStorage | None = None,
    name: str | None = None,
    resume: bool = False,
    executor: Any = None,
    n_workers: int | None = None,
    strategy: str | Strategy | None = None,
) -> OptimizationResult:
    """Optimize a black-box function over designs like ``designs``.

    Trains a VAE on the designs (unless ``model`` is given), then spends ``budget``
    evaluations of ``objective`` on designs proposed by Bayesian optimization in the
    VAE's latent space.

    Args:
        objective: A callable ``design -> float`` or an :class:`lsbo.Objective`.
        designs: Unlabeled training designs: a list of strings, or of 2-D arrays with
            values in [0, 1].
        budget: Number of objective evaluations in the run, counting those a stored
            run already holds.
        maximize: ``True`` to maximize, ``False`` to minimize; ``None`` takes the
            objective's own direction (maximize for a plain function).
        seed: Makes the run reproducible on CPU.
        scores: Known values, one per design (``None`` where unknown); those designs
            are not evaluated again and cost no budget.
        model: A pretrained VAE (see :func:`lsbo.load_model`).
        codec: Codec for the VAE lsbo trains (default: chosen from the designs).
        options: Search and training settings.
        callbacks: Called as ``callback(optimizer, record)`` after each evaluation.
        storage: Where the run is stored: ``None`` (in memory), a file path,
            ``sqlite:///runs.db`` or ``postgresql://...``. A stored run with the same
            ``name`` is continued.
        name: The run's name in ``storage``.
        resume: Continue a stored run whose settings differ from these.
        executor: Evaluate on a ``concurrent.futures.Executor`` or a
            ``dask.distributed.Client``, several designs at once.
        n_workers: Evaluations in flight at once (default: the executor's workers).
        strategy: ``"plain"`` (default), ``"weighted-retraining"``, ``"trust-region"``,
            ``"trust-region+weighted-retraining"``, ``"random"``, or a
            :class:`lsbo.Strategy` with its own settings (see :mod:`lsbo.strategies`).

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
        storage=storage,
        name=name,
        resume=resume,
        strategy=strategy,
    )
    return optimizer.run(budget, callbacks=callbacks, executor=executor, n_workers=n_workers)


def load_run(
    storage: str | os.PathLike[str] | RDBStorage, name: str, with_model: bool = True
) -> OptimizationResult:
    """A stored run's history, best design and settings, without its objective.

    Args:
        storage: The file path or URL the run was stored in.
        name: The run's name.
        with_model: Also load the run's VAE (``result.model``).

    Raises:
        RunExistsError: No run of that name is stored there.
        StorageError: The storage cannot be read.
    """
    store = get_storage(storage)
    run = store.get_run(name)
    if run is None:
        names = ", ".join(r.name for r in store.list_runs()[:10]) or "none"
        raise RunExistsError(f"no run named {name!r} in {store} (runs there: {names})")
    rows = store.proposals(run.id)
    evaluated = sorted(
        (row for row in rows if row["state"] in ("complete", "failed")),
        key=lambda row: row["finish_order"],
    )
    checkpoint = store.load_checkpoint(run.id, "vae") if with_model else None
    return OptimizationResult(
        history=[record_from_row(row) for row in evaluated],
        maximize=bool(run.settings.get("maximize", True)),
        stats=RunStats.from_dict(run.stats),
        model=None if checkpoint is None else load_model(checkpoint),
        name=name,
        invalid=[record_from_row(row) for row in rows if row["state"] == "invalid"],
        n_pending=sum(row["state"] == "pending" for row in rows),
        settings=run.settings,
    )
