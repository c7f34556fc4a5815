"""A learned validity constraint keeps each strategy's proposals where decodes are valid."""

from __future__ import annotations

import pytest
import torch

from lsbo.strategies import Plain, TrustRegion
from lsbo.surrogates.validity import fit_validity_classifier
from tests.lsbo.components import components, context, observe


@pytest.fixture(scope="module")
def task(strings, string_vae):
    """Scored observations, and a classifier of a synthetic valid region: the half of
    the latent box on the far side of the best point in its first coordinate."""
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[:12])
    low, high = latent.bounds
    middle = (low[0] + high[0]) / 2
    sign = 1.0 if observations.best_point()[0] < middle else -1.0  # valid away from the best

    def is_valid(z):
        return sign * (z[..., 0] - middle) > 0

    X = low + (high - low) * torch.rand(400, latent.dim, generator=torch.Generator().manual_seed(0))
    X = X.to(torch.float64)
    classifier = fit_validity_classifier(X[is_valid(X)], X[~is_valid(X)], latent.bounds, seed=0)
    return latent, observations, run, classifier, is_valid


def _valid_share(points, is_valid):
    return is_valid(points).double().mean().item()


@pytest.mark.parametrize(
    "strategy", [Plain(), TrustRegion(n_candidates=512, length_init=1.6)], ids=["plain", "tr"]
)
def test_proposals_fall_in_the_valid_region_far_more_often_with_the_constraint(task, strategy):
    latent, observations, run, classifier, is_valid = task
    free = strategy.propose(context(latent, observations, run), 2)
    kept = strategy.propose(context(latent, observations, run, validity=classifier), 2)
    assert _valid_share(kept, is_valid) >= 0.9
    assert _valid_share(kept, is_valid) > _valid_share(free, is_valid) + 0.3


def test_the_fallback_ranking_puts_likely_valid_points_first(task):
    latent, observations, run, classifier, is_valid = task
    low, high = latent.bounds
    points = low + (high - low) * torch.rand(200, latent.dim, generator=torch.Generator())
    points = points.to(torch.float64)
    ranking = Plain().ranking(context(latent, observations, run, validity=classifier))
    top = points[ranking(points).argsort(descending=True)[:20]]
    assert _valid_share(top, is_valid) >= 0.9


def test_without_a_classifier_the_strategies_search_as_before(task):
    latent, observations, run, _, _ = task
    for strategy in (Plain(), TrustRegion(n_candidates=256)):
        ctx = context(latent, observations, run)
        assert ctx.validity() is None
        assert torch.equal(
            strategy.propose(ctx, 2), strategy.propose(context(latent, observations, run), 2)
        )
