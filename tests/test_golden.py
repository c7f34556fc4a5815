"""The optimizer reproduces, exactly, histories recorded before its redesign (issue 14).

Each golden file holds a fixed-seed run's every evaluation (number, design, value,
status, source, iteration), its invalid decodes and its counters. A change that alters
any of them changes what users' seeded runs do: it must be deliberate, named in its
commit, and come with regenerated files (``python -m tests.golden.runs``) for every CPU
family kept in ``tests/golden/`` (see ``tests/golden/runs.py``).
"""

from __future__ import annotations

import json

import pytest

from tests.golden.runs import STRATEGIES, TASKS, cpu_family, golden_path, run_history


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@pytest.mark.parametrize("task", list(TASKS))
def test_a_seeded_run_reproduces_its_golden_history(task, strategy):
    path = golden_path(task, strategy)
    if not path.exists():
        pytest.skip(
            f"no golden history of {task}-{strategy} recorded on {cpu_family()} CPUs "
            "(floating point differs between CPU families): record it with "
            "python -m tests.golden.runs on such a machine"
        )
    expected = json.loads(path.read_text())
    assert json.loads(json.dumps(run_history(task, strategy))) == expected
