"""The plain strategy: a GP with qLogEI over the latent box of the training data."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from lsbo.acquisition import optimize_qlogei, qlogei_values
from lsbo.exceptions import InvalidOptionError
from lsbo.records import Direction, Record, Source
from lsbo.strategies.base import (
    Candidate,
    SearchContext,
    Strategy,
    check_spacing,
    decoded_candidates,
    encodings,
    new_children,
    qlogei_ranking,
)

# how many of the best designs known are the parents of design-space candidates, by default
MUTANT_PARENTS = 10
# design-space candidates per step by default, where the codec can make them
DEFAULT_MUTANTS = 256
# an adaptive explored share: proposals of each side it weighs (the newest), the fewest
# of each before it moves from ``explore``, and the least share either side keeps
ADAPT_WINDOW, ADAPT_MINIMUM, ADAPT_FLOOR = 50, 5, 0.1
# the sources of the ranked side of a batch: decoded optima, ranked children, fallbacks
RANKED_SOURCES = frozenset({Source.BO, Source.MUTANT, Source.FALLBACK})


@dataclass(frozen=True)
class Plain(Strategy):
    """Train the VAE once, then GP + qLogEI over the latent box of the training data.

    Attributes:
        mutants: Designs made in design space each step (crossover and mutation of the
            ``parents`` best designs known, :meth:`lsbo.representations.Codec.vary`) that
            qLogEI ranks at their encodings beside the decoded latent optima; the batch
            takes the best of both, greedily. Such a design is valid by construction
            where the codec can make it so, and none of the budget goes to a point that
            decodes to nothing new. ``None`` (the default): 256 where the codec can
            vary designs (:attr:`lsbo.representations.Codec.varies`: every built-in
            codec), else 0. 0: latent optima only (the former default; the two are
            compared in benchmarks/RESULTS.md, "The measured default").
        latent_optima: Rank the decoded optima of qLogEI's restarts with the mutants
            (``False``: the mutants alone, as PMO's GP-BO, whose acquisition a genetic
            algorithm optimizes; needs ``mutants``).
        explore: The share of proposals that are decoded samples of the VAE prior
            instead of the acquisition's choice (random interleaving, as SMAC does):
            a batch of ``q`` takes ``q * explore`` of them, the fraction by a seeded
            draw. It keeps a GP that has only seen poor designs from holding the search
            where it found its first improvement. 0: never.
        explore_from: What the explored share is: ``"prior"``, decoded prior samples;
            ``"children"``, design-space children taken at random instead of by the
            acquisition (as the ``genetic`` strategy takes them; prior samples where the
            strategy makes no children).
        generations: Generations of design-space candidates a step makes: the first
            are children of the ``parents`` best designs known; each further one is
            ``mutants`` children of the ``parents`` candidates of highest qLogEI so
            far, so that a genetic algorithm optimizes the acquisition over several
            generations, as PMO's GP-BO does, and a step can propose designs several
            changes away from any design known. Every generation's candidates are
            ranked together.
        parents: How many of the best designs known are the parents of the children
            (10). More keep more variety where many designs are nearly as good as the
            best, and start slower; on the expression task 40 measured no better
            (``benchmarks/RESULTS.md``, "Wider parent pools").
        drift: Among designs of equal value, the newest are the parents (neutral drift
            across plateaus, see :meth:`SearchContext.best_designs`; ``False``: the
            oldest, as before 2026-12-05; the expression task keeps that).
        spacing: The parents' values differ by more than this (niching by value, see
            :meth:`SearchContext.best_designs`), in the objective's units; 0 (the
            default): the ``parents`` best, however alike. Where many variants of one
            design are nearly as good as the best (``x`` plus one constant or another
            on the expression task, which sets 0.01), they would otherwise be every
            parent.
        adaptive: Learn the explored share from the run instead of keeping
            ``explore`` (needs ``explore_from="children"``): each proposal of an
            earlier step is rewarded by the share of the run's values from steps before
            its own that it beats (0 when its evaluation failed), and the share becomes
            the probability that the unranked children do better than the ranked
            candidates (normal approximation of the difference in mean reward over the
            newest 50 of each), kept within [0.1, 0.9] so that both sides go on being
            tried. Until each side has 5 rewarded proposals the share is ``explore``
            (within the same bounds, so that ``explore=0`` still tries both sides).
            Where the GP ranks children worse than chance (the expression task,
            ``benchmarks/ranking.py``) the batch moves to unranked children; where its
            ranking finds better designs it moves to the ranked ones. The share of
            each step is in its notes (``"explored share"``).
    """

    name: ClassVar[str] = "plain"
    mutants: int | None = None
    latent_optima: bool = True
    explore: float = 0.0
    explore_from: str = "prior"
    generations: int = 1
    parents: int = MUTANT_PARENTS
    drift: bool = True
    spacing: float = 0.0
    adaptive: bool = False

    def __post_init__(self) -> None:
        check_spacing(self.spacing)
        if self.mutants is not None and (
            isinstance(self.mutants, bool) or not isinstance(self.mutants, int) or self.mutants < 0
        ):
            raise InvalidOptionError(f"mutants must be >= 0 or None, got {self.mutants!r}")
        if isinstance(self.explore, bool) or not 0.0 <= self.explore <= 1.0:
            raise InvalidOptionError(f"explore must be a share in [0, 1], got {self.explore!r}")
        if self.explore_from not in ("prior", "children"):
            raise InvalidOptionError(
                f"explore_from must be 'prior' or 'children', got {self.explore_from!r}"
            )
        for name in ("drift", "adaptive"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise InvalidOptionError(f"{name} must be True or False, got {value!r}")
        if self.adaptive and self.explore_from != "children":
            raise InvalidOptionError(
                "adaptive learns the share of unranked children: give explore_from='children'"
            )
        for name in ("generations", "parents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, int) and value >= 1):
                raise InvalidOptionError(f"{name} must be an int >= 1, got {value!r}")
        if not self.latent_optima and self.mutants == 0:
            raise InvalidOptionError(
                "latent_optima=False leaves no candidates: give mutants > 0 as well"
            )

    def mutants_for(self, context: SearchContext) -> int:
        """How many design-space candidates a step makes (``mutants``, resolved)."""
        if self.mutants is not None:
            return self.mutants
        return DEFAULT_MUTANTS if context.latent.model.codec.varies else 0

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

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate] | None:
        """With ``mutants``: the decoded latent optima and the design-space candidates
        that are new and valid, ranked together by qLogEI (the batch chosen greedily,
        each pick pending for the next), after the decodes that are unusable (so that
        the run records them). Without: ``None`` (the optima are decoded as usual).

        Raises:
            InvalidOptionError: ``latent_optima=False`` with a codec that cannot vary
                designs.
        """
        mutants = self.mutants_for(context)
        if not mutants and not self.latent_optima:
            raise InvalidOptionError(
                f"latent_optima=False needs design-space candidates, and "
                f"{type(context.latent.model.codec).__qualname__} cannot vary designs "
                "(override Codec.vary, or keep latent_optima=True)"
            )
        rng = np.random.default_rng([context.seed, context.round])
        keys: set[str] = set()
        shares = np.random.default_rng([context.seed, context.round, 1])  # its own stream
        share = self.explore
        if self.adaptive:
            share = explored_share(context.history, context.observations.direction, share)
            context.notes["explored share"] = round(share, 3)
        k = self.n_explore(n, shares, share)
        from_children = self.explore_from == "children" and mutants > 0
        explored = [] if from_children else explore_candidates(context, k, keys)
        n -= len(explored)
        if not mutants:
            if not explored:
                return None  # the optima are decoded as usual
            if not n:
                return explored
            usable, unusable = decoded_candidates(context, self.propose(context, n), keys)
            return explored + unusable + usable
        ranked_n = n - k if from_children else n
        points = self.propose(context, ranked_n) if self.latent_optima and ranked_n else None
        usable, unusable = decoded_candidates(context, points, keys)
        made = self.children(context, mutants, rng, keys) if n else []
        if from_children and k:  # children taken unranked, as the genetic strategy does
            picked = set(shares.permutation(len(made))[:k].tolist())
            explored = [
                dataclasses.replace(made[i], source=Source.EXPLORED) for i in sorted(picked)
            ]
            made = [c for i, c in enumerate(made) if i not in picked]
            n -= len(explored)
        ranked = usable + made
        if not ranked:
            return explored + unusable
        # every design is ranked where the GP learns its value: at its encoding
        order = greedy_order(context, encodings(context, ranked), n)
        return explored + unusable + [ranked[i] for i in order]

    def children(
        self, context: SearchContext, draws: int, rng: np.random.Generator, keys: set[str]
    ) -> list[Candidate]:
        """The design-space candidates of a step, new and usable (keys added to
        ``keys``): ``draws`` children of the ``parents`` best designs known, then, for
        each further generation, ``draws`` children of the ``parents`` candidates of
        highest qLogEI so far."""
        parents = context.best_designs(self.parents, self.drift, self.spacing)
        made = new_children(context, draws, rng, parents, known=keys)
        if self.generations == 1 or not made:
            return made
        ranking = qlogei_ranking(context)
        values = ranking(encodings(context, made))
        for _ in range(self.generations - 1):
            best = values.argsort(descending=True)[: self.parents].tolist()
            new = new_children(context, draws, rng, [made[i].design for i in best], known=keys)
            if not new:
                break
            made, values = made + new, torch.cat([values, ranking(encodings(context, new))])
        return made

    def n_explore(self, n: int, rng: np.random.Generator, share: float | None = None) -> int:
        """How many of ``n`` proposals are explored (prior samples or unranked
        children): ``n * share`` (``None``: ``explore``), its fraction by a draw of
        ``rng``."""
        share = n * (self.explore if share is None else share)
        return min(n, int(share) + int(rng.random() < share - int(share)))

    def ranking(self, context: SearchContext) -> Callable[[Tensor], Tensor]:
        """qLogEI of each point (times its probability of decoding validly)."""
        return qlogei_ranking(context)


def explore_candidates(context: SearchContext, n: int, keys: set[str]) -> list[Candidate]:
    """Up to ``n`` usable designs decoded from samples of the VAE prior, each new (their
    keys added to ``keys``), marked ``Source.RANDOM``."""
    if n < 1:
        return []
    z = torch.randn(8 * n + 16, context.latent.dim, generator=context.generator)
    usable, _ = decoded_candidates(context, z.to(context.latent.dtype), keys)
    return [dataclasses.replace(c, source=Source.RANDOM) for c in usable[:n]]


def explored_share(history: Sequence[Record], direction: Direction, start: float) -> float:
    """The share of a batch to take as unranked children, learned from ``history``
    (see :attr:`Plain.adaptive`): ``start`` until each side has
    :data:`ADAPT_MINIMUM` rewarded proposals, then the probability that the explored
    side's mean reward is the larger, within [:data:`ADAPT_FLOOR`, 1 - floor]."""
    evaluated = [r for r in history if r.status.evaluated]
    steps = np.array([r.iteration for r in evaluated])
    values = np.array(
        [direction.value * r.value if r.value is not None else -np.inf for r in evaluated]
    )  # signed, larger is better; a failed evaluation beats nothing
    sides = {
        "explored": [i for i, r in enumerate(evaluated) if r.source == Source.EXPLORED],
        "ranked": [i for i, r in enumerate(evaluated) if r.source in RANKED_SOURCES],
    }
    rewards: dict[str, list[float]] = {side: [] for side in sides}
    for side, indices in sides.items():
        for i in indices[-ADAPT_WINDOW:]:
            earlier = values[steps < steps[i]]
            earlier = earlier[np.isfinite(earlier)]
            if len(earlier):
                beaten = (earlier < values[i]).sum() + 0.5 * (earlier == values[i]).sum()
                rewards[side].append(float(beaten) / len(earlier))
    explored, ranked = np.array(rewards["explored"]), np.array(rewards["ranked"])
    if min(len(explored), len(ranked)) < ADAPT_MINIMUM:
        share = start
    else:
        difference = explored.mean() - ranked.mean()
        se = math.sqrt(explored.var(ddof=1) / len(explored) + ranked.var(ddof=1) / len(ranked))
        z = difference / se if se > 0 else math.copysign(math.inf, difference) * (difference != 0)
        share = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    return min(1.0 - ADAPT_FLOOR, max(ADAPT_FLOOR, share))


def greedy_order(context: SearchContext, points: Tensor, n: int) -> list[int]:
    """Indices of ``points`` (``m x d``) by qLogEI, the first ``n`` chosen greedily:
    each pick is pending when the next is chosen (sequential greedy batch selection);
    the rest follow by their value alone."""
    validity = context.validity()
    pending = context.pending_points()
    chosen: list[int] = []
    first: Tensor | None = None
    for _ in range(min(n, len(points))):
        picked = points[chosen]
        X_pending = picked if pending is None else torch.cat([pending.to(points), picked])
        values = qlogei_values(
            context.surrogate(), points, best_f=context.best_f,
            X_pending=X_pending if len(X_pending) else None,
            mc_samples=context.options.mc_samples, seed=context.seed,
            log_validity=None if validity is None else validity.log_prob,
        )  # fmt: skip
        first = values.clone() if first is None else first
        values[chosen] = -torch.inf
        chosen.append(int(values.argmax()))
    rest = [] if first is None else first.argsort(descending=True).tolist()
    return chosen + [i for i in rest if i not in set(chosen)]
