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
from typing import Any

from botorch.models.model import Model
from linear_operator.utils.warnings import NumericalWarning

from lsbo.acquisition.trust_region import TrustRegionState
from lsbo.exceptions import InvalidOptionError, LsboError, ObjectiveError, SearchExhaustedError
from lsbo.execution import Evaluator
from lsbo.gate import ProposalGate, Step
from lsbo.latent_space import LatentSpace
from lsbo.models import VAE, fit_new_vae
from lsbo.objective import Evaluation, Objective, as_evaluation, as_objective
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
from lsbo.run_storage import RunStorage, open_run
from lsbo.settings import check_designs, check_scores, run_settings
from lsbo.storage import BudgetReached, RDBStorage, get_storage
from lsbo.strategies import SearchContext, Strategy, get_strategy
from lsbo.strategies.retraining import WeightedRetraining, fresh_schedule

Callback = Callable[["Optimizer", Record], None]


class Optimizer:
    """Latent-space Bayesian optimization with an ask/tell interface.

    Every proposal and outcome goes to a storage as it happens (in memory by default).
    With a file or database URL, a run survives its process: an Optimizer made again
    with the same ``storage`` and ``name`` continues the run, and several processes
    with the same ``storage`` and ``name`` share it, the database making sure that no
    design is evaluated twice.

    Args:
        objective: An :class:`lsbo.Objective` or a callable ``design -> float``.
        designs: Unlabeled training designs (strings, or 2-D arrays in [0, 1]).
        scores: Known values, one per design (``None`` for unscored ones); known
            designs are never evaluated again and cost no budget.
        model: A trained VAE to use instead of training one (its codec must accept the
            designs). A stored run's own VAE takes precedence.
        codec: Codec for a VAE lsbo trains (default: chosen from the designs).
        maximize: Direction for a plain function (default ``True``); an ``Objective``
            carries its own.
        options: Search and training settings.
        seed: Makes the run reproducible on CPU, resumed or not.
        storage: ``None`` (in memory), a file path, a database URL (see
            :func:`lsbo.storage.get_storage`) or an :class:`RDBStorage`.
        name: The run's name in the storage (default: a new name).
        accept_changes: Continue a stored run even if its settings differ from these
            (the new settings are then stored); without it, that is an error. A stored
            run resumes without it when its settings are the same.
        metadata: JSON-serializable information stored with the run's settings, not
            compared on resume (e.g. how to rebuild the objective in another process).
        strategy: A name from :data:`lsbo.STRATEGIES` or a :class:`lsbo.Strategy`
            (built-in or your own subclass). Default: plain.
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
        self.strategy = get_strategy(strategy)
        self.seed = int(seed)
        self.designs = check_designs(designs)
        given = check_scores(scores, len(self.designs))  # before the costly training
        self.storage = get_storage(storage)
        self.name = name or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        settings = run_settings(
            self.objective.name, self.maximize, self.seed, self.strategy, self.options,
            self.designs, given, metadata or {},
        )  # fmt: skip
        info = open_run(self.storage, self.name, settings, _accepts(accept_changes, resume))
        self._run = RunStorage(self.storage, info, self.options.dtype, self.options.stale_after)
        self.stats = RunStats.from_dict(info.stats)
        self._run.mark_saved(self.stats)
        self.latent = LatentSpace(
            self._load_or_train_model(model, codec),
            self.designs,
            self.options.bounds_margin,
            self.options.dtype,
        )
        self._retrainings = self.latent.retrainings
        self._warm_start = self._run.load_gp_state()
        self.observations = Observations(Direction.of(self.maximize), self.options.dtype)
        self.gate = ProposalGate(
            self.latent, self.objective, self._run, self.stats, self.options.reencode
        )
        self.history: list[Record] = []
        self.phase = Phase.IDLE  # what the optimizer is doing now, for progress displays
        self.notes: dict[str, Any] = {}  # what the strategy showed of its last step
        self._observe_given(given)
        self._sync()
        if self._retrainings:  # stored latents may predate the stored (retrained) VAE
            self.latent.refresh(self.observations)

    @property
    def maximize(self) -> bool:
        """Whether the objective is maximized (``False``: minimized)."""
        return self.objective.maximize

    @property
    def direction(self) -> Direction:
        """The objective's :class:`lsbo.records.Direction`."""
        return Direction.of(self.maximize)

    @property
    def model(self) -> VAE:
        """The VAE of the latent space the search is in now."""
        return self.latent.model

    @property
    def invalid(self) -> list[Record]:
        """Decoded designs that were not valid (never evaluated)."""
        return self.gate.invalid

    @property
    def region(self) -> Any:
        """The ``2 x d`` trust region of the last step, when the strategy keeps one."""
        return self.notes.get("region")

    @property
    def n_evaluated(self) -> int:
        """Evaluations in the run (complete or failed), from every process."""
        return len(self.history)

    # -- the model and the data ------------------------------------------------------

    def _load_or_train_model(self, model: VAE | None, codec: Any) -> VAE:
        stored = self._run.load_model()
        if stored is not None:
            return stored.to(self.options.device).eval()
        if model is not None:
            model.codec.encode(self.designs[:1])  # raises if the designs do not fit
            # fine-tuned here with a fresh schedule: the caller's model stays as it is
            model = model if self.strategy.retraining is None else fresh_schedule(model)
            model = model.to(self.options.device).eval()
        else:
            start = time.perf_counter()
            model, _ = fit_new_vae(
                self.designs, codec=codec, latent_dim=self.options.latent_dim,
                options=self.options.vae, seed=self.seed, device=self.options.device,
            )  # fmt: skip
            self.stats.vae_seconds += time.perf_counter() - start
        if not self._run.save_model(model, self.seed, replace=False):
            return self._load_or_train_model(None, None)  # another process stored one first
        return model

    def _observe_given(self, given: list[float | None]) -> None:
        known = [(d, v) for d, v in zip(self.designs, given, strict=True) if v is not None]
        if known:
            latents = self.latent.encode([design for design, _ in known])
            for (design, value), latent in zip(known, latents, strict=True):
                self.gate.seen.add(self.latent.digest(design))
                self.observations.add(design, value, latent, from_run=False)
        self.latent.refresh(self.observations)

    def _sync(self) -> None:
        """Take in what other processes (or earlier ones) stored since the last look."""
        synced = self._run.sync()
        self.gate.seen.update(synced.keys)
        for record in synced.records:
            self._add_record(record)

    def _add_record(self, record: Record) -> None:
        if record.status == ProposalState.INVALID:
            self.gate.invalid.append(record)
            return
        self.history.append(record)
        value = record.value if record.status == ProposalState.COMPLETE else self._failed_as()
        if value is not None:
            self.observations.add(record.design, value, record.latent, from_run=True)

    def _failed_as(self) -> float | None:
        failure = self.options.failure_value
        return self.observations.worst() if failure == "worst" else failure

    def pending(self) -> list[Proposal]:
        """Proposals asked but not told, by this optimizer or by other processes."""
        self._sync()
        return self._run.all_pending()

    # -- ask -----------------------------------------------------------------------

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
        iteration = self._run.next_iteration()
        step = Step(iteration, self.seed * 1_000_003 + iteration * 7919, budget)
        try:
            return self._propose(n, step)
        except BudgetReached:  # other processes filled the budget: keep what was stored
            return [p for p in self._run.pending.values() if p.iteration == iteration]
        finally:
            self._run.save_stats(self.stats)

    def _propose(self, n: int, step: Step) -> list[Proposal]:
        """Random training designs until a GP can be fitted, then the strategy's."""
        proposals: list[Proposal] = []
        n_random = max(0, self.options.n_initial - len(self.observations) - self._run.n_pending())
        n_random = n if len(self.observations) < 2 else n_random  # a GP needs two values
        if n_random:
            self.phase = Phase.SAMPLING
            proposals += self.gate.initial(min(n, n_random), step)
        if len(proposals) < n:
            self._maybe_retrain()
            proposals += self._search(n - len(proposals), step)
        return proposals

    def _search(self, n: int, step: Step) -> list[Proposal]:
        """The strategy's proposals; a retraining strategy whose latent space decodes
        only to invalid or seen designs retrains at once and tries again."""
        try:
            return self._search_once(n, step)
        except SearchExhaustedError:
            if self.strategy.retraining is None:
                raise
            self._maybe_retrain(force=True)  # a fine-tuned decoder makes other designs
            return self._search_once(n, step)

    def _search_once(self, n: int, step: Step) -> list[Proposal]:
        context, start = self.context(step), time.perf_counter()
        self.phase = Phase.SAMPLING
        with warnings.catch_warnings():
            # near-duplicate latent points (re-encoded designs) make GPyTorch add a tiny
            # jitter to the kernel matrix: expected, and no news to a user
            warnings.simplefilter("ignore", NumericalWarning)
            proposals: list[Proposal] = []
            for _ in range(self.strategy.rounds(self.options)):
                wanted = n - len(proposals)
                points = self.strategy.propose(context, wanted)
                proposals += self.gate.accept(
                    points, self.strategy.source, wanted, step, context.rejected
                )
                if len(proposals) == n:
                    break
                context = context.next_round()
            ranking = self.strategy.ranking(context) if len(proposals) < n else None
            if ranking is not None:
                proposals += self.gate.fallback(
                    ranking, self.observations, n - len(proposals), step
                )
        if context.fitted:
            self.stats.surrogate_seconds += time.perf_counter() - start
        self.notes = context.notes
        return self.gate.last_resort(proposals, n, step, self.strategy.exhausted)

    def context(self, step: Step | None = None) -> SearchContext:
        """What the strategy sees at ``step`` (default: a step with the run's seed)."""
        step = step or Step(0, self.seed * 1_000_003)
        return SearchContext(
            latent=self.latent, observations=self.observations, history=self.history,
            options=self.options, seed=step.seed, run_seed=self.seed,
            batch_size=self.options.batch_size, fit=self._fit_surrogate,
            pending=self._run.pending_points,
        )  # fmt: skip

    def _fit_surrogate(self) -> Model:
        """The GP of this step, warm-started from the last one's hyperparameters."""
        self.phase = Phase.FITTING
        options = self.options
        gp, self._warm_start = self.observations.fit_surrogate(
            self.latent.bounds, max_gp_points=options.max_gp_points,
            variational_above=options.variational_above, num_inducing=options.num_inducing,
            seed=self.seed, warm_start=self._warm_start,
        )  # fmt: skip
        self._run.save_gp_state(self._warm_start)
        return gp

    def trust_region(self) -> TrustRegionState | None:
        """The trust region's state now (``None`` unless the strategy keeps one),
        rebuilt from the history, so a resumed run has the region it had."""
        state = getattr(self.strategy, "state", None)
        return None if state is None else state(self.context())

    # -- retraining ----------------------------------------------------------------

    def _maybe_retrain(self, force: bool = False) -> None:
        """Fine-tune the VAE when the schedule says so (or ``force``), then move
        everything into the new latent space (the GP's warm start is dropped)."""
        schedule = self.strategy.retraining
        due = 0 if schedule is None else schedule.due(self.n_evaluated, self._retrainings, force)
        if schedule is None or due <= self._retrainings:
            return
        start, self.phase = time.perf_counter(), Phase.RETRAINING
        stored = None if self._run.in_memory else self._run.load_model()
        if stored is not None and stored.metadata.get("retrainings", 0) >= due:
            model = stored.to(self.options.device).eval()  # another process retrained
            self.latent.set_model(model, self.observations)
        else:
            self._retrain(schedule, due)
        self._retrainings = int(self.latent.model.metadata.get("retrainings", due))
        self._warm_start = None  # hyperparameters of another latent space
        self.stats.vae_seconds += time.perf_counter() - start

    def _retrain(self, schedule: WeightedRetraining, due: int) -> None:
        model = self.latent.model
        designs, values = self.latent.known_designs(self.observations)
        schedule.retrain(model, designs, values, due, self.seed, self.options.vae)
        self.latent.refresh(self.observations, extend_bounds=True)
        model.metadata = {**model.metadata, "bounds": self.latent.bounds.tolist()}
        self._run.save_model(model, self.seed)
        self.stats.n_retrainings += 1

    # -- tell ----------------------------------------------------------------------

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
        if number not in self._run.pending:
            self._sync()
        if not self._run.adopt(number):
            raise LsboError(
                f"proposal {number} is not pending in run {self.name!r}: it was already "
                "told, or comes from another run"
            )
        outcome = as_evaluation(value)
        told = self._run.finish(number, outcome)
        if told is None:  # another process finished it first (it had been taken for lost)
            self._sync()
            return next(r for r in self.history if r.number == number)
        record = Record(
            number, told.design, outcome.value, ProposalState(outcome.status), outcome.message,
            told.iteration, told.source, told.latent, outcome.duration,
        )  # fmt: skip
        self._add_record(record)
        return record

    # -- run -----------------------------------------------------------------------

    def run(
        self,
        budget: int,
        callbacks: Sequence[Callback] = (),
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
            self.objective, executor, n_workers, self.options.evaluation_timeout,
            self.options.batch_size, design=lambda proposal: proposal.design,
        )  # fmt: skip
        try:
            with self._run.heartbeats():
                failures = 0
                while self._refill(evaluator, budget):
                    failures = self._collect(evaluator, callbacks, failures)
        except BaseException:
            evaluator.cancel()  # what is in flight is given back: a resumed run does it
            self._run.release()
            raise
        finally:
            self.phase = Phase.IDLE
            self._run.save_stats(self.stats)
        return self.result()

    def _refill(self, evaluator: Evaluator[Proposal], budget: int) -> bool:
        """Hand new proposals (lost ones first) to free workers; ``False`` when done."""
        while True:
            self._sync()
            wanted = min(evaluator.free_slots, self._remaining(budget))
            if wanted > 0:
                claimed, abandoned = self._run.claim_stale(wanted)
                for proposal, attempts in abandoned:
                    message = f"abandoned: its worker stopped {attempts} times evaluating it"
                    self.tell(proposal, Evaluation(None, "failed", message))
                more = min(evaluator.free_slots - len(claimed), self._remaining(budget))
                evaluator.submit(claimed + (self._ask(more, budget) if more > 0 else []))
            if evaluator.in_flight:
                return True
            if self._remaining(budget) <= 0:
                return False  # done, or the rest is in the hands of other processes
            time.sleep(0.1)

    def _collect(
        self, evaluator: Evaluator[Proposal], callbacks: Sequence[Callback], failures: int
    ) -> int:
        """Store the evaluations that finish next, then run the callbacks; returns the
        failures in a row so far."""
        start, self.phase = time.perf_counter(), Phase.EVALUATING
        outcomes = evaluator.wait(poll=self._run.heartbeat_interval())
        self.stats.objective_seconds += time.perf_counter() - start
        # every finished evaluation is stored before any callback runs: a callback
        # that stops the run (Ctrl-C, a failure limit) must not lose the others
        records = [self.tell(proposal, evaluation) for proposal, evaluation in outcomes]
        streak = 0
        for record in records:
            failures = failures + 1 if record.status == ProposalState.FAILED else 0
            streak = max(streak, failures)
            for callback in callbacks:
                callback(self, record)
        limit = self.options.max_consecutive_failures
        if limit is not None and streak >= limit:
            last = next(r for r in reversed(records) if r.status == ProposalState.FAILED)
            raise ObjectiveError(
                f"stopped after {streak} failed evaluations in a row; the last one: "
                f"{last.message}. Every evaluation so far is stored: fix the objective "
                "and run again to continue"
            )
        return failures

    def _remaining(self, budget: int) -> int:
        """Evaluations still to start: the budget less those done and those running
        (here or in live processes; lost ones are still to do)."""
        return budget - len(self.history) - len(self._run.pending) - self._run.n_live()

    def result(self) -> OptimizationResult:
        """The history so far and its best design."""
        return OptimizationResult(
            history=list(self.history), maximize=self.maximize, stats=RunStats(**vars(self.stats)),
            model=self.model, name=self.name, invalid=list(self.invalid),
            n_pending=self._run.n_pending(), settings=dict(self._run.run.settings),
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
