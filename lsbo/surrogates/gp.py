"""An exact BoTorch ``SingleTaskGP`` on latent points, and which points it learns from."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import torch
from botorch.exceptions.warnings import InputDataWarning, OptimizationWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch import Tensor

_PARTS = ("mean_module", "covar_module", "likelihood")

WARM_MAXITER = 100
"""Most L-BFGS iterations of a warm-started fit (a cold fit runs until it converges).
From the previous step's hyperparameters the likelihood is near its optimum at once;
in 32 latent dimensions the optimizer still crept on along flat lengthscales for 300
to 800 iterations a step, most of a molecule run's time, for no better proposals
(``benchmarks/RESULTS.md``, "Molecules, PMO protocol")."""


def gp_state(model: SingleTaskGP) -> dict[str, dict[str, Tensor]]:
    """The hyperparameters of a fitted GP, to warm-start the next fit (or store them)."""
    return {name: getattr(model, name).state_dict() for name in _PARTS}


def fit_gp(
    train_X: Tensor,
    train_Y: Tensor,
    bounds: Tensor,
    warm_start: SingleTaskGP | Mapping[str, Mapping[str, Tensor]] | None = None,
) -> SingleTaskGP:
    """Fit a ``SingleTaskGP`` by maximizing the exact marginal log likelihood.

    Inputs are normalized to the latent search box and outcomes standardized, both as
    the model's own transforms, so the model is queried in raw latent coordinates.
    Computation happens in ``train_X``'s dtype (use float64).

    Args:
        train_X: ``n x d`` latent points.
        train_Y: ``n x 1`` values, larger is better.
        bounds: ``2 x d`` lower and upper latent bounds.
        warm_start: A GP fitted at the previous step on the same latent space, or its
            :func:`gp_state`: its hyperparameters start the optimizer, which then needs
            a few iterations instead of dozens (about 4x faster at 500 points in 16
            dimensions), and at most :data:`WARM_MAXITER`.
    """
    with warnings.catch_warnings():
        # a design found by the search may encode slightly outside the box spanned by
        # the training designs; normalizing it past [0, 1] is harmless
        warnings.simplefilter("ignore", InputDataWarning)
        # a fit that stops early still gives usable hyperparameters; BoTorch retries
        # failed fits itself and raises ModelFittingError if none succeeds
        warnings.simplefilter("ignore", OptimizationWarning)
        model = SingleTaskGP(
            train_X,
            train_Y,
            input_transform=Normalize(d=train_X.shape[-1], bounds=bounds.to(train_X)),
            outcome_transform=Standardize(m=1),
        )
        if warm_start is not None:
            state = gp_state(warm_start) if isinstance(warm_start, SingleTaskGP) else warm_start
            for name in _PARTS:
                getattr(model, name).load_state_dict(state[name])
        limit = {} if warm_start is None else {"options": {"maxiter": WARM_MAXITER}}
        fit_gpytorch_mll(
            ExactMarginalLogLikelihood(model.likelihood, model), optimizer_kwargs=limit
        )
    return model.eval()


def select_training_points(
    values: Tensor, is_recent: Tensor, max_points: int, priority: Tensor
) -> Tensor:
    """Indices of the points an exact GP learns from once there are too many.

    Keeps the best half of ``max_points`` (by value), then the most recent quarter of
    the optimizer's own evaluations, then fills up with the rest in order of a random
    ``priority`` drawn once per point, so the GP sees the promising region, the
    search's latest steps and the global picture. Because priorities are fixed, the
    subset changes little from one step to the next, which keeps warm starts useful.

    Args:
        values: ``n`` values, larger is better.
        is_recent: ``n`` bool mask of points evaluated by this run; the last ``True``
            entries are the most recent.
        max_points: Largest number of indices to return.
        priority: ``n`` random keys (e.g. uniform), fixed for each point across steps.

    Returns:
        A sorted 1-d tensor of at most ``max_points`` distinct indices.
    """
    n = len(values)
    if n <= max_points:
        return torch.arange(n)
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[values.argsort(descending=True)[: max_points // 2]] = True
    recent = torch.nonzero(is_recent & ~chosen).flatten()
    chosen[recent[-(max_points // 4) :] if max_points >= 4 else recent[:0]] = True
    rest = torch.nonzero(~chosen).flatten()
    fill = rest[priority[rest].argsort(descending=True)[: max_points - int(chosen.sum())]]
    chosen[fill] = True
    return torch.nonzero(chosen).flatten()
