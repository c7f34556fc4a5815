"""The optimizer: ask for latent proposals, tell their scores, run a budget.

One step: fit a GP on the latent points of the designs scored so far, maximize
qLogEI in the latent box, decode the chosen points, and keep those that decode to a
valid design not seen before. The GP always learns from the latent point of the
design that was actually evaluated (the decoded design, encoded again), never from
the point the acquisition chose: the two differ whenever decoding is lossy, and
pairing a score with the wrong point teaches the GP a landscape that does not exist.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import torch
from torch import Tensor

from lsbo.acquisition import latent_bounds, optimize_qlogei, qlogei_values
from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, LsboError
from lsbo.models import VAE, TrainingOptions, fit_new_vae
from lsbo.objective import Evaluation, Objective, as_objective, check_value
from lsbo.representations import Codec
from lsbo.surrogates import fit_gp, select_training_points

Source = Literal["initial", "bo", "fallback"]


@dataclass(frozen=True)
class OptimizerOptions:
    """Settings of :class:`Optimizer`; the defaults suit a first run.

    Attributes:
        latent_dim: Latent dimension of a VAE lsbo trains (``None``: 16 for strings,
            2 for images).
        vae: How the VAE is trained before the search.
        batch_size: Proposals per ``ask()`` in ``run`` (the q of qLogEI).
        n_initial: Designs sampled at random from the training designs and scored
            before the GP takes over, when fewer scores than this are known.
        num_restarts: Starting points for optimizing the acquisition function.
        raw_samples: Quasi-random points for choosing those starting points.
        mc_samples: Quasi-Monte-Carlo samples in qLogEI.
        max_gp_points: Largest number of points the exact GP learns from (see
            :func:`lsbo.surrogates.select_training_points`).
        bounds_margin: How far the latent search box extends beyond the encoded
            training designs, as a fraction of their range.
        max_reproposals: Extra acquisition rounds (each a full ``optimize_acqf``) when
            the local optima of every restart decode to invalid or already seen designs,
            before falling back to sampling near the best points and ranking the samples
            by qLogEI (cheaper than a round, but blind to gradients).
        device: Where the VAE runs (``"cpu"``, ``"cuda"``, ...).
        dtype: Floating-point type of the GP (float64 is strongly advised).
    """

    latent_dim: int | None = None
    vae: TrainingOptions = field(default_factory=TrainingOptions)
    batch_size: int = 1
    n_initial: int = 10
    num_restarts: int = 10
    raw_samples: int = 256
    mc_samples: int = 256
    max_gp_points: int = 300
    bounds_margin: float = 0.1
    max_reproposals: int = 1
    device: str | torch.device = "cpu"
    dtype: torch.dtype = torch.float64

    def __post_init__(self) -> None:
        for name in ("batch_size", "n_initial", "num_restarts", "raw_samples", "mc_samples"):
            if getattr(self, name) < 1:
                raise InvalidOptionError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_gp_points < 4:
            raise InvalidOptionError("max_gp_points must be >= 4")
        if self.max_reproposals < 0 or self.bounds_margin < 0:
            raise InvalidOptionError("max_reproposals and bounds_margin must be >= 0")


@dataclass(frozen=True)
class Proposal:
    """A design the optimizer wants scored.

    Attributes:
        number: Unique id within the run, in order of proposal.
        design: The decoded design.
        latent: ``d`` latent point of the design itself (its encoding's mean), which
            the GP learns from.
        acquisition_point: ``d`` point chosen by the acquisition function, or ``None``
            for designs drawn from the training data.
        iteration: Index of the ``ask`` call that made it.
        source: ``"initial"`` (random training design), ``"bo"`` (acquisition) or
            ``"fallback"`` (sampled near good points after repeated re-proposals).
    """

    number: int
    design: Any
    latent: Tensor
    acquisition_point: Tensor | None
    iteration: int
    source: Source


@dataclass(frozen=True)
class Record:
    """One evaluation: the proposal, its outcome and how long the objective took."""

    number: int
    design: Any
    value: float | None
    status: str
    message: str
    iteration: int
    source: Source
    latent: Tensor
    duration: float


@dataclass
class RunStats:
    """Counters and timings of a run (seconds are wall-clock)."""

    n_invalid: int = 0
    n_duplicate: int = 0
    n_fallback: int = 0
    vae_seconds: float = 0.0
    surrogate_seconds: float = 0.0
    objective_seconds: float = 0.0

    @property
    def n_rejected(self) -> int:
        """Decoded proposals that were re-proposed (invalid or duplicate)."""
        return self.n_invalid + self.n_duplicate


class Optimizer:
    """Latent-space Bayesian optimization with an ask/tell interface.

    Args:
        objective: An :class:`lsbo.Objective` or a callable ``design -> float``.
        designs: Unlabeled training designs (strings, or 2-D arrays in [0, 1]).
        scores: Optional known values, one per design (``None`` for unscored ones);
            known designs are never evaluated again and cost no budget.
        model: A trained VAE to use instead of training one (its codec must accept
            the designs).
        codec: Codec for a VAE lsbo trains (default: chosen from the designs).
        maximize: Direction for a plain function (default ``True``); an
            ``Objective`` carries its own.
        options: Search and training settings.
        seed: Makes the run reproducible on CPU.
    """

    def __init__(
        self,
        objective: Objective | Callable[[Any], Any],
        designs: Sequence[Any],
        *,
        scores: Sequence[float | None] | None = None,
        model: VAE | None = None,
        codec: Codec | None = None,
        maximize: bool | None = None,
        options: OptimizerOptions | None = None,
        seed: int = 0,
    ) -> None:
        self.objective = as_objective(objective, maximize)
        self.options = options or OptimizerOptions()
        self.seed = int(seed)
        self.designs = _check_designs(designs)
        given = _check_scores(scores, len(self.designs))  # before the costly training
        self.stats = RunStats()
        self.history: list[Record] = []
        self.model = self._prepare_model(model, codec)
        self._next_number = 0
        self._iteration = 0
        self._pending: dict[int, Proposal] = {}
        self._last_gp: Any = None  # the previous step's GP, a warm start for the next
        self._seen: set[Hashable] = set()
        self._observed: list[Any] = []  # designs with known values (given + complete)
        self._X: list[Tensor] = []  # their latent points
        self._Y: list[float] = []  # their values, sign-flipped so larger is better
        self._from_run: list[bool] = []
        for design, value in zip(self.designs, given, strict=True):
            if value is not None:
                self._seen.add(self.model.codec.key(design))
                self._add_observation(design, value, from_run=False)
        self._on_new_model()

    @property
    def maximize(self) -> bool:
        return self.objective.maximize

    @property
    def direction(self) -> float:
        return 1.0 if self.maximize else -1.0

    def _prepare_model(self, model: VAE | None, codec: Codec | None) -> VAE:
        if model is not None:
            model.codec.encode(self.designs[:1])  # raises if the designs do not fit
            return model.to(self.options.device).eval()
        start = time.perf_counter()
        vae, _ = fit_new_vae(
            self.designs,
            codec=codec,
            latent_dim=self.options.latent_dim,
            options=self.options.vae,
            seed=self.seed,
            device=self.options.device,
        )
        self.stats.vae_seconds += time.perf_counter() - start
        return vae

    def _on_new_model(self) -> None:
        """Encode the training designs and the observed ones with the current VAE.

        Runs once at the start; a retraining schedule calls it after each retraining
        so that the GP and the search box follow the new latent space.
        """
        latents, _ = self.model.encode(self.designs)
        self._last_gp = None  # hyperparameters of another latent space are no warm start
        self.bounds = latent_bounds(latents.to(self.options.dtype), self.options.bounds_margin)
        if self._observed:
            observed, _ = self.model.encode(self._observed)
            self._X = list(observed.to("cpu", self.options.dtype))

    def _add_observation(self, design: Any, value: float, from_run: bool) -> None:
        self._observed.append(design)
        self._Y.append(self.direction * value)
        self._from_run.append(from_run)

    # -- ask ----------------------------------------------------------------------

    def ask(self, n: int | None = None) -> list[Proposal]:
        """Propose ``n`` new designs (default ``options.batch_size``), all valid and unseen.

        Pending proposals (asked, not yet told) are taken into account, so repeated
        calls give different designs.
        """
        n = self.options.batch_size if n is None else n
        if n < 1:
            raise InvalidOptionError(f"ask(n) needs n >= 1, got {n}")
        self._iteration += 1
        proposals: list[Proposal] = []
        n_random = max(0, self.options.n_initial - len(self._Y) - len(self._pending))
        if len(self._Y) < 2:  # a GP needs two values; until then keep sampling
            n_random = n
        if n_random:
            proposals += self._initial_proposals(min(n, n_random))
        if len(proposals) < n:
            proposals += self._bo_proposals(n - len(proposals))
        return proposals

    def _initial_proposals(self, n: int) -> list[Proposal]:
        generator = torch.Generator().manual_seed(self._step_seed())
        proposals = []
        for i in torch.randperm(len(self.designs), generator=generator).tolist():
            design = self.designs[i]
            if self._is_new_and_valid(design, count=False):
                proposals.append(self._make_proposal(design, None, "initial"))
                if len(proposals) == n:
                    break
        return proposals

    def _bo_proposals(self, n: int) -> list[Proposal]:
        start = time.perf_counter()
        X, Y = self._gp_data()
        gp = fit_gp(X, Y, self.bounds, warm_start=self._last_gp)
        self._last_gp = gp
        proposals: list[Proposal] = []
        rejected: list[Tensor] = []
        for round_ in range(self.options.max_reproposals + 1):
            candidates, _ = optimize_qlogei(
                gp,
                self.bounds,
                best_f=Y.max(),
                q=n - len(proposals),
                X_pending=self._pending_points(rejected),
                num_restarts=self.options.num_restarts,
                raw_samples=self.options.raw_samples,
                mc_samples=self.options.mc_samples,
                seed=self._step_seed() + round_,
            )
            # restarts' batches, best first: later ones replace designs that cannot be used
            proposals += self._accept(candidates.flatten(0, 1), "bo", rejected, n - len(proposals))
            if len(proposals) == n:
                break
        if len(proposals) < n:
            ranking = partial(
                qlogei_values,
                gp,
                best_f=Y.max(),
                X_pending=self._pending_points(rejected),
                mc_samples=self.options.mc_samples,
                seed=self._step_seed(),
            )
            proposals += self._fallback(ranking, n - len(proposals))
        self.stats.surrogate_seconds += time.perf_counter() - start
        return proposals

    def _pending_points(self, rejected: list[Tensor]) -> Tensor | None:
        """Latent points of pending proposals, plus candidates rejected at this step."""
        points = [p.latent for p in self._pending.values()]
        points += [z.to("cpu", self.options.dtype) for z in rejected]
        return torch.stack(points) if points else None

    def _accept(
        self, candidates: Tensor, source: Source, rejected: list[Tensor], n: int
    ) -> list[Proposal]:
        accepted: list[Proposal] = []
        for z, design in zip(candidates, self.model.decode(candidates), strict=True):
            if len(accepted) == n:
                break
            if self._is_new_and_valid(design, count=True):
                accepted.append(self._make_proposal(design, z, source))
            else:
                # treating a rejected point as pending steers the next round elsewhere
                rejected.append(z)
        return accepted

    def _fallback(self, ranking: Callable[[Tensor], Tensor], n: int) -> list[Proposal]:
        """Sample near the best points and from the prior; keep the best new designs.

        Args:
            ranking: Acquisition value of each of ``m x d`` points (larger is better).
            n: Number of proposals wanted.
        """
        generator = torch.Generator().manual_seed(self._step_seed() - 1)
        X, Y = torch.stack(self._X), torch.tensor(self._Y)
        centers = X[Y.argsort(descending=True)[:10]]
        width = (self.bounds[1] - self.bounds[0]) / 10
        noise = torch.randn(1024, X.shape[-1], generator=generator, dtype=X.dtype)
        local = centers[torch.arange(512) % len(centers)] + noise[:512] * width
        z = torch.cat([local, noise[512:]])  # and prior samples
        z = torch.max(torch.min(z, self.bounds[1]), self.bounds[0])
        usable: dict[Hashable, tuple[Tensor, Any]] = {}  # one point per distinct design
        for point, design in zip(z, self.model.decode(z), strict=True):
            key = self.model.codec.key(design)
            if key not in usable and self._is_new_and_valid(design, count=False):
                usable[key] = (point, design)
        proposals: list[Proposal] = []
        if usable:
            points = torch.stack([point for point, _ in usable.values()])
            best = ranking(points).argsort(descending=True)[:n].tolist()
            candidates = list(usable.values())
            for i in best:  # ranked once: fine for the usual n of one or a few
                point, design = candidates[i]
                proposals.append(self._make_proposal(design, point, "fallback"))
        self.stats.n_fallback += len(proposals)
        if len(proposals) < n:
            proposals += self._initial_proposals(n - len(proposals))
        if not proposals:
            raise LsboError(
                "the optimizer found no valid design that has not been evaluated yet; "
                "the search space may be exhausted or the VAE decodes few valid designs"
            )
        return proposals

    def _is_new_and_valid(self, design: Any, count: bool) -> bool:
        if not (self.model.codec.is_valid(design) and self.objective.is_valid(design)):
            self.stats.n_invalid += count
            return False
        if self.model.codec.key(design) in self._seen:
            self.stats.n_duplicate += count
            return False
        return True

    def _make_proposal(self, design: Any, point: Tensor | None, source: Source) -> Proposal:
        latent = self.model.encode([design])[0][0].to("cpu", self.options.dtype)
        proposal = Proposal(
            number=self._next_number,
            design=design,
            latent=latent,
            acquisition_point=None if point is None else point.detach().to("cpu"),
            iteration=self._iteration,
            source=source,
        )
        self._next_number += 1
        self._pending[proposal.number] = proposal
        self._seen.add(self.model.codec.key(design))
        return proposal

    def _gp_data(self) -> tuple[Tensor, Tensor]:
        if len(self._Y) < 2:
            raise LsboError(
                "fewer than 2 evaluations succeeded, so no surrogate can be fitted; "
                "check that the objective works on the training designs"
            )
        Y = torch.tensor(self._Y, dtype=self.options.dtype)
        keep = select_training_points(
            Y, torch.tensor(self._from_run), self.options.max_gp_points, self._priority()
        )
        return torch.stack(self._X)[keep], Y[keep].unsqueeze(-1)

    def _priority(self) -> Tensor:
        """A pseudo-random key per observation that never changes as more arrive.

        An integer hash of (index, seed): a point keeps its key at every step, so the
        random part of the GP's training subset stays stable.
        """
        mask = 0xFFFFFFFF
        key = (torch.arange(len(self._Y), dtype=torch.int64) + self.seed * 0x9E3779B9) & mask
        for _ in range(2):
            key = ((key ^ (key >> 16)) * 0x45D9F3B) & mask
        return key ^ (key >> 16)

    def _step_seed(self) -> int:
        # distinct, reproducible seeds per step, independent of wall-clock or RNG state
        return self.seed * 1_000_003 + self._iteration * 7919

    # -- tell ---------------------------------------------------------------------

    def tell(self, proposal: Proposal, value: float | Evaluation | BaseException | None) -> Record:
        """Record the outcome of a proposal.

        Args:
            proposal: A pending proposal from :meth:`ask`.
            value: The score; or an :class:`Evaluation`; or an exception or ``None``
                (recorded as failed). NaN, infinite or non-numeric values are failed
                evaluations: recorded with a message, never the best, never in the GP.
        """
        if self._pending.pop(proposal.number, None) is None:
            raise LsboError(
                f"proposal {proposal.number} is not pending: it was already told, or "
                "comes from another optimizer"
            )
        evaluation = _as_evaluation(value)
        record = Record(
            number=proposal.number,
            design=proposal.design,
            value=evaluation.value,
            status=evaluation.status,
            message=evaluation.message,
            iteration=proposal.iteration,
            source=proposal.source,
            latent=proposal.latent,
            duration=evaluation.duration,
        )
        self.history.append(record)
        if evaluation.value is not None:
            self._add_observation(proposal.design, evaluation.value, from_run=True)
            self._X.append(proposal.latent.to(self.options.dtype))
        return record

    # -- run ----------------------------------------------------------------------

    def run(
        self, budget: int, callbacks: Sequence[Callable[[Optimizer, Record], None]] = ()
    ) -> OptimizationResult:
        """Evaluate ``budget`` more designs, ``options.batch_size`` at a time.

        Args:
            budget: Number of objective evaluations (failed ones count, invalid or
                duplicate proposals do not, since they are never evaluated).
            callbacks: Called as ``callback(optimizer, record)`` after each evaluation.
        """
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise InvalidOptionError(f"budget must be an integer >= 1, got {budget!r}")
        target = len(self.history) + budget
        while len(self.history) < target:
            proposals = self.ask(min(self.options.batch_size, target - len(self.history)))
            start = time.perf_counter()
            evaluations = self.objective([p.design for p in proposals])
            self.stats.objective_seconds += time.perf_counter() - start
            for proposal, evaluation in zip(proposals, evaluations, strict=True):
                record = self.tell(proposal, evaluation)
                for callback in callbacks:
                    callback(self, record)
        return self.result()

    def result(self) -> OptimizationResult:
        """The history so far and its best design."""
        return OptimizationResult(
            list(self.history), self.maximize, dataclasses.replace(self.stats), self.model
        )


@dataclass
class OptimizationResult:
    """What a run found.

    Attributes:
        history: One :class:`Record` per evaluation, in order.
        maximize: Direction of the objective.
        stats: Counters and timings.
        model: The VAE used by the search.
    """

    history: list[Record]
    maximize: bool
    stats: RunStats
    model: VAE

    @property
    def best_record(self) -> Record | None:
        """The best complete evaluation, or ``None`` if none completed."""
        complete = [r for r in self.history if r.status == "complete"]
        if not complete:
            return None
        sign = 1.0 if self.maximize else -1.0
        return max(complete, key=lambda r: sign * r.value)  # type: ignore[operator]

    @property
    def best_design(self) -> Any:
        record = self.best_record
        return None if record is None else record.design

    @property
    def best_value(self) -> float | None:
        record = self.best_record
        return None if record is None else record.value

    @property
    def n_failed(self) -> int:
        return sum(r.status == "failed" for r in self.history)


def _check_designs(designs: Sequence[Any]) -> list[Any]:
    if isinstance(designs, (str, bytes)) or not hasattr(designs, "__len__"):
        raise InvalidDesignsError(
            f"designs must be a list of strings or of 2-D arrays, not {type(designs).__name__}"
        )
    designs = list(designs)
    if not designs:
        raise InvalidDesignsError(
            "no designs given; pass a non-empty list of strings or 2-D arrays to train on"
        )
    return designs


def _check_scores(scores: Sequence[float | None] | None, n: int) -> list[float | None]:
    """Known values aligned with the designs; ``None`` (or NaN) marks an unscored one."""
    if scores is None:
        return [None] * n
    if isinstance(scores, (str, bytes)) or len(scores) != n:
        shown = len(scores) if hasattr(scores, "__len__") else type(scores).__name__
        raise InvalidDesignsError(
            f"got {shown} scores for {n} designs; give one score per design, None for "
            "designs that are not scored"
        )
    checked: list[float | None] = []
    for i, value in enumerate(scores):
        value = None if value is None or value != value else value  # NaN: not scored
        evaluation = None if value is None else check_value(value)
        if evaluation is not None and evaluation.value is None:
            raise InvalidDesignsError(
                f"score {i} is {value!r}; scores must be finite numbers, or None for "
                "designs that are not scored"
            )
        checked.append(None if evaluation is None else evaluation.value)
    return checked


def _as_evaluation(value: float | Evaluation | BaseException | None) -> Evaluation:
    if isinstance(value, Evaluation):
        return value
    if value is None:
        return Evaluation(None, "failed", "no value reported")
    if isinstance(value, BaseException):
        return Evaluation(None, "failed", f"{type(value).__name__}: {value}")
    return check_value(value, 0.0)
