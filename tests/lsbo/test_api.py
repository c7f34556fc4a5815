"""The public API: what is at the top, what moved, and the stored-run functions."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lsbo
from lsbo.exceptions import RunNotFoundError
from tests.lsbo.components import FAST, count_a


def test_every_public_name_resolves_and_import_lsbo_stays_light():
    for name in lsbo.__all__:
        assert getattr(lsbo, name) is not None
    code = "import sys, lsbo; print('torch' in sys.modules, 'botorch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("name", "home"),
    [("load_model", "lsbo.models"), ("TokenCodec", "lsbo.representations"),
     ("get_storage", "lsbo.storage"), ("SequenceVAE", "lsbo.models")],
)  # fmt: skip
def test_names_that_moved_to_their_subpackage_still_work_with_a_warning(name, home):
    with pytest.warns(DeprecationWarning, match=rf"lsbo.{name} is deprecated: use {home}"):
        moved = getattr(lsbo, name)
    assert moved is getattr(__import__(home, fromlist=[name]), name)
    with pytest.warns(DeprecationWarning, match="lsbo.loop.Optimizer is deprecated"):
        from lsbo.loop import Optimizer
    assert Optimizer is lsbo.Optimizer
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        lsbo.nothing  # noqa: B018


def test_maximize_and_seed_are_keyword_only_in_optimize(strings, string_vae):
    with pytest.raises(TypeError, match="positional"):
        lsbo.optimize(count_a, strings, 5, False)  # type: ignore[misc]


def test_runs_are_listed_and_deleted(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    lsbo.optimize(count_a, strings, budget=6, model=string_vae, options=FAST, storage=path,
                  name="a")  # fmt: skip
    lsbo.optimize(lambda s: -count_a(s), strings, budget=4, maximize=False, model=string_vae,
                  options=FAST, storage=path, name="b", strategy="random")  # fmt: skip
    runs = {run.name: run for run in lsbo.list_runs(path)}
    assert list(runs) == ["a", "b"]
    assert runs["a"].n_evaluated == 6 and runs["a"].strategy == "plain"
    assert runs["a"].best_value == lsbo.load_run(path, "a").best_value
    assert runs["b"].strategy == "random" and not runs["b"].maximize
    assert runs["b"].best_value == min(r.value for r in lsbo.load_run(path, "b").history)
    lsbo.delete_run(path, "a")
    assert [run.name for run in lsbo.list_runs(path)] == ["b"]
    with pytest.raises(RunNotFoundError, match=r"no run named 'a'.*\(runs there: b\)"):
        lsbo.delete_run(path, "a")
