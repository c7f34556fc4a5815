"""The optimizer's learned validity constraint: when it is used, counted and stored."""

from __future__ import annotations

import pytest

from lsbo import Objective, Optimizer, OptimizerOptions, Plain
from lsbo.exceptions import InvalidOptionError
from tests.lsbo.components import FAST, count_a


class NoDoubleD(Objective):
    """Counts 'a'; a string with "dd" is not a valid design."""

    name = "no-dd"

    def is_valid(self, design):
        return "dd" not in design

    def _evaluate(self, designs):
        return [count_a(d) for d in designs]


def _run(strings, string_vae, constraint, objective=None, budget=14, storage=None):
    # without learned decoded points the search returns to invalid regions more often,
    # which is what these tests need (test_decoded_points.py covers them); decoded latent
    # points only (no design-space candidates), as the constraint weighs them
    settings = {"validity_constraint": constraint, "learn_decoded_points": False}
    options = OptimizerOptions(**{**FAST.__dict__, **settings})
    optimizer = Optimizer(
        objective or NoDoubleD(), strings, model=string_vae, options=options, seed=2,
        storage=storage, name="v", strategy=Plain(mutants=0),
    )  # fmt: skip
    return optimizer, optimizer.run(budget)


def _designs(result):
    return [r.design for r in result.history], [r.design for r in result.invalid]


def test_with_enough_invalid_decodes_it_is_fitted_counted_and_reproducible(strings, string_vae):
    _, on = _run(strings, string_vae, "auto")
    assert len(on.invalid) >= 5 and on.stats.n_validity_fits > 0
    assert on.stats.validity_seconds > 0
    _, again = _run(strings, string_vae, True)
    assert _designs(again) == _designs(on)
    _, off = _run(strings, string_vae, False)
    assert off.stats.n_validity_fits == 0 and off.stats.validity_seconds == 0
    assert _designs(off) != _designs(on)


def test_it_is_not_used_before_the_run_has_invalid_decodes(strings, string_vae):
    optimizer, result = _run(strings, string_vae, True, objective=count_a, budget=8)
    assert not result.invalid and result.stats.n_validity_fits == 0
    assert optimizer.context().validity() is None


def test_auto_is_off_for_a_run_stored_before_the_option_existed(tmp_path, strings, string_vae):
    optimizer, _ = _run(strings, string_vae, "auto", objective=count_a, budget=6)
    assert optimizer.validity_constrained
    optimizer.run_storage.run.settings["options"].pop("validity_constraint")
    assert not optimizer.validity_constrained
    with pytest.raises(InvalidOptionError, match="validity_constraint"):
        OptimizerOptions(validity_constraint="yes")  # type: ignore[arg-type]
