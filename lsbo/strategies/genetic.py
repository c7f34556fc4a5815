"""A genetic algorithm on the designs themselves, the baseline a design-space search sets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from torch import Tensor

from lsbo.exceptions import InvalidOptionError
from lsbo.records import Source
from lsbo.strategies.base import Candidate, SearchContext, Strategy, check_spacing, new_children


@dataclass(frozen=True)
class Genetic(Strategy):
    """Evolve the best designs by crossover and mutation; no GP, no latent search.

    Follows holo-bench's ``DiscreteEvolution`` (Stanton et al. 2024) as a steady-state
    algorithm: each step's children come from the ``survivors`` best designs known at
    that step (given scores and the run's evaluations: elitist truncation selection),
    two parents per child drawn uniformly, crossed and mutated by the codec
    (:meth:`lsbo.representations.Codec.vary`); a child that is invalid or known is
    drawn again. The VAE only encodes the designs for the run's records, so a run can
    be compared with the latent-space strategies in one call.

    Attributes:
        survivors: How many of the best designs are parents (holo-bench: 20% of a
            population of 50).
        rate: Probability of a change per token or pixel (``None``: ``1.1 / length``;
            0: crossover alone).
        draws: Children drawn per proposal wanted in each round before giving up.
        drift: Among designs of equal value, the newest are the survivors (neutral
            drift across plateaus; see :meth:`SearchContext.best_designs`); ``False``:
            the oldest.
        spacing: Survivors' values differ by more than this (niching by value, see
            :meth:`SearchContext.best_designs`); in the objective's units. 0: the
            ``survivors`` best, however alike.
    """

    name: ClassVar[str] = "genetic"
    source: ClassVar[Source] = Source.MUTANT
    exhausted: ClassVar[str] = (
        "the genetic algorithm drew no new valid child of the best designs: the "
        "population has converged; raise survivors or rate"
    )
    survivors: int = 10
    rate: float | None = None
    draws: int = 50
    drift: bool = True
    spacing: float = 0.0

    def __post_init__(self) -> None:
        if self.survivors < 1 or self.draws < 1:
            raise InvalidOptionError("survivors and draws must be >= 1")
        check_spacing(self.spacing)
        if not isinstance(self.drift, bool):
            raise InvalidOptionError(f"drift must be True or False, got {self.drift!r}")
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise InvalidOptionError(f"rate must be in [0, 1], got {self.rate}")

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """Not used: the genetic algorithm makes designs (see :meth:`propose_designs`)."""
        raise NotImplementedError("the genetic strategy proposes designs, not latent points")

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate]:
        """New valid children of the best designs, up to ``draws * n`` drawn."""
        rng = np.random.default_rng([context.seed, context.round])
        parents = context.best_designs(self.survivors, self.drift, self.spacing)
        return new_children(context, self.draws * n, rng, parents, self.rate, limit=n)
