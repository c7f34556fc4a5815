"""The own-tasks report: its tables, and the machines its runs were made on."""

from __future__ import annotations

import own_tasks
import pytest


def record(strategy: str, seed: int, values: list[float], machine: str | None) -> dict:
    run = {
        "task": "gc-assay", "strategy": strategy, "seed": seed, "values": values,
        "seconds": 10.0, "error": None, "warnings": [], "best_training": 0.75,
    }  # fmt: skip
    if machine is not None:
        run["machine"] = f"{machine}, Python 3.11.7, torch 2.13.0+cpu (1 threads)"
    return run


def test_the_report_names_the_machine_of_each_row_from_its_records():
    runs = [
        record("plain", 0, [0.5] * 60, "2 CPU cores (AMD EPYC)"),
        record("plain", 1, [0.8] * 60, "2 CPU cores (AMD EPYC)"),
        record("genetic", 0, [1.0] * 60, "2 CPU cores (Intel Xeon)"),
        record("random", 0, [0.4] * 60, None),
    ]
    text = " ".join(own_tasks.report(runs).split())
    assert (
        "The runs were made on several machines (2 CPU cores (AMD EPYC): gc-assay `plain`; "
        "2 CPU cores (Intel Xeon): gc-assay `genetic`; an unrecorded machine: gc-assay "
        "`random`)." in text
    )
    assert "| `plain` (default) | 2 | 0.650 ± 0.150 |" in text
    assert "| `genetic` | 1 | 1.000 |" in text


def test_the_report_shows_settings_beyond_the_listed_strategies_after_them():
    runs = [
        record("plain:generations=3", 0, [0.9] * 60, None),
        record("plain", 0, [0.5] * 60, None),
        record("genetic", 0, [1.0] * 60, None),
    ]
    rows = [line for line in own_tasks.report(runs).splitlines() if line.startswith("| `")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "`plain` (default)",
        "`genetic`",
        "`plain:generations=3`",
    ]


def test_run_files_are_named_without_quotes():
    path = own_tasks.run_file("gc-assay", 'plain:explore=0.2,explore_from="children"', 1)
    assert path.name == "gc-assay-plain-explore0.2-explore_fromchildren-seed1.json"


def test_settings_are_read_as_json_and_python_spellings_are_refused_by_name():
    assert own_tasks.strategy_of("plain:explore=0.2,adaptive=false").explore == 0.2
    with pytest.raises(SystemExit, match="adaptive=True is not a JSON value"):
        own_tasks.strategy_of('plain:explore_from="children",adaptive=True')
