"""Evaluation on threads, processes and a Dask cluster: every result arrives, once."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools
import logging
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from lsbo import Evaluation, FunctionObjective, Objective, Optimizer, OptimizerOptions
from lsbo.exceptions import InvalidOptionError, LsboError, ObjectiveError
from lsbo.execution import DaemonThreadExecutor, Evaluator, as_executor

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
# a task lost by the cluster becomes a failed record after this long instead of a hang
ON_DASK = dataclasses.replace(FAST, evaluation_timeout=20.0)


def count_a(design: str) -> float:
    return float(design.count("a"))


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def check_each_evaluated_once(result, budget: int) -> None:
    numbers = [r.number for r in result.history]
    designs = [r.design for r in result.history]
    assert len(result.history) == budget
    assert len(set(numbers)) == budget
    assert len(set(designs)) == budget
    assert result.n_pending == 0


class Gated(Objective):
    """Scores a design by its length once the test opens the design's gate."""

    batch_size = 1

    def __init__(self, *designs: str) -> None:
        self.gates = {design: threading.Event() for design in designs}
        self.started: list[str] = []

    def _evaluate(self, designs):
        self.started.append(designs[0])
        assert self.gates[designs[0]].wait(10), "the test never opened this gate"
        return [float(len(designs[0]))]


class Batches(Objective):
    """Counts 'a's and remembers each batch it was given, and on which thread."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.threads: list[threading.Thread] = []

    def _evaluate(self, designs):
        self.batches.append(list(designs))
        self.threads.append(threading.current_thread())
        return [count_a(design) for design in designs]


class Miscounts(Objective):
    """A buggy objective: no value at all for the design "bad"."""

    def _evaluate(self, designs):
        return [] if designs == ["bad"] else [count_a(design) for design in designs]


def exit_process(design: str) -> float:
    os._exit(1)


# -- Evaluator, DaemonThreadExecutor, as_executor -----------------------------------------


def test_outcomes_arrive_in_the_order_evaluations_finish():
    objective = Gated("a", "bb", "ccc")
    evaluator = Evaluator(objective, DaemonThreadExecutor(3))
    evaluator.submit(["a", "bb", "ccc"])
    assert wait_until(lambda: len(objective.started) == 3), "not all three ran at once"
    finished = []
    for design in ["bb", "ccc", "a"]:
        objective.gates[design].set()
        finished += evaluator.wait(poll=5)
    assert [(design, e.status, e.value) for design, e in finished] == [
        ("bb", "complete", 2.0),
        ("ccc", "complete", 3.0),
        ("a", "complete", 1.0),
    ]
    assert evaluator.wait() == []  # nothing left: returns at once


def test_free_slots_count_the_evaluations_in_flight():
    objective = Gated("a", "bb")
    evaluator = Evaluator(objective, DaemonThreadExecutor(3))
    assert evaluator.capacity == evaluator.free_slots == 3
    evaluator.submit(["a", "bb"])
    assert (evaluator.in_flight, evaluator.free_slots) == (["a", "bb"], 1)
    objective.gates["a"].set()
    assert [design for design, _ in evaluator.wait(poll=5)] == ["a"]
    assert (evaluator.in_flight, evaluator.free_slots) == (["bb"], 2)
    objective.gates["bb"].set()
    assert [design for design, _ in evaluator.wait(poll=5)] == ["bb"]
    assert evaluator.free_slots == 3


def test_capacity_is_the_executors_workers_unless_n_workers_says_otherwise():
    objective = FunctionObjective(count_a)
    with cf.ThreadPoolExecutor(4) as pool:
        assert as_executor(pool) == (pool, 4)
        assert Evaluator(objective, pool).capacity == 4
        assert Evaluator(objective, pool, n_workers=2).capacity == 2
        with pytest.raises(InvalidOptionError, match="n_workers must be >= 1, got 0"):
            Evaluator(objective, pool, n_workers=0)
    with cf.ProcessPoolExecutor(2) as processes:  # starts no process until a task comes
        assert Evaluator(objective, processes).capacity == 2
    assert Evaluator(objective, batch_size=5).capacity == 5  # one batch, in this thread


def test_without_executor_a_batch_is_scored_in_one_call_on_this_thread():
    objective = Batches()
    evaluator = Evaluator(objective, batch_size=3)
    evaluator.submit(["a", "ab", "aab"])
    assert objective.batches == []  # evaluated when waited on
    outcomes = evaluator.wait()
    assert objective.batches == [["a", "ab", "aab"]]
    assert objective.threads == [threading.current_thread()]
    assert [(design, e.value) for design, e in outcomes] == [("a", 1.0), ("ab", 1.0), ("aab", 2.0)]


def test_daemon_thread_executor_starts_every_task_at_once_on_a_daemon_thread():
    release = threading.Event()
    running: list[bool] = []

    def task(i: int) -> int:
        running.append(threading.current_thread().daemon)
        if i == 3:
            raise ValueError("task 3 fails")
        release.wait(5)
        return i

    executor = DaemonThreadExecutor(2)
    futures = [executor.submit(task, i) for i in range(4)]
    try:
        # more than max_workers at once: it never queues, so a hung task takes no slot
        assert wait_until(lambda: len(running) == 4)
        assert all(running)
    finally:
        release.set()
    assert [f.result(timeout=5) for f in futures[:3]] == [0, 1, 2]
    assert isinstance(futures[3].exception(timeout=5), ValueError)
    with pytest.raises(InvalidOptionError, match="max_workers"):
        DaemonThreadExecutor(0)


@pytest.mark.parametrize("executor", [None, DaemonThreadExecutor(2)], ids=["own", "given"])
def test_an_evaluation_past_the_timeout_fails_without_waiting_for_it(executor):
    release = threading.Event()
    hanging: list[threading.Thread] = []

    def hangs(design: str) -> float:
        if design == "hang":
            hanging.append(threading.current_thread())
            release.wait(60)
        return count_a(design)

    evaluator = Evaluator(FunctionObjective(hangs), executor, timeout=0.3)
    assert isinstance(evaluator.executor, DaemonThreadExecutor)  # a thread to give up on
    start = time.monotonic()
    try:
        evaluator.submit(["hang"])
        evaluator.submit(["aa"])
        outcomes: dict[str, Evaluation] = {}
        while evaluator.in_flight:
            outcomes.update(evaluator.wait(poll=5))
        elapsed = time.monotonic() - start
        # given up on, not waited for: the thread still hangs, and cannot keep Python alive
        assert [(t.is_alive(), t.daemon) for t in hanging] == [(True, True)]
    finally:
        release.set()
    assert outcomes["aa"].status == "complete" and outcomes["aa"].value == 2.0
    hung = outcomes["hang"]
    assert (hung.status, hung.value, hung.duration) == ("failed", None, 0.3)
    assert "timed out after 0.3 s" in hung.message
    assert elapsed < 10


def test_a_task_that_raises_gives_a_failed_evaluation():
    # a dead worker process: the future raises BrokenProcessPool, not an ObjectiveError
    with cf.ProcessPoolExecutor(1) as pool:
        evaluator = Evaluator(FunctionObjective(exit_process), pool)
        evaluator.submit(["a"])
        [(design, evaluation)] = evaluator.wait(poll=30)
    assert (design, evaluation.status, evaluation.value) == ("a", "failed", None)
    assert evaluation.message.startswith("evaluation did not finish: BrokenProcessPool")


@pytest.mark.parametrize("kind", ["inline", "thread", "process"])
def test_an_objective_error_is_raised_not_recorded(kind):
    executor = {
        "inline": None,
        "thread": DaemonThreadExecutor(1),
        "process": cf.ProcessPoolExecutor(1),
    }[kind]
    try:
        evaluator = Evaluator(Miscounts(), executor)
        evaluator.submit(["bad"])
        with pytest.raises(ObjectiveError, match="returned 0 values for 1 designs"):
            evaluator.wait(poll=30)
    finally:
        if executor is not None:
            executor.shutdown()


def test_an_objective_error_waits_until_outcomes_finished_with_it_are_returned():
    with cf.ThreadPoolExecutor(2) as pool:
        evaluator = Evaluator(Miscounts(), pool)
        evaluator.submit(["bad", "aa"])
    # both have finished (the pool has shut down): "aa" must not be lost to the error
    assert [(design, e.value) for design, e in evaluator.wait(poll=5)] == [("aa", 2.0)]
    assert evaluator.free_slots == 0  # no new work for a run that is about to stop
    with pytest.raises(ObjectiveError):
        evaluator.wait(poll=5)


def test_an_executor_that_takes_no_more_tasks_is_an_lsbo_error():
    pool = cf.ThreadPoolExecutor(1)
    pool.shutdown()
    evaluator = Evaluator(FunctionObjective(count_a), pool)
    with pytest.raises(LsboError, match=r"executor takes no more evaluations.*run again"):
        evaluator.submit(["a"])
    assert evaluator.in_flight == []


@pytest.mark.parametrize("executor", ["threads", 4, cf.Future()])
def test_an_executor_that_is_not_one_is_refused(executor):
    with pytest.raises(InvalidOptionError, match=r"concurrent\.futures\.Executor or a dask"):
        as_executor(executor)
    with pytest.raises(InvalidOptionError):
        Evaluator(FunctionObjective(count_a), executor)


# -- Optimizer.run on threads and processes ------------------------------------------------


def test_threads_propose_a_new_design_as_soon_as_one_finishes(strings, string_vae):
    lock = threading.Lock()
    calls: list[str] = []

    def first_is_slow(design: str) -> float:
        with lock:
            calls.append(design)
            first = len(calls) == 1
        time.sleep(2.0 if first else 0.05)
        return count_a(design)

    optimizer = Optimizer(first_is_slow, strings, model=string_vae, options=FAST)
    with cf.ThreadPoolExecutor(3) as pool:
        result = optimizer.run(8, executor=pool)
    check_each_evaluated_once(result, 8)
    assert sorted(calls) == sorted(r.design for r in result.history)
    assert all(r.status == "complete" and r.value == count_a(r.design) for r in result.history)
    slow = next(r for r in result.history if r.design == calls[0])
    # proposed after the slow one was sent out and scored before it came back: a loop
    # that waits for its whole batch before asking again cannot do that
    overtaking = result.history[: result.history.index(slow)]
    assert any(r.iteration > slow.iteration for r in overtaking)


def score_in_child(design: str, parent: int) -> float:
    if os.getpid() == parent:
        raise RuntimeError("scored in the optimizer's own process")
    return count_a(design)


def test_a_process_pool_scores_every_design_once(strings, string_vae):
    objective = functools.partial(score_in_child, parent=os.getpid())
    optimizer = Optimizer(objective, strings, model=string_vae, options=FAST)
    with cf.ProcessPoolExecutor(2) as pool:
        result = optimizer.run(8, executor=pool)
    check_each_evaluated_once(result, 8)
    assert all(r.status == "complete" and r.value == count_a(r.design) for r in result.history)


def test_a_dead_process_pool_stops_the_run_and_a_resumed_run_finishes_it(
    strings, string_vae, tmp_path
):
    objective = functools.partial(dies_the_first_time, log_dir=str(tmp_path))
    optimizer = Optimizer(objective, strings, model=string_vae, options=FAST)
    with (
        cf.ProcessPoolExecutor(2) as pool,
        pytest.raises(LsboError, match="executor takes no more evaluations"),
    ):
        optimizer.run(8, executor=pool)
    # the pool's death ends the evaluations it held: failed with a message, or still
    # pending (not collected yet), in which case the resumed run evaluates them
    failed = [r for r in optimizer.history if r.status == "failed"]
    assert all("BrokenProcessPool" in r.message for r in failed)
    resumed = Optimizer(
        objective,
        strings,
        model=string_vae,
        options=FAST,
        storage=optimizer.storage,
        name=optimizer.name,
    )
    left = {p.number for p in resumed.pending()}
    with cf.ThreadPoolExecutor(2) as pool:
        result = resumed.run(8, executor=pool)
    check_each_evaluated_once(result, 8)
    assert left <= {r.number for r in result.history}
    assert (tmp_path / "killed").read_text() in {r.design for r in result.history}
    assert all(r.value == count_a(r.design) for r in result.history if r.status == "complete")


class Stop(Exception):
    pass


def stop_at_the_third(optimizer, record):
    # evaluations that finish together are stored before any callback: the history
    # can go from two to four records between two callbacks
    if len(optimizer.history) >= 3:
        raise Stop


def test_a_stopped_run_still_knows_the_proposals_it_released(strings, string_vae):
    calls: list[str] = []

    def first_is_slow(design: str) -> float:
        calls.append(design)
        time.sleep(1.0 if design == calls[0] else 0.0)
        return count_a(design)

    optimizer = Optimizer(first_is_slow, strings, model=string_vae, options=FAST)
    with pytest.raises(Stop):
        optimizer.run(8, callbacks=[stop_at_the_third], executor=DaemonThreadExecutor(3))
    released = Optimizer(
        first_is_slow,
        strings,
        model=string_vae,
        options=FAST,
        storage=optimizer.storage,
        name=optimizer.name,
    ).pending()
    assert calls[0] in {p.design for p in released}  # in flight when the run stopped
    assert [p.number for p in optimizer.pending()] == [p.number for p in released]
    result = optimizer.run(8, executor=DaemonThreadExecutor(3))  # and it finishes them
    assert len(result.history) == 8 and len({r.design for r in result.history}) == 8
    assert calls[0] in {r.design for r in result.history}


def test_an_evaluation_past_the_timeout_is_recorded_as_failed_and_the_run_goes_on(
    strings, string_vae
):
    release = threading.Event()
    lock = threading.Lock()
    calls: list[str] = []
    hanging: list[threading.Thread] = []

    def second_and_fourth_hang(design: str) -> float:
        with lock:
            calls.append(design)
            n = len(calls)
        if n in (2, 4):
            hanging.append(threading.current_thread())
            release.wait(120)
        return count_a(design)

    options = dataclasses.replace(FAST, evaluation_timeout=0.5)
    optimizer = Optimizer(second_and_fourth_hang, strings, model=string_vae, options=options)
    try:
        result = optimizer.run(8)  # no executor: each evaluation gets a daemon thread
        # the run ended while both still hang: it gave up on them instead of waiting
        assert [t.is_alive() for t in hanging] == [True, True]
    finally:
        release.set()
    check_each_evaluated_once(result, 8)
    failed = {r.design: r for r in result.history if r.status == "failed"}
    assert set(failed) == {calls[1], calls[3]}
    assert all("timed out after 0.5 s" in r.message for r in failed.values())
    assert all(r.value == count_a(r.design) for r in result.history if r.design not in failed)


# -- Optimizer.run on a Dask cluster ---------------------------------------------------------


def score_on_worker(design: str, log_dir: str) -> float:
    """Count 'a's, leaving a file named after the design and the process."""
    Path(log_dir, f"{design}.{os.getpid()}").touch()
    time.sleep(0.1)
    return count_a(design)


def dies_the_first_time(design: str, log_dir: str) -> float:
    """Kill the worker process at the first evaluation of all; score the others."""
    try:
        marker = os.open(Path(log_dir, "killed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return score_on_worker(design, log_dir)
    os.write(marker, design.encode())
    os.close(marker)
    time.sleep(0.2)
    os._exit(1)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import cloudpickle
    import dask

    # the workers cannot import this test module: its functions travel by value
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    with dask.config.set({"distributed.comm.timeouts.connect": "10s"}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,  # a killed worker is expected here
        )
        client = distributed.Client(cluster, timeout="30s")
    try:
        yield client
    finally:
        client.close(timeout=10)
        cluster.close(timeout=10)
        cloudpickle.unregister_pickle_by_value(module)


def logged(log_dir: Path) -> list[tuple[str, int]]:
    """(design, pid) of each evaluation that ``score_on_worker`` saw through."""
    names = [path.name.rsplit(".", 1) for path in log_dir.iterdir() if path.name != "killed"]
    return [(design, int(pid)) for design, pid in names]


def test_a_dask_cluster_scores_every_design_once(dask_client, strings, string_vae, tmp_path):
    executor, n_workers = as_executor(dask_client)
    assert isinstance(executor, cf.Executor) and n_workers == 2
    objective = functools.partial(score_on_worker, log_dir=str(tmp_path))
    optimizer = Optimizer(objective, strings, model=string_vae, options=ON_DASK)
    result = optimizer.run(8, executor=dask_client)
    check_each_evaluated_once(result, 8)
    assert all(r.status == "complete" and r.value == count_a(r.design) for r in result.history)
    evaluations = logged(tmp_path)
    assert sorted(design for design, _ in evaluations) == sorted(r.design for r in result.history)
    workers = {pid for _, pid in evaluations}
    assert len(workers) == 2 and os.getpid() not in workers


def allow_failures(n: int, dask_scheduler=None) -> int:
    """Set how many workers may die running one task before it fails; return the old."""
    old = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = n
    return old


@pytest.mark.parametrize("allowed_failures", [3, 0], ids=["retried", "given-up"])
def test_a_worker_dying_mid_evaluation_loses_and_repeats_no_result(
    dask_client, allowed_failures, strings, string_vae, tmp_path
):
    dask_client.wait_for_workers(2, timeout=30)  # the last test's victim is back
    old = dask_client.run_on_scheduler(allow_failures, allowed_failures)
    try:
        objective = functools.partial(dies_the_first_time, log_dir=str(tmp_path))
        optimizer = Optimizer(objective, strings, model=string_vae, options=ON_DASK)
        result = optimizer.run(8, executor=dask_client)
    finally:
        dask_client.run_on_scheduler(allow_failures, old)
    check_each_evaluated_once(result, 8)
    killed = (tmp_path / "killed").read_text()
    [record] = [r for r in result.history if r.design == killed]
    if allowed_failures:  # the scheduler ran it again on the live worker
        assert (record.status, record.value) == ("complete", count_a(killed))
    else:
        assert record.status == "failed"
        assert record.message.startswith("evaluation did not finish: KilledWorker")
    others = [r for r in result.history if r.design != killed]
    assert all(r.status == "complete" and r.value == count_a(r.design) for r in others)
    # each design reached the objective once, bar the attempt that died
    assert sorted(design for design, _ in logged(tmp_path)) == sorted(
        r.design for r in result.history if r.status == "complete"
    )
