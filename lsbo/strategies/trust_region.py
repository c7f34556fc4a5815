"""TuRBO in latent space: Thompson sampling in a box around the best point.

The region's state is a pure function of the run's history (:meth:`TrustRegion.state`),
so a resumed run continues with the region it had and a plot of a stored run shows the
region the run would search next, both from this one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from botorch.models.model import Model
from torch import Tensor

from lsbo.acquisition.trust_region import (
    TrustRegionState,
    replay,
    thompson_order,
    thompson_sample,
    trust_region_bounds,
)
from lsbo.exceptions import InvalidOptionError
from lsbo.records import Record, Source
from lsbo.strategies.base import (
    Candidate,
    SearchContext,
    Strategy,
    decoded_candidates,
    encodings,
    new_children,
    qlogei_ranking,
)
from lsbo.strategies.plain import MUTANT_PARENTS
from lsbo.strategies.retraining import WeightedRetraining


@dataclass(frozen=True)
class TrustRegion(Strategy):
    """TuRBO in latent space: Thompson sampling inside a box around the best point.

    The box is centred on the best latent point, its side ``length`` (in the latent
    box normalized to the unit cube) stretched per dimension by the GP's lengthscales.
    After ``success_tolerance`` improving batches in a row it doubles (at most
    ``length_max``); after ``failure_tolerance`` batches without improvement it halves;
    below ``length_min`` it restarts at ``length_init``. Defaults are those of
    BoTorch's TuRBO tutorial. Eriksson et al., Scalable Global Optimization via Local
    Bayesian Optimization, NeurIPS 2019; Maus et al., Local Latent Space Bayesian
    Optimization over Structured Inputs (LOL-BO), NeurIPS 2022.

    Attributes:
        length_init: Side of a new region.
        length_min: A region smaller than this restarts.
        length_max: Largest side.
        success_tolerance: Improving batches in a row before the region grows.
        failure_tolerance: Batches without improvement before it shrinks (``None``:
            ``ceil(max(4 / q, d / q))`` for batches of ``q`` in ``d`` dimensions).
        n_candidates: Sobol points in the region for Thompson sampling (``None``:
            ``min(5000, max(2000, 200 d))``).
        retraining: Also fine-tune the VAE on a weighted-retraining schedule.
        mutants: Designs made in design space each step (crossover and mutation of the
            10 best designs known, :meth:`lsbo.representations.Codec.vary`), ranked by
            Thompson sampling at their encodings together with the decodes of the
            region's samples (:func:`thompson_candidates`); the children are not held
            to the region, which still steers the latent samples. 0 (the default): the
            latent samples only, as TuRBO and LOL-BO.
    """

    name: ClassVar[str] = "trust-region"
    length_init: float = 0.8
    length_min: float = 0.5**7
    length_max: float = 1.6
    success_tolerance: int = 10
    failure_tolerance: int | None = None
    n_candidates: int | None = None
    retraining: WeightedRetraining | None = None  # type: ignore[assignment]
    mutants: int = 0

    def __post_init__(self) -> None:
        check_lengths(self.length_min, self.length_init, self.length_max)
        if self.success_tolerance < 1 or (self.failure_tolerance or 1) < 1:
            raise InvalidOptionError("success_tolerance and failure_tolerance must be >= 1")
        if self.n_candidates is not None and self.n_candidates < 1:
            raise InvalidOptionError("n_candidates must be >= 1 or None")
        if isinstance(self.mutants, bool) or not isinstance(self.mutants, int) or self.mutants < 0:
            raise InvalidOptionError(f"mutants must be an integer >= 0, got {self.mutants!r}")

    def settings(self) -> dict[str, Any]:
        """The stored settings, with the retraining schedule's own settings nested."""
        settings = super().settings()
        if self.retraining is None:
            settings["retraining"] = None
        return settings

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """``4 n + 16`` Thompson samples in the region, best first: the first ``n`` are
        the batch, the others stand in for points that decode to unusable designs. With a
        validity classifier, each candidate takes part with its probability of decoding
        validly (:func:`lsbo.acquisition.trust_region.likely_valid`)."""
        region = self.region(context)
        context.notes["region"] = region
        validity = context.validity()
        return thompson_sample(
            context.surrogate(),
            context.observations.best_point(),
            region,
            n=4 * n + 16,
            n_candidates=self.n_candidates,
            seed=context.seed + context.round,
            validity=validity,
        )

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate] | None:
        """With ``mutants``: :meth:`propose`'s decodes and children of the best designs,
        ranked together by Thompson sampling (:func:`thompson_candidates`). Without:
        ``None`` (the samples are decoded as usual)."""
        if not self.mutants:
            return None
        points = self.propose(context, n)
        return thompson_candidates(context, context.surrogate(), points, self.mutants, n)

    def ranking(self, context: SearchContext) -> Callable[[Tensor], Tensor]:
        """qLogEI of each point (the fallback ranks samples of the whole box)."""
        return qlogei_ranking(context)

    def region(self, context: SearchContext) -> Tensor:
        """The ``2 x d`` box of this step: around the best point, with the side of
        :meth:`state`, stretched by the step's GP's lengthscales."""
        state = self.state(context)
        center = context.observations.best_point()
        return trust_region_bounds(context.surrogate(), center, state.length, context.latent.bounds)

    def state(self, context: SearchContext) -> TrustRegionState:
        """The region's state now, rebuilt from the history (:func:`region_state`)."""
        return region_state(self, context)


def thompson_candidates(
    context: SearchContext, model: Model, points: Tensor, mutants: int, n: int
) -> list[Candidate]:
    """The designs ``points`` decode to and ``mutants`` children of the 10 best designs
    known, the new and valid ones ranked together by Thompson sampling of ``model`` at
    their encodings (:func:`lsbo.acquisition.trust_region.thompson_order`: the first
    ``n`` each the best of one posterior sample), after the unusable decodes, which the
    run records."""
    keys: set[str] = set()
    usable, unusable = decoded_candidates(context, points, keys)
    rng = np.random.default_rng([context.seed, context.round])
    parents = context.best_designs(MUTANT_PARENTS)
    ranked = usable + new_children(context, mutants, rng, parents, known=keys)
    if not ranked:
        return unusable
    order = thompson_order(model, encodings(context, ranked), n, context.seed + context.round)
    return unusable + [ranked[i] for i in order]


def check_lengths(length_min: float, length_init: float, length_max: float) -> None:
    """Raise :class:`InvalidOptionError` unless ``0 < min <= init <= max``."""
    if not 0 < length_min <= length_init <= length_max:
        raise InvalidOptionError(
            "trust region lengths must satisfy 0 < length_min <= length_init <= "
            f"length_max, got {length_min}, {length_init}, {length_max}"
        )


def region_state(strategy: Any, context: SearchContext) -> TrustRegionState:
    """The state of the trust region of ``strategy`` (its ``length_*`` and tolerance
    settings, as :class:`TrustRegion`'s) now, rebuilt from the history.

    Known scores and the initial designs set the best value, then each later batch
    (the proposals of one ``ask``) grows or shrinks the region.
    """
    state = TrustRegionState(
        length_init=strategy.length_init,
        length_min=strategy.length_min,
        length_max=strategy.length_max,
        success_tolerance=strategy.success_tolerance,
        failure_tolerance=failure_tolerance(strategy, context.latent.dim, context.batch_size),
        length=strategy.length_init,
    )
    start, batches = start_and_batches(context.history, context.observations.direction.sign)
    return replay(state, [*context.observations.given_values(), *start], batches)


def start_and_batches(
    history: Iterable[Record], sign: float
) -> tuple[list[float], list[list[float]]]:
    """Signed values of the initial designs, and of each later batch (one ``ask``)."""
    start: list[float] = []
    batches: dict[int, list[float]] = {}
    for record in history:
        values = [] if record.value is None else [sign * record.value]
        if record.source == Source.INITIAL:
            start += values
        else:
            batches.setdefault(record.iteration, []).extend(values)
    return start, list(batches.values())


def failure_tolerance(strategy: Any, dim: int, q: int) -> int:
    """Batches without improvement before the region shrinks."""
    if strategy.failure_tolerance is not None:
        return strategy.failure_tolerance
    return math.ceil(max(4.0 / q, dim / q))
