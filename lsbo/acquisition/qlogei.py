"""qLogExpectedImprovement maximized inside a box around the encoded data."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from botorch.acquisition.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogExpectedImprovement
from botorch.acquisition.penalized import PenalizedAcquisitionFunction
from botorch.exceptions.warnings import OptimizationWarning
from botorch.models.model import Model
from botorch.optim import optimize_acqf
from botorch.sampling import SobolQMCNormalSampler
from torch import Tensor, nn


def latent_bounds(latents: Tensor, margin: float = 0.1) -> Tensor:
    """The box spanned by encoded designs, widened by ``margin`` of its width per side.

    Args:
        latents: ``n x d`` encoded training designs (posterior means).
        margin: Fraction of each dimension's range added on both sides.

    Returns:
        A ``2 x d`` tensor of lower and upper bounds.
    """
    low, high = latents.min(0).values, latents.max(0).values
    width = (high - low).clamp_min(1e-3)
    return torch.stack([low - margin * width, high + margin * width])


def optimize_qlogei(
    model: Model,
    bounds: Tensor,
    best_f: float | Tensor,
    q: int = 1,
    X_pending: Tensor | None = None,
    num_restarts: int = 10,
    raw_samples: int = 256,
    mc_samples: int = 256,
    seed: int = 0,
    log_validity: Callable[[Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Jointly choose ``q`` latent points that maximize qLogEI.

    Args:
        model: A fitted BoTorch model on latent points (larger values are better).
        bounds: ``2 x d`` search box.
        best_f: The best value observed so far.
        q: Number of points to choose.
        X_pending: ``m x d`` points already chosen but not yet scored; the batch is
            chosen to complement them.
        num_restarts: Starting points of the gradient-based optimizer.
        raw_samples: Quasi-random points used to pick the starting points.
        mc_samples: Quasi-Monte-Carlo samples of the posterior.
        seed: Seeds the QMC sampler and the starting points.
        log_validity: ``log P(valid | z)`` of ``... x d`` points (a ``...`` tensor),
            added to qLogEI for each point of the batch (see :func:`_qlogei`).

    Returns:
        ``(candidates, acq_values)``: ``num_restarts x q x d`` batches, one per restart
        (each a local optimum), best first, and their ``num_restarts`` qLogEI values.
        The runners-up are the natural fallback when the best batch decodes to
        designs that cannot be used.
    """
    acq = _qlogei(model, best_f, X_pending, mc_samples, seed, log_validity)
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        # a restart that stops early is still a usable local optimum; BoTorch retries
        # from new starting points itself, so its notes about that are noise here
        warnings.simplefilter("ignore", OptimizationWarning)
        warnings.filterwarnings("ignore", "Optimization failed", RuntimeWarning)
        candidates, values = optimize_acqf(
            acq,
            bounds=bounds,
            q=q,
            num_restarts=num_restarts,
            raw_samples=raw_samples,
            return_best_only=False,
        )
    assert values is not None  # return_acq_values defaults to True
    order = values.argsort(descending=True)
    return candidates[order].detach(), values[order].detach()


def qlogei_values(
    model: Model,
    X: Tensor,
    best_f: float | Tensor,
    X_pending: Tensor | None = None,
    mc_samples: int = 256,
    seed: int = 0,
    log_validity: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """qLogEI of each single point in ``X`` (``n x d``), e.g. to rank sampled candidates,
    plus ``log_validity`` of the point when given.

    Returns:
        An ``n`` tensor.
    """
    acq = _qlogei(model, best_f, X_pending, mc_samples, seed, log_validity)
    with torch.no_grad():
        return torch.cat([acq(chunk.unsqueeze(1)) for chunk in X.split(512)])


def _qlogei(
    model: Model,
    best_f: float | Tensor,
    X_pending: Tensor | None,
    mc_samples: int,
    seed: int,
    log_validity: Callable[[Tensor], Tensor] | None = None,
) -> AcquisitionFunction:
    """qLogEI; with ``log_validity``, ``qLogEI(X) + sum_j log P(valid | x_j)``.

    The sum is the log of qEI times the probability that every point of the batch
    decodes validly, the constrained EI of Griffiths and Hernandez-Lobato (2020); for
    ``q = 1`` it is exactly EI times ``P(valid)``.
    """
    acq = qLogExpectedImprovement(
        model,
        best_f=best_f,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples]), seed=seed),
        X_pending=X_pending,
    )
    if log_validity is None:
        return acq
    return PenalizedAcquisitionFunction(acq, _Invalidity(log_validity), 1.0)


class _Invalidity(nn.Module):
    """The penalty ``-sum_j log P(valid | x_j)`` of ``batch x q x d`` batches."""

    def __init__(self, log_validity: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.log_validity = log_validity

    def forward(self, X: Tensor) -> Tensor:
        return -self.log_validity(X).sum(-1)
