"""Evaluating proposals: in the calling thread, on threads, processes or a Dask cluster.

The optimizer hands proposals to an :class:`Evaluator` and collects outcomes as they
finish, in any order. With an executor, each proposal is its own task, so a new
proposal can be made the moment any worker frees up (asynchronous batch BO). Any
``concurrent.futures.Executor`` works, and so does a ``dask.distributed.Client``.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from lsbo.exceptions import InvalidOptionError, LsboError, ObjectiveError
from lsbo.objective import Evaluation, Objective

T = TypeVar("T")


class DaemonThreadExecutor(cf.Executor):
    """Runs each task at once on a new daemon thread.

    Unlike ``ThreadPoolExecutor``, a task that hangs forever neither blocks the
    interpreter from exiting nor keeps a pool thread: once the optimizer gives up on
    it (``evaluation_timeout``), the thread is abandoned and a new one takes the slot.
    For the same reason nothing is queued: ``max_workers`` is the number of
    evaluations the optimizer keeps in flight, and ``submit`` itself does not wait
    for a slot (``map`` starts every task at once).

    Args:
        max_workers: Evaluations in flight at once, for the optimizer.
    """

    def __init__(self, max_workers: int = 1) -> None:
        if max_workers < 1:
            raise InvalidOptionError(f"max_workers must be >= 1, got {max_workers}")
        self._max_workers = max_workers

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> cf.Future[T]:
        """Run ``fn(*args, **kwargs)`` on a new daemon thread; returns its future."""
        future: cf.Future[T] = cf.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="lsbo-evaluation", daemon=True).start()
        return future


def as_executor(executor: Any) -> tuple[cf.Executor, int | None]:
    """A ``concurrent.futures.Executor`` and its number of workers (if known).

    A ``dask.distributed.Client`` becomes its ``concurrent.futures`` view, with as many
    workers as the cluster has threads.
    """
    if hasattr(executor, "get_executor") and hasattr(executor, "nthreads"):  # dask Client
        n = sum(executor.nthreads().values())
        return executor.get_executor(pure=False), max(n, 1)
    if not isinstance(executor, cf.Executor):
        raise InvalidOptionError(
            f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, "
            f"not {type(executor).__name__}"
        )
    return executor, getattr(executor, "_max_workers", None)


@dataclass
class _Task(Generic[T]):
    items: list[T]
    future: cf.Future[list[Evaluation]] | None  # None: evaluated inline when waited on
    started: float = field(default_factory=time.monotonic)


class Evaluator(Generic[T]):
    """Keeps evaluations in flight and returns their outcomes as they finish.

    Args:
        objective: Scores a list of designs, one :class:`Evaluation` each.
        executor: Where tasks run; ``None`` evaluates in the calling thread (one batch
            at a time) unless ``timeout`` is set, which needs a thread to give up on.
        n_workers: Evaluations in flight at once (default: the executor's workers, or
            ``batch_size`` without executor).
        timeout: Seconds after which an evaluation is recorded as failed, counted
            from its submission. Only a thread of a :class:`DaemonThreadExecutor` is
            simply abandoned; a ``ThreadPoolExecutor`` or ``ProcessPoolExecutor``
            worker stays busy until the objective returns, so evaluations queued
            behind it may time out without having started.
        batch_size: Designs per task without an executor (an objective may score a
            batch faster than its designs one by one).
        design: How to get the design out of an item.
    """

    def __init__(
        self,
        objective: Objective,
        executor: Any = None,
        n_workers: int | None = None,
        timeout: float | None = None,
        batch_size: int = 1,
        design: Callable[[T], Any] = lambda item: item,
    ) -> None:
        self.objective = objective
        self.timeout = timeout
        self._design = design
        self._tasks: list[_Task[T]] = []
        self._failing = False  # an ObjectiveError waits to be raised by the next wait()
        self.batched = executor is None
        if executor is None and timeout is not None:
            executor = DaemonThreadExecutor(1)
        self.executor: cf.Executor | None = None
        known = None
        if executor is not None:
            self.executor, known = as_executor(executor)
        default = batch_size if self.batched else known or 1
        self.capacity = default if n_workers is None else n_workers
        if self.capacity < 1:
            raise InvalidOptionError(f"n_workers must be >= 1, got {self.capacity}")

    @property
    def in_flight(self) -> list[T]:
        """Items submitted and not yet returned by :meth:`wait`."""
        return [item for task in self._tasks for item in task.items]

    @property
    def free_slots(self) -> int:
        """How many more items may be submitted now (0 while the objective is failing)."""
        return 0 if self._failing else self.capacity - len(self.in_flight)

    def submit(self, items: Sequence[T]) -> None:
        """Start evaluating ``items`` (as one batch without executor, else one task each).

        Raises:
            LsboError: The executor takes no more tasks (shut down, or a process pool
                whose worker died); the items not yet started are not in flight.
        """
        groups = [list(items)] if self.batched else [[item] for item in items]
        for group in groups:
            designs = [self._design(item) for item in group]
            future = None if self.executor is None else self._start(designs)
            self._tasks.append(_Task(group, future))

    def _start(self, designs: list[Any]) -> cf.Future[list[Evaluation]]:
        assert self.executor is not None
        try:
            return self.executor.submit(self.objective, designs)
        except (cf.BrokenExecutor, RuntimeError) as exc:  # RuntimeError: after shutdown
            raise LsboError(
                f"the executor takes no more evaluations ({type(exc).__name__}: {exc}); "
                "proposals not evaluated stay pending: run again with a working executor "
                "to evaluate them"
            ) from exc

    def wait(self, poll: float | None = None) -> list[tuple[T, Evaluation]]:
        """Outcomes of the tasks that finish first; blocks for at least one, or ``poll`` s.

        Raises:
            ObjectiveError: The objective returned a wrong number of values; raised
                once no other finished outcome is left to return, so none is lost.
        """
        if not self._tasks:
            return []
        inline = [task for task in self._tasks if task.future is None]
        if inline:
            task = inline[0]
            self._tasks.remove(task)
            evaluations = self.objective([self._design(item) for item in task.items])
            return list(zip(task.items, evaluations, strict=True))
        cf.wait(
            [task.future for task in self._tasks if task.future is not None],
            timeout=self._wait_time(poll),
            return_when=cf.FIRST_COMPLETED,
        )
        return self._collect()

    def _collect(self) -> list[tuple[T, Evaluation]]:
        """Outcomes of the tasks done or timed out; an ObjectiveError only if none is."""
        outcomes: list[tuple[T, Evaluation]] = []
        error: ObjectiveError | None = None
        for task in list(self._tasks):
            try:
                outcome = self._outcome(task)
            except ObjectiveError as exc:
                error = error or exc  # the task stays: the next call raises it again
                continue
            if outcome is not None:
                self._tasks.remove(task)
                outcomes += zip(task.items, outcome, strict=True)
        if error is not None and not outcomes:
            raise error
        self._failing = error is not None  # take no new task: the run is about to stop
        return outcomes

    def _wait_time(self, poll: float | None) -> float | None:
        if self.timeout is None:
            return poll
        now = time.monotonic()
        left = min(task.started + self.timeout - now for task in self._tasks)
        return max(0.0, left if poll is None else min(left, poll))

    def _outcome(self, task: _Task[T]) -> list[Evaluation] | None:
        assert task.future is not None
        if task.future.done():
            try:
                return task.future.result()
            except ObjectiveError:
                raise
            except BaseException as exc:  # a dead worker, a cancelled or unpicklable task
                message = f"evaluation did not finish: {type(exc).__name__}: {exc}"
                return [Evaluation(None, "failed", message)] * len(task.items)
        if self.timeout is not None and time.monotonic() - task.started >= self.timeout:
            task.future.cancel()  # frees a queued task; a running thread is abandoned
            message = f"timed out after {self.timeout:g} s (evaluation_timeout)"
            return [Evaluation(None, "failed", message, self.timeout)] * len(task.items)
        return None

    def cancel(self) -> list[T]:
        """Stop waiting for every task in flight; return their items."""
        items = self.in_flight
        for task in self._tasks:
            if task.future is not None:
                task.future.cancel()
        self._tasks.clear()
        return items
