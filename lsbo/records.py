"""What a run is made of: proposals, records, their states and sources, the direction.

Every string a run stores (a proposal's state and source) and every phase a progress
display shows is a member of an enum here. They are ``StrEnum`` members, so they compare
equal to the strings stored by earlier versions and serialize as those strings.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from torch import Tensor

from lsbo.models.cache import design_bytes
from lsbo.models.quality import VAEQuality

if TYPE_CHECKING:
    from lsbo.models import VAE


class ProposalState(enum.StrEnum):
    """Where a proposal stands: asked and not told, scored, failed, or never evaluable;
    ``DUPLICATE``: a latent point that decoded to a design scored already, kept with
    that design's value so the GP learns it there (never evaluated again)."""

    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"
    INVALID = "invalid"
    DUPLICATE = "duplicate"

    @property
    def evaluated(self) -> bool:
        """Whether the objective was called on it (complete or failed)."""
        return self in (ProposalState.COMPLETE, ProposalState.FAILED)


class Source(enum.StrEnum):
    """How a proposal was made."""

    INITIAL = "initial"  # a training design drawn at random before the search
    BO = "bo"  # the strategy's own search
    FALLBACK = "fallback"  # sampled near good points, ranked by the acquisition
    RANDOM = "random"  # a decoded prior sample of the random strategy
    MUTANT = "mutant"  # made in design space by crossover and mutation of good designs
    EXPLORED = "explored"  # such a child taken unranked, as a batch's explored share
    SCREENING = "screening"  # an unscored training design, taken in the run's order


class Phase(enum.StrEnum):
    """What the optimizer is doing now, for progress displays."""

    IDLE = "idle"
    SAMPLING = "sampling"
    FITTING = "fitting the GP"
    RETRAINING = "retraining the VAE"
    EVALUATING = "evaluating"


class Direction(enum.Enum):
    """Whether larger or smaller values are better, and what follows from it."""

    MAXIMIZE = 1.0
    MINIMIZE = -1.0

    @classmethod
    def of(cls, maximize: bool) -> Direction:
        """The direction of an objective whose ``maximize`` is given."""
        return cls.MAXIMIZE if maximize else cls.MINIMIZE

    @property
    def maximize(self) -> bool:
        """``True`` for :attr:`MAXIMIZE`."""
        return self is Direction.MAXIMIZE

    @property
    def sign(self) -> float:
        """``1.0`` or ``-1.0``: ``sign * value`` is larger for better values."""
        return float(self.value)

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return self.sign * a > self.sign * b

    def best(self, values: Iterable[float | None]) -> float | None:
        """The best of ``values``, skipping ``None`` and NaN; ``None`` if there is none."""
        known = [v for v in values if v is not None and v == v]
        if not known:
            return None
        return max(known) if self.maximize else min(known)

    def best_so_far(self, values: Iterable[float | None]) -> list[float | None]:
        """The running best after each value (``None`` until one is known)."""
        running: list[float | None] = []
        best: float | None = None
        for value in values:
            if value is not None and value == value and (best is None or self.better(value, best)):
                best = value
            running.append(best)
        return running

    def best_record(self, records: Iterable[Record]) -> Record | None:
        """The best complete record, the earliest among equals; ``None`` if none completed."""
        best: Record | None = None
        for record in records:
            if record.status != ProposalState.COMPLETE or record.value is None:
                continue
            if best is None or self.better(record.value, best.value):  # type: ignore[arg-type]
                best = record
        return best

    def ranked(self, records: Iterable[Record]) -> list[Record]:
        """Complete records, best first (ties in evaluation order)."""
        complete = [r for r in records if r.status == ProposalState.COMPLETE]
        return sorted(complete, key=lambda r: (-self.sign * r.value, r.number))  # type: ignore[operator]


@dataclass(frozen=True)
class Proposal:
    """A design the optimizer wants scored.

    Attributes:
        number: Unique id within the run, in order of proposal.
        design: The decoded design.
        latent: ``d`` latent point of the design itself (its encoding's mean), which
            the GP learns from.
        acquisition_point: ``d`` point chosen by the strategy, or ``None`` for designs
            drawn from the training data.
        iteration: Index of the ``ask`` call that made it.
        source: How it was made (:class:`Source`).
    """

    number: int
    design: Any
    latent: Tensor
    acquisition_point: Tensor | None
    iteration: int
    source: Source


@dataclass(frozen=True)
class Record:
    """One evaluation (or invalid decode): the proposal, its outcome and its duration."""

    number: int
    design: Any
    value: float | None
    status: ProposalState
    message: str
    iteration: int
    source: Source
    latent: Tensor
    duration: float
    point: Tensor | None = None  # the point the strategy chose (None: a training design)


@dataclass
class RunStats:
    """Counters and timings of a run (seconds are wall-clock), and how good its VAE is.

    ``vae_quality`` holds one :class:`lsbo.models.VAEQuality` per VAE of the run: the
    one it started with, then one per retraining (see :func:`lsbo.models.assess_vae`);
    the seconds of these assessments are theirs, not in ``vae_seconds``.
    """

    n_decoded: int = 0
    n_invalid: int = 0
    n_duplicate: int = 0
    n_fallback: int = 0
    n_retrainings: int = 0
    n_validity_fits: int = 0  # fits of the validity classifier (one per step using it)
    vae_seconds: float = 0.0
    surrogate_seconds: float = 0.0
    objective_seconds: float = 0.0
    validity_seconds: float = 0.0
    vae_quality: list[VAEQuality] = field(default_factory=list)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunStats:
        """Stats as stored; keys this version does not know are ignored."""
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        quality = [
            q if isinstance(q, VAEQuality) else VAEQuality.from_dict(q)
            for q in known.pop("vae_quality", None) or []
        ]
        return cls(**known, vae_quality=quality)

    def counters(self) -> dict[str, float]:
        """The counters and timings (what is stored as increments): every number."""
        return {k: v for k, v in vars(self).items() if isinstance(v, int | float)}

    @property
    def vae(self) -> VAEQuality | None:
        """The assessment of the VAE the run searches with now (``None``: not assessed)."""
        return self.vae_quality[-1] if self.vae_quality else None

    @property
    def n_rejected(self) -> int:
        """Decoded proposals that were re-proposed (invalid or duplicate)."""
        return self.n_invalid + self.n_duplicate

    @property
    def validity_rate(self) -> float | None:
        """Share of the strategy's decoded points that were valid designs."""
        if not self.n_decoded:
            return None
        return 1.0 - min(self.n_invalid, self.n_decoded) / self.n_decoded


@dataclass
class OptimizationResult:
    """What a run found.

    Attributes:
        history: One :class:`Record` per evaluation (complete or failed), in the
            order they finished.
        maximize: Direction of the objective.
        stats: Counters and timings.
        model: The VAE used by the search (``None`` when loaded without it).
        name: The run's name in its storage.
        invalid: Decoded designs that were not valid, never evaluated.
        n_pending: Proposals asked but not told.
        settings: The run's stored settings.
    """

    history: list[Record]
    maximize: bool
    stats: RunStats
    model: VAE | None
    name: str = ""
    invalid: list[Record] = field(default_factory=list)
    n_pending: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> Direction:
        """The objective's :class:`Direction`."""
        return Direction.of(self.maximize)

    @property
    def best_record(self) -> Record | None:
        """The best complete evaluation, or ``None`` if none completed."""
        return self.direction.best_record(self.history)

    @property
    def best_design(self) -> Any:
        """The design of :attr:`best_record`, or ``None``."""
        record = self.best_record
        return None if record is None else record.design

    @property
    def best_value(self) -> float | None:
        """The value of :attr:`best_record`, or ``None``."""
        record = self.best_record
        return None if record is None else record.value

    @property
    def n_failed(self) -> int:
        """Evaluations of the history that failed."""
        return sum(r.status == ProposalState.FAILED for r in self.history)


def data_fingerprint(designs: Sequence[Any], scores: Sequence[float | None]) -> str:
    """A short digest of training designs and their known scores (``None``: unscored).

    A run stores it with its settings, so that resuming it on other data is noticed;
    the benchmark harness keys its run files by it.
    """
    digest = hashlib.sha256()
    for design, score in zip(designs, scores, strict=True):
        digest.update(design_bytes(design))
        digest.update(repr(score).encode())
    return digest.hexdigest()[:16]
