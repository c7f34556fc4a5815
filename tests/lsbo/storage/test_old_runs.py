"""Runs stored by lsbo 0.1.0 (before the optimizer's redesign) still load and resume.

``tests/data/runs-v0.1.0.db`` holds two runs of 8 evaluations made by that version
(trust region; weighted retraining every 5), and ``runs-v0.1.0-resumed.json`` what that
version did when each was resumed to 12 evaluations. Their VAEs are pickled (model file
version 1): they load after the documented, explicit upgrade
(``lsbo runs --upgrade-models NAME``, :func:`lsbo.upgrade_run_models`), and never before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import lsbo
from lsbo.exceptions import OutdatedModelFileError
from lsbo.strategies import get_strategy
from tests.golden.runs import OPTIONS, _strings_task
from tests.lsbo.test_cli import lsbo_main

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


def _resume(storage, name):
    objective, designs, _, _ = _strings_task()
    strategy, settings = RUNS[name]
    optimizer = lsbo.Optimizer(
        objective,
        designs,
        options=OPTIONS,
        seed=3,
        strategy=get_strategy(strategy, **settings),
        storage=storage,
        name=name,
    )
    return optimizer.run(12)


def test_an_old_runs_pickled_vae_is_refused_until_it_is_upgraded(old_storage, capsys):
    assert len(lsbo.load_run(old_storage, "old-trust-region", with_model=False).history) == 8
    upgrade = r"--upgrade-models old-trust-region.*upgrade_run_models\(storage, 'old-trust-region'"
    with pytest.raises(OutdatedModelFileError, match=upgrade):
        lsbo.load_run(old_storage, "old-trust-region")
    with pytest.raises(OutdatedModelFileError, match="older lsbo"):
        _resume(old_storage, "old-weighted-retraining")
    code, out = lsbo_main(capsys, "runs", "--storage", old_storage, "--upgrade-models",
                          "old-trust-region")  # fmt: skip
    assert code == 0 and "upgraded the VAE of run 'old-trust-region'" in out
    assert lsbo.load_run(old_storage, "old-trust-region").model is not None
    assert not lsbo.upgrade_run_models(old_storage, "old-trust-region")  # current already
    with pytest.raises(OutdatedModelFileError):  # the other run is still as it was
        lsbo.load_run(old_storage, "old-weighted-retraining")


def test_an_old_run_loads_with_its_history_and_model(old_storage):
    assert lsbo.upgrade_run_models(old_storage, "old-trust-region")
    result = lsbo.load_run(old_storage, "old-trust-region")
    assert len(result.history) == 8
    assert [r.design for r in result.history][:3] == ["cbacadbc", "dda", "cdbaabc"]
    assert result.model is not None and result.model.latent_dim == 4


@pytest.mark.parametrize("name", list(RUNS))
def test_an_old_run_resumes_as_the_version_that_made_it_did(old_storage, name):
    expected = json.loads((DATA / "runs-v0.1.0-resumed.json").read_text())[name]
    assert lsbo.upgrade_run_models(old_storage, name)
    result = _resume(old_storage, name)
    history = [[r.number, r.design, r.value, r.source, r.iteration] for r in result.history]
    assert history == expected
