"""The GP learns values at the points that decoded to designs: when, stored, resumed."""

from __future__ import annotations

import sqlite3

import pytest

from lsbo import Optimizer, OptimizerOptions, Plain
from lsbo.exceptions import InvalidOptionError
from tests.lsbo.components import FAST, count_a


def _optimizer(strings, string_vae, setting, storage, name="p"):
    options = OptimizerOptions(**{**FAST.__dict__, "learn_decoded_points": setting})
    return Optimizer(
        count_a, strings, model=string_vae, options=options, seed=0, storage=storage, name=name,
        strategy=Plain(mutants=0),  # decoded latent points only: they are what is tested
    )  # fmt: skip


def _states(path):
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT state, COUNT(*) FROM lsbo_proposals GROUP BY state"))


def test_duplicate_decodes_are_stored_with_their_values_and_a_resumed_run_learns_them(
    tmp_path, strings, string_vae
):
    whole = _optimizer(strings, string_vae, "auto", tmp_path / "whole.db").run(16)
    states = _states(tmp_path / "whole.db")
    assert states["duplicate"] > 0  # the toy VAE decodes many points to a few designs
    assert whole.stats.n_duplicate >= states["duplicate"]
    assert len(whole.history) == 16 and not whole.invalid  # they are not evaluations
    path = tmp_path / "parts.db"
    _optimizer(strings, string_vae, "auto", path).run(9)
    resumed = _optimizer(strings, string_vae, "auto", path)
    learned = resumed.observations.n_decoded_points
    stored = _states(path).get("duplicate", 0)
    assert learned == stored + sum(r.point is not None for r in resumed.history)
    result = resumed.run(16)
    assert [(r.design, r.value) for r in result.history] == [
        (r.design, r.value) for r in whole.history
    ]


def test_switched_off_no_point_is_learned_or_stored(tmp_path, strings, string_vae):
    optimizer = _optimizer(strings, string_vae, False, tmp_path / "off.db")
    on = _optimizer(strings, string_vae, True, tmp_path / "on.db").run(16)
    off = optimizer.run(16)
    assert optimizer.observations.n_decoded_points == 0
    assert "duplicate" not in _states(tmp_path / "off.db")
    assert [r.design for r in off.history] != [r.design for r in on.history]


def test_auto_is_off_for_a_run_stored_before_the_option_existed(tmp_path, strings, string_vae):
    optimizer = _optimizer(strings, string_vae, "auto", None)
    assert optimizer.learns_decoded_points
    optimizer.run_storage.run.settings["options"].pop("learn_decoded_points")
    assert not optimizer.learns_decoded_points
    with pytest.raises(InvalidOptionError, match="learn_decoded_points"):
        OptimizerOptions(learn_decoded_points="yes")  # type: ignore[arg-type]
