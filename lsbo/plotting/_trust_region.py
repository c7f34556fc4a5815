"""The trust region of a run's next step, rebuilt from its stored history.

Moved unchanged from the former ``lsbo/plotting.py``: this rebuilding is to be replaced
by calls into the optimizer's own components, so it stays apart from the latent-space
figure that draws the region (:func:`lsbo.plotting.latent_space.latent_data`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lsbo.exceptions import LsboError

if TYPE_CHECKING:
    from lsbo.models.vae import VAE
    from lsbo.records import OptimizationResult, Record


def _trust_region(
    result: OptimizationResult,
    records: Sequence[Record],
    latents: np.ndarray,
    value: np.ndarray,
    training: np.ndarray,
    model: VAE | None,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, float | None]:
    """The ``(low, high)`` box of the run's next trust region and its side, or ``None``s."""
    from lsbo.strategies import TrustRegion, strategy_from_settings

    try:
        strategy = strategy_from_settings(result.settings.get("strategy"))
    except (LsboError, KeyError, TypeError):
        return None, None
    complete = np.isfinite(value)
    if not isinstance(strategy, TrustRegion) or complete.sum() < 2:
        return None, None
    sign = 1.0 if result.maximize else -1.0
    X = torch.as_tensor(latents[complete], dtype=torch.float64)
    Y = torch.as_tensor(sign * value[complete], dtype=torch.float64)
    length = _replayed_length(result, strategy, X.shape[-1], sign)
    bounds = _search_box(result, model, training, latents[complete])
    box = _trust_region_box(X, Y, length, bounds)
    return (box[0].numpy(), box[1].numpy()), length


def _replayed_length(result: OptimizationResult, strategy: Any, dim: int, sign: float) -> float:
    """The trust region's side after the run's batches, as ``Optimizer.trust_region``."""
    from lsbo.acquisition.trust_region import TrustRegionState, replay
    from lsbo.strategies import failure_tolerance

    start: list[float] = []
    batches: dict[int, list[float]] = {}
    for record in result.history:
        values = [] if record.value is None else [sign * record.value]
        if record.source == "initial":
            start += values
        else:
            batches.setdefault(record.iteration, []).extend(values)
    sizes = [sum(r.iteration == i for r in result.history) for i in batches]
    state = TrustRegionState(
        length_init=strategy.length_init,
        length_min=strategy.length_min,
        length_max=strategy.length_max,
        success_tolerance=strategy.success_tolerance,
        failure_tolerance=failure_tolerance(strategy, dim, max(sizes, default=1)),
        length=strategy.length_init,
    )
    return replay(state, start, batches.values()).length


def _search_box(
    result: OptimizationResult, model: VAE | None, training: np.ndarray, evaluated: np.ndarray
) -> torch.Tensor:
    """The run's ``2 x d`` latent search box (see :func:`latent_data`)."""
    from lsbo.acquisition import latent_bounds

    stored = None if model is None else model.metadata.get("bounds")
    if stored is not None:
        return torch.tensor(stored, dtype=torch.float64)
    margin = float(result.settings.get("options", {}).get("bounds_margin", 0.1))
    points = training if len(training) else evaluated
    return latent_bounds(torch.as_tensor(points, dtype=torch.float64), margin)


def _trust_region_box(X: torch.Tensor, Y: torch.Tensor, length: float, bounds: torch.Tensor):
    """The region around the best of ``X`` (``n x d``, values ``Y``, larger is better)."""
    from linear_operator.utils.warnings import NumericalWarning

    from lsbo.acquisition.trust_region import trust_region_bounds
    from lsbo.surrogates import fit_gp, select_training_points

    keep = select_training_points(
        Y, torch.ones(len(Y), dtype=torch.bool), 500, torch.linspace(1, 0, len(Y))
    )
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(0)
        warnings.simplefilter("ignore", NumericalWarning)
        gp = fit_gp(X[keep], Y[keep].unsqueeze(-1), bounds)
    return trust_region_bounds(gp, X[Y.argmax()], length, bounds)
