"""The optimizer: ask for proposals, tell their scores, run a budget.

One ``ask`` is a chain of steps, each in its own component: take in what the storage
holds (:class:`lsbo.run_storage.RunStorage`), score random training designs until a GP
can be fitted, retrain the VAE when the schedule says so, let the strategy propose
latent points (:class:`lsbo.Strategy`), and keep those that decode to new, valid designs
(:class:`lsbo.gate.ProposalGate`), falling back when none do. The GP always learns from
the latent point of the design that was actually evaluated (the decoded design, encoded
again), never from the point the strategy chose: the two differ whenever decoding is
lossy, and pairing a score with the wrong point teaches the GP a landscape that does not
exist.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import torch
from botorch.models.model import Model
from linear_operator.utils.warnings import NumericalWarning

from lsbo.acquisition.trust_region import TrustRegionState
from lsbo.exceptions import InvalidOptionError, ObjectiveError, SearchExhaustedError
from lsbo.gate import ProposalGate, Step
from lsbo.latent_space import LatentSpace
from lsbo.models import VAE, assess_vae, held_out_designs, warn_if_poor
from lsbo.objective import (
    Evaluation,
    ExternalObjective,
    Objective,
    as_evaluation,
    as_objective,
)
from lsbo.observations import Observations
from lsbo.options import OptimizerOptions
from lsbo.records import (
    Direction,
    OptimizationResult,
    Phase,
    Proposal,
    ProposalState,
    Record,
    RunStats,
)
from lsbo.run_loop import Callback, run_budget
from lsbo.run_storage import RunStorage
from lsbo.settings import check_designs, check_scores, run_settings
from lsbo.storage import BudgetReached, RDBStorage, get_storage
from lsbo.strategies import SearchContext, Strategy, get_strategy
from lsbo.surrogates.validity import MIN_EXAMPLES, ValidityClassifier, fit_validity_classifier


class Optimizer:
    """Latent-space Bayesian optimization with an ask/tell interface.

    Every proposal and outcome is stored as it happens (in memory by default). With a
    file or database URL a run survives its process: an Optimizer made again with the
    same ``storage`` and ``name`` continues it, and processes that share them share the
    run, the database making sure that no design is evaluated twice.

    Args:
        objective: An :class:`lsbo.Objective` or a callable ``design -> float``.
        designs: Unlabeled training designs (strings, or 2-D arrays in [0, 1]).
        scores: Known values, one per design (``None`` for unscored ones); known
            designs are never evaluated again and cost no budget.
        model: A trained VAE to use (a stored run's own VAE takes precedence).
        codec: Codec for a VAE lsbo trains (default: chosen from the designs).
        maximize: Direction of a plain function (default ``True``).
        options: Search and training settings.
        seed: Makes the run reproducible on CPU, resumed or not.
        storage: ``None`` (in memory), a file path, a database URL (see
            :func:`lsbo.storage.get_storage`) or an :class:`RDBStorage`.
        name: The run's name in the storage (default: a new name).
        accept_changes: Continue a stored run whose settings differ from these (and
            store these); without it that is an error. Same settings resume anyway.
        metadata: JSON information stored with the run, not compared on resume.
        strategy: A name from :data:`lsbo.STRATEGIES` or a :class:`lsbo.Strategy`,
            built in or your own subclass (default: plain).
        resume: Deprecated name of ``accept_changes``.

    Raises:
        SettingsMismatchError: ``name`` exists in ``storage`` with other settings.
        StorageError: The storage cannot be used.
    """

    def __init__(
        self,
        objective: Objective | Callable[[Any], Any],
        designs: Sequence[Any],
        *,
        scores: Sequence[float | None] | None = None,
        model: VAE | None = None,
        codec: Any = None,
        maximize: bool | None = None,
        options: OptimizerOptions | None = None,
        seed: int = 0,
        storage: str | os.PathLike[str] | RDBStorage | None = None,
        name: str | None = None,
        accept_changes: bool = False,
        metadata: dict[str, Any] | None = None,
        strategy: str | Strategy | None = None,
        resume: bool | None = None,
    ) -> None:
        self.objective = as_objective(objective, maximize)
        self.options = options or OptimizerOptions()
        self.strategy, self.seed = get_strategy(strategy), int(seed)
        self.designs = check_designs(designs)
        given = check_scores(scores, len(self.designs))  # before the costly training
        self.storage = get_storage(storage)
        self.name = name or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self._open(given, metadata or {}, _accepts(accept_changes, resume), model, codec)
        self.phase = Phase.IDLE  # what the optimizer is doing now, for progress displays
        self.notes: dict[str, Any] = {}  # what the strategy showed of its last step
        self.strategy_state: dict[str, Any] = {}  # what it carries between steps
        self._observe(given)
        self.stats.vae_quality = self.run_storage.load_quality()
        if not self.stats.vae_quality:  # new, or stored before lsbo assessed its VAEs
            self._assess_vae()

    def _open(
        self, given: list[float | None], metadata: dict[str, Any], accept: bool,
        model: VAE | None, codec: Any,
    ) -> None:  # fmt: skip
        """Open the run in storage, with its VAE, and set up the components."""
        settings = run_settings(
            self.objective.name, self.maximize, self.seed, self.strategy, self.options,
            self.designs, given, metadata,
        )  # fmt: skip
        self.run_storage = RunStorage.open(self.storage, self.name, settings, accept, self.options)
        self.stats = RunStats.from_dict(self.run_storage.run.stats)
        fresh = self.strategy.retraining is not None  # fine-tuned here: not the caller's VAE
        args = (self.run_storage, self.designs, self.options, self.seed, model, codec, fresh)
        self.latent, seconds = LatentSpace.of_run(*args)
        self.stats.vae_seconds += seconds
        self._warm_start = self.run_storage.load_gp_state()
        self.observations = Observations(
            Direction.of(self.maximize), self.options.dtype, self.learns_decoded_points
        )
        self.gate = ProposalGate(
            self.latent, self.objective, self.run_storage, self.stats, self.options.reencode,
            self.observations, self.options.inversion_steps,
        )  # fmt: skip

    @property
    def maximize(self) -> bool:
        """Whether the objective is maximized (``False``: minimized)."""
        return self.objective.maximize

    @property
    def model(self) -> VAE:
        """The VAE of the latent space the search is in now."""
        return self.latent.model

    @property
    def history(self) -> list[Record]:
        """Evaluations of the run (complete or failed, from every process), in the order
        they finished."""
        return self.observations.history

    @property
    def n_evaluated(self) -> int:
        """Evaluations in the run (complete or failed), from every process."""
        return len(self.history)

    def _observe(self, given: list[float | None]) -> None:
        """Take in the given scores, then what the storage holds of the run."""
        known = [(d, v) for d, v in zip(self.designs, given, strict=True) if v is not None]
        for i, latent in enumerate(self.latent.encode([d for d, _ in known]) if known else []):
            key = self.latent.digest(known[i][0])
            self.gate.seen.add(key)
            self.gate.values[key] = known[i][1]
            self.observations.add(*known[i], latent, from_run=False)
        self.latent.refresh(self.observations)
        self.sync()
        if self.latent.retrainings:  # stored latents may predate the retrained VAE
            since = self.latent.model.metadata.get("retrained_at", 0)
            self.latent.refresh(self.observations, since=since)

    def sync(self) -> None:
        """Take in what other processes (or earlier ones) stored since the last look."""
        synced = self.run_storage.sync()
        self.gate.seen.update(synced.keys)
        for record in synced.records:
            self._add_record(record)

    def _add_record(self, record: Record) -> None:
        if record.status == ProposalState.INVALID:
            self.gate.invalid.append(record)
            return
        self.observations.add_record(record, self.options.failure_value)
        if record.status == ProposalState.COMPLETE:
            self.gate.values[self.latent.digest(record.design)] = record.value  # type: ignore[assignment]

    def pending(self) -> list[Proposal]:
        """Proposals asked but not told, by this optimizer or by other processes."""
        self.sync()
        return self.run_storage.all_pending()

    def ask(
        self, n: int | None = None, *, budget: int | None = None, external: bool = False
    ) -> list[Proposal]:
        """Propose ``n`` new, valid designs (default ``options.batch_size``), each stored
        as pending before this returns; pending ones of every process are avoided.

        Args:
            n: Designs wanted.
            budget: Stop early once the run holds this many evaluations, done or
                running, in every process (what :meth:`run` asks with).
            external: The designs are evaluated outside lsbo (a lab, another cluster)
                and told later, perhaps by another process (``lsbo tell``): they stay
                pending until told, and no ``run`` or worker takes them for lost when
                this process ends. Otherwise a proposal of a process that ended, or
                that ``stale_after`` seconds of :meth:`run` did not hear of, is
                evaluated again by the next ``run``.
        """
        n = self.options.batch_size if n is None else n
        if n < 1:
            raise InvalidOptionError(f"ask(n) needs n >= 1, got {n}")
        self.sync()
        iteration = self.run_storage.next_iteration()
        step = Step(iteration, self.seed * 1_000_003 + iteration * 7919, budget)
        try:
            with self.run_storage.external() if external else nullcontext():
                return self._propose(n, step)
        except BudgetReached:  # other processes filled the budget: keep what was stored
            return [p for p in self.run_storage.pending.values() if p.iteration == iteration]
        finally:
            self.run_storage.save_stats(self.stats)

    def _propose(self, n: int, step: Step) -> list[Proposal]:
        """Random training designs until a GP can be fitted, then the strategy's."""
        proposals: list[Proposal] = []
        known = len(self.observations)
        n_random = max(0, self.options.n_initial - known - self.run_storage.n_pending())
        n_random = n if known < 2 else n_random  # a GP needs two values
        if n_random:
            self.phase = Phase.SAMPLING
            proposals += self.gate.initial(min(n, n_random), step)
        if len(proposals) < n:
            self._maybe_retrain(step.iteration)
            proposals += self._search(n - len(proposals), step)
        return proposals

    def _search(self, n: int, step: Step, retrained: bool = False) -> list[Proposal]:
        """The strategy's proposals; a retraining strategy retrains once if none is new."""
        context, start = self.context(step), time.perf_counter()
        self.phase = Phase.SAMPLING
        try:
            with warnings.catch_warnings():
                # near-duplicate latent points (re-encoded designs) make GPyTorch add a
                # tiny jitter to the kernel matrix: expected, and no news to a user
                warnings.simplefilter("ignore", NumericalWarning)
                return self.gate.search(self.strategy, context, n, step)
        except SearchExhaustedError:
            if self.strategy.retraining is None or retrained:
                raise
        finally:
            if context.fitted:
                self.stats.surrogate_seconds += time.perf_counter() - start
            self.notes = context.notes
        self._maybe_retrain(step.iteration, force=True)  # a fine-tuned decoder makes others
        return self._search(n, step, retrained=True)

    def context(self, step: Step | None = None) -> SearchContext:
        """What the strategy sees at ``step`` (default: a step with the run's seed)."""
        step = step or Step(0, self.seed * 1_000_003)
        return SearchContext(
            latent=self.latent, observations=self.observations, history=self.history,
            options=self.options, seed=step.seed, run_seed=self.seed,
            batch_size=self.options.batch_size, fit=self._fit_surrogate,
            pending=self.run_storage.pending_points, fit_validity=self._fit_validity,
            usable=self.gate.is_new_and_valid, state=self.strategy_state,
        )  # fmt: skip

    def _fit_surrogate(self) -> Model:
        """The GP of this step, warm-started from the last one's hyperparameters."""
        self.phase = Phase.FITTING
        gp, self._warm_start = self.observations.fit_surrogate(
            self.latent.bounds, self.options, self.seed, self._warm_start
        )
        self.run_storage.save_gp_state(self._warm_start)
        return gp

    @property
    def learns_decoded_points(self) -> bool:
        """Whether the GP learns values at the points that decoded to designs too
        (``options.learn_decoded_points``; ``"auto"`` is off for runs stored before it
        existed)."""
        setting = self.options.learn_decoded_points
        if setting == "auto":
            stored = self.run_storage.run.settings.get("options", {})
            return "learn_decoded_points" in stored
        return bool(setting)

    @property
    def validity_constrained(self) -> bool:
        """Whether the search uses a learned validity constraint (``options``'s
        ``validity_constraint``; ``"auto"`` is off for runs stored before it existed)."""
        setting = self.options.validity_constraint
        if setting == "auto":
            return "validity_constraint" in self.run_storage.run.settings.get("options", {})
        return bool(setting)

    def _fit_validity(self) -> ValidityClassifier | None:
        """``P(valid | z)`` from the run's decodes in the current latent space: the points
        the strategy chose whose designs were evaluated, against those that decoded to
        invalid designs; ``None`` when switched off or with fewer than ``MIN_EXAMPLES``
        of either.

        Both classes are points a search chose, so the classifier tells valid from
        invalid decodes, not encoded designs from searched points."""
        if not self.validity_constrained:
            return None
        since = self.latent.model.metadata.get("retrained_at", 0) if self.latent.retrainings else 0
        valid = [r.point for r in self.history if r.point is not None and r.iteration >= since]
        invalid = [r.latent for r in self.gate.invalid if r.iteration >= since]
        if len(valid) < MIN_EXAMPLES or len(invalid) < MIN_EXAMPLES:
            return None
        start = time.perf_counter()
        classifier = fit_validity_classifier(
            torch.stack(valid).to(self.options.dtype), torch.stack(invalid), self.latent.bounds,
            self.seed,
        )  # fmt: skip
        self.stats.n_validity_fits += 1
        self.stats.validity_seconds += time.perf_counter() - start
        return classifier

    def trust_region(self) -> TrustRegionState | None:
        """The trust region's state now, from the history (``None``: the strategy has none)."""
        state = getattr(self.strategy, "state", None)
        return None if state is None else state(self.context())

    def _maybe_retrain(self, iteration: int, force: bool = False) -> None:
        """Retrain the VAE when the schedule says so (or ``force``) in the ``ask`` of
        ``iteration``; the GP's warm start belongs to the old latent space and goes."""
        schedule, done = self.strategy.retraining, self.latent.retrainings
        if schedule is None:
            return
        due = schedule.due(self.n_evaluated, done, force, observations=self.observations)
        if due <= done:
            return
        start, self.phase = time.perf_counter(), Phase.RETRAINING
        args = (self.latent, self.observations, self.run_storage, due, self.seed, self.options)
        fine_tuned = schedule.apply(*args, iteration=iteration, state=self.strategy_state)
        self.stats.n_retrainings += fine_tuned
        self._warm_start = None
        self.stats.vae_seconds += time.perf_counter() - start
        if fine_tuned:
            self._assess_vae()
        else:  # another process retrained it, and assessed it
            self.stats.vae_quality = self.run_storage.load_quality() or self.stats.vae_quality

    def _assess_vae(self) -> None:
        """Assess the VAE the search is in now (:func:`lsbo.models.assess_vae`), keep the
        assessment in the stats and the storage, and warn of each problem that the VAE
        before it did not have (:class:`lsbo.PoorVAEWarning`).

        A VAE as trained is assessed on the run's designs, with its validation split held
        out when its metadata tells it; a fine-tuned one on every design known so far,
        none held out."""
        model = self.latent.model
        if self.latent.retrainings:
            designs, held_out = self.latent.known_designs(self.observations)[0], None
        else:
            designs, held_out = self.designs, held_out_designs(model, self.designs)
        quality = assess_vae(
            model, designs, held_out, seed=self.seed, is_valid=self.objective.is_valid
        )
        before = self.stats.vae_quality[-1].problems() if self.stats.vae_quality else {}
        warn_if_poor(quality, known=list(before), stacklevel=3)  # Optimizer()'s caller
        self.stats.vae_quality = [*self.stats.vae_quality, quality]
        self.run_storage.save_quality(self.stats.vae_quality)

    def tell(
        self, proposal: Proposal | int, value: float | Evaluation | BaseException | None
    ) -> Record:
        """Record the outcome of a proposal; it is in storage before this returns.

        Args:
            proposal: A pending proposal from :meth:`ask` or :meth:`pending`, or its
                number (e.g. in a new process, after the evaluation took days).
            value: The score; or an :class:`Evaluation`; or an exception or ``None``
                (failed). NaN, infinite or non-numeric values are failed evaluations,
                never the best, never in the GP (unless ``options.failure_value``).

        Raises:
            LsboError: The proposal is not pending (told already, or not of this run).
        """
        number = proposal if isinstance(proposal, int) else proposal.number
        if number not in self.run_storage.pending:
            self.sync()
        record = self.run_storage.finish(number, as_evaluation(value))
        if record is None:  # another process finished it first (it had been taken for lost)
            self.sync()
            return next(r for r in self.history if r.number == number)
        self._add_record(record)
        return record

    def run(
        self,
        budget: int,
        callbacks: Sequence[Callback] = (),
        *,
        executor: Any = None,
        n_workers: int | None = None,
    ) -> OptimizationResult:
        """Evaluate designs until the run holds ``budget`` evaluations.

        The budget counts every evaluation of the run, by any process, so running a
        stopped run again with the same budget finishes it; proposals lost with a dead
        process go first. Failed evaluations count; invalid designs are never evaluated.

        Args:
            budget: Total number of objective evaluations of the run.
            callbacks: Called as ``callback(optimizer, record)`` after each evaluation.
                Evaluations that finish together are all stored before the first
                callback, so compare ``len(optimizer.history)`` with ``>=``, not ``==``.
                A callback that raises stops the run; everything finished is kept.
            executor: ``None`` (this thread, ``options.batch_size`` designs at a time),
                a ``concurrent.futures.Executor`` or a ``dask.distributed.Client`` (each
                design a task; a new one is proposed as soon as one finishes).
            n_workers: Evaluations in flight at once (default: the executor's workers).

        Raises:
            ObjectiveError: ``options.max_consecutive_failures`` evaluations in a row
                failed, or the objective returned a wrong number of values.
            KeyboardInterrupt: After storing everything finished and releasing what
                was in flight, so that a resumed run evaluates it at once.
        """
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise InvalidOptionError(f"budget must be an integer >= 1, got {budget!r}")
        if isinstance(self.objective, ExternalObjective):
            raise ObjectiveError(
                f"run {self.name!r} is evaluated outside lsbo, so it cannot run: ask for "
                "designs with ask(n, external=True) (or `lsbo ask`) and tell their values"
            )
        run_budget(self, budget, callbacks, executor, n_workers)
        return self.result()

    def result(self) -> OptimizationResult:
        """The history so far and its best design."""
        return OptimizationResult(
            history=list(self.history), maximize=self.maximize, stats=RunStats(**vars(self.stats)),
            model=self.model, name=self.name, invalid=list(self.gate.invalid),
            n_pending=self.run_storage.n_pending(), settings=dict(self.run_storage.run.settings),
        )  # fmt: skip


def _accepts(accept_changes: bool, resume: bool | None) -> bool:
    if resume is not None:
        warnings.warn(
            "Optimizer(resume=...) is deprecated: a stored run resumes by itself; pass "
            "accept_changes=True to continue it with changed settings",
            DeprecationWarning,
            stacklevel=3,
        )
    return accept_changes or bool(resume)
