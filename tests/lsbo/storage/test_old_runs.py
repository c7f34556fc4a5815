"""Runs stored by lsbo 0.1.0 (before the optimizer's redesign) still load and resume.

``tests/data/runs-v0.1.0.db`` holds two runs of 8 evaluations made by that version
(trust region; weighted retraining every 5), and ``runs-v0.1.0-resumed.json`` what that
version did when each was resumed to 12 evaluations.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import lsbo
from lsbo.strategies import get_strategy
from tests.golden.runs import OPTIONS, _strings_task

DATA = Path(__file__).parents[2] / "data"
RUNS = {
    "old-trust-region": ("trust-region", {}),
    "old-weighted-retraining": ("weighted-retraining", {"period": 5}),
}


@pytest.fixture
def old_storage(tmp_path):
    path = tmp_path / "runs.db"
    shutil.copy(DATA / "runs-v0.1.0.db", path)
    return path


def test_an_old_run_loads_with_its_history_and_model(old_storage):
    result = lsbo.load_run(old_storage, "old-trust-region")
    assert len(result.history) == 8
    assert [r.design for r in result.history][:3] == ["cbacadbc", "dda", "cdbaabc"]
    assert result.model is not None and result.model.latent_dim == 4


@pytest.mark.parametrize("name", list(RUNS))
def test_an_old_run_resumes_as_the_version_that_made_it_did(old_storage, name):
    expected = json.loads((DATA / "runs-v0.1.0-resumed.json").read_text())[name]
    objective, designs, _, _ = _strings_task()
    strategy, settings = RUNS[name]
    optimizer = lsbo.Optimizer(
        objective,
        designs,
        options=OPTIONS,
        seed=3,
        strategy=get_strategy(strategy, **settings),
        storage=old_storage,
        name=name,
    )
    result = optimizer.run(12)
    history = [[r.number, r.design, r.value, r.source, r.iteration] for r in result.history]
    assert history == expected
