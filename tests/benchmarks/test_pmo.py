"""The PMO benchmark script (benchmarks/pmo.py): its run files and its report."""

from __future__ import annotations

import pmo
import pytest
from harness import auc_top_k, read_run, write_run


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setattr(pmo, "RUNS", tmp_path)
    return tmp_path


def test_a_graph_ga_run_is_stored_with_its_metric_and_not_redone(runs):
    record = pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=40, batch_size=10)
    path = runs / "40" / "zaleplon-mpo" / "graph-ga-seed0.json"
    assert read_run(path) == record
    assert record["n_evaluations"] == 40 and record["settings"]["protocol"] == "pmo"
    assert record["auc_top10"] == pytest.approx(auc_top_k(record["values"], 40))
    assert record["best_value"] == max(record["values"])
    again = pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=40, batch_size=10)
    assert again["finished"] == record["finished"]  # read back, not run again


def test_the_report_tables_every_method_and_the_published_numbers(runs):
    for seed in (0, 1):
        pmo.run("zaleplon-mpo", "graph-ga", seed=seed, budget=30, batch_size=10)
    text = pmo.report(["zaleplon-mpo"], ["graph-ga", "plain"], budget=30)
    assert text.startswith(pmo.HEADING)
    rows = [line for line in text.splitlines() if line.startswith("| zaleplon-mpo")]
    assert len(rows) == 3  # AUC, best value, published
    assert "(2)" in rows[0] and rows[0].endswith("| - |")  # two seeds; no plain runs
    assert "0.346" in rows[2]  # Graph GA's published AUC on zaleplon MPO


def test_the_report_adds_a_column_for_every_method_with_stored_runs(runs):
    pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=30, batch_size=10)
    text = pmo.report(["zaleplon-mpo"], ["plain"], budget=30)
    headers = [line for line in text.splitlines() if line.startswith("| task |")]
    assert headers[0] == "| task | plain | graph-ga |"  # asked for first, then found
    row = next(line for line in text.splitlines() if line.startswith("| zaleplon-mpo"))
    assert row.startswith("| zaleplon-mpo | - | **")  # no plain runs; Graph GA's, the best


def test_the_report_adds_the_runs_of_other_budgets(runs):
    pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=30, batch_size=10)
    pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=50, batch_size=10)
    text = pmo.report(["zaleplon-mpo", "osimertinib-mpo"], ["graph-ga"], budget=30)
    assert "The runs at 50 calls:" in text and "after 50 calls" in text
    measured, published = text.split("Published")
    assert "| osimertinib-mpo" not in measured  # no runs: no row
    assert "| osimertinib-mpo" in published


def test_the_report_names_the_machines_its_runs_were_made_on(runs):
    record = pmo.run("zaleplon-mpo", "graph-ga", seed=0, budget=30, batch_size=10)
    elsewhere = {**record, "seed": 1, "machine": "16 CPU cores (Elsewhere CPU), Python 3.12.3"}
    write_run(runs / "30" / "zaleplon-mpo" / "graph-ga-seed1.json", elsewhere)
    header = pmo.report(["zaleplon-mpo"], ["graph-ga"], budget=30).splitlines()[2]
    here = record["machine"].split(", Python")[0]
    assert f"the runs were made on 16 CPU cores (Elsewhere CPU), {here}, one thread" in header
