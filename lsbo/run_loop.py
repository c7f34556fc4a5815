"""Running a budget: keep the workers busy, store each outcome, run the callbacks.

:meth:`lsbo.Optimizer.run` is a thin loop over ask and tell (as Optuna's ``optimize``):
lost proposals of dead processes first, then new ones from ``ask``, handed to an
:class:`lsbo.execution.Evaluator`; every finished evaluation is stored before any
callback runs, and whatever is still in flight when the run stops is released so that
a resumed run evaluates it at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from lsbo.exceptions import ObjectiveError
from lsbo.execution import Evaluator
from lsbo.objective import Evaluation
from lsbo.records import Phase, Proposal, ProposalState, Record

if TYPE_CHECKING:
    from lsbo.optimizer import Optimizer

Callback = Callable[["Optimizer", Record], None]


def run_budget(
    optimizer: Optimizer,
    budget: int,
    callbacks: Sequence[Callback],
    executor: Any,
    n_workers: int | None,
) -> None:
    """Evaluate until the run holds ``budget`` evaluations (see :meth:`Optimizer.run`)."""
    options, stored = optimizer.options, optimizer.run_storage
    stored.storage.update_run(stored.id, budget=budget)
    evaluator: Evaluator[Proposal] = Evaluator(
        optimizer.objective,
        executor,
        n_workers,
        options.evaluation_timeout,
        options.batch_size,
        design=lambda proposal: proposal.design,
    )
    try:
        with stored.heartbeats():
            failures = 0
            while _refill(optimizer, evaluator, budget):
                failures = _collect(optimizer, evaluator, callbacks, failures)
    except BaseException:
        evaluator.cancel()  # what is in flight is given back: a resumed run does it
        stored.release()
        raise
    finally:
        optimizer.phase = Phase.IDLE
        stored.save_stats(optimizer.stats)


def remaining(optimizer: Optimizer, budget: int) -> int:
    """Evaluations still to start: the budget less those done and those running (here
    or in live processes; lost ones are still to do)."""
    stored = optimizer.run_storage
    return budget - optimizer.n_evaluated - len(stored.pending) - stored.n_live()


def _refill(optimizer: Optimizer, evaluator: Evaluator[Proposal], budget: int) -> bool:
    """Hand proposals (lost ones first) to the free workers; ``False`` when done."""
    while True:
        optimizer.sync()
        wanted = min(evaluator.free_slots, remaining(optimizer, budget))
        if wanted > 0:
            claimed, abandoned = optimizer.run_storage.claim_stale(wanted)
            for proposal, attempts in abandoned:
                message = f"abandoned: its worker stopped {attempts} times evaluating it"
                optimizer.tell(proposal, Evaluation(None, "failed", message))
            more = min(evaluator.free_slots - len(claimed), remaining(optimizer, budget))
            evaluator.submit(claimed + (optimizer.ask(more, budget=budget) if more > 0 else []))
        if evaluator.in_flight:
            return True
        if remaining(optimizer, budget) <= 0:
            return False  # done, or the rest is in the hands of other processes
        time.sleep(0.1)


def _collect(
    optimizer: Optimizer,
    evaluator: Evaluator[Proposal],
    callbacks: Sequence[Callback],
    failures: int,
) -> int:
    """Store the evaluations that finish next, then run the callbacks.

    Returns:
        Failed evaluations in a row so far.

    Raises:
        ObjectiveError: ``options.max_consecutive_failures`` in a row failed.
    """
    start, optimizer.phase = time.perf_counter(), Phase.EVALUATING
    outcomes = evaluator.wait(poll=optimizer.run_storage.heartbeat_interval())
    optimizer.stats.objective_seconds += time.perf_counter() - start
    # every finished evaluation is stored before any callback runs: a callback that
    # stops the run (Ctrl-C, a failure limit) must not lose the others
    records = [optimizer.tell(proposal, evaluation) for proposal, evaluation in outcomes]
    streak = 0
    for record in records:
        failures = failures + 1 if record.status == ProposalState.FAILED else 0
        streak = max(streak, failures)
        for callback in callbacks:
            callback(optimizer, record)
    limit = optimizer.options.max_consecutive_failures
    if limit is not None and streak >= limit:
        last = next(r for r in reversed(records) if r.status == ProposalState.FAILED)
        raise ObjectiveError(
            f"stopped after {streak} failed evaluations in a row; the last one: "
            f"{last.message}. Every evaluation so far is stored: fix the objective and "
            "run again to continue"
        )
    return failures
