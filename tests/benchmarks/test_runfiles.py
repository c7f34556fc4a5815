"""Run files: writing and reading them, and when a run counts as done."""

from __future__ import annotations

import json

import harness
import pytest
from harness import FORMAT, is_done, load_runs, read_run, run_path, write_run

from lsbo.strategies import Plain
from tests.benchmarks.helpers import make_run

SETTINGS = {"task": "toy", "label": "plain", "seed": 1, "budget": 3, "data": {"n": None}}


def test_run_path_names_the_file_by_label_and_seed(tmp_path):
    assert run_path(tmp_path, "toy", "plain-q10", 2) == tmp_path / "toy" / "plain-q10-seed2.json"


def test_write_then_read_round_trips_and_leaves_no_partial_file(tmp_path):
    run = make_run([1.0, None, 2.5], seed=1)
    path = run_path(tmp_path, "toy", "plain", 1)
    write_run(path, run)  # creates the task folder
    assert read_run(path) == run
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    write_run(path, {**run, "best_value": 9.0})  # overwrites
    assert read_run(path)["best_value"] == 9.0


def test_read_run_of_a_missing_or_broken_file_is_none(tmp_path):
    assert read_run(tmp_path / "missing.json") is None
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1, "values": [1.0,')  # half a file
    assert read_run(broken) is None


def test_is_done_only_with_the_same_settings_and_format(tmp_path):
    path = run_path(tmp_path, "toy", "plain", 1)
    assert not is_done(path, SETTINGS)  # no file yet
    write_run(path, {**make_run([1.0]), "settings": SETTINGS})
    assert is_done(path, dict(SETTINGS))
    assert not is_done(path, {**SETTINGS, "budget": 4})
    assert not is_done(path, {**SETTINGS, "data": {"n": 100}})
    write_run(path, {**make_run([1.0]), "settings": SETTINGS, "format": FORMAT + 1})
    assert not is_done(path, SETTINGS)


def test_a_strategy_setting_added_since_a_run_counts_as_its_default(tmp_path):
    path = run_path(tmp_path, "toy", "plain", 1)
    today = {**SETTINGS, "strategy": Plain().settings()}
    before = {k: v for k, v in Plain().settings().items() if k != "parents"}
    write_run(path, {**make_run([1.0]), "settings": {**SETTINGS, "strategy": before}})
    assert is_done(path, today)
    assert not is_done(path, {**SETTINGS, "strategy": Plain(parents=40).settings()})
    assert not is_done(path, {**SETTINGS, "strategy": Plain(explore=0.5).settings()})
    # a plain run stored before ``mutants`` existed searched without children, as a
    # resume reads it (lsbo.settings.stored_strategy)
    write_run(path, {**make_run([1.0]), "settings": {**SETTINGS, "strategy": {"name": "plain"}}})
    assert is_done(path, {**SETTINGS, "strategy": Plain(mutants=0).settings()})
    assert not is_done(path, today)
    for stored in (
        {"name": "plain", "no-such-setting": 1},  # a setting lsbo no longer has
        {"name": "holo-genetic", "population": 50},  # not an lsbo strategy
    ):
        write_run(path, {**make_run([1.0]), "settings": {**SETTINGS, "strategy": stored}})
        assert is_done(path, {**SETTINGS, "strategy": stored})
        assert not is_done(path, today)


def test_load_runs_groups_by_label_in_the_report_order_and_skips_other_files(tmp_path):
    for label, seed in [("random", 1), ("random", 0), ("plain", 2), ("zzz-custom", 0)]:
        write_run(
            run_path(tmp_path, "toy", label, seed), make_run([1.0], strategy=label, seed=seed)
        )
    write_run(tmp_path / "toy" / "_vae-seed0.json", {"fingerprint": "x", "train_seconds": 1.0})
    old = make_run([1.0], strategy="trust-region") | {"format": FORMAT - 1}
    write_run(run_path(tmp_path, "toy", "trust-region", 0), old)
    runs = load_runs("toy", tmp_path)
    assert list(runs) == ["plain", "random", "zzz-custom"]  # harness.ORDER, then by name
    assert [r["seed"] for r in runs["random"]] == [0, 1]
    assert load_runs("other", tmp_path) == {}


def test_run_record_holds_the_curve_the_failures_and_the_settings(monkeypatch):
    monkeypatch.setattr(harness.runfiles, "data_best", lambda task, n: 0.5)
    settings = {**SETTINGS, "seed": 3}
    seconds = {"vae": None, "gp": 1.0, "objective": 2.0, "total": 3.5, "vae_initial": None}
    run = harness.run_record(settings, [None, 0.2, 0.1], False, "abc", seconds, stopped="why")
    assert run["best_so_far"] == [None, 0.2, 0.1]
    assert (run["best_value"], run["best_design"], run["failed"]) == (0.1, "abc", [0])
    assert (run["strategy"], run["seed"], run["n_evaluations"]) == ("plain", 3, 3)
    assert (run["data_best"], run["stopped"], run["settings"]) == (0.5, "why", settings)
    assert json.loads(json.dumps(run)) == run  # a run file holds it as it is
    array_design = harness.run_record(settings, [1.0], True, [0, 1], seconds)
    assert array_design["best_design"] is None  # only strings are stored


@pytest.mark.parametrize("maximize", [True, False])
def test_run_record_best_follows_the_direction(monkeypatch, maximize):
    monkeypatch.setattr(harness.runfiles, "data_best", lambda task, n: None)
    run = harness.run_record(SETTINGS, [2.0, 1.0, 3.0], maximize, None, {})
    assert run["best_value"] == (3.0 if maximize else 1.0)


def test_run_record_holds_each_evaluation_source_when_given(monkeypatch):
    monkeypatch.setattr(harness.runfiles, "data_best", lambda task, n: None)
    run = harness.run_record(SETTINGS, [1.0, None], True, None, {}, sources=["bo", "explored"])
    assert run["sources"] == ["bo", "explored"]
    assert "sources" not in harness.run_record(SETTINGS, [1.0], True, None, {})
    with pytest.raises(ValueError, match="1 sources for 2 values"):
        harness.run_record(SETTINGS, [1.0, 2.0], True, None, {}, sources=["bo"])
