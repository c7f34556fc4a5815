import math

import pytest
import torch
from botorch.models import SingleTaskGP

from lsbo.acquisition.trust_region import (
    TrustRegionState,
    replay,
    thompson_sample,
    trust_region_bounds,
)


def state(**kwargs):
    defaults = dict(success_tolerance=3, failure_tolerance=2)
    return TrustRegionState(**{**defaults, **kwargs})


def test_the_region_grows_after_successes_up_to_its_largest_side():
    region = replay(state(), [0.0], [[1.0], [2.0], [3.0]])
    assert region.length == pytest.approx(1.6)  # 0.8 doubled, capped at length_max
    assert region.best_value == 3.0 and region.success_counter == 0
    region = replay(region, [], [[4.0], [5.0], [6.0]])
    assert region.length == pytest.approx(1.6)


def test_the_region_shrinks_after_failures_and_restarts_when_it_collapses():
    region = replay(state(), [10.0], [[1.0], [2.0]])
    assert region.length == pytest.approx(0.4) and region.best_value == 10.0
    # an improvement smaller than 1e-3 * |best| is no success; neither is an empty batch
    region = replay(region, [], [[10.001], []])
    assert region.length == pytest.approx(0.2)
    region = replay(region, [], [[0.0]] * 8)  # 0.1, 0.05, 0.025, 0.0125: still above 0.5^7
    assert region.length == pytest.approx(0.0125) and region.n_restarts == 0
    region = replay(region, [], [[0.0]] * 2)  # 0.00625 < 0.5^7: a new region
    assert region.length == pytest.approx(0.8) and region.n_restarts == 1
    assert region.failure_counter == region.success_counter == 0


def test_a_success_resets_the_failure_count():
    region = replay(state(), [0.0], [[-1.0], [1.0], [-1.0]])
    assert region.length == pytest.approx(0.8) and region.failure_counter == 1


def fitted_gp(lengthscales):
    X = torch.rand(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    gp = SingleTaskGP(X, X.sum(-1, keepdim=True))
    gp.covar_module.lengthscale = torch.tensor(lengthscales, dtype=torch.float64)
    return gp.eval()


def test_the_box_is_centred_stretched_by_lengthscales_and_clipped():
    bounds = torch.tensor([[-2.0, -2.0], [2.0, 2.0]], dtype=torch.float64)
    center = torch.zeros(2, dtype=torch.float64)
    box = trust_region_bounds(fitted_gp([0.2, 0.8]), center, 0.5, bounds)
    width = box[1] - box[0]
    assert torch.allclose((box[0] + box[1]) / 2, center)
    # sides in proportion to the lengthscales, volume as for an isotropic box of side 0.5
    assert width[1] / width[0] == pytest.approx(4.0)
    assert math.prod((width / 4.0).tolist()) == pytest.approx(0.5**2)
    corner = torch.tensor([1.9, -1.9], dtype=torch.float64)
    clipped = trust_region_bounds(fitted_gp([0.5, 0.5]), corner, 0.5, bounds)
    assert torch.all(clipped[0] >= bounds[0]) and torch.all(clipped[1] <= bounds[1])
    assert clipped[1, 0] == 2.0 and clipped[0, 1] == -2.0


def test_thompson_samples_are_distinct_points_in_the_region_and_seeded():
    gp = fitted_gp([0.3, 0.3])
    center = torch.tensor([0.5, 0.5], dtype=torch.float64)
    region = torch.tensor([[0.3, 0.4], [0.7, 0.6]], dtype=torch.float64)
    points = thompson_sample(gp, center, region, n=8, n_candidates=500, seed=3)
    assert points.shape == (8, 2)
    assert torch.all(points >= region[0]) and torch.all(points <= region[1])
    assert len({tuple(p.tolist()) for p in points}) == 8
    assert torch.equal(points, thompson_sample(gp, center, region, 8, 500, seed=3))
    assert not torch.equal(points, thompson_sample(gp, center, region, 8, 500, seed=4))
    # the function grows with x + y: the samples favour the region's upper corner
    assert points.sum(-1).mean() > center.sum()
