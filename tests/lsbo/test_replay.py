"""A stored run's next step, rebuilt from the run alone, is what its optimizer sees."""

from __future__ import annotations

import pytest
import torch

import lsbo
from lsbo.exceptions import NoDataError
from lsbo.replay import replay_context
from lsbo.strategies import TrustRegion
from tests.lsbo.components import FAST, count_a


def test_the_replayed_step_has_the_optimizers_box_points_and_trust_region(
    tmp_path, strings, string_vae
):
    path = tmp_path / "runs.db"
    strategy = TrustRegion(failure_tolerance=2, n_candidates=256)

    def optimizer():
        return lsbo.Optimizer(
            count_a, strings, model=string_vae, options=FAST, storage=path, name="tr",
            strategy=strategy,
        )  # fmt: skip

    optimizer().run(12)
    live = optimizer()  # the resumed run's optimizer, at its next step
    replayed = replay_context(lsbo.load_run(path, "tr"), strings)
    assert torch.equal(replayed.latent.bounds, live.latent.bounds)
    assert torch.allclose(replayed.observations.X, live.observations.X)
    assert torch.equal(replayed.observations.Y, live.observations.Y)
    assert strategy.state(replayed) == live.trust_region()
    region = strategy.region(replayed)
    # around the best point, as far as the latent box holds it (an encoded design may
    # lie outside the box; the region is clipped to it)
    bounds = live.latent.bounds
    best = live.observations.best_point().clamp(bounds[0], bounds[1])
    assert torch.all(region[0] <= best) and torch.all(best <= region[1])


def test_a_run_without_its_vae_cannot_be_replayed(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    lsbo.optimize(count_a, strings, budget=3, model=string_vae, storage=path, name="r")
    with pytest.raises(NoDataError, match="needs its VAE"):
        replay_context(lsbo.load_run(path, "r", with_model=False), strings)
