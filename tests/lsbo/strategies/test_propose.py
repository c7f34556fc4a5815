"""Each built-in strategy's proposal step, called directly with a search context."""

from __future__ import annotations

import torch

from lsbo.records import ProposalState, Record, Source
from lsbo.strategies import Plain, RandomSearch, TrustRegion, WeightedRetraining
from tests.lsbo.components import components, context, observe


def scored(strings, string_vae, n=12):
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[:n])
    return latent, observations, run


def test_plain_proposes_points_in_the_box_best_batch_first_and_avoids_pending(strings, string_vae):
    latent, observations, run = scored(strings, string_vae)
    ctx = context(latent, observations, run)
    points = Plain().propose(ctx, 2)
    assert points.shape == (4 * 2, latent.dim)  # a batch of 2 per restart, best first
    low, high = latent.bounds
    assert torch.all(points >= low - 1e-9) and torch.all(points <= high + 1e-9)
    assert torch.equal(points, Plain().propose(context(latent, observations, run), 2))
    # a point treated as pending (e.g. rejected) steers the next round elsewhere
    ctx.rejected.append(points[0])
    again = Plain().propose(ctx.next_round(), 2)
    assert not torch.allclose(again[0], points[0])
    ranking = Plain().ranking(ctx)
    assert ranking is not None and ranking(points).shape == (len(points),)


def test_weighted_retraining_searches_as_plain_and_schedules_its_retraining():
    schedule = WeightedRetraining(period=5)
    assert schedule.retraining is schedule and Plain().retraining is None
    assert [schedule.due(n, done=0) for n in (4, 5, 12)] == [0, 1, 2]
    assert schedule.due(3, done=1, force=True) == 2


def test_the_trust_region_proposes_inside_its_region_around_the_best_point(strings, string_vae):
    latent, observations, run = scored(strings, string_vae)
    ctx = context(latent, observations, run)
    strategy = TrustRegion(n_candidates=256)
    points = strategy.propose(ctx, 3)
    region = ctx.notes["region"]
    assert points.shape == (4 * 3 + 16, latent.dim)
    assert torch.all(points >= region[0] - 1e-9) and torch.all(points <= region[1] + 1e-9)
    best = observations.best_point()
    assert torch.all(region[0] <= best + 1e-9) and torch.all(best <= region[1] + 1e-9)
    assert torch.equal(region, strategy.region(ctx))


def test_the_trust_region_state_is_replayed_from_the_history(strings, string_vae):
    latent, observations, run = scored(strings, string_vae, n=2)

    def batch(number, value):
        latent_point = torch.zeros(latent.dim)
        return Record(number, f"d{number}", value, ProposalState.COMPLETE, "", number,
                      Source.BO, latent_point, 0.0)  # fmt: skip

    history = [batch(i, 0.0) for i in range(5)]  # the first sets the best, four do not beat it
    strategy = TrustRegion(failure_tolerance=2)
    state = strategy.state(context(latent, observations, run, history=history))
    assert state.length == 0.8 / 4  # halved twice
    better = [*history, batch(9, 10.0)]
    assert strategy.state(context(latent, observations, run, history=better)).best_value == 10.0


def test_random_search_draws_prior_samples_at_its_scale_with_the_steps_generator(
    strings, string_vae
):
    latent, observations, run = scored(strings, string_vae)
    ctx = context(latent, observations, run, seed=5)
    wide, narrow = RandomSearch(scale=3.0), RandomSearch(scale=0.1)
    points = wide.propose(ctx, 100)
    assert points.shape == (416, latent.dim) and 2.5 < points.std().item() < 3.5
    assert narrow.propose(context(latent, observations, run, seed=5), 100).std() < 0.2
    # later rounds of one step continue the step's generator: new samples
    assert not torch.equal(wide.propose(ctx.next_round(), 100), points)
    assert wide.ranking(ctx) is None and not ctx.fitted  # no GP, no fallback ranking
