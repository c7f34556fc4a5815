"""The optimizer: ask for latent proposals, tell their scores, run a budget.

One step: fit a GP on the latent points of the designs scored so far, maximize
qLogEI in the latent box, decode the chosen points, and keep those that decode to a
valid design not seen before. The GP always learns from the latent point of the
design that was actually evaluated (the decoded design, encoded again), never from
the point the acquisition chose: the two differ whenever decoding is lossy, and
pairing a score with the wrong point teaches the GP a landscape that does not exist.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import io
import json
import math
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import torch
from linear_operator.utils.warnings import NumericalWarning
from torch import Tensor

from lsbo.acquisition import latent_bounds, optimize_qlogei, qlogei_values
from lsbo.acquisition.trust_region import (
    TrustRegionState,
    replay,
    thompson_sample,
    trust_region_bounds,
)
from lsbo.exceptions import (
    InvalidDesignsError,
    InvalidOptionError,
    LsboError,
    ObjectiveError,
    RunExistsError,
    SearchExhaustedError,
)
from lsbo.execution import Evaluator
from lsbo.models import VAE, TrainingOptions, fine_tune_vae, fit_new_vae, load_model
from lsbo.models.cache import design_bytes
from lsbo.objective import Evaluation, Objective, as_objective, check_value
from lsbo.representations import Codec
from lsbo.storage import BudgetReached, RDBStorage, RunInfo, get_storage
from lsbo.storage.serialize import (
    dump_design,
    dump_state,
    dump_tensor,
    key_digest,
    load_design,
    load_state,
    load_tensor,
)
from lsbo.strategies import (
    RandomSearch,
    Strategy,
    TrustRegion,
    failure_tolerance,
    get_strategy,
    rank_weights,
    strategy_from_settings,
)
from lsbo.surrogates import SurrogateKind, fit_surrogate, select_training_points

Source = Literal["initial", "bo", "fallback", "random"]

# options that may change when a stored run is resumed: they change how, not what
_OPERATIONAL = (
    "batch_size",
    "device",
    "evaluation_timeout",
    "max_consecutive_failures",
    "stale_after",
)
# a pending proposal whose worker died this many times is recorded as failed
_MAX_ATTEMPTS = 3
# when the latent box decodes only to seen or invalid designs, the fallback samples the
# prior at this scale, outside the box
WIDE_PRIOR_SCALE = 3.0


@dataclass(frozen=True)
class OptimizerOptions:
    """Settings of :class:`Optimizer`; the defaults suit a first run.

    Attributes:
        latent_dim: Latent dimension of a VAE lsbo trains (``None``: 16 for strings,
            2 for images).
        vae: How the VAE is trained before the search.
        batch_size: Proposals per ``ask()`` in ``run`` without an executor (the q of
            qLogEI), scored by one objective call. With an executor, ``run`` keeps
            ``n_workers`` designs in flight and proposes one as each finishes.
        n_initial: Designs sampled at random from the training designs and scored
            before the GP takes over, when fewer scores than this are known.
        num_restarts: Starting points for optimizing the acquisition function.
        raw_samples: Quasi-random points for choosing those starting points.
        mc_samples: Quasi-Monte-Carlo samples in qLogEI.
        max_gp_points: Largest number of points the exact GP learns from (see
            :func:`lsbo.surrogates.select_training_points`).
        variational_above: With more scored designs than this, the surrogate is a
            variational GP (BoTorch ``SingleTaskVariationalGP``, ``num_inducing``
            inducing points) on all of them instead of an exact GP on a subset of
            ``max_gp_points``; ``None``: never. A proposal step then costs about the
            same at 10,000 points as at 500 (``benchmarks/RESULTS.md``).
        num_inducing: Inducing points of the variational GP.
        bounds_margin: How far the latent search box extends beyond the encoded
            training designs, as a fraction of their range.
        max_reproposals: Extra acquisition rounds (each a full ``optimize_acqf``) when
            the local optima of every restart decode to invalid or already seen designs,
            before falling back to sampling near the best points and ranking the samples
            by qLogEI (cheaper than a round, but blind to gradients).
        device: Where the VAE runs (``"cpu"``, ``"cuda"``, ...).
        dtype: Floating-point type of the GP (float64 is strongly advised).
        failure_value: What the GP learns from a failed evaluation: ``None`` leaves
            it out (the default), ``"worst"`` gives it the worst value seen so far, a
            number gives it that value (in the objective's own units).
        max_consecutive_failures: ``run`` stops with an :class:`ObjectiveError` after
            this many failed evaluations in a row (``None``: never), since an
            objective that always fails would otherwise spend the whole budget.
        evaluation_timeout: Seconds after which an evaluation counts as failed
            (``None``: wait for ever), counted from when it is handed to the executor.
            Without executor or with a :class:`lsbo.execution.DaemonThreadExecutor`,
            the hung thread is abandoned and its slot reused; a pool or Dask worker
            stays busy until the objective returns, and evaluations queued behind it
            may time out without having started. For objectives that may hang, use
            ``DaemonThreadExecutor(n)`` (what ``lsbo run --workers n`` does).
        stale_after: Seconds without a heartbeat after which a pending proposal in
            storage is taken to be lost (its worker died) and is evaluated again.
            Proposals of a process on this machine that no longer exists are taken
            at once.
        reencode: The GP learns from the latent point of the decoded design, encoded
            again (``True``, the default), instead of from the point the acquisition
            chose. The two differ whenever decoding is lossy; pairing a score with the
            point the design really sits at is the "inversion" of InvBO (Chu et al.,
            NeurIPS 2024). ``benchmarks/RESULTS.md`` measures both.
    """

    latent_dim: int | None = None
    vae: TrainingOptions = field(default_factory=TrainingOptions)
    batch_size: int = 1
    n_initial: int = 10
    num_restarts: int = 10
    raw_samples: int = 256
    mc_samples: int = 256
    max_gp_points: int = 500
    variational_above: int | None = 500
    num_inducing: int = 128
    bounds_margin: float = 0.1
    max_reproposals: int = 1
    device: str | torch.device = "cpu"
    dtype: torch.dtype = torch.float64
    failure_value: float | Literal["worst"] | None = None
    max_consecutive_failures: int | None = 10
    evaluation_timeout: float | None = None
    stale_after: float = 300.0
    reencode: bool = True

    def __post_init__(self) -> None:
        for name in ("batch_size", "n_initial", "num_restarts", "raw_samples", "mc_samples"):
            if getattr(self, name) < 1:
                raise InvalidOptionError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_consecutive_failures is not None and self.max_consecutive_failures < 1:
            raise InvalidOptionError("max_consecutive_failures must be >= 1 or None")
        if self.evaluation_timeout is not None and not self.evaluation_timeout > 0:
            raise InvalidOptionError("evaluation_timeout must be > 0 seconds or None")
        if not self.stale_after > 0:
            raise InvalidOptionError("stale_after must be > 0 seconds")
        failure = self.failure_value
        if not (failure is None or failure == "worst" or _is_finite_number(failure)):
            raise InvalidOptionError(
                f"failure_value must be None, 'worst' or a finite number, got {failure!r}"
            )
        if self.max_gp_points < 4:
            raise InvalidOptionError("max_gp_points must be >= 4")
        if self.num_inducing < 1 or (self.variational_above or 0) < 0:
            raise InvalidOptionError("num_inducing must be >= 1 and variational_above >= 0")
        if self.max_reproposals < 0 or self.bounds_margin < 0:
            raise InvalidOptionError("max_reproposals and bounds_margin must be >= 0")


# what a retraining adds to a VAE's metadata
_RETRAINING_STATE = ("retrainings", "adam", "bounds")


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
        source: ``"initial"`` (random training design), ``"random"`` (decoded prior
            sample of the random strategy), ``"bo"`` (acquisition) or
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

    n_decoded: int = 0
    n_invalid: int = 0
    n_duplicate: int = 0
    n_fallback: int = 0
    n_retrainings: int = 0
    vae_seconds: float = 0.0
    surrogate_seconds: float = 0.0
    objective_seconds: float = 0.0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunStats:
        """Stats as stored; keys this version does not know are ignored."""
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    @property
    def n_rejected(self) -> int:
        """Decoded proposals that were re-proposed (invalid or duplicate)."""
        return self.n_invalid + self.n_duplicate

    @property
    def validity_rate(self) -> float | None:
        """Share of the acquisition's decoded points that were valid designs."""
        if not self.n_decoded:
            return None
        return 1.0 - min(self.n_invalid, self.n_decoded) / self.n_decoded


class Optimizer:
    """Latent-space Bayesian optimization with an ask/tell interface.

    Every proposal and outcome goes to a storage as it happens (in memory by
    default). With a file or database URL, a run survives its process: creating an
    Optimizer again with the same ``storage`` and ``name`` continues the run, and
    several processes with the same ``storage`` and ``name`` share it, the database
    making sure that no design is evaluated twice.

    Args:
        objective: An :class:`lsbo.Objective` or a callable ``design -> float``.
        designs: Unlabeled training designs (strings, or 2-D arrays in [0, 1]).
        scores: Optional known values, one per design (``None`` for unscored ones);
            known designs are never evaluated again and cost no budget.
        model: A trained VAE to use instead of training one (its codec must accept
            the designs). A stored run's own VAE takes precedence.
        codec: Codec for a VAE lsbo trains (default: chosen from the designs).
        maximize: Direction for a plain function (default ``True``); an
            ``Objective`` carries its own.
        options: Search and training settings.
        seed: Makes the run reproducible on CPU, resumed or not.
        storage: ``None`` (in memory), a file path, a database URL (see
            :func:`lsbo.storage.get_storage`) or an :class:`RDBStorage`.
        name: The run's name in the storage (default: a new name).
        resume: Continue a stored run even if its settings differ from these (the
            new settings are then stored); without it, that is an error.
        metadata: JSON-serializable information stored with the run's settings, not
            compared on resume (e.g. how to rebuild the objective in another process).
        strategy: How the search proceeds: a name from :data:`lsbo.STRATEGIES`
            (``"plain"``, ``"weighted-retraining"``, ``"trust-region"``,
            ``"trust-region+weighted-retraining"``, ``"random"``) or a
            :class:`lsbo.Strategy` object with its own settings. Default: plain.

    Raises:
        RunExistsError: ``name`` exists in ``storage`` with other settings.
        StorageError: The storage cannot be used.
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
        storage: str | os.PathLike[str] | RDBStorage | None = None,
        name: str | None = None,
        resume: bool = False,
        metadata: dict[str, Any] | None = None,
        strategy: str | Strategy | None = None,
    ) -> None:
        self.objective = as_objective(objective, maximize)
        self.options = options or OptimizerOptions()
        self.strategy = get_strategy(strategy)
        self.seed = int(seed)
        self.designs = _check_designs(designs)
        given = _check_scores(scores, len(self.designs))  # before the costly training
        self.storage = get_storage(storage)
        self.name = name or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._run = self._open_run(given, resume, metadata or {})
        self.stats = RunStats.from_dict(self._run.stats)
        self._saved_stats = dataclasses.asdict(self.stats)
        self.model = self._load_or_train_model(model, codec)
        self._retrainings = int(self.model.metadata.get("retrainings", 0))
        self._warm_start = self._load_gp_state()
        self.history: list[Record] = []
        self.invalid: list[Record] = []
        self._pending: dict[int, Proposal] = {}  # asked by this optimizer, not yet told
        self._foreign: dict[int, dict[str, Any]] = {}  # pending rows of other processes
        self._done: set[int] = set()  # numbers of told and invalid proposals
        self._last_row = 0
        self._iteration = 0
        self._budget: int | None = None  # during `run`: the run's evaluations at most
        self._asked: list[Proposal] = []  # proposals made by the current `ask`
        self._seen: set[str] = set()  # key digests of designs proposed or scored
        self._observed: list[Any] = []  # designs with known values (given + complete)
        self._X: list[Tensor] = []  # their latent points
        self._Y: list[float] = []  # their values, sign-flipped so larger is better
        self._from_run: list[bool] = []
        # ``2 x d`` trust region of the last step (trust-region strategies), for plots
        self.region: Tensor | None = None
        # what the optimizer is doing now, for progress displays: "idle",
        # "retraining the VAE", "fitting the GP", "sampling" or "evaluating"
        self.phase = "idle"
        for design, value in zip(self.designs, given, strict=True):
            if value is not None:
                self._seen.add(self._digest(design))
                self._add_observation(design, value, from_run=False)
        self._on_new_model()
        self._sync()
        if self._retrainings:  # stored latents may predate the stored (retrained) VAE
            self._on_new_model()

    @property
    def maximize(self) -> bool:
        """Whether the objective is maximized (``False``: minimized)."""
        return self.objective.maximize

    @property
    def direction(self) -> float:
        """``1.0`` when maximizing, ``-1.0`` when minimizing: ``direction * value`` is maximized."""
        return 1.0 if self.maximize else -1.0

    @property
    def n_evaluated(self) -> int:
        """Evaluations in the run (complete or failed), from every process."""
        return len(self.history)

    # -- the run in storage -----------------------------------------------------------

    def _settings(self, given: list[float | None], metadata: dict[str, Any]) -> dict[str, Any]:
        settings = {
            "objective": self.objective.name,
            "maximize": self.maximize,
            "seed": self.seed,
            "strategy": self.strategy.settings(),
            "options": _options_settings(self.options),
            "data": _data_fingerprint(self.designs, given),
            "metadata": metadata,
        }
        return json.loads(json.dumps(settings, default=str))

    def _open_run(
        self, given: list[float | None], resume: bool, metadata: dict[str, Any]
    ) -> RunInfo:
        settings = self._settings(given, metadata)
        run = self.storage.get_run(self.name)
        if run is None:
            return self.storage.create_run(self.name, settings)
        # options added to lsbo after the run was stored count as their defaults
        stored = _with_defaults(run.settings, {"options": _options_settings(OptimizerOptions())})
        # runs stored before strategies had settings name their strategy only
        stored["strategy"] = strategy_from_settings(stored.get("strategy")).settings()
        changes = _differences(stored, settings, skip=("metadata",))
        if changes and not resume:
            raise RunExistsError(
                f"a run named {self.name!r} in {self.storage} was made with other settings "
                f"({'; '.join(changes[:4])}); choose another name, or resume it with the new "
                "settings (resume=True, --resume)"
            )
        fixed = [c for c in changes if c.startswith(("options.vae.", "options.latent_dim"))]
        if fixed and self.storage.load_checkpoint(run.id, "vae") is not None:
            raise RunExistsError(
                f"run {self.name!r} keeps the VAE it was trained with, so its VAE settings "
                f"cannot change on resume ({'; '.join(fixed[:4])}); start a new run under "
                "another name to train a VAE with the new settings"
            )
        if changes:
            warnings.warn(
                f"resuming run {self.name!r} with changed settings: {'; '.join(changes)}",
                stacklevel=3,
            )
            self.storage.update_run(run.id, settings=settings)
            run = dataclasses.replace(run, settings=settings)
        return run

    def _load_or_train_model(self, model: VAE | None, codec: Codec | None) -> VAE:
        stored = self.storage.load_checkpoint(self._run.id, "vae")
        if stored is not None:
            return load_model(stored).to(self.options.device).eval()
        model = self._prepare_model(model, codec)
        if not self.storage.in_memory:
            buffer = io.BytesIO()
            model.save(buffer, **{**model.metadata, "seed": self.seed})
            if not self.storage.save_checkpoint(
                self._run.id, "vae", buffer.getvalue(), replace=False
            ):  # another process stored its VAE first: all share one latent space
                return self._load_or_train_model(None, None)
        return model

    def _prepare_model(self, model: VAE | None, codec: Codec | None) -> VAE:
        if model is not None:
            model.codec.encode(self.designs[:1])  # raises if the designs do not fit
            if self.strategy.retraining is not None:  # fine-tuned here: the caller's stays
                model = copy.deepcopy(model)
                # a fresh schedule: the caller's retraining state goes, the rest stays
                model.metadata = {
                    k: v for k, v in model.metadata.items() if k not in _RETRAINING_STATE
                }
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

    def _load_gp_state(self) -> dict[str, Any] | None:
        data = self.storage.load_checkpoint(self._run.id, "gp")
        return None if data is None else load_state(data)

    def _save_progress(self) -> None:
        """Add this process's counters since the last save to the run's stored ones
        (increments, so that processes sharing a run do not overwrite each other)."""
        now = dataclasses.asdict(self.stats)
        increments = {k: v - self._saved_stats.get(k, 0) for k, v in now.items()}
        if any(increments.values()):
            self.storage.add_to_stats(self._run.id, increments)
        self._saved_stats = now

    def _sync(self) -> None:
        """Take in what other processes (or earlier ones) stored since the last look."""
        rows = self.storage.proposals(self._run.id, self._last_row, list(self._foreign))
        for row in rows:
            self._last_row = max(self._last_row, row["id"])
            number, state = row["number"], row["state"]
            if number in self._pending or number in self._done:
                continue
            if state == "pending":
                self._foreign[number] = row
                self._seen.add(row["design_key"])
                continue
            self._foreign.pop(number, None)
            self._done.add(number)
            record = record_from_row(row, self.options.dtype)
            if state == "invalid":
                self.invalid.append(record)
            else:
                self._seen.add(row["design_key"])
                self._add_record(record)

    def _stale(self) -> list[dict[str, Any]]:
        """Pending rows whose worker is gone: released, dead on this host, or silent."""
        now = time.time()
        host = socket.gethostname()
        stale = []
        for row in self._foreign.values():
            worker = row["worker"]
            silent = now - (row["heartbeat_at"] or row["created_at"]) > self.options.stale_after
            if worker is None or silent or _is_dead(worker, host):
                stale.append(row)
        return stale

    def _claim_stale(self, n: int) -> list[Proposal]:
        """Take over up to ``n`` lost pending proposals, to evaluate them again."""
        proposals: list[Proposal] = []
        for row in self._stale():
            if len(proposals) == n:
                break
            if not self.storage.claim(self._run.id, row["number"], self.worker, row["worker"]):
                continue  # another process took it first
            if row["attempts"] >= _MAX_ATTEMPTS:
                proposal = _proposal_from_row(row, self.options.dtype)
                self._foreign.pop(proposal.number)
                self._pending[proposal.number] = proposal
                message = f"abandoned: its worker stopped {row['attempts']} times evaluating it"
                self.tell(proposal, Evaluation(None, "failed", message))
                continue
            proposal = _proposal_from_row(row, self.options.dtype)
            self._foreign.pop(proposal.number)
            self._pending[proposal.number] = proposal
            proposals.append(proposal)
        return proposals

    def pending(self) -> list[Proposal]:
        """Proposals asked but not told, by this optimizer or by other processes."""
        self._sync()
        foreign = [_proposal_from_row(row, self.options.dtype) for row in self._foreign.values()]
        return sorted([*self._pending.values(), *foreign], key=lambda p: p.number)

    def _on_new_model(self, extend_bounds: bool = False) -> None:
        """Encode the training designs and the observed ones with the current VAE.

        Runs at the start; a retraining schedule calls it after each retraining so that
        the GP and the search box follow the new latent space. The box spans the
        training designs; after a retraining it spans the evaluated designs too
        (``extend_bounds``), as the weighted-retraining paper's box spans its whole,
        growing dataset, so the search can follow the good designs beyond the data.
        A retrained VAE keeps its box in its metadata, for a resumed run.
        """
        latents, _ = self.model.encode(self.designs)
        latents = latents.to("cpu", self.options.dtype)
        if self._observed:
            observed, _ = self.model.encode(self._observed)
            self._X = list(observed.to("cpu", self.options.dtype))
        stored = self.model.metadata.get("bounds")
        if extend_bounds:
            points = torch.cat([latents, torch.stack(self._X)]) if self._X else latents
            self.bounds = latent_bounds(points, self.options.bounds_margin)
        elif stored is not None:
            self.bounds = torch.tensor(stored, dtype=self.options.dtype)
        else:
            self.bounds = latent_bounds(latents, self.options.bounds_margin)

    def _add_observation(self, design: Any, value: float, from_run: bool) -> None:
        self._observed.append(design)
        self._Y.append(self.direction * value)
        self._from_run.append(from_run)

    def _add_record(self, record: Record) -> None:
        self.history.append(record)
        value = record.value if record.status == "complete" else self._failure_value()
        if value is not None:
            self._add_observation(record.design, value, from_run=True)
            self._X.append(record.latent.to(self.options.dtype))

    def _failure_value(self) -> float | None:
        failure = self.options.failure_value
        if failure == "worst":
            return self.direction * min(self._Y) if self._Y else None
        return failure

    # -- ask ----------------------------------------------------------------------

    def ask(self, n: int | None = None) -> list[Proposal]:
        """Propose ``n`` new designs (default ``options.batch_size``), all valid and unseen.

        Pending proposals (asked, not yet told, here or by another process sharing the
        storage) are taken into account, so repeated calls give different designs.
        Each proposal is in storage, as ``pending``, before this returns.
        """
        n = self.options.batch_size if n is None else n
        if n < 1:
            raise InvalidOptionError(f"ask(n) needs n >= 1, got {n}")
        return self._ask(n)

    def _ask(self, n: int, budget: int | None = None) -> list[Proposal]:
        """``ask``, stopping early once the run holds ``budget`` evaluations."""
        self._sync()
        self._iteration = self.storage.next_iteration(self._run.id)
        self._budget, self._asked = budget, []
        n_pending = len(self._pending) + len(self._foreign)
        n_random = max(0, self.options.n_initial - len(self._Y) - n_pending)
        if len(self._Y) < 2:  # a GP needs two values; until then keep sampling
            n_random = n
        try:
            if n_random:
                self._initial_proposals(min(n, n_random))
            if len(self._asked) < n:
                self._maybe_retrain()
                self._search(n - len(self._asked))
        except BudgetReached:
            pass  # other processes filled the budget while this one was proposing
        finally:
            self._budget = None
            self._save_progress()
        return self._asked

    def _search(self, n: int) -> list[Proposal]:
        """Proposals of the strategy; a retraining strategy whose latent space decodes
        only to invalid or seen designs retrains at once and tries again."""
        propose = (
            self._prior_proposals
            if isinstance(self.strategy, RandomSearch)
            else (self._bo_proposals)
        )
        try:
            return propose(n)
        except SearchExhaustedError:
            if self.strategy.retraining is None:
                raise
            self._maybe_retrain(force=True)  # a fine-tuned decoder makes other designs
            return propose(n)

    def _initial_proposals(self, n: int) -> list[Proposal]:
        self.phase = "sampling"
        generator = torch.Generator().manual_seed(self._step_seed())
        proposals = []
        for i in torch.randperm(len(self.designs), generator=generator).tolist():
            design = self.designs[i]
            if self._is_new_and_valid(design, count=False):
                proposal = self._make_proposal(design, None, "initial")
                proposals += [proposal] if proposal else []
                if len(proposals) == n:
                    break
        return proposals

    def _bo_proposals(self, n: int) -> list[Proposal]:
        start = time.perf_counter()
        self.phase = "fitting the GP"
        with warnings.catch_warnings():
            # near-duplicate latent points (re-encoded designs) make GPyTorch add a tiny
            # jitter to the kernel matrix: expected, and no news to a user
            warnings.simplefilter("ignore", NumericalWarning)
            proposals = self._bo_proposals_of(n)
        self.stats.surrogate_seconds += time.perf_counter() - start
        return proposals

    def _bo_proposals_of(self, n: int) -> list[Proposal]:
        gp, Y = self._fit_surrogate()
        if not self.storage.in_memory:
            self.storage.save_checkpoint(self._run.id, "gp", dump_state(self._warm_start))
        proposals: list[Proposal] = []
        rejected: list[Tensor] = []
        for round_ in range(self.options.max_reproposals + 1):
            if isinstance(self.strategy, TrustRegion):
                candidates = self._trust_region_candidates(gp, n - len(proposals), round_)
            else:
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
                # restarts' batches, best first: later ones replace unusable designs
                candidates = candidates.flatten(0, 1)
            proposals += self._accept(candidates, "bo", rejected, n - len(proposals))
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
        return proposals

    # -- trust region -------------------------------------------------------------

    def trust_region(self) -> TrustRegionState | None:
        """The trust region's state now (``None`` unless the strategy uses one).

        Rebuilt from the history: known scores and the initial designs set the best
        value, then each later batch (the proposals of one ``ask``) grows or shrinks
        the region, so a resumed run has the region it had.
        """
        strategy = self.strategy
        if not isinstance(strategy, TrustRegion):
            return None
        state = TrustRegionState(
            length_init=strategy.length_init,
            length_min=strategy.length_min,
            length_max=strategy.length_max,
            success_tolerance=strategy.success_tolerance,
            failure_tolerance=failure_tolerance(
                strategy, self.model.latent_dim, self.options.batch_size
            ),
            length=strategy.length_init,
        )
        start = [y for y, from_run in zip(self._Y, self._from_run, strict=True) if not from_run]
        batches: dict[int, list[float]] = {}
        for record in self.history:
            value = None if record.value is None else self.direction * record.value
            if record.source == "initial":
                start += [] if value is None else [value]
            else:
                batches.setdefault(record.iteration, [])
                batches[record.iteration] += [] if value is None else [value]
        return replay(state, start, batches.values())

    def _trust_region_candidates(self, gp: Any, n: int, round_: int) -> Tensor:
        """Thompson samples in the trust region, best first: the first ``n`` are the
        batch, the others stand in for points that decode to unusable designs."""
        assert isinstance(self.strategy, TrustRegion)
        state = self.trust_region()
        assert state is not None
        center = torch.stack(self._X)[int(torch.tensor(self._Y).argmax())]
        region = trust_region_bounds(gp, center, state.length, self.bounds)
        self.region = region
        return thompson_sample(
            gp,
            center,
            region,
            n=4 * n + 16,
            n_candidates=self.strategy.n_candidates,
            seed=self._step_seed() + round_,
        )

    # -- random search ------------------------------------------------------------

    def _prior_proposals(self, n: int) -> list[Proposal]:
        """Decode samples of the VAE prior until ``n`` are new, valid designs."""
        assert isinstance(self.strategy, RandomSearch)
        self.phase = "sampling"
        generator = torch.Generator().manual_seed(self._step_seed())
        proposals: list[Proposal] = []
        for _ in range(20):
            z = torch.randn(4 * n + 16, self.model.latent_dim, generator=generator)
            proposals += self._accept(z * self.strategy.scale, "random", [], n - len(proposals))
            if len(proposals) == n:
                return proposals
        return self._last_resort(
            proposals,
            n,
            "random search found no valid design that has not been evaluated yet in "
            "1,000s of prior samples; the VAE decodes few valid designs",
        )

    def _last_resort(self, proposals: list[Proposal], n: int, message: str) -> list[Proposal]:
        """Fill up with unscored training designs; with none at all, the search is exhausted."""
        if len(proposals) < n:
            proposals += self._initial_proposals(n - len(proposals))
        if not proposals:
            raise SearchExhaustedError(message)
        return proposals

    # -- weighted retraining ------------------------------------------------------

    def _maybe_retrain(self, force: bool = False) -> None:
        """Fine-tune the VAE when the schedule says so (or ``force``), then move
        everything into the new latent space (encodings, search box; the GP's warm
        start is dropped)."""
        schedule = self.strategy.retraining
        due = len(self.history) // schedule.period if schedule else 0
        if force:
            due = max(due, self._retrainings + 1)
        if schedule is None or due <= self._retrainings:
            return
        start = time.perf_counter()
        self.phase = "retraining the VAE"
        stored = (
            None if self.storage.in_memory else self.storage.load_checkpoint(self._run.id, "vae")
        )
        model = None if stored is None else load_model(stored)
        if model is not None and model.metadata.get("retrainings", 0) >= due:
            self.model = model.to(self.options.device).eval()  # another process retrained
            self._on_new_model()
        else:
            designs, values = self._retraining_data()
            adam = torch.optim.Adam(self.model.parameters(), lr=schedule.learning_rate)
            if "adam" in self.model.metadata:  # the Adam of the previous fine-tuning
                adam.load_state_dict(self.model.metadata["adam"])
            fine_tune_vae(
                self.model,
                designs,
                rank_weights(values, schedule.k),
                fraction=schedule.fraction,
                weighting=schedule.weighting,
                options=dataclasses.replace(
                    self.options.vae,
                    learning_rate=schedule.learning_rate,
                    batch_size=schedule.batch_size,
                ),
                seed=self.seed * 1_000_003 + due * 104_729,
                optimizer=adam,
            )
            self._on_new_model(extend_bounds=True)
            metadata = {"retrainings": due, "adam": adam.state_dict()}
            metadata["bounds"] = self.bounds.tolist()
            self.model.metadata = {**self.model.metadata, **metadata}
            if not self.storage.in_memory:
                buffer = io.BytesIO()
                self.model.save(buffer, **{**self.model.metadata, "seed": self.seed})
                self.storage.save_checkpoint(self._run.id, "vae", buffer.getvalue())
            self.stats.n_retrainings += 1
        self._retrainings = int(self.model.metadata.get("retrainings", due))
        self._warm_start = None  # hyperparameters of another latent space
        self.stats.vae_seconds += time.perf_counter() - start

    def _retraining_data(self) -> tuple[list[Any], Tensor]:
        """Every design known so far, once each, with its value (NaN: not scored)."""
        known: dict[str, tuple[Any, float]] = {}
        for design in self.designs:
            known.setdefault(self._digest(design), (design, math.nan))
        for design, value in zip(self._observed, self._Y, strict=True):
            known[self._digest(design)] = (design, value)
        designs = [design for design, _ in known.values()]
        return designs, torch.tensor([value for _, value in known.values()], dtype=torch.float64)

    def _pending_points(self, rejected: list[Tensor]) -> Tensor | None:
        """Latent points of pending proposals (all processes'), plus candidates
        rejected at this step."""
        points = [p.latent for p in self._pending.values()]
        points += [_latent(row, self.options.dtype) for row in self._foreign.values()]
        points += [z.to("cpu", self.options.dtype) for z in rejected]
        return torch.stack(points) if points else None

    def _accept(
        self, candidates: Tensor, source: Source, rejected: list[Tensor], n: int
    ) -> list[Proposal]:
        accepted: list[Proposal] = []
        for z, design in zip(candidates, self.model.decode(candidates), strict=True):
            if len(accepted) == n:
                break
            self.stats.n_decoded += 1
            proposal = None
            if self._is_new_and_valid(design, count=True):
                proposal = self._make_proposal(design, z, source)
            elif not self._is_valid(design):
                self._record_invalid(design, z, source)
            if proposal is None:
                # treating a rejected point as pending steers the next round elsewhere
                rejected.append(z)
            else:
                accepted.append(proposal)
        return accepted

    def _fallback(self, ranking: Callable[[Tensor], Tensor], n: int) -> list[Proposal]:
        """Sample near the best points and from the prior; keep the best new designs.

        Samples are clipped to the latent box; only when none of them decodes to a new
        valid design are wider prior samples (``WIDE_PRIOR_SCALE`` standard deviations,
        not clipped) tried, then unscored training designs, before giving up.

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
        usable = self._usable(torch.max(torch.min(z, self.bounds[1]), self.bounds[0]))
        if not usable:  # the box decodes only to seen or invalid designs: look further out
            usable = self._usable(noise * WIDE_PRIOR_SCALE)
        proposals: list[Proposal] = []
        if usable:
            points = torch.stack([point for point, _ in usable.values()])
            candidates = list(usable.values())
            for i in ranking(points).argsort(descending=True).tolist():
                point, design = candidates[i]
                proposal = self._make_proposal(design, point, "fallback")
                proposals += [proposal] if proposal else []
                if len(proposals) == n:
                    break
        self.stats.n_fallback += len(proposals)
        return self._last_resort(
            proposals,
            n,
            "the optimizer found no valid design that has not been evaluated yet; "
            "the search space may be exhausted or the VAE decodes few valid designs",
        )

    def _usable(self, z: Tensor) -> dict[str, tuple[Tensor, Any]]:
        """The new valid designs that points decode to, one point per distinct design."""
        usable: dict[str, tuple[Tensor, Any]] = {}
        for point, design in zip(z, self.model.decode(z), strict=True):
            key = self._digest(design)
            if key not in usable and self._is_new_and_valid(design, count=False):
                usable[key] = (point, design)
        return usable

    def _is_valid(self, design: Any) -> bool:
        return bool(self.model.codec.is_valid(design) and self.objective.is_valid(design))

    def _is_new_and_valid(self, design: Any, count: bool) -> bool:
        if not self._is_valid(design):
            self.stats.n_invalid += count
            return False
        if self._digest(design) in self._seen:
            self.stats.n_duplicate += count
            return False
        return True

    def _digest(self, design: Any) -> str:
        return key_digest(self.model.codec.key(design))

    def _record_invalid(self, design: Any, point: Tensor, source: Source) -> None:
        """Store a decoded design that cannot be evaluated; it never reaches the objective."""
        number = self.storage.add_proposal(
            self._run.id,
            state="invalid",
            design=dump_design(design),
            point=dump_tensor(point),
            iteration=self._iteration,
            source=source,
            message="the decoded design is not valid",
        )
        assert number is not None  # invalid rows have no design key to conflict on
        self._done.add(number)
        self.invalid.append(
            Record(
                number,
                design,
                None,
                "invalid",
                "the decoded design is not valid",
                self._iteration,
                source,
                point.detach().to("cpu", self.options.dtype),
                0.0,
            )
        )

    def _make_proposal(self, design: Any, point: Tensor | None, source: Source) -> Proposal | None:
        """Store a new pending proposal; ``None`` if another process has the design."""
        digest = self._digest(design)
        self._seen.add(digest)
        point = None if point is None else point.detach().to("cpu")
        if self.options.reencode or point is None:
            latent = self.model.encode([design])[0][0].to("cpu", self.options.dtype)
        else:
            latent = point.to(self.options.dtype)
        now = time.time()
        number = self.storage.add_proposal(
            self._run.id,
            limit=self._budget,
            state="pending",
            design=dump_design(design),
            design_key=digest,
            latent=dump_tensor(latent),
            point=dump_tensor(point),
            iteration=self._iteration,
            source=source,
            attempts=1,
            worker=self.worker,
            started_at=now,
            heartbeat_at=now,
        )
        if number is None:
            self.stats.n_duplicate += 1
            return None
        proposal = Proposal(number, design, latent, point, self._iteration, source)
        self._pending[number] = proposal
        self._asked.append(proposal)
        return proposal

    def _fit_surrogate(self) -> tuple[Any, Tensor]:
        """The GP of this step (warm-started from the last one) and its ``n x 1`` values."""
        limit = self.options.variational_above
        big = limit is not None and len(self._Y) > limit
        X, Y = self._gp_data(all_points=big)
        extra = {"num_inducing": self.options.num_inducing} if big else {}
        kind: SurrogateKind = "variational" if big else "exact"
        # the same seed every step keeps the variational fit's subsample, so warm starts work
        gp, self._warm_start = fit_surrogate(
            X, Y, self.bounds, kind=kind, warm_start=self._warm_start, seed=self.seed, **extra
        )
        return gp, Y

    def _gp_data(self, all_points: bool = False) -> tuple[Tensor, Tensor]:
        if len(self._Y) < 2:
            raise LsboError(
                "fewer than 2 evaluations succeeded, so no surrogate can be fitted; "
                "check that the objective works on the training designs"
            )
        Y = torch.tensor(self._Y, dtype=self.options.dtype)
        if all_points:
            return torch.stack(self._X), Y.unsqueeze(-1)
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

    def tell(
        self, proposal: Proposal | int, value: float | Evaluation | BaseException | None
    ) -> Record:
        """Record the outcome of a proposal; it is in storage before this returns.

        Args:
            proposal: A pending proposal from :meth:`ask` or :meth:`pending`, or its
                number (e.g. in a new process, after the evaluation took days).
            value: The score; or an :class:`Evaluation`; or an exception or ``None``
                (recorded as failed). NaN, infinite or non-numeric values are failed
                evaluations: recorded with a message, never the best, never in the GP
                (unless ``options.failure_value`` says otherwise).

        Raises:
            LsboError: The proposal is not pending (told already, or not of this run).
        """
        number = proposal if isinstance(proposal, int) else proposal.number
        if number not in self._pending:
            self._sync()
            if number in self._foreign:  # asked by another process, told here
                self._pending[number] = _proposal_from_row(
                    self._foreign.pop(number), self.options.dtype
                )
        if number not in self._pending:
            raise LsboError(
                f"proposal {number} is not pending in run {self.name!r}: it was already "
                "told, or comes from another run"
            )
        evaluation = _as_evaluation(value)
        if not self.storage.finish(
            self._run.id,
            number,
            state=evaluation.status,
            value=evaluation.value,
            message=evaluation.message,
            duration=evaluation.duration,
        ):
            self._pending.pop(number)
            self._sync()  # another process finished it first (it had been taken for lost)
            return next(r for r in self.history if r.number == number)
        pending = self._pending.pop(number)
        self._done.add(number)
        record = Record(
            number=number,
            design=pending.design,
            value=evaluation.value,
            status=evaluation.status,
            message=evaluation.message,
            iteration=pending.iteration,
            source=pending.source,
            latent=pending.latent,
            duration=evaluation.duration,
        )
        self._add_record(record)
        return record

    # -- run ----------------------------------------------------------------------

    def run(
        self,
        budget: int,
        callbacks: Sequence[Callable[[Optimizer, Record], None]] = (),
        *,
        executor: Any = None,
        n_workers: int | None = None,
    ) -> OptimizationResult:
        """Evaluate designs until the run holds ``budget`` evaluations.

        The budget counts every evaluation of the run, including those stored by an
        earlier process or by other processes sharing the storage: running a stopped
        run again with the same budget finishes it. Lost pending proposals (their
        process died) are evaluated first. Failed evaluations count, invalid or
        duplicate proposals do not (they are never evaluated).

        Args:
            budget: Total number of objective evaluations of the run.
            callbacks: Called as ``callback(optimizer, record)`` after each evaluation.
                Evaluations that finish together are all stored before the first
                callback runs, so ``optimizer.history`` may already hold records
                newer than ``record``: test it with ``>=``, not ``==``. A callback
                that raises stops the run; everything finished is kept.
            executor: Where evaluations run: ``None`` (this thread, a batch of
                ``options.batch_size`` at a time), a ``concurrent.futures.Executor`` or
                a ``dask.distributed.Client``. With an executor each design is its own
                task, and a new design is proposed as soon as one finishes.
            n_workers: Evaluations in flight at once (default: the executor's number
                of workers).

        Raises:
            ObjectiveError: ``options.max_consecutive_failures`` evaluations in a row
                failed, or the objective returned a wrong number of values. Every
                finished evaluation is stored; run again to continue.
            KeyboardInterrupt: After storing everything and releasing the proposals
                in flight, so that a resumed run evaluates them at once.
        """
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise InvalidOptionError(f"budget must be an integer >= 1, got {budget!r}")
        self.storage.update_run(self._run.id, budget=budget)
        evaluator: Evaluator[Proposal] = Evaluator(
            self.objective,
            executor,
            n_workers,
            self.options.evaluation_timeout,
            self.options.batch_size,
            design=lambda proposal: proposal.design,
        )
        try:
            with self._heartbeats():
                self._run_loop(budget, callbacks, evaluator)
        except BaseException:
            # whatever is in flight is given back: a resumed run evaluates it at once
            evaluator.cancel()
            released = list(self._pending)
            self.storage.release(self._run.id, self.worker, released)
            self._pending.clear()
            # they belong to no worker now, like a dead process's proposals: a later
            # `run` of this optimizer takes them up too (`_sync` reads only new rows)
            rows = self.storage.proposals(self._run.id, self._last_row, released)
            self._foreign.update((r["number"], r) for r in rows if r["number"] in released)
            raise
        finally:
            self.phase = "idle"
            self._save_progress()
        return self.result()

    def _run_loop(
        self,
        budget: int,
        callbacks: Sequence[Callable[[Optimizer, Record], None]],
        evaluator: Evaluator[Proposal],
    ) -> None:
        failures = 0
        while True:
            self._sync()
            wanted = min(evaluator.free_slots, self._remaining(budget))
            if wanted > 0:
                proposals = self._claim_stale(wanted)
                # claimed ones now count as pending; abandoned ones as evaluated
                more = min(evaluator.free_slots - len(proposals), self._remaining(budget))
                if more > 0:
                    proposals += self._ask(more, budget)
                evaluator.submit(proposals)
            if not evaluator.in_flight:
                if self._remaining(budget) <= 0:
                    return  # done, or the rest is in the hands of other processes
                time.sleep(0.1)
                continue
            start = time.perf_counter()
            self.phase = "evaluating"
            outcomes = evaluator.wait(poll=self._heartbeat_interval())
            self.stats.objective_seconds += time.perf_counter() - start
            # every finished evaluation is stored before any callback runs: a callback
            # that stops the run (Ctrl-C, a failure limit) must not lose the others
            records = [self.tell(proposal, evaluation) for proposal, evaluation in outcomes]
            limit, streak = self.options.max_consecutive_failures, 0
            for record in records:
                failures = failures + 1 if record.status == "failed" else 0
                streak = max(streak, failures)
                for callback in callbacks:
                    callback(self, record)
            if limit is not None and streak >= limit:
                last = next(r for r in reversed(records) if r.status == "failed")
                raise ObjectiveError(
                    f"stopped after {streak} failed evaluations in a row; the last one: "
                    f"{last.message}. Every evaluation so far is stored: fix the "
                    "objective and run again to continue"
                )

    def _remaining(self, budget: int) -> int:
        """Evaluations still to start: the budget less those done and those running
        (here or in live processes; lost ones are still to do)."""
        live = len(self._foreign) - len(self._stale())
        return budget - len(self.history) - len(self._pending) - live

    def _heartbeat_interval(self) -> float:
        return min(10.0, self.options.stale_after / 3)

    @contextmanager
    def _heartbeats(self) -> Iterator[None]:
        """While evaluations run, tell the storage every few seconds that they are alive."""
        if self.storage.in_memory:
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self._heartbeat_interval()):
                with suppress(LsboError):  # a busy database: the next beat will do
                    self.storage.heartbeat(self._run.id, self.worker)

        thread = threading.Thread(target=beat, name="lsbo-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def result(self) -> OptimizationResult:
        """The history so far and its best design."""
        return OptimizationResult(
            history=list(self.history),
            maximize=self.maximize,
            stats=dataclasses.replace(self.stats),
            model=self.model,
            name=self.name,
            invalid=list(self.invalid),
            n_pending=len(self._pending) + len(self._foreign),
            settings=dict(self._run.settings),
        )


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
    def best_record(self) -> Record | None:
        """The best complete evaluation, or ``None`` if none completed."""
        complete = [r for r in self.history if r.status == "complete"]
        if not complete:
            return None
        sign = 1.0 if self.maximize else -1.0
        return max(complete, key=lambda r: sign * r.value)  # type: ignore[operator]

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


def record_from_row(row: dict[str, Any], dtype: torch.dtype = torch.float64) -> Record:
    """A :class:`Record` from a stored proposal row."""
    latent = load_tensor(row["latent"] or row["point"], dtype)
    return Record(
        number=row["number"],
        design=load_design(row["design"]),
        value=row["value"],
        status=row["state"],
        message=row["message"],
        iteration=row["iteration"],
        source=row["source"],
        latent=torch.empty(0, dtype=dtype) if latent is None else latent,
        duration=row["duration"],
    )


def _latent(row: dict[str, Any], dtype: torch.dtype) -> Tensor:
    latent = load_tensor(row["latent"], dtype)
    assert latent is not None  # pending rows always have one
    return latent


def _proposal_from_row(row: dict[str, Any], dtype: torch.dtype) -> Proposal:
    return Proposal(
        number=row["number"],
        design=load_design(row["design"]),
        latent=_latent(row, dtype),
        acquisition_point=load_tensor(row["point"], torch.float32),
        iteration=row["iteration"],
        source=row["source"],
    )


def _data_fingerprint(designs: Sequence[Any], scores: Sequence[float | None]) -> str:
    digest = hashlib.sha256()
    for design, score in zip(designs, scores, strict=True):
        digest.update(design_bytes(design))
        digest.update(repr(score).encode())
    return digest.hexdigest()[:16]


def _options_settings(options: OptimizerOptions) -> dict[str, Any]:
    """The options a run stores and compares on resume (JSON types)."""
    kept = {k: v for k, v in dataclasses.asdict(options).items() if k not in _OPERATIONAL}
    return dict(json.loads(json.dumps(kept, default=str)))


def _with_defaults(stored: Any, defaults: Any) -> Any:
    """``stored`` with the keys it lacks taken from ``defaults`` (recursively)."""
    if not (isinstance(stored, dict) and isinstance(defaults, dict)):
        return stored
    merged = dict(stored)
    for key, value in defaults.items():
        merged[key] = _with_defaults(stored[key], value) if key in stored else value
    return merged


def _differences(old: Any, new: Any, skip: Sequence[str] = (), prefix: str = "") -> list[str]:
    """What differs between two settings dicts, as ``"key: old -> new"`` lines."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{prefix or 'settings'}: {old!r} -> {new!r}"]
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in skip:
            name = f"{prefix}.{key}" if prefix else key
            changes += _differences(old.get(key), new.get(key), prefix=name)
    return changes


def _is_dead(worker: str, host: str) -> bool:
    """Whether ``worker`` ("host:pid:token") was a process on this host that has ended."""
    worker_host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if worker_host != host or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this process: a proposal of an optimizer that was let go
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _as_evaluation(value: float | Evaluation | BaseException | None) -> Evaluation:
    if isinstance(value, Evaluation):
        return value
    if value is None:
        return Evaluation(None, "failed", "no value reported")
    if isinstance(value, BaseException):
        return Evaluation(None, "failed", f"{type(value).__name__}: {value}")
    return check_value(value, 0.0)
