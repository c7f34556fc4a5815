"""Runs that survive their process: storage, resume, failures, several processes."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import lsbo
from lsbo import Evaluation, Objective, Optimizer, OptimizerOptions
from lsbo.exceptions import (
    InvalidOptionError,
    LsboError,
    ObjectiveError,
    RunNotFoundError,
    SettingsMismatchError,
)
from lsbo.storage import get_storage
from tests.lsbo.run_worker import Logged

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
ROOT = Path(__file__).resolve().parents[2]


def count_a(s: str) -> float:
    return float(s.count("a"))


def designs_and_values(result):
    return [(r.number, r.design, r.status, r.value) for r in result.history]


def make(strings, model, storage, name="run", objective=count_a, **kwargs):
    options = kwargs.pop("options", FAST)
    return Optimizer(
        objective, strings, model=model, options=options, storage=storage, name=name, **kwargs
    )


def test_a_run_resumed_between_steps_ends_as_if_never_interrupted(tmp_path, strings, string_vae):
    whole = make(strings, string_vae, tmp_path / "whole.db").run(14)
    path = tmp_path / "parts.db"
    make(strings, string_vae, path).run(6)
    make(strings, string_vae, path).run(10)
    resumed = make(strings, string_vae, path).run(14)
    assert designs_and_values(resumed) == designs_and_values(whole)
    assert any(r.source == "bo" for r in resumed.history)


def test_the_budget_counts_what_is_stored(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    make(strings, string_vae, path).run(7)
    calls = []

    def counting(s):
        calls.append(s)
        return count_a(s)

    counting.__name__ = "count_a"  # the same objective as far as the run can tell

    again = make(strings, string_vae, path, objective=counting)
    assert again.n_evaluated == 7
    assert len(again.run(7).history) == 7 and calls == []  # nothing left to do
    assert len(again.run(9).history) == 9 and len(calls) == 2


def test_several_named_runs_share_a_file_and_load_run_reads_them(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    first = make(strings, string_vae, path, name="first").run(8)
    make(strings, string_vae, path, name="second", seed=1).run(6)
    loaded = lsbo.load_run(path, "first")
    assert designs_and_values(loaded) == designs_and_values(first)
    assert loaded.best_design == first.best_design and loaded.best_value == first.best_value
    assert loaded.settings["seed"] == 0 and loaded.settings["objective"] == "count_a"
    assert loaded.model is not None and loaded.n_pending == 0
    assert len(lsbo.load_run(f"sqlite:///{path}", "second").history) == 6
    with pytest.raises(RunNotFoundError, match=r"no run named 'third'.*first, second"):
        lsbo.load_run(path, "third")


def test_same_name_with_other_settings_needs_accept_changes(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    make(strings, string_vae, path).run(6)
    other = OptimizerOptions(n_initial=5, num_restarts=3, raw_samples=64, mc_samples=64)
    with pytest.raises(
        SettingsMismatchError, match=r"other settings \(options.num_restarts: 4 -> 3\)"
    ):
        make(strings, string_vae, path, options=other)
    with pytest.raises(SettingsMismatchError, match=r"seed: 0 -> 1.*accept_changes=True"):
        make(strings, string_vae, path, seed=1)
    with pytest.warns(UserWarning, match=r"num_restarts"):
        resumed = make(strings, string_vae, path, options=other, accept_changes=True)
    assert resumed.n_evaluated == 6 and len(resumed.run(8).history) == 8
    assert lsbo.load_run(path, "run").settings["options"]["num_restarts"] == 3
    kept = r"keeps the VAE.*options.vae.epochs: None -> 3"
    with pytest.raises(SettingsMismatchError, match=kept):
        vae = dataclasses.replace(other.vae, epochs=3)
        options = dataclasses.replace(other, vae=vae)
        make(strings, string_vae, path, options=options, accept_changes=True)
    # how the run is executed may change freely
    make(strings, string_vae, path, options=OptimizerOptions(**{**vars(other), "batch_size": 2}))
    # the names before 0.2.0 still work, with a warning
    with pytest.warns(DeprecationWarning, match="accept_changes"), pytest.warns(UserWarning):
        make(strings, string_vae, path, seed=1, resume=True)
    with pytest.warns(DeprecationWarning, match="RunExistsError is deprecated"):
        from lsbo.exceptions import RunExistsError
    assert issubclass(SettingsMismatchError, RunExistsError)
    assert issubclass(RunNotFoundError, RunExistsError)


def test_a_run_stored_before_an_option_existed_resumes(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    make(strings, string_vae, path).run(3)
    store = get_storage(path)
    run = store.get_run("run")
    older = {**run.settings, "options": dict(run.settings["options"])}
    older["options"]["vae"] = {
        k: v for k, v in older["options"]["vae"].items() if k not in ("weighting", "architecture")
    }
    store.update_run(run.id, settings=older)  # as an lsbo without those options stored it
    assert len(make(strings, string_vae, path).run(4).history) == 4


def test_told_in_another_process_by_number(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    asked = make(strings, string_vae, path).ask(2)
    later = make(strings, string_vae, path)  # e.g. a week later, when the lab is done
    assert [p.design for p in later.pending()] == [p.design for p in asked]
    later.tell(asked[1].number, 5.0)
    later.tell(asked[0], 1.0)
    with pytest.raises(LsboError, match=r"is not pending"):
        later.tell(asked[0].number, 2.0)
    loaded = lsbo.load_run(path, "run")
    assert [(r.design, r.value) for r in loaded.history] == [
        (asked[1].design, 5.0),
        (asked[0].design, 1.0),
    ]


def test_failures_are_recorded_and_the_gp_sees_them_as_configured(tmp_path, strings, string_vae):
    def flaky(s):
        if s.startswith("b"):
            raise RuntimeError("simulator crashed")
        return math.nan if s.startswith("c") else count_a(s)

    for failure_value, expected in [(None, None), ("worst", "worst"), (-3.0, -3.0)]:
        options = OptimizerOptions(**{**vars(FAST), "failure_value": failure_value})
        optimizer = make(strings, string_vae, None, objective=flaky, options=options)
        result = optimizer.run(14)
        failed = [r for r in result.history if r.status == "failed"]
        assert failed and len(result.history) == 14
        assert all(
            "RuntimeError: simulator crashed" in r.message or "nan" in r.message for r in failed
        )
        _, Y = optimizer.observations.training_data(optimizer.options.max_gp_points)
        n_complete = len(result.history) - len(failed)
        n_points = optimizer.observations.n_decoded_points  # decoded points, same values
        if expected is None:
            assert len(Y) == n_complete + n_points
        else:
            worst = min(r.value for r in result.history if r.status == "complete")
            assert len(Y) == len(result.history) + n_points
            assert Y.min().item() == (worst if expected == "worst" else expected)


def test_an_objective_that_always_fails_stops_the_run_and_loses_nothing(
    tmp_path, strings, string_vae
):
    path = tmp_path / "runs.db"
    options = OptimizerOptions(**{**vars(FAST), "max_consecutive_failures": 3})

    def score(s):
        return "not a number"

    broken = make(strings, string_vae, path, objective=score, options=options)
    with pytest.raises(ObjectiveError, match=r"3 failed evaluations in a row.*'not a number'"):
        broken.run(20)
    assert [r.status for r in lsbo.load_run(path, "run").history] == ["failed"] * 3

    def score(s):  # fixed
        return count_a(s)

    fixed = make(strings, string_vae, path, objective=score, options=options).run(10)
    assert len(fixed.history) == 10 and len({r.design for r in fixed.history}) == 10


def test_a_timeout_fails_a_hanging_evaluation_and_the_run_goes_on(strings, string_vae):
    def hangs_on_d(s):
        if s.startswith("d"):
            time.sleep(60)
        return count_a(s)

    options = OptimizerOptions(**{**vars(FAST), "evaluation_timeout": 0.3})
    start = time.monotonic()
    result = make(strings, string_vae, None, objective=hangs_on_d, options=options).run(10)
    timed_out = [r for r in result.history if r.status == "failed"]
    assert all(r.design.startswith("d") and "timed out after 0.3 s" in r.message for r in timed_out)
    assert len(result.history) == 10 and time.monotonic() - start < 30


def test_invalid_decodes_are_stored_never_evaluated(tmp_path, strings, string_vae):
    class NoB(Objective):
        def is_valid(self, design):
            return "b" not in design

        def _evaluate(self, designs):
            assert all("b" not in d for d in designs)
            return [count_a(d) for d in designs]

    path = tmp_path / "runs.db"
    result = make(strings, string_vae, path, objective=NoB()).run(12)
    loaded = lsbo.load_run(path, "run")
    assert result.invalid and len(loaded.invalid) == len(result.invalid)
    assert all("b" in r.design and r.status == "invalid" for r in loaded.invalid)
    assert 0 < result.stats.validity_rate < 1
    assert loaded.stats.n_invalid == result.stats.n_invalid


def test_ctrl_c_mid_batch_stores_the_whole_batch_and_the_run_resumes(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    calls: Counter[str] = Counter()

    def score(s):
        calls[s] += 1
        return count_a(s)

    def interrupt_at_5(optimizer, record):
        if optimizer.n_evaluated >= 5:
            raise KeyboardInterrupt

    batched = OptimizerOptions(**{**vars(FAST), "batch_size": 3})
    with pytest.raises(KeyboardInterrupt):
        make(strings, string_vae, path, objective=score, options=batched).run(
            12, callbacks=[interrupt_at_5]
        )
    # the callback stopped the run at the 5th record of the batch 4-6: the 6th, already
    # scored, is stored too rather than released and scored again
    stored = lsbo.load_run(path, "run", with_model=False)
    assert len(stored.history) == 6 == sum(calls.values()) and stored.n_pending == 0
    result = make(strings, string_vae, path, objective=score, options=batched).run(12)
    assert len(result.history) == 12 == sum(calls.values())
    assert max(calls.values()) == 1  # nothing evaluated twice
    assert len({r.number for r in result.history}) == 12


def test_a_failure_limit_mid_batch_stores_every_failure(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    options = OptimizerOptions(**{**vars(FAST), "batch_size": 4, "max_consecutive_failures": 2})

    def broken(s):
        raise RuntimeError("down")

    with pytest.raises(ObjectiveError, match="4 failed evaluations in a row"):
        make(strings, string_vae, path, objective=broken, options=options).run(10)
    stored = lsbo.load_run(path, "run", with_model=False)
    assert [r.status for r in stored.history] == ["failed"] * 4 and stored.n_pending == 0


def test_a_pending_proposal_of_a_dead_process_is_evaluated_again(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    make(strings, string_vae, path).run(6)
    storage = get_storage(path)
    run = storage.get_run("run")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    latent = "[" + ", ".join(["0.0"] * 8) + "]"
    for key, design, attempts in [("k1", "dcba", 1), ("k2", "abba", 3)]:
        storage.add_proposal(
            run.id,
            state="pending",
            design=f'"{design}"',
            design_key=key,
            latent=latent,
            iteration=99,
            source="bo",
            attempts=attempts,
            worker=f"{os.uname().nodename}:{dead}:cafe",
        )
    result = make(strings, string_vae, path).run(8)
    by_design = {r.design: r for r in result.history}
    assert by_design["dcba"].status == "complete" and by_design["dcba"].value == 1.0
    assert by_design["abba"].status == "failed" and "stopped 3 times" in by_design["abba"].message
    assert len(result.history) == 8


def _start_worker(path, budget, model_path, log, sleep):
    command = [
        sys.executable,
        "-m",
        "tests.lsbo.run_worker",
        str(path),
        "run",
        str(budget),
        str(model_path),
        str(log),
        str(sleep),
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for_lines(log, n, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= n:
            return
        if process.poll() is not None:
            pytest.fail(f"the worker exited early: {process.stdout.read().decode()}")
        time.sleep(0.05)
    pytest.fail("the worker made no progress")


def test_sigkill_mid_evaluation_then_resume_loses_and_repeats_nothing(
    tmp_path, strings, string_vae
):
    model_path, log, path = tmp_path / "vae.pt", tmp_path / "evaluated.log", tmp_path / "runs.db"
    string_vae.save(model_path)
    worker = _start_worker(path, 16, model_path, log, 0.3)
    _wait_for_lines(log, 8, worker)
    time.sleep(0.15)  # most likely in the middle of the next evaluation
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before = lsbo.load_run(path, "run", with_model=False)
    assert 7 <= len(before.history) < 16

    resumed = _start_worker(path, 16, model_path, log, 0.0)
    output, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, output.decode()
    after = lsbo.load_run(path, "run", with_model=False)
    assert len(after.history) == 16 and after.n_pending == 0
    kept = {(r.number, r.design, r.value) for r in after.history}
    assert {(r.number, r.design, r.value) for r in before.history} <= kept
    assert len({r.design for r in after.history}) == 16
    evaluated = Counter(log.read_text().splitlines())
    # an evaluation stored before the kill never runs again; only the one the kill cut
    # short (or whose result was not yet stored) may have run twice
    assert all(evaluated[r.design] == 1 for r in before.history)
    assert sum(n - 1 for n in evaluated.values()) <= 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_worker_processes_sharing_a_run_never_evaluate_a_design_twice(
    tmp_path, strings, string_vae, backend, request
):
    path = tmp_path / "runs.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    model_path, log = tmp_path / "vae.pt", tmp_path / "evaluated.log"
    string_vae.save(model_path)
    # the run and its VAE exist before the workers join
    make(strings, string_vae, path, objective=Logged(tmp_path / "first.log", 0.0)).run(2)
    workers = [_start_worker(path, 18, model_path, log, 0.1) for _ in range(3)]
    for worker in workers:
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, output.decode()
    result = lsbo.load_run(path, "run", with_model=False)
    evaluated = log.read_text().splitlines()
    assert len(result.history) == 18 and result.n_pending == 0
    assert len(set(evaluated)) == len(evaluated) == 16  # the first 2 were not logged
    assert sorted(evaluated) == sorted(r.design for r in result.history[2:])


def test_bad_options_for_long_runs():
    for bad in [
        {"max_consecutive_failures": 0},
        {"evaluation_timeout": 0},
        {"stale_after": -1},
        {"failure_value": "best"},
        {"failure_value": math.inf},
    ]:
        with pytest.raises(InvalidOptionError):
            OptimizerOptions(**bad)


def test_a_failed_evaluation_object_is_accepted_by_tell(strings, string_vae):
    optimizer = make(strings, string_vae, None)
    proposal = optimizer.ask(1)[0]
    record = optimizer.tell(proposal, Evaluation(None, "failed", "sample lost in the mail"))
    assert record.status == "failed" and record.message == "sample lost in the mail"


def test_a_batch_objective_returning_a_wrong_length_list_loses_nothing(
    tmp_path, strings, string_vae
):
    class Batch(Objective):
        name = "batch"

        def __init__(self, broken_after):
            self.calls, self.broken_after = 0, broken_after

        def _evaluate(self, designs):
            self.calls += 1
            values = [count_a(d) for d in designs]
            return values[:-1] if self.calls > self.broken_after else values

    path = tmp_path / "runs.db"
    batched = OptimizerOptions(**{**vars(FAST), "batch_size": 2})
    with pytest.raises(ObjectiveError, match="returned 1 values for 2 designs"):
        make(strings, string_vae, path, objective=Batch(3), options=batched).run(12)
    stored = lsbo.load_run(path, "run")
    assert len(stored.history) == 6 and stored.n_pending == 2  # released, not lost
    result = make(strings, string_vae, path, objective=Batch(99), options=batched).run(12)
    assert len(result.history) == 12 and len({r.design for r in result.history}) == 12


def test_processes_sharing_a_run_add_up_their_stats(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    latent_only = lsbo.Plain(mutants=0)  # every step decodes, so each process counts some
    first = make(strings, string_vae, path, strategy=latent_only)
    second = make(strings, string_vae, path, strategy=latent_only)
    first.run(8)
    second.run(12)  # started before `first` ran: its own counters know nothing of it
    stored = lsbo.load_run(path, "run", with_model=False).stats
    assert first.stats.n_decoded > 0 and second.stats.n_decoded > 0
    assert stored.n_decoded == first.stats.n_decoded + second.stats.n_decoded
    assert stored.surrogate_seconds == pytest.approx(
        first.stats.surrogate_seconds + second.stats.surrogate_seconds
    )
