"""The search strategies: their settings, and their mechanics inside the optimizer."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

import lsbo
from lsbo import Optimizer, OptimizerOptions
from lsbo.exceptions import InvalidOptionError, SettingsMismatchError
from lsbo.models import fine_tune_vae
from lsbo.settings import stored_strategy
from lsbo.storage import get_storage
from lsbo.strategies import (
    STRATEGIES,
    Plain,
    TrustRegion,
    WeightedRetraining,
    get_strategy,
    rank_weights,
    strategy_from_settings,
)

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)


def count_a(s: str) -> float:
    return float(s.count("a"))


# -- weights ------------------------------------------------------------------------


def test_rank_weights_follow_the_papers_formula_and_sum_to_one():
    values = torch.tensor([3.0, 10.0, -1.0, 5.0])
    weights = rank_weights(values, k=0.5)
    ranks = torch.tensor([2.0, 0.0, 3.0, 1.0], dtype=torch.float64)
    expected = 1.0 / (0.5 * 4 + ranks)
    assert torch.allclose(weights, expected / expected.sum(), atol=1e-12)
    assert weights.sum().item() == pytest.approx(1.0)
    assert weights.argsort(descending=True).tolist() == [1, 3, 0, 2]


def test_small_k_concentrates_weight_large_k_spreads_it():
    values = torch.arange(1000, dtype=torch.float64)
    sharp, flat = rank_weights(values, 1e-3), rank_weights(values, 1e3)
    assert sharp[-1] / sharp[0] > 100  # the best design outweighs the worst by far
    assert flat.max() / flat.min() < 1.01  # nearly uniform
    top10 = sharp.sort(descending=True).values[:10].sum()
    assert top10 > 0.2


def test_unscored_designs_rank_just_below_every_scored_one_and_ties_are_stable():
    values = torch.tensor([float("nan"), 2.0, 2.0, float("nan"), 1.0])
    weights = rank_weights(values, k=1.0)
    assert weights[1] > weights[2] > weights[4] > weights[0]
    assert weights[0] == weights[3]
    assert torch.equal(weights, rank_weights(values, k=1.0))


# -- names and settings -------------------------------------------------------------


def test_every_strategy_is_chosen_by_name_and_round_trips_through_its_settings():
    for name in STRATEGIES:
        strategy = get_strategy(name)
        assert strategy_from_settings(strategy.settings()) == strategy
    assert get_strategy(None) == get_strategy("plain")
    combined = get_strategy("trust-region+weighted-retraining")
    assert isinstance(combined, TrustRegion) and combined.retraining == WeightedRetraining()
    assert get_strategy("weighted-retraining", period=5).period == 5
    custom = WeightedRetraining(k=0.01)
    assert get_strategy(custom) is custom


def test_unknown_strategies_and_bad_settings_are_clear_errors():
    with pytest.raises(InvalidOptionError, match=r"no strategy named 'turbo'.*trust-region"):
        get_strategy("turbo")
    with pytest.raises(InvalidOptionError, match=r"has no setting periodd.*period"):
        get_strategy("weighted-retraining", periodd=5)
    with pytest.raises(InvalidOptionError, match="period must be >= 1"):
        WeightedRetraining(period=0)
    with pytest.raises(InvalidOptionError, match="k must be > 0"):
        WeightedRetraining(k=0)
    with pytest.raises(InvalidOptionError, match="lengths must satisfy"):
        TrustRegion(length_init=2.0)


# -- fine-tuning --------------------------------------------------------------------


def elbo_loss(model, designs):
    with torch.no_grad():
        nll, kl = model.loss_terms(model.codec.encode(designs), torch.Generator().manual_seed(0))
    return (nll + 0.1 * kl).mean().item()


def test_fine_tuning_moves_the_vae_towards_the_heavy_designs(strings, string_vae):
    import copy

    heavy, light = ["aabb", "aacc", "aadd", "aaab"], list(strings[:300])
    gap = elbo_loss(string_vae, light) - elbo_loss(string_vae, heavy)
    options = lsbo.TrainingOptions(learning_rate=1e-3, batch_size=32)
    model = copy.deepcopy(string_vae)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    weights = torch.tensor([1e-4] * 300 + [1.0] * 4)
    for seed in range(4):
        fine_tune_vae(model, light + heavy, weights, 0.5, "sampling", options, seed, adam)
    # the heavy designs are now fitted better, relative to the others, than before
    assert elbo_loss(model, light) - elbo_loss(model, heavy) > gap + 0.5
    with pytest.raises(InvalidOptionError, match="weights must be"):
        fine_tune_vae(copy.deepcopy(string_vae), light, torch.zeros(len(light)))


# -- inside the optimizer -----------------------------------------------------------


def test_weighted_retraining_fine_tunes_on_schedule_and_moves_the_gp_with_the_vae(
    strings, string_vae
):
    original = {k: v.clone() for k, v in string_vae.state_dict().items()}
    optimizer = Optimizer(
        count_a, strings, model=string_vae, options=FAST, strategy=WeightedRetraining(period=5)
    )
    result = optimizer.run(17)
    assert result.stats.n_retrainings == 3  # after 5, 10 and 15 evaluations
    assert all(torch.equal(v, string_vae.state_dict()[k]) for k, v in original.items())
    assert optimizer.model is not string_vae
    changed = any(not torch.equal(v, optimizer.model.state_dict()[k]) for k, v in original.items())
    assert changed
    # the GP learns from the designs' points in the current latent space, and from the
    # points decoded since the last retraining (duplicate decodes among them)
    X, _ = optimizer.observations.training_data(optimizer.options.max_gp_points)
    encoded, _ = optimizer.model.encode([r.design for r in result.history])
    assert torch.allclose(X[: len(encoded)].float(), encoded, atol=1e-5)
    since = optimizer.model.metadata["retrained_at"]
    decoded = [r for r in result.history if r.iteration >= since and r.point is not None]
    assert len(X) - len(encoded) == optimizer.observations.n_decoded_points >= len(decoded)
    assert result.stats.vae_seconds > 0


def test_a_retrained_run_resumes_with_its_retrained_vae(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"

    def make():
        return Optimizer(
            count_a,
            strings,
            model=string_vae,
            options=FAST,
            storage=path,
            name="wr",
            strategy=WeightedRetraining(period=4),
        )

    first = make()
    first.run(9)
    resumed = make()
    assert resumed.latent.retrainings == 2
    state, stored = first.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(state[k], stored[k]) for k in state)
    resumed.run(13)
    assert resumed.stats.n_retrainings == 3
    assert lsbo.load_run(path, "wr").model.metadata["retrainings"] == 3
    with pytest.raises(SettingsMismatchError, match="strategy"):
        Optimizer(count_a, strings, model=string_vae, options=FAST, storage=path, name="wr")


def test_trust_region_proposals_lie_in_a_region_that_shrinks_without_improvement(
    strings, string_vae
):
    flat = itertools.count()

    def no_progress(s):  # improves only while the initial designs are scored
        return float(min(next(flat), 4))

    strategy = TrustRegion(failure_tolerance=2, n_candidates=256)
    optimizer = Optimizer(no_progress, strings, model=string_vae, options=FAST, strategy=strategy)
    optimizer.run(5)
    lengths, volumes = [], []
    for _ in range(6):
        for proposal in optimizer.ask(1):
            region = optimizer.notes["region"]
            if proposal.source == "bo":
                point = proposal.acquisition_point.to(region)
                assert torch.all(point >= region[0] - 1e-9) and torch.all(point <= region[1] + 1e-9)
            volumes.append((region[1] - region[0]).prod().item())
            optimizer.tell(proposal, no_progress(proposal.design))
        lengths.append(optimizer.trust_region().length)
    assert lengths == pytest.approx([0.8, 0.4, 0.4, 0.2, 0.2, 0.1])
    assert volumes[-1] < volumes[0]


def test_trust_region_grows_while_every_batch_improves(strings, string_vae):
    better = itertools.count()

    def always_better(s):
        return float(next(better))

    strategy = TrustRegion(success_tolerance=2, n_candidates=256)
    optimizer = Optimizer(always_better, strings, model=string_vae, options=FAST, strategy=strategy)
    optimizer.run(9)  # 5 initial designs, then 4 improving batches
    state = optimizer.trust_region()
    assert state.length == pytest.approx(1.6) and state.n_restarts == 0


def test_trust_region_with_mutants_ranks_children_beside_the_region_samples(strings, string_vae):
    options = OptimizerOptions(**{**vars(FAST), "batch_size": 4})

    def run():
        optimizer = Optimizer(
            count_a, strings, model=string_vae, options=options, seed=0,
            strategy=TrustRegion(mutants=64, n_candidates=256),
        )  # fmt: skip
        return optimizer, optimizer.run(25)

    optimizer, result = run()
    sources = {r.source for r in result.history}
    assert {lsbo.Source.MUTANT, lsbo.Source.BO} <= sources  # children and decoded samples
    assert len({r.design for r in result.history}) == 25
    assert optimizer.trust_region().length > 0  # the region still steers the samples
    assert [r.design for r in run()[1].history] == [r.design for r in result.history]


def test_trust_region_mutants_setting(strings, string_vae):
    assert TrustRegion().mutants == 0  # TuRBO's and LOL-BO's search, as published
    assert get_strategy("trust-region", mutants=8).settings()["mutants"] == 8
    # a run stored before the setting existed searched without children
    assert stored_strategy({"strategy": {"name": "trust-region"}}).mutants == 0
    for wrong in (-1, True, 1.5, "8"):
        with pytest.raises(InvalidOptionError, match="mutants must be an integer >= 0"):
            TrustRegion(mutants=wrong)


def test_random_search_decodes_prior_samples_and_fits_no_gp(strings, string_vae):
    first = lsbo.optimize(count_a, strings, budget=30, model=string_vae, strategy="random")
    again = lsbo.optimize(count_a, strings, budget=30, model=string_vae, strategy="random")
    assert [r.design for r in first.history] == [r.design for r in again.history]
    sampled = [r for r in first.history if r.source == "random"]
    assert len(sampled) == 20 and first.stats.surrogate_seconds == 0
    assert len({r.design for r in first.history}) == 30


def test_without_reencoding_the_gp_learns_from_the_acquisitions_point(strings, string_vae):
    options = OptimizerOptions(**{**vars(FAST), "reencode": False})
    result = lsbo.optimize(count_a, strings, budget=10, model=string_vae, options=options)
    bo = [r for r in result.history if r.source == "bo"]
    assert bo
    for record in bo:
        encoded, _ = string_vae.encode([record.design])
        assert not torch.allclose(record.latent.float(), encoded[0], atol=1e-4)


def test_a_run_stored_before_strategies_had_settings_resumes(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    Optimizer(count_a, strings, model=string_vae, options=FAST, storage=path, name="r").run(3)
    store = get_storage(path)
    run = store.get_run("r")
    store.update_run(run.id, settings={**run.settings, "strategy": "plain"})
    # it searched without design-space candidates: it resumes as it was made ...
    again = Optimizer(
        count_a, strings, model=string_vae, options=FAST, storage=path, name="r",
        strategy=Plain(mutants=0),
    )  # fmt: skip
    assert len(again.run(5).history) == 5
    # ... and with today's default only when asked to
    with pytest.raises(SettingsMismatchError, match=r"strategy.mutants: 0 -> None"):
        Optimizer(count_a, strings, model=string_vae, options=FAST, storage=path, name="r")
    today = Optimizer(
        count_a, strings, model=string_vae, options=FAST, storage=path, name="r",
        accept_changes=True,
    )  # fmt: skip
    assert len(today.run(7).history) == 7


def test_combined_strategy_retrains_and_keeps_a_trust_region(strings, string_vae):
    strategy = TrustRegion(retraining=WeightedRetraining(period=4), n_candidates=256)
    optimizer = Optimizer(count_a, strings, model=string_vae, options=FAST, strategy=strategy)
    result = optimizer.run(10)
    assert result.stats.n_retrainings == 2
    assert optimizer.trust_region() is not None and not math.isinf(
        optimizer.trust_region().best_value
    )


def test_an_exhausted_latent_space_makes_a_retraining_strategy_retrain_at_once(strings, string_vae):
    from lsbo import Objective
    from lsbo.exceptions import SearchExhaustedError

    known = set(strings[:200])

    class OnlyKnown(Objective):  # every valid design is a training design, all scored
        def is_valid(self, design):
            return design in known

        def _evaluate(self, designs):
            return [count_a(d) for d in designs]

    designs = sorted(known)
    scores = [count_a(d) for d in designs]
    for strategy, retrainings in (("plain", 0), (WeightedRetraining(period=50), 1)):
        optimizer = Optimizer(
            OnlyKnown(), designs, scores=scores, model=string_vae, options=FAST, strategy=strategy
        )
        with pytest.raises(SearchExhaustedError, match="no valid design that has not been"):
            optimizer.ask(1)
        assert optimizer.stats.n_retrainings == retrainings
