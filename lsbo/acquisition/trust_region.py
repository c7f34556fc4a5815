"""TuRBO's trust region in latent space: its state, its box, and Thompson sampling in it.

The state follows BoTorch's TuRBO tutorial (Eriksson et al., NeurIPS 2019). The state is
a pure function of the batches' values, so :func:`replay` rebuilds it from a stored
history: a resumed run continues with the region it had.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from botorch.generation import MaxPosteriorSampling
from botorch.models.model import Model
from linear_operator.utils.warnings import NumericalWarning
from torch import Tensor
from torch.quasirandom import SobolEngine


@dataclass
class TrustRegionState:
    """Side length and success/failure counters of a trust region.

    Attributes:
        length: Side of the region in the unit-normalized latent box.
        length_init, length_min, length_max: Start, restart threshold and largest side.
        success_tolerance, failure_tolerance: Batches in a row that grow / shrink it.
        best_value: Best value seen (larger is better).
        n_restarts: Times the region collapsed and started again.
    """

    length_init: float = 0.8
    length_min: float = 0.5**7
    length_max: float = 1.6
    success_tolerance: int = 10
    failure_tolerance: int = 4
    length: float = 0.8
    success_counter: int = 0
    failure_counter: int = 0
    best_value: float = -math.inf
    n_restarts: int = 0

    def update(self, batch: Sequence[float]) -> None:
        """Take in the values of one batch: grow, shrink or restart the region.

        A batch succeeds when its best value beats the best so far by more than
        ``1e-3 * |best|`` (TuRBO's rule). An empty batch (all failed) is a failure.
        """
        best = max(batch, default=-math.inf)
        if best > self.best_value + 1e-3 * abs(self.best_value):
            self.success_counter += 1
            self.failure_counter = 0
        else:
            self.success_counter = 0
            self.failure_counter += 1
        if self.success_counter == self.success_tolerance:
            self.length = min(2.0 * self.length, self.length_max)
            self.success_counter = 0
        elif self.failure_counter == self.failure_tolerance:
            self.length /= 2.0
            self.failure_counter = 0
        self.best_value = max(self.best_value, best)
        if self.length < self.length_min:
            self.length = self.length_init
            self.success_counter = self.failure_counter = 0
            self.n_restarts += 1


def replay(
    state: TrustRegionState, start: Iterable[float], batches: Iterable[Sequence[float]]
) -> TrustRegionState:
    """The state after seeing ``start`` values (setting the best) and then ``batches``."""
    state.best_value = max(start, default=state.best_value)
    for batch in batches:
        state.update(batch)
    return state


def trust_region_bounds(
    model: Model, center: Tensor, length: float, bounds: Tensor, lengthscale: Tensor | None = None
) -> Tensor:
    """The region's box in raw latent coordinates, clipped to ``bounds``.

    The side per dimension is ``length`` times the dimension's lengthscale relative to
    their geometric mean, in the unit cube that ``bounds`` maps to (TuRBO's shape: long
    along directions where the function varies slowly).

    Args:
        model: A GP whose kernel has (ARD) lengthscales on unit-normalized inputs.
        center: ``d`` centre (the best point).
        length: Side in the unit cube before stretching.
        bounds: ``2 x d`` latent search box.
        lengthscale: ``d`` lengthscales to use instead of reading the model's.

    Returns:
        A ``2 x d`` tensor of lower and upper bounds.
    """
    if lengthscale is None:
        lengthscale = _lengthscale(model, center.shape[-1]).to(center)
    weights = lengthscale / lengthscale.mean()
    weights = weights / weights.prod().pow(1.0 / len(weights))
    width = bounds[1] - bounds[0]
    unit = ((center - bounds[0]) / width).clamp(0.0, 1.0)
    low = (unit - weights * length / 2.0).clamp(0.0, 1.0)
    high = (unit + weights * length / 2.0).clamp(0.0, 1.0)
    return torch.stack([bounds[0] + low * width, bounds[0] + high * width])


def _lengthscale(model: Model, dim: int) -> Tensor:
    """The ARD lengthscales of a GP's kernel (ones when it has none)."""
    for module in model.modules():
        lengthscale = getattr(module, "lengthscale", None)
        if isinstance(lengthscale, Tensor) and lengthscale.shape[-1] == dim:
            return lengthscale.detach().reshape(-1, dim)[0]
    return torch.ones(dim)


def thompson_sample(
    model: Model,
    center: Tensor,
    region: Tensor,
    n: int,
    n_candidates: int | None = None,
    seed: int = 0,
    validity: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """``n`` distinct points, each the maximizer of one posterior sample over candidates.

    Candidates are TuRBO's: Sobol points in ``region`` where each coordinate moves away
    from ``center`` with probability ``min(1, 20 / d)`` (the others stay at the
    centre's value), so that in many dimensions the candidates are local perturbations.

    Args:
        model: A fitted GP on latent points.
        center: ``d`` best point.
        region: ``2 x d`` trust-region box.
        n: Points wanted (at most ``n_candidates``); the first are the batch, later
            ones stand in when earlier ones decode to designs that cannot be used.
        n_candidates: Sobol candidates (default ``min(5000, max(2000, 200 d))``).
        seed: Seeds the Sobol sequence, the perturbation mask and the posterior samples.
        validity: ``P(valid | z)`` of ``m x d`` points (an ``m`` tensor): each candidate
            is kept with that probability, a Thompson sample of whether it decodes
            validly (see :func:`likely_valid`).

    Returns:
        An ``n x d`` tensor (fewer when fewer candidates are left).
    """
    dim = center.shape[-1]
    n_candidates = n_candidates or min(5000, max(2000, 200 * dim))
    n = min(n, n_candidates)
    sobol = SobolEngine(dim, scramble=True, seed=seed)
    pert = sobol.draw(n_candidates).to(region)
    pert = region[0] + (region[1] - region[0]) * pert
    generator = torch.Generator().manual_seed(seed)
    mask = torch.rand(n_candidates, dim, generator=generator) <= min(1.0, 20.0 / dim)
    mask[torch.arange(n_candidates), torch.randint(dim, (n_candidates,), generator=generator)] = (
        True  # at least one coordinate moves
    )
    candidates = center.expand(n_candidates, dim).clone()
    candidates[mask.to(candidates.device)] = pert[mask.to(pert.device)]
    if validity is not None:
        with torch.no_grad():
            candidates = likely_valid(candidates, validity(candidates), n, generator)
    n = min(n, len(candidates))
    with torch.no_grad(), torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        # candidates packed closely in a small region make the joint covariance nearly
        # singular; the jitter GPyTorch adds then is expected, not a problem to report
        warnings.simplefilter("ignore", NumericalWarning)
        sampler = MaxPosteriorSampling(model=model, replacement=False)
        return sampler(candidates, num_samples=n).detach()


def likely_valid(candidates: Tensor, prob: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """The candidates that a draw of ``Bernoulli(prob)`` says are valid, in their order.

    Thompson sampling of the validity constraint alongside the posterior of the
    objective: a candidate with ``P(valid) = 0.9`` stays nine times in ten. When fewer
    than ``n`` stay, the ``n`` most probably valid ones are taken instead.

    Args:
        candidates: ``m x d`` points.
        prob: ``m`` probabilities that each decodes validly.
        n: Candidates needed at least.
        generator: Draws the Bernoulli samples.
    """
    keep = torch.rand(len(prob), generator=generator, dtype=prob.dtype) < prob.cpu()
    if int(keep.sum()) < n:
        keep = torch.zeros_like(keep)
        keep[prob.cpu().topk(min(n, len(prob))).indices] = True
    return candidates[keep.to(candidates.device)]


def thompson_order(model: Model, points: Tensor, n: int, seed: int = 0) -> list[int]:
    """Indices of ``points`` (``m x d``): the first ``n`` each the maximizer of one joint
    posterior sample among those not yet chosen, the rest by posterior mean.

    How a Thompson-sampling strategy ranks a fixed set of candidates, e.g. designs made
    in design space, at their encodings."""
    n = min(n, len(points))
    with torch.no_grad(), torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore", NumericalWarning)
        posterior = model.posterior(points)
        samples = posterior.rsample(torch.Size([n])).reshape(n, len(points))
        mean = posterior.mean.reshape(len(points))  # type: ignore[attr-defined]
    chosen: list[int] = []
    for sample in samples:
        sample[chosen] = -torch.inf
        chosen.append(int(sample.argmax()))
    taken = set(chosen)
    return chosen + [i for i in mean.argsort(descending=True).tolist() if i not in taken]
