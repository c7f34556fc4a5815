"""The plain strategy: a GP with qLogEI over the latent box of the training data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor

from lsbo.acquisition import optimize_qlogei
from lsbo.strategies.base import SearchContext, Strategy, qlogei_ranking


@dataclass(frozen=True)
class Plain(Strategy):
    """Train the VAE once, then GP + qLogEI over the latent box of the training data."""

    name: ClassVar[str] = "plain"

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """The local optima of qLogEI's restarts, best batch first (``restarts * n x d``):
        the runners-up replace points that decode to unusable designs. With a validity
        classifier, qLogEI is weighted by the probability that the batch decodes validly."""
        options, validity = context.options, context.validity()
        candidates, _ = optimize_qlogei(
            context.surrogate(),
            context.latent.bounds,
            best_f=context.best_f,
            q=n,
            X_pending=context.pending_points(),
            num_restarts=options.num_restarts,
            raw_samples=options.raw_samples,
            mc_samples=options.mc_samples,
            seed=context.seed + context.round,
            log_validity=None if validity is None else validity.log_prob,
        )
        return candidates.flatten(0, 1)

    def ranking(self, context: SearchContext) -> Callable[[Tensor], Tensor]:
        """qLogEI of each point (times its probability of decoding validly)."""
        return qlogei_ranking(context)
