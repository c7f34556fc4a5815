"""What every strategy is: a frozen dataclass of settings that proposes latent points.

A strategy carries its own search, as an Optuna sampler carries its own sampling. The
optimizer calls :meth:`Strategy.propose` with a read-only :class:`SearchContext` (the
latent space, the observations, the history, the pending points, the step's seed) and
turns the points it returns, best first, into proposals: those that decode to new,
valid designs (:class:`lsbo.gate.ProposalGate`). To write one, subclass
:class:`Strategy` in your own file::

    @dataclass(frozen=True)
    class Sobol(lsbo.Strategy):
        name: ClassVar[str] = "sobol"

        def propose(self, context, n):
            engine = torch.quasirandom.SobolEngine(context.latent.dim, seed=context.seed)
            low, high = context.latent.bounds
            return low + (high - low) * engine.draw(4 * n).to(low)

    lsbo.optimize(f, designs, strategy=Sobol())
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from botorch.models.model import Model
from torch import Tensor

from lsbo.acquisition import qlogei_values
from lsbo.exceptions import InvalidOptionError
from lsbo.latent_space import LatentSpace, distinct_points
from lsbo.observations import Observations
from lsbo.records import Record, Source

if TYPE_CHECKING:
    from lsbo.options import OptimizerOptions
    from lsbo.strategies.retraining import WeightedRetraining
    from lsbo.surrogates.validity import ValidityClassifier


@dataclass(frozen=True)
class SearchContext:
    """What a strategy sees when it proposes: read it, do not change it.

    Attributes:
        latent: The latent space (VAE, search box ``latent.bounds``, ``latent.dim``).
        observations: Latent points ``X`` and signed values ``Y`` (larger is better)
            of the designs scored so far.
        history: The run's evaluations, in the order they finished.
        options: The optimizer's options.
        seed: This step's seed (distinct per ``ask``, reproducible).
        run_seed: The run's seed.
        batch_size: Proposals per step of the run (its q).
        round: Which try of this step (0 first; later rounds follow points that
            decoded to unusable designs).
        notes: What a strategy wants to show about its step (e.g. a trust region's
            ``"region"``); the optimizer keeps the last step's notes.
        fit_validity: Fits the step's :meth:`validity` classifier (``None``: none).
        usable: Whether a design is valid (codec and objective) and was never
            proposed or scored in any process: a design the gate would accept.
        state: What the strategy carries from one step to the next in this process
            (e.g. a surrogate it updates instead of fitting anew); the only part of
            the context a strategy may change. Not stored: a resumed run, or another
            process sharing it, starts with an empty one.
    """

    latent: LatentSpace
    observations: Observations
    history: Sequence[Record]
    options: OptimizerOptions
    seed: int
    run_seed: int
    batch_size: int
    fit: Callable[[], Model] = field(repr=False)
    pending: Callable[[], list[Tensor]] = field(repr=False, default=list)
    round: int = 0
    rejected: list[Tensor] = field(default_factory=list, repr=False)
    notes: dict[str, Any] = field(default_factory=dict)
    fit_validity: Callable[[], ValidityClassifier | None] = field(repr=False, default=lambda: None)
    usable: Callable[[Any], bool] = field(repr=False, default=lambda design: True)
    state: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def surrogate(self) -> Model:
        """The GP fitted on the observations for this step (fitted once, on first use)."""
        if "surrogate" not in self._cache:
            self._cache["surrogate"] = self.fit()
        return self._cache["surrogate"]

    def use_surrogate(self, model: Model) -> None:
        """Make a strategy's own model the step's :meth:`surrogate` (what the fallback's
        ranking and the run's statistics then use) instead of the optimizer's GP."""
        self._cache["surrogate"] = model

    def validity(self) -> ValidityClassifier | None:
        """``P(valid | z)`` learned from the run's valid and invalid decodes, fitted once
        per step on first use; ``None`` when the run does not use it (switched off, or
        too few examples of either class yet): then search unconstrained.

        A strategy that uses it keeps its search where decodes are likely valid (see
        :mod:`lsbo.surrogates.validity`)."""
        if "validity" not in self._cache:
            self._cache["validity"] = self.fit_validity()
        return self._cache["validity"]

    @property
    def fitted(self) -> bool:
        """Whether :meth:`surrogate` was called in this step."""
        return "surrogate" in self._cache

    @property
    def generator(self) -> torch.Generator:
        """A generator seeded with the step's seed, shared by the step's rounds."""
        if "generator" not in self._cache:
            self._cache["generator"] = torch.Generator().manual_seed(self.seed)
        return self._cache["generator"]

    @property
    def best_f(self) -> Tensor:
        """The best signed value observed so far."""
        return self.observations.Y.max()

    def pending_points(self) -> Tensor | None:
        """``m x d`` points to avoid: pending proposals of every process, and this
        step's points that decoded to unusable designs (``None`` when there are none)."""
        points = list(self.pending())
        points += [z.to("cpu", self.latent.dtype) for z in self.rejected]
        return torch.stack(points) if points else None

    def best_designs(self, k: int, drift: bool = True, spacing: float = 0.0) -> list[Any]:
        """The ``k`` best designs with known values (given scores and the run's
        evaluations), best first; among equal values the newest first (``drift``), so
        that parents drift across a plateau of equal values instead of staying with the
        first designs that reached it (neutral drift), else the oldest first. On
        Ehrlich, whose values are quantized, the genetic algorithm with translocations
        reached the optimum within 1,000 evaluations in 25 of 100 seeds drifting,
        against 12 of 100 without (``benchmarks/crossover.py``).

        With ``spacing > 0`` a design whose value lies within ``spacing`` of a better
        one's taken already is passed over (niching by value), so that ``k`` variants
        of one good design (``x+1/3``, ``x+1/2``, ``x+2/3``) do not crowd out every
        other line of descent; fewer than ``k`` come back when fewer values are that
        far apart."""
        values = self.observations.Y.flip(0) if drift else self.observations.Y
        order = values.argsort(descending=True, stable=True).tolist()
        order = spaced(order, values.tolist(), k, spacing)
        if drift:
            order = [len(values) - 1 - i for i in order]
        return [self.observations.designs[i] for i in order]

    def next_round(self) -> SearchContext:
        """The context of the step's next round (same surrogate, notes and rejections)."""
        return dataclasses.replace(self, round=self.round + 1)


def check_spacing(spacing: float) -> None:
    """Raise unless ``spacing`` (of :meth:`SearchContext.best_designs`) is a number >= 0.

    Raises:
        InvalidOptionError: It is not.
    """
    if isinstance(spacing, bool) or not isinstance(spacing, int | float) or not spacing >= 0:
        raise InvalidOptionError(f"spacing must be a number >= 0, got {spacing!r}")


def spaced(order: list[int], values: list[float], k: int, spacing: float) -> list[int]:
    """The first ``k`` of ``order`` (indices, best value first) whose values are more
    than ``spacing`` from every one taken before (``spacing <= 0``: the first ``k``)."""
    if spacing <= 0:
        return order[:k]
    taken: list[int] = []
    for i in order:
        if all(abs(values[i] - values[j]) > spacing for j in taken):
            taken.append(i)
            if len(taken) == k:
                break
    return taken


@dataclass(frozen=True)
class Candidate:
    """A design a strategy proposes, with where it comes from in latent space.

    Attributes:
        design: The design.
        point: The latent point it was decoded from (``decoded``), or ``None`` for a
            design made in design space (its encoding is what the GP learns).
        decoded: Whether ``design`` is the decode of ``point``: then an invalid design
            is recorded as an invalid decode and, in runs that learn decoded points, a
            design scored already gives its value at ``point``.
        source: How it was made, as its record shows (default ``None``: the
            strategy's source for a decoded design, ``Source.MUTANT``, crossover and
            mutation, for one made in design space).
    """

    design: Any
    point: Tensor | None = None
    decoded: bool = False
    source: Source | None = None


@dataclass(frozen=True)
class Strategy:
    """Base class of search strategies.

    Subclasses are frozen dataclasses whose fields are their settings (stored with a
    run and compared on resume), with a ``name`` and a :meth:`propose`.

    Class attributes:
        name: The name a run stores; built-in ones are in :data:`lsbo.STRATEGIES`.
        source: What its proposals are marked as (``Source.BO``).
        exhausted: What the error says when no new valid design can be found.
    """

    name: ClassVar[str] = ""
    source: ClassVar[Source] = Source.BO
    exhausted: ClassVar[str] = (
        "the optimizer found no valid design that has not been evaluated yet; "
        "the search space may be exhausted or the VAE decodes few valid designs"
    )

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """Latent points for the next ``n`` proposals, best first.

        Return more than ``n`` where you can: later points stand in for earlier ones
        that decode to invalid or already seen designs.

        Args:
            context: The run as it stands.
            n: Proposals wanted.

        Returns:
            An ``m x d`` tensor (``m >= 1``).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement propose(context, n)")

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate] | None:
        """Designs for the next ``n`` proposals, best first, for a strategy that makes
        designs itself (in design space, or by decoding and ranking its own points);
        ``None`` (the default): the points of :meth:`propose` are decoded instead.

        Return more than ``n`` where you can, as for :meth:`propose`.
        """
        return None

    def rounds(self, options: OptimizerOptions) -> int:
        """How many times :meth:`propose` is called in one step while its points
        decode to unusable designs (default: ``options.max_reproposals + 1``)."""
        return options.max_reproposals + 1

    def ranking(self, context: SearchContext) -> Callable[[Tensor], Tensor] | None:
        """A function that scores ``m x d`` points (larger is better), to rank the
        fallback's samples when every round's points were unusable; ``None`` (the
        default): no fallback, unscored training designs are taken instead."""
        return None

    def settings(self) -> dict[str, Any]:
        """The strategy's name and fields as JSON types (what a run stores)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for key, value in fields.items():
            if isinstance(value, Strategy):
                fields[key] = value.settings()
        return {"name": self.name or type(self).__name__, **fields}

    @property
    def retraining(self) -> WeightedRetraining | None:
        """The retraining schedule this strategy follows, if any."""
        return None


def new_children(
    context: SearchContext,
    draws: int,
    rng: np.random.Generator,
    parents: Sequence[Any],
    rate: float | None = None,
    known: set[str] | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Children of the ``parents`` designs (``draws`` of them made by the codec's
    :meth:`~lsbo.representations.Codec.vary`) that are usable, one per design, at most
    ``limit``; ``known`` keys are skipped and the kept ones are added to it."""
    known = set() if known is None else known
    children: list[Candidate] = []
    codec = context.latent.model.codec
    for child in codec.vary(parents, draws, rng, rate):
        key = context.latent.digest(child)
        if key not in known and context.usable(child):
            known.add(key)
            children.append(Candidate(child))
            if len(children) == limit:
                break
    return children


def encodings(context: SearchContext, candidates: Sequence[Candidate]) -> Tensor:
    """The encoder's means of the candidates' designs, in the GP's dtype: where the GP
    learns a design's value."""
    return context.latent.encode([c.design for c in candidates]).to(context.latent.dtype)


def decoded_candidates(
    context: SearchContext, points: Tensor | None, keys: set[str]
) -> tuple[list[Candidate], list[Candidate]]:
    """The designs that ``points`` (best first) decode to, as candidates: the usable
    ones, one per design (their keys added to ``keys``), and the unusable ones, which the
    gate records (invalid, or a duplicate it learns). Points closer than
    :data:`~lsbo.latent_space.DISTINCT_TOLERANCE` to a better one are dropped first where
    the run learns decoded points."""
    usable: list[Candidate] = []
    unusable: list[Candidate] = []
    if points is None or not len(points):
        return usable, unusable
    if context.observations.learn_points:
        points = distinct_points(points, context.latent.bounds)
    for z, design in zip(points, context.latent.decode(points), strict=True):
        key = context.latent.digest(design)
        if key in keys:  # another point of a design already ranked: one suffices
            continue
        if context.usable(design):
            usable.append(Candidate(design, z, decoded=True))
            keys.add(key)
        else:
            unusable.append(Candidate(design, z, decoded=True))
    return usable, unusable


def qlogei_ranking(context: SearchContext) -> Callable[[Tensor], Tensor]:
    """qLogEI of each point under the step's GP, given the pending points, plus
    ``log P(valid)`` where the step has a validity classifier."""
    validity = context.validity()
    return functools.partial(
        qlogei_values,
        context.surrogate(),
        best_f=context.best_f,
        X_pending=context.pending_points(),
        mc_samples=context.options.mc_samples,
        seed=context.seed,
        log_validity=None if validity is None else validity.log_prob,
    )
