"""The flags every task script shares, and the runs a command line asks for."""

from __future__ import annotations

import dataclasses

import pytest
from harness import (
    QUICK_BUDGET,
    QUICK_OPTIONS,
    QUICK_SEEDS,
    ROOT,
    TASKS,
    parse_params,
    parse_seeds,
    parser,
    specs,
)
from harness.tasks import make_options, task_data

import objectives
from lsbo.models import fingerprint


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("0-2", [0, 1, 2]), ("0,3", [0, 3]), ("3", [3]), ("0-1,5,7-8", [0, 1, 5, 7, 8])],
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


def test_parse_params_reads_json_values_and_keeps_other_text():
    params = parse_params(
        [
            "weighted-retraining.period=5",
            "weighted-retraining.k=1e-3",
            "trust-region+weighted-retraining.period=10",
            "genetic.mutation_prob=null",
            "plain.acquisition=ei",
        ]
    )
    assert params == {
        "weighted-retraining": {"period": 5, "k": 0.001},
        "trust-region+weighted-retraining": {"period": 10},
        "genetic": {"mutation_prob": None},
        "plain": {"acquisition": "ei"},
    }
    assert parse_params([]) == {}


@pytest.mark.parametrize("item", ["period=5", "weighted-retraining.period", "plain.x="])
def test_parse_params_rejects_items_without_strategy_field_and_value(item):
    with pytest.raises(SystemExit, match=r"STRATEGY\.FIELD=VALUE"):
        parse_params([item])


def command(task, *argv):
    args = parser(TASKS[task], "test").parse_args(list(argv))
    return specs(TASKS[task], args, ROOT / "runs")


def test_specs_are_every_strategy_and_seed_at_the_budget():
    runs = command("expression", "--strategies", "plain,random", "--seeds", "0,2", "--budget", "7")
    assert [(s.strategy, s.seed, s.budget) for s in runs] == [
        ("plain", 0, 7),
        ("plain", 2, 7),
        ("random", 0, 7),
        ("random", 2, 7),
    ]
    assert all(s.options_override == {} and s.n_designs is None for s in runs)
    assert runs[0].path == ROOT / "runs" / "expression" / "plain-seed0.json"


def test_default_strategies_come_from_the_task():
    assert {s.strategy for s in command("ehrlich")} == set(TASKS["ehrlich"].default_strategies)
    assert {"genetic", "holo-genetic"} <= set(TASKS["ehrlich"].default_strategies)
    assert "holo-genetic" not in {s.strategy for s in command("expression")}


def test_quick_runs_are_small_unless_flags_say_otherwise():
    runs = command("expression", "--quick", "--strategies", "weighted-retraining")
    assert [s.seed for s in runs] == list(QUICK_SEEDS)
    assert {s.budget for s in runs} == {QUICK_BUDGET}
    assert runs[0].n_designs == TASKS["expression"].quick_designs
    assert runs[0].options_override == {**QUICK_OPTIONS, "vae": {"epochs": 3}}
    assert runs[0].strategy_params == {"period": 10}
    explicit = command("expression", "--quick", "--seeds", "4", "--budget", "12")
    assert {(s.seed, s.budget) for s in explicit} == {(4, 12)}


def test_param_flags_override_the_task_and_quick_settings():
    params = {"plain": {"a": 1, "b": 2}, "weighted-retraining": {"period": 5, "k": 0.1}}
    task = dataclasses.replace(TASKS["expression"], strategy_params=params)
    args = parser(task, "test").parse_args(
        ["--strategies", "plain", "--seeds", "0", "--param", "plain.b=3", "--param", "plain.c=x"]
    )
    (run,) = specs(task, args, ROOT / "runs")
    assert run.strategy_params == {"a": 1, "b": 3, "c": "x"}
    assert run.name == "plain-b3-cx"  # settings given here name the run file
    argv = ["--quick", "--strategies", "weighted-retraining", "--seeds", "0"]
    (quick,) = specs(task, parser(task, "test").parse_args(argv), ROOT / "runs")
    assert quick.strategy_params == {"period": 10, "k": 0.1}  # --quick retrains less often


def test_batch_size_and_no_reencode_label_the_runs():
    runs = command(
        "ehrlich", "--strategies", "trust-region,genetic,holo-genetic", "--seeds", "0",
        "--batch-size", "10",
    )  # fmt: skip
    assert [s.name for s in runs] == ["trust-region-q10", "genetic-q10", "holo-genetic"]
    assert runs[0].options_override == {"batch_size": 10}
    assert runs[0].path.name == "trust-region-q10-seed0.json"
    (plain,) = command("shapes", "--strategies", "plain", "--seeds", "1", "--no-reencode")
    assert plain.name == "plain-no-reencode"
    assert plain.options_override == {"reencode": False}
    with pytest.raises(SystemExit, match="positive"):
        command("shapes", "--batch-size", "0")


def test_qed_runs_search_the_vae_the_penalized_logp_runs_train():
    """The QED task's report says its seeds share penalized logP's VAE: same molecules,
    codec and settings, so lsbo's cache takes one for the other."""
    keys = []
    for name in ("qed", "penalized-logp"):
        data, options = task_data(name, None), make_options(name)
        codec = objectives.load(name).make_codec(data.designs)
        keys.append(fingerprint(data.designs, codec, options.latent_dim, options.vae, 0))
        assert TASKS[name].vae_seed == 0
    assert keys[0] == keys[1]
