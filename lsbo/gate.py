"""The proposal gate: only new, valid designs become proposals.

A strategy proposes latent points; the gate decodes them, records those that decode to
invalid designs, skips designs already proposed or scored (in any process), and stores
the rest as pending proposals. When a strategy's points are used up, the gate's
fallback samples near the best points and ranks the samples with the strategy's own
acquisition, and its last resort takes unscored training designs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from lsbo.exceptions import SearchExhaustedError
from lsbo.latent_space import LatentSpace, distinct_points
from lsbo.objective import Objective
from lsbo.observations import Observations
from lsbo.records import Proposal, Record, RunStats, Source
from lsbo.run_storage import RunStorage
from lsbo.strategies import Candidate, SearchContext, Strategy

# when the latent box decodes only to seen or invalid designs, the fallback samples the
# prior at this scale, outside the box
WIDE_PRIOR_SCALE = 3.0


@dataclass(frozen=True)
class Step:
    """One ``ask``: its number in the run, its seed, and the run's budget (if any)."""

    iteration: int
    seed: int
    budget: int | None = None


class ProposalGate:
    """Turns designs and latent points into stored proposals, new and valid only.

    Args:
        latent: The run's latent space (its VAE may change when retrained).
        objective: Whose ``is_valid`` a design must pass too.
        run: Where proposals and invalid decodes are stored.
        stats: Counters of decodes, invalid and duplicate designs.
        reencode: The GP learns from the design's own encoding (``True``), not from
            the point that decoded to it.
        observations: Where a point that decodes to a design scored already is
            learned with that design's value, when they ``learn_points`` (it is also
            stored, as a duplicate record).
        inversion_steps: With ``reencode``, move each proposal's encoding by up to this
            many gradient steps until it decodes to the design (InvBO's inversion,
            :func:`lsbo.models.inversion.invert`); 0: the encoder's mean.
    """

    def __init__(
        self,
        latent: LatentSpace,
        objective: Objective,
        run: RunStorage,
        stats: RunStats,
        reencode: bool = True,
        observations: Observations | None = None,
        inversion_steps: int = 0,
    ) -> None:
        self.latent = latent
        self.objective = objective
        self.run = run
        self.stats = stats
        self.reencode = reencode
        self.observations = observations
        self.inversion_steps = inversion_steps
        self.seen: set[str] = set()  # keys of designs proposed or scored, in any process
        self.values: dict[str, float] = {}  # key -> value of each design scored, if known
        self.invalid: list[Record] = []

    def is_valid(self, design: Any) -> bool:
        """Whether the codec and the objective both accept ``design``."""
        return self.latent.is_valid(design) and bool(self.objective.is_valid(design))

    def is_new_and_valid(self, design: Any, count: bool = False) -> bool:
        """Valid and never proposed; ``count`` adds a rejection to the stats."""
        if not self.is_valid(design):
            self.stats.n_invalid += count
            return False
        if self.latent.digest(design) in self.seen:
            self.stats.n_duplicate += count
            return False
        return True

    def propose(
        self, design: Any, point: Tensor | None, source: Source, step: Step
    ) -> Proposal | None:
        """Store ``design`` as a pending proposal; ``None`` if another process has it."""
        digest = self.latent.digest(design)
        self.seen.add(digest)
        point = None if point is None else point.detach().to("cpu")
        if self.reencode or point is None:
            latent = self.latent.locate([design], self.inversion_steps)[0]
        else:
            latent = point.to(self.latent.dtype)
        proposal = self.run.add_pending(
            design, digest, latent, point, step.iteration, source, step.budget
        )
        if proposal is None:
            self.stats.n_duplicate += 1
        return proposal

    def search(
        self, strategy: Strategy, context: SearchContext, n: int, step: Step
    ) -> list[Proposal]:
        """``n`` proposals: the strategy's points in up to ``strategy.rounds`` rounds
        (each round avoids the points that decoded to unusable designs before), then
        the fallback ranked by the strategy's ``ranking``, then training designs.

        Raises:
            SearchExhaustedError: Nothing new and valid was found at all.
        """
        proposals: list[Proposal] = []
        for _ in range(strategy.rounds(context.options)):
            wanted = n - len(proposals)
            candidates = strategy.propose_designs(context, wanted)
            if candidates is None:
                points = strategy.propose(context, wanted)
                proposals += self.accept(points, strategy.source, wanted, step, context.rejected)
            else:
                proposals += self.accept_candidates(
                    candidates, strategy.source, wanted, step, context.rejected
                )
            if len(proposals) == n:
                return proposals
            context = context.next_round()
        ranking = strategy.ranking(context)
        if ranking is not None:
            proposals += self.fallback(ranking, context.observations, n - len(proposals), step)
        return self.last_resort(proposals, n, step, strategy.exhausted)

    def accept(
        self, candidates: Tensor, source: Source, n: int, step: Step, rejected: list[Tensor]
    ) -> list[Proposal]:
        """Up to ``n`` proposals from the designs ``candidates`` (``m x d``, best first)
        decode to (see :meth:`accept_candidates`). Runs that learn decoded points (new
        ones) first drop candidates closer to a better one than ``DISTINCT_TOLERANCE``
        of the box's diagonal: restarts of an acquisition optimizer often converge to
        one optimum, and its copies would decode to the same design (see
        :func:`lsbo.latent_space.distinct_points`).
        """
        if self.learns_points:
            candidates = distinct_points(candidates, self.latent.bounds)
        designs = self.latent.decode(candidates)
        decoded = [Candidate(d, z, decoded=True) for z, d in zip(candidates, designs, strict=True)]
        return self.accept_candidates(decoded, source, n, step, rejected)

    def accept_candidates(
        self,
        candidates: Sequence[Candidate],
        source: Source,
        n: int,
        step: Step,
        rejected: list[Tensor],
    ) -> list[Proposal]:
        """Up to ``n`` proposals from ``candidates`` (best first): the new valid designs.

        A decoded candidate whose design is invalid is recorded as an invalid decode;
        those and the points of duplicates are appended to ``rejected``: treated as
        pending, they steer the next round elsewhere. A point that decodes to a design
        scored already is stored with its value when the GP learns decoded points. A
        design made in design space that is invalid or known is passed over.
        """
        accepted: list[Proposal] = []
        for candidate in candidates:
            if len(accepted) == n:
                break
            if not candidate.decoded or candidate.point is None:
                if self.is_new_and_valid(candidate.design):
                    made = candidate.source or Source.MUTANT
                    proposal = self.propose(candidate.design, None, made, step)
                    accepted += [proposal] if proposal else []
                continue
            decoded = candidate.source or source
            proposal = self._accept_decoded(candidate.design, candidate.point, decoded, step)
            if proposal is None:
                rejected.append(candidate.point)
            else:
                accepted.append(proposal)
        return accepted

    def _accept_decoded(
        self, design: Any, z: Tensor, source: Source, step: Step
    ) -> Proposal | None:
        """The proposal of a new valid decode of ``z``; else records what it was."""
        self.stats.n_decoded += 1
        if self.is_new_and_valid(design, count=True):
            return self.propose(design, z, source, step)
        if self.learns_points and (key := self.latent.digest(design)) in self.values:
            record = self.run.add_duplicate(design, z, self.values[key], step.iteration, source)
            self.observations.add_record(record)  # type: ignore[union-attr]
        elif not self.is_valid(design):
            self.invalid.append(self.run.add_invalid(design, z, step.iteration, source))
        return None

    @property
    def learns_points(self) -> bool:
        """Whether points that decode to designs scored already are learned."""
        return self.observations is not None and self.observations.learn_points

    def initial(self, n: int, step: Step) -> list[Proposal]:
        """Up to ``n`` training designs, drawn at random, that are new and valid."""
        generator = torch.Generator().manual_seed(step.seed)
        designs = self.latent.designs
        proposals: list[Proposal] = []
        for i in torch.randperm(len(designs), generator=generator).tolist():
            if len(proposals) == n:
                break
            if self.is_new_and_valid(designs[i]):
                proposal = self.propose(designs[i], None, Source.INITIAL, step)
                proposals += [proposal] if proposal else []
        return proposals

    def fallback(
        self,
        ranking: Callable[[Tensor], Tensor],
        observations: Observations,
        n: int,
        step: Step,
    ) -> list[Proposal]:
        """Sample near the best points and from the prior; keep the best new designs.

        Samples are clipped to the latent box; only when none of them decodes to a new
        valid design are wider prior samples (``WIDE_PRIOR_SCALE`` standard deviations,
        not clipped) tried.

        Args:
            ranking: Acquisition value of each of ``m x d`` points (larger is better).
            observations: Whose best points the samples start from.
            n: Number of proposals wanted.
            step: The ``ask`` this is part of.
        """
        generator = torch.Generator().manual_seed(step.seed - 1)
        X, Y, bounds = observations.X, observations.Y, self.latent.bounds
        centers = X[Y.argsort(descending=True)[:10]]
        noise = torch.randn(1024, X.shape[-1], generator=generator, dtype=X.dtype)
        local = (
            centers[torch.arange(512) % len(centers)] + noise[:512] * (bounds[1] - bounds[0]) / 10
        )
        z = torch.cat([local, noise[512:]])  # and prior samples
        usable = self._usable(torch.max(torch.min(z, bounds[1]), bounds[0]))
        if not usable:  # the box decodes only to seen or invalid designs: look further out
            usable = self._usable(noise * WIDE_PRIOR_SCALE)
        proposals: list[Proposal] = []
        if usable:
            candidates = list(usable.values())
            points = torch.stack([point for point, _ in candidates])
            for i in ranking(points).argsort(descending=True).tolist():
                if len(proposals) == n:
                    break
                point, design = candidates[i]
                proposal = self.propose(design, point, Source.FALLBACK, step)
                proposals += [proposal] if proposal else []
        self.stats.n_fallback += len(proposals)
        return proposals

    def last_resort(
        self, proposals: list[Proposal], n: int, step: Step, message: str
    ) -> list[Proposal]:
        """Fill up with unscored training designs; with none at all, give up.

        Raises:
            SearchExhaustedError: Nothing new and valid was found (``message`` says why).
        """
        if len(proposals) < n:
            proposals = proposals + self.initial(n - len(proposals), step)
        if not proposals:
            raise SearchExhaustedError(message)
        return proposals

    def _usable(self, z: Tensor) -> dict[str, tuple[Tensor, Any]]:
        """The new valid designs that points decode to, one point per distinct design."""
        usable: dict[str, tuple[Tensor, Any]] = {}
        for point, design in zip(z, self.latent.decode(z), strict=True):
            key = self.latent.digest(design)
            if key not in usable and self.is_new_and_valid(design):
                usable[key] = (point, design)
        return usable
