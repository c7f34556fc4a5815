"""A strategy written by a user, in their own file, runs through lsbo without touching it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch

import lsbo
from lsbo.exceptions import SettingsMismatchError
from lsbo.strategies import strategy_from_settings
from tests.lsbo.components import FAST, count_a


@dataclass(frozen=True)
class NearBest(lsbo.Strategy):
    """Gaussian steps around the best point so far: no GP at all."""

    name: ClassVar[str] = "near-best"
    step: float = 0.3

    def propose(self, context: lsbo.SearchContext, n: int) -> torch.Tensor:
        center = context.observations.best_point()
        noise = torch.randn(4 * n + 8, context.latent.dim, generator=context.generator)
        return center + self.step * noise.to(center)


def test_a_user_strategy_runs_through_optimize_reproducibly(strings, string_vae):
    def run():
        return lsbo.optimize(
            count_a, strings, budget=12, model=string_vae, options=FAST, strategy=NearBest()
        )

    first, again = run(), run()
    assert [r.design for r in first.history] == [r.design for r in again.history]
    searched = [r for r in first.history if r.source == "bo"]
    assert len(first.history) == 12 and len(searched) == 7  # after the 5 initial designs
    assert len({r.design for r in first.history}) == 12
    assert first.settings["strategy"] == {"name": "near-best", "step": 0.3}
    assert first.stats.surrogate_seconds == 0  # it never asked for the GP


def test_a_user_strategy_is_stored_and_a_resumed_run_continues_with_it(
    tmp_path, strings, string_vae
):
    path = tmp_path / "runs.db"

    def optimizer(strategy):
        return lsbo.Optimizer(
            count_a, strings, model=string_vae, options=FAST, storage=path, name="mine",
            strategy=strategy,
        )  # fmt: skip

    first = optimizer(NearBest()).run(8)
    resumed = optimizer(NearBest()).run(12)
    assert [r.design for r in resumed.history[:8]] == [r.design for r in first.history]
    assert len(resumed.history) == 12
    stored = lsbo.load_run(path, "mine")
    assert strategy_from_settings(stored.settings["strategy"]) == NearBest()
    assert strategy_from_settings({"name": "near-best", "step": 0.5}) == NearBest(step=0.5)
    with pytest.raises(SettingsMismatchError, match=r"strategy.step: 0.3 -> 0.5"):
        optimizer(NearBest(step=0.5))


def test_a_strategy_that_does_not_propose_says_so(strings, string_vae):
    @dataclass(frozen=True)
    class Unfinished(lsbo.Strategy):
        name: ClassVar[str] = "unfinished"

    with pytest.raises(NotImplementedError, match=r"Unfinished must implement propose"):
        lsbo.optimize(
            count_a, strings, budget=7, model=string_vae, options=FAST, strategy=Unfinished()
        )
