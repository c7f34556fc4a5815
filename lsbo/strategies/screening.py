"""Screening: the unscored training designs in random order, the baseline of PMO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from torch import Tensor

from lsbo.options import OptimizerOptions
from lsbo.records import Source
from lsbo.strategies.base import Candidate, SearchContext, Strategy


@dataclass(frozen=True)
class Screening(Strategy):
    """Evaluate the training designs that carry no score, in one random order per run.

    The baseline of virtual screening (Gao et al. 2022, PMO): a search earns its keep
    only where it finds better designs than scoring the library a user already has.
    No GP, no decoding; the order is fixed by the run's seed, so a resumed run, or
    another process sharing it, goes on down the same list (designs taken already,
    and invalid ones, are passed over).
    """

    name: ClassVar[str] = "screening"
    source: ClassVar[Source] = Source.SCREENING
    exhausted: ClassVar[str] = (
        "screening has evaluated every valid unscored training design; give more "
        "designs or choose a strategy that searches (e.g. 'plain' or 'genetic')"
    )

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """Not used: screening proposes training designs (see :meth:`propose_designs`)."""
        raise NotImplementedError("screening proposes training designs, not latent points")

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate]:
        """The next ``n`` usable training designs in the run's order."""
        designs = context.latent.designs
        order = np.random.default_rng(context.run_seed).permutation(len(designs))
        chosen: list[Candidate] = []
        for i in order.tolist():
            if len(chosen) == n:
                break
            if context.usable(designs[i]):
                chosen.append(Candidate(designs[i], source=Source.SCREENING))
        return chosen

    def rounds(self, options: OptimizerOptions) -> int:
        """One: a second pass over the same list finds nothing new."""
        return 1
