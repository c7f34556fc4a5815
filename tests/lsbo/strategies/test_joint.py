"""LOL-BO's strategy: the deep-kernel GP, its updates, and the joint VAE-GP update."""

from __future__ import annotations

import copy
import itertools
import math
from types import SimpleNamespace

import pytest
import torch

import lsbo
from lsbo import Optimizer, OptimizerOptions
from lsbo.acquisition.trust_region import thompson_order
from lsbo.exceptions import InvalidOptionError
from lsbo.strategies import JointTraining, get_strategy, strategy_from_settings
from lsbo.strategies.joint import dbas_weights, lipschitz_penalty, prior_distance
from lsbo.surrogates import DeepKernelGP, fit_deep_kernel_gp, new_deep_kernel_gp
from tests.lsbo.components import components, context, observe

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
SMALL = {"hidden_dims": (16, 16), "num_inducing": 32, "min_init_steps": 60, "n_candidates": 256}


def count_a(s: str) -> float:
    return float(s.count("a"))


def smooth(X: torch.Tensor) -> torch.Tensor:
    return (torch.sin(2 * X[:, :1]) + 0.5 * X[:, 1:2] ** 2).to(X)


# -- the deep-kernel GP -------------------------------------------------------------


def test_the_deep_kernel_gp_trains_and_predicts_on_latent_points():
    X = torch.randn(260, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = smooth(X)
    model = new_deep_kernel_gp(X[:200], Y[:200], num_inducing=64, hidden_dims=(32, 32), seed=0)
    assert isinstance(model, DeepKernelGP) and not model.training
    with torch.no_grad():
        posterior = model.posterior(X[200:])
    mean = posterior.mean.squeeze(-1)
    assert posterior.mean.shape == (60, 1) and bool((posterior.variance > 0).all())
    held_out = torch.corrcoef(torch.stack([mean, Y[200:].squeeze(-1)]))[0, 1]
    assert held_out > 0.8  # it learned the function, not just the points
    # the values are in their own units again (the model trains on standardized ones)
    assert abs(float(mean.mean()) - float(Y[200:].mean())) < 0.5


def test_an_update_on_new_points_moves_the_prediction_there():
    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    model = new_deep_kernel_gp(X, smooth(X), num_inducing=32, hidden_dims=(16, 16), seed=0)
    new = torch.full((5, 3), 3.0, dtype=torch.float64) + 0.01 * torch.arange(15).view(5, 3)
    target = torch.full((5, 1), 10.0, dtype=torch.float64)
    before = model.posterior(new).mean.detach()
    fit_deep_kernel_gp(model, new, target, epochs=50, num_data=105)
    after = model.posterior(new).mean.detach()
    assert bool(((target - after).abs() < (target - before).abs()).all())


def test_training_keeps_the_standardization_of_the_first_values():
    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    Y = 3 * X[:, :1] + 10
    model = new_deep_kernel_gp(X, Y, num_inducing=16, hidden_dims=(8,), epochs=1, seed=0)
    means, stdvs = model.outcome_transform.means.clone(), model.outcome_transform.stdvs.clone()
    assert torch.allclose(means, Y.mean()) and torch.allclose(stdvs, Y.std())
    high = torch.full((5, 1), 100.0, dtype=torch.float64)
    fit_deep_kernel_gp(model, torch.randn(5, 3, dtype=torch.float64), high, epochs=1, num_data=105)
    assert torch.equal(model.outcome_transform.means, means)  # not refitted to the new batch
    assert torch.equal(model.outcome_transform.stdvs, stdvs)
    assert float(model.standardize(high)[0]) > 25  # far above the first values, as they are


def test_the_gp_loss_is_differentiable_in_the_latent_points():
    X = torch.randn(40, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    model = new_deep_kernel_gp(X, smooth(X), num_inducing=16, hidden_dims=(8,), epochs=1, seed=0)
    Z = X.clone().requires_grad_(True)
    model.train()
    model.loss(Z, smooth(X), num_data=40).backward()
    assert Z.grad is not None and bool(Z.grad.abs().sum() > 0)


# -- settings -----------------------------------------------------------------------


def test_lol_bo_is_chosen_by_name_and_its_settings_round_trip():
    strategy = get_strategy("lol-bo", hidden_dims=[32, 32], update_after=None)
    assert isinstance(strategy, JointTraining) and strategy.hidden_dims == (32, 32)
    assert strategy.retraining is None  # no joint updates: a deep-kernel TuRBO
    assert strategy_from_settings(strategy.settings()) == strategy
    assert get_strategy("lol-bo").retraining == get_strategy("lol-bo")
    with pytest.raises(InvalidOptionError, match="update_after must be an integer >= 1"):
        JointTraining(update_after=0)
    with pytest.raises(
        InvalidOptionError, match="update_after must be an integer >= 1, got 'None'"
    ):
        JointTraining(update_after="None")  # e.g. a setting read from text
    with pytest.raises(InvalidOptionError, match="mutants must be an integer >= 0"):
        JointTraining(mutants=-1)
    with pytest.raises(InvalidOptionError, match="hidden_dims"):
        JointTraining(hidden_dims=())


# -- inside the optimizer -----------------------------------------------------------


def test_the_gp_is_kept_between_steps_and_updated_on_the_new_points(strings, string_vae):
    strategy = JointTraining(update_after=None, **SMALL)
    optimizer = Optimizer(count_a, strings, model=string_vae, options=FAST, strategy=strategy)
    optimizer.run(6)
    first = optimizer.strategy_state["gp"]
    assert optimizer.strategy_state["seen"] == 5  # fitted before the 6th evaluation
    optimizer.run(8)
    assert optimizer.strategy_state["gp"] is first  # updated, not fitted again
    assert optimizer.strategy_state["seen"] == 7
    assert optimizer.stats.surrogate_seconds > 0


def test_proposals_are_thompson_samples_inside_the_trust_region(strings, string_vae):
    strategy = JointTraining(update_after=None, **SMALL)
    optimizer = Optimizer(count_a, strings, model=string_vae, options=FAST, strategy=strategy)
    optimizer.run(5)
    for proposal in optimizer.ask(3):
        region = optimizer.notes["region"]
        if proposal.source == "bo":
            point = proposal.acquisition_point.to(region)
            assert torch.all(point >= region[0] - 1e-9) and torch.all(point <= region[1] + 1e-9)
    width = optimizer.latent.bounds[1] - optimizer.latent.bounds[0]
    assert bool(((region[1] - region[0]) <= 0.8 * width + 1e-9).all())


def test_the_joint_update_fires_after_the_set_failures_and_reencodes(strings, string_vae):
    flat = itertools.count()

    def no_progress(s):  # improves only while the initial designs are scored
        return float(min(next(flat), 4))

    strategy = JointTraining(update_after=3, **SMALL)
    optimizer = Optimizer(no_progress, strings, model=string_vae, options=FAST, strategy=strategy)
    optimizer.run(7)  # 5 initial designs, then 2 batches without progress
    assert optimizer.stats.n_retrainings == 0
    weights = [p.detach().clone() for p in optimizer.model.parameters()]
    gp = optimizer.strategy_state["gp"]
    optimizer.run(9)  # the 3rd failing batch is told; the update comes at the next ask
    assert optimizer.stats.n_retrainings == 1 and optimizer.model.metadata["retrainings"] == 1
    after = optimizer.model.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(weights, after, strict=True))  # it learned
    assert optimizer.strategy_state["gp"] is gp  # trained with it, not replaced
    encoded = optimizer.latent.encode(optimizer.observations.designs)
    assert torch.allclose(optimizer.observations.X, encoded)  # every design encoded again
    assert string_vae.metadata.get("retrainings") is None  # the caller's VAE is untouched
    optimizer.run(12)  # 3 more failing batches: the 2nd update
    assert optimizer.stats.n_retrainings == 2


def test_a_new_best_restarts_the_count_of_failures():
    strategy = JointTraining(update_after=2)

    class Obs:  # the parts of Observations that the count reads
        def __init__(self, batches):
            self.direction = lsbo.Direction.MAXIMIZE
            self.history = [
                SimpleNamespace(value=value, iteration=i, source=source(i))
                for i, batch in enumerate(batches)
                for value in batch
            ]

        def given_values(self):
            return []

    def source(iteration):
        return lsbo.Source.INITIAL if iteration == 0 else lsbo.Source.BO

    assert strategy.due(0, 0, observations=Obs([[1.0], [0.0], [0.0], [0.0]])) == 1
    assert strategy.due(0, 0, observations=Obs([[1.0], [0.0], [2.0], [0.0]])) == 0
    assert strategy.due(0, 0, observations=Obs([[1.0], [0.0], [0.0], [0.0], [0.0]])) == 2
    assert strategy.due(0, 2, force=True, observations=Obs([[1.0]])) == 3


def test_a_lol_bo_run_is_reproducible(strings, string_vae):
    def run():
        strategy = JointTraining(update_after=2, **SMALL)
        result = lsbo.optimize(
            count_a, strings, budget=12, model=string_vae, strategy=strategy, options=FAST
        )
        return [r.design for r in result.history]

    assert run() == run()


def test_thompson_order_picks_distinct_maximizers_of_posterior_samples():
    X = torch.linspace(-2, 2, 60, dtype=torch.float64).unsqueeze(-1)
    model = new_deep_kernel_gp(X, -(X**2), num_inducing=16, hidden_dims=(8,), seed=0)
    points = torch.tensor([[0.0], [1.9], [-1.9], [0.05], [1.0]], dtype=torch.float64)
    order = thompson_order(model, points, 3, seed=1)
    assert sorted(order) == [0, 1, 2, 3, 4]  # every point once
    assert set(order[:2]) == {0, 3}  # the two near the maximum come first
    assert order == thompson_order(model, points, 3, seed=1)  # seeded


def test_lol_bo_with_mutants_ranks_children_beside_the_latent_samples(strings, string_vae):
    options = OptimizerOptions(**{**vars(FAST), "batch_size": 4})
    strategy = JointTraining(update_after=None, mutants=64, **SMALL)
    result = lsbo.optimize(
        count_a, strings, budget=25, model=string_vae, options=options, strategy=strategy
    )
    sources = {r.source for r in result.history}
    assert lsbo.Source.MUTANT in sources and result.stats.n_decoded > 0
    assert len({r.design for r in result.history}) == 25


def test_the_fallback_ranks_many_points_by_an_upper_bound_of_the_deep_kernel_gp(
    strings, string_vae
):
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[::40])
    ctx = context(latent, observations, run)
    strategy = JointTraining(**SMALL)
    points = torch.randn(1500, latent.dim, dtype=torch.float64)  # three chunks
    values = strategy.ranking(ctx)(points)
    posterior = strategy.surrogate(ctx).posterior(points[:5])
    expected = posterior.mean.squeeze(-1) + 2 * posterior.variance.sqrt().squeeze(-1)
    assert values.shape == (1500,) and bool(values.isfinite().all())
    assert torch.allclose(values[:5], expected.detach(), rtol=1e-6, atol=1e-8)
    assert ctx.surrogate() is strategy.surrogate(ctx)  # the step's surrogate is its own GP


# -- CoBO's regularizers of the joint update ------------------------------------------


def test_dbas_weights_favour_the_top_values_and_average_one():
    y = torch.linspace(-2, 2, 41, dtype=torch.float64)
    weights = dbas_weights(y)
    assert abs(float(weights.mean()) - 1.0) < 1e-12
    assert bool((weights.diff() >= 0).all()) and float(weights[-1]) > 10 * float(weights[20])
    assert torch.allclose(dbas_weights(torch.zeros(5)), torch.ones(5))  # ties: all equal


def test_the_prior_distance_is_the_mean_distance_of_two_prior_samples():
    z = torch.randn(20_000, 2, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sampled = float((z[:, 0] - z[:, 1]).norm(dim=-1).mean())
    assert abs(prior_distance(6) - sampled) < 0.03
    assert abs(prior_distance(1) - 2 / math.sqrt(math.pi)) < 1e-12  # E|x - y|, x, y ~ N(0, 1)


def test_the_lipschitz_penalty_is_the_excess_rate_over_the_median():
    z = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    ones = torch.ones(4, dtype=torch.float64)
    assert float(lipschitz_penalty(z, y, ones)) < 1e-6  # one rate everywhere: nothing above
    z = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64, requires_grad=True)
    penalty = lipschitz_penalty(z, torch.tensor([0.0, 1.0, 10.0], dtype=torch.float64), ones[:3])
    # rates: 0 (the diagonal, x3), 1 (x2), 10/3 (x2), 9/2 (x2); the median is 1
    expected = ((10 / 3 - 1) * 2 + (9 / 2 - 1) * 2) / 4
    assert abs(float(penalty) - expected) < 1e-6
    penalty.backward()
    assert float(z.grad[2, 0]) < 0 < float(z.grad[1, 0])  # it pulls the steep pair apart


def test_cobos_regularizers_change_the_joint_update_and_round_trip(strings, string_vae):
    cobo = {"lipschitz_weight": 100.0, "loss_weighting": True, "distance_weight": 0.1}
    assert strategy_from_settings(JointTraining(**cobo).settings()) == JointTraining(**cobo)
    for wrong in ({"lipschitz_weight": -1.0}, {"distance_weight": -0.1}):
        with pytest.raises(InvalidOptionError, match="must be >= 0"):
            JointTraining(**wrong)
    with pytest.raises(InvalidOptionError, match="loss_weighting must be True or False"):
        JointTraining(loss_weighting="yes")

    designs = strings[:64]
    Y = torch.tensor([[count_a(s)] for s in designs], dtype=torch.float64)
    X = string_vae.encode(designs)[0].to(torch.float64)

    def updated(**settings):
        strategy = JointTraining(**SMALL, **settings)
        vae = copy.deepcopy(string_vae)
        model = new_deep_kernel_gp(X, Y, num_inducing=16, hidden_dims=(16, 16), seed=0)
        strategy.update_end_to_end(vae, model, designs, Y, beta=0.1, seed=5)
        return torch.cat([p.detach().flatten() for p in vae.parameters()])

    plain = updated()
    assert torch.equal(plain, updated())  # reproducible
    for name, value in cobo.items():
        assert not torch.equal(plain, updated(**{name: value})), name
