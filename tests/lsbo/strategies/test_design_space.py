"""Strategies that make designs in design space: the genetic algorithm, and qLogEI
ranking crossover and mutation children beside the decoded latent optima."""

from __future__ import annotations

import copy
import dataclasses
import itertools

import numpy as np
import pytest
import torch

import lsbo
from lsbo.acquisition import qlogei_values
from lsbo.exceptions import InvalidOptionError
from lsbo.records import Direction, ProposalState, Record, Source
from lsbo.representations import Codec, TokenCodec
from lsbo.settings import normalized, stored_strategy
from lsbo.strategies import Genetic, Plain, Screening, get_strategy
from lsbo.strategies.base import qlogei_ranking
from lsbo.strategies.plain import DEFAULT_MUTANTS, RANKED_SOURCES, explored_share, greedy_order
from tests.lsbo.components import FAST, components, context, count_a, observe


def test_genetic_children_are_crossovers_of_the_best_designs(strings, string_vae):
    latent, observations, run, gate = components(string_vae, strings)
    observe(latent, observations, strings[::10])
    ctx = dataclasses.replace(
        context(latent, observations, run, seed=1), usable=gate.is_new_and_valid
    )
    survivors = ctx.best_designs(4)
    assert [count_a(s) for s in survivors] == [2.0] * 4
    children = [c.design for c in Genetic(survivors=4, rate=0.0).propose_designs(ctx, 20)]
    assert len(set(children)) == 20 and "" not in children
    longest = latent.model.codec.max_length
    for child in children:  # a prefix of one, a suffix of another (cut at max_length)
        assert any(
            child[:i] == first[:i] and child[i:] in second
            and (second.endswith(child[i:]) or len(child) == longest)
            for first in survivors for second in survivors for i in range(len(child) + 1)
        )  # fmt: skip


def test_among_equal_values_the_newest_designs_are_the_parents(strings, string_vae):
    # neutral drift: a population on a plateau of equal values keeps moving
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[:60])
    values = observations.Y.tolist()
    expected = sorted(range(len(values)), key=lambda i: (-values[i], -i))[:12]
    assert len({values[i] for i in expected}) < 12  # ties among them
    ctx = context(latent, observations, run)
    assert ctx.best_designs(12) == [observations.designs[i] for i in expected]
    oldest = sorted(range(len(values)), key=lambda i: (-values[i], i))[:12]
    assert ctx.best_designs(12, drift=False) == [observations.designs[i] for i in oldest]
    assert oldest != expected
    for strategy in (Plain, Genetic):
        assert strategy().drift and not strategy(drift=False).drift
        with pytest.raises(InvalidOptionError, match="drift must be True or False"):
            strategy(drift=1)


def test_the_genetic_strategy_runs_without_a_gp_and_improves_on_the_data(strings, string_vae):
    def run():
        return lsbo.optimize(
            count_a, strings, budget=30, scores=[count_a(s) for s in strings],
            model=string_vae, options=FAST, seed=0, strategy="genetic",
        )  # fmt: skip

    result = run()
    assert all(r.source == Source.MUTANT for r in result.history)
    assert result.stats.surrogate_seconds == 0 and result.stats.n_decoded == 0
    assert not set(strings) & {r.design for r in result.history}  # every child is new
    assert result.best_value >= 3  # no training string has more than two a's
    assert [r.design for r in run().history] == [r.design for r in result.history]


def test_with_mutants_alone_the_batch_is_the_best_children_by_qlogei(strings, string_vae):
    latent, observations, run, gate = components(string_vae, strings)
    observe(latent, observations, strings[::50])
    gate.seen.update(latent.digest(d) for d in strings[::50])  # as the optimizer's gate
    ctx = dataclasses.replace(
        context(latent, observations, run, seed=3), usable=gate.is_new_and_valid
    )
    strategy = Plain(mutants=64, latent_optima=False)
    candidates = strategy.propose_designs(ctx, 4)
    assert candidates and all(c.point is None and not c.decoded for c in candidates)
    assert len({c.design for c in candidates}) == len(candidates)
    assert not {c.design for c in candidates} & set(strings[::50])
    encoded = latent.encode([c.design for c in candidates])
    values = qlogei_values(ctx.surrogate(), encoded, best_f=ctx.best_f, mc_samples=64, seed=3)
    assert int(values.argmax()) == 0  # the first pick is the best single child


def test_each_new_design_is_ranked_once_after_the_unusable_decodes(strings, string_vae):
    latent, observations, run, gate = components(string_vae, strings)
    observe(latent, observations, strings[::50])
    gate.seen.update(latent.digest(d) for d in strings[::50])
    ctx = dataclasses.replace(context(latent, observations, run), usable=gate.is_new_and_valid)
    candidates = Plain(mutants=32).propose_designs(ctx, 4)
    usable = [gate.is_new_and_valid(c.design) for c in candidates]
    first = usable.index(True)
    assert not any(usable[:first]) and all(usable[first:])  # the unusable come first
    ranked = [c.design for c in candidates[first:]]
    assert len(set(ranked)) == len(ranked)
    assert any(c.decoded for c in candidates[first:]) and any(not c.decoded for c in candidates)


def test_greedy_batches_take_the_best_point_then_complement_it(strings, string_vae):
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[::50])
    ctx = context(latent, observations, run)
    points = latent.encode(strings[1::37])
    order = greedy_order(ctx, points, 3)
    single = qlogei_values(ctx.surrogate(), points, best_f=ctx.best_f, mc_samples=64, seed=0)
    assert order[0] == int(single.argmax())
    assert sorted(order) == list(range(len(points)))
    # the second pick maximizes qLogEI given the first as pending
    given = qlogei_values(
        ctx.surrogate(), points, best_f=ctx.best_f, X_pending=points[order[:1]], mc_samples=64
    )
    given[order[0]] = -torch.inf
    assert order[1] == int(given.argmax())


def test_mutants_are_ranked_beside_the_decoded_latent_optima(strings, string_vae):
    options = dataclasses.replace(FAST, batch_size=4)
    result = lsbo.optimize(
        count_a, strings, budget=16, model=string_vae, options=options, seed=0,
        strategy=Plain(mutants=128),
    )  # fmt: skip
    sources = {r.source for r in result.history}
    assert Source.MUTANT in sources and result.stats.n_decoded > 0
    assert len({r.design for r in result.history}) == 16


def test_settings_of_design_space_strategies():
    assert get_strategy("genetic") == Genetic()
    assert get_strategy("plain", mutants=8).mutants == 8
    assert get_strategy("weighted-retraining", mutants=8).settings()["mutants"] == 8
    with pytest.raises(InvalidOptionError, match="give mutants > 0"):
        Plain(mutants=0, latent_optima=False)
    for wrong in (-1, 2.5, True):
        with pytest.raises(InvalidOptionError, match="mutants must be >= 0 or None"):
            Plain(mutants=wrong)
    assert Plain().settings() == {
        "name": "plain", "mutants": None, "latent_optima": True, "explore": 0.0,
        "explore_from": "prior", "generations": 1, "parents": 10, "drift": True, "spacing": 0.0,
        "adaptive": False,
    }  # fmt: skip
    for wrong in (-0.1, 1.5, True):
        with pytest.raises(InvalidOptionError, match="explore must be a share in"):
            Plain(explore=wrong)
    with pytest.raises(InvalidOptionError, match="explore_from must be 'prior' or 'children'"):
        Plain(explore_from="mutants")
    assert lsbo.WeightedRetraining().mutants == 0  # not yet measured with retraining


@pytest.mark.parametrize("mutants, explore, random", [(64, 0.5, 4), (0, 1.0, 8), (0, 0.5, 4)])
def test_explore_takes_its_share_of_each_batch_from_decoded_prior_samples(
    strings, string_vae, mutants, explore, random
):
    result = lsbo.optimize(
        count_a, strings, budget=16, model=string_vae, seed=0,
        options=dataclasses.replace(FAST, batch_size=4, n_initial=8),
        strategy=Plain(mutants=mutants, explore=explore),
    )  # fmt: skip
    searched = [r.source for r in result.history[8:]]  # 2 batches of 4
    assert searched.count(Source.RANDOM) == random and len(searched) == 8
    assert len({r.design for r in result.history}) == 16


def test_explored_children_are_taken_unranked_in_place_of_the_acquisitions_picks(
    strings, string_vae
):
    result = lsbo.optimize(
        count_a, strings, budget=16, model=string_vae, seed=0,
        options=dataclasses.replace(FAST, batch_size=4, n_initial=8),
        strategy=Plain(mutants=64, explore=1.0, explore_from="children"),
    )  # fmt: skip
    assert [r.source for r in result.history[8:]] == [Source.EXPLORED] * 8
    assert result.stats.n_decoded == 0  # no latent optimum was wanted


def test_a_share_of_a_proposal_is_a_seeded_draw():
    rng = np.random.default_rng(0)
    draws = [Plain(explore=0.25).n_explore(1, rng) for _ in range(400)]
    assert set(draws) == {0, 1} and 70 < sum(draws) < 130
    assert {Plain(explore=0.6).n_explore(5, rng) for _ in range(20)} == {3}
    assert {Plain(explore=0.3).n_explore(5, rng) for _ in range(50)} == {1, 2}


def records(steps: list[list[tuple[Source, float | None]]]) -> list[Record]:
    """A run's history: per step, the source and value (``None``: failed) of each."""
    made = []
    for iteration, step in enumerate(steps):
        for source, value in step:
            status = ProposalState.FAILED if value is None else ProposalState.COMPLETE
            made.append(
                Record(
                    len(made) + 1, "x", value, status, "", iteration, source, torch.zeros(2), 0.0
                )
            )
    return made


EXPLORED, RANKED = Source.EXPLORED, Source.MUTANT


def test_the_adaptive_share_keeps_explore_until_each_side_has_five_rewards():
    # step 0 has nothing before it to beat: only steps 1-4 are rewarded (4 of each)
    steps = [[(EXPLORED, 1.0), (RANKED, 0.0)] for _ in range(5)]
    assert explored_share(records(steps), Direction.MAXIMIZE, 0.5) == 0.5
    assert explored_share(records(steps), Direction.MAXIMIZE, 0.05) == 0.1  # the floor
    assert explored_share([], Direction.MAXIMIZE, 0.3) == 0.3


def test_the_adaptive_share_moves_to_the_side_whose_proposals_beat_more_of_the_run():
    rng = np.random.default_rng(0)
    better = [[(EXPLORED, rng.normal(1.0)), (RANKED, rng.normal(0.0))] for _ in range(20)]
    assert explored_share(records(better), Direction.MAXIMIZE, 0.5) == 0.9
    # minimizing, smaller values are better: the same values favour the ranked side
    assert explored_share(records(better), Direction.MINIMIZE, 0.5) == 0.1
    # a failed evaluation beats nothing, and failed ones are not the earlier values
    failing = [[(EXPLORED, None), (RANKED, rng.normal())] for _ in range(20)]
    assert explored_share(records(failing), Direction.MAXIMIZE, 0.5) == 0.1
    # sides alike: a share between the bounds, near a half
    alike = [[(EXPLORED, rng.normal()), (RANKED, rng.normal())] for _ in range(60)]
    assert 0.1 < explored_share(records(alike), Direction.MAXIMIZE, 0.5) < 0.9


def test_an_adaptive_plain_marks_its_unranked_children_and_notes_its_share(strings, string_vae):
    optimizer = lsbo.Optimizer(
        count_a, strings, model=string_vae, seed=0,
        options=dataclasses.replace(FAST, batch_size=4, n_initial=8),
        strategy=Plain(mutants=64, explore=0.5, explore_from="children", adaptive=True),
    )  # fmt: skip
    result = optimizer.run(32)
    sources = [r.source for r in result.history[8:]]
    assert Source.EXPLORED in sources and set(sources) <= {Source.EXPLORED, *RANKED_SOURCES}
    # the last step's share, as its notes show it, is learned from the steps before it
    last = result.history[-1].iteration
    before = [r for r in result.history if r.iteration < last]
    share = explored_share(before, Direction.MAXIMIZE, 0.5)
    assert optimizer.notes["explored share"] == round(share, 3)
    with pytest.raises(InvalidOptionError, match="explore_from='children'"):
        Plain(adaptive=True)
    with pytest.raises(InvalidOptionError, match="adaptive must be True or False"):
        Plain(explore_from="children", adaptive=1)  # type: ignore[arg-type]


class FixedTokens(TokenCodec):
    """A user's codec that makes no designs in design space (no ``vary`` of its own)."""

    vary = Codec.vary


class RecordedTokens(TokenCodec):
    """The string codec, recording the parents and children of each call of ``vary``."""

    calls: list[tuple[list[str], list[str]]]

    def vary(self, parents, n, rng, rate=None):
        children = super().vary(parents, n, rng, rate)
        self.calls.append((list(parents), list(children)))
        return children


def length(design: str) -> float:
    return float(len(design))


def test_spaced_parents_differ_in_value_by_more_than_the_spacing(strings, string_vae):
    # niching by value: near-copies of one good design do not make every parent
    latent, observations, run, _ = components(string_vae, strings)
    observe(latent, observations, strings[:60], objective=length)
    ctx, values = context(latent, observations, run), observations.Y.tolist()
    distinct = sorted(set(values), reverse=True)
    assert 2 < len(distinct) < 12 < len(values)  # values are lengths: many ties
    newest = [max(i for i, v in enumerate(values) if v == u) for u in distinct]
    oldest = [min(i for i, v in enumerate(values) if v == u) for u in distinct]
    designs = observations.designs
    assert ctx.best_designs(12, spacing=0.5) == [designs[i] for i in newest]
    assert ctx.best_designs(12, drift=False, spacing=0.5) == [designs[i] for i in oldest]
    wide = ctx.best_designs(12, drift=False, spacing=1.5)  # lengths 2 or more apart
    taken = [length(d) for d in wide]
    assert taken[0] == distinct[0] and all(a - b >= 2 for a, b in itertools.pairwise(taken))
    # a value passed over is within the spacing of a better one taken
    assert all(any(0 <= t - u <= 1.5 for t in taken) for u in set(distinct) - set(taken))
    assert ctx.best_designs(12, spacing=0.0) == ctx.best_designs(12)
    recorded = copy.deepcopy(string_vae)
    recorded.codec = RecordedTokens(string_vae.codec.tokens[1:], string_vae.codec.max_length)
    latent, observations, run, gate = components(recorded, strings)
    observe(latent, observations, strings[:60])
    ctx = dataclasses.replace(context(latent, observations, run), usable=gate.is_new_and_valid)
    for strategy in (Plain(spacing=0.5, explore=0.0), Genetic(spacing=0.5)):
        recorded.codec.calls = []
        if isinstance(strategy, Plain):
            strategy.children(ctx, 16, np.random.default_rng(0), set())
        else:
            strategy.propose_designs(ctx, 4)
        assert recorded.codec.calls[0][0] == ctx.best_designs(10, spacing=0.5)
    for wrong in (-0.1, True, "0.1", float("nan")):
        for cls in (Plain, Genetic):
            with pytest.raises(InvalidOptionError, match="spacing must be a number >= 0"):
                cls(spacing=wrong)


def test_later_generations_are_children_of_the_candidates_of_highest_qlogei(strings, string_vae):
    recorded = copy.deepcopy(string_vae)
    recorded.codec = RecordedTokens(string_vae.codec.tokens[1:], string_vae.codec.max_length)
    recorded.codec.calls = []
    latent, observations, run, gate = components(recorded, strings)
    observe(latent, observations, strings[::50])
    ctx = dataclasses.replace(context(latent, observations, run), usable=gate.is_new_and_valid)
    keys: set[str] = set()
    made = Plain(mutants=16, generations=3).children(ctx, 16, np.random.default_rng(0), keys)
    designs = [c.design for c in made]
    assert len(set(designs)) == len(designs) and keys == {latent.digest(d) for d in designs}
    assert len(recorded.codec.calls) == 3
    assert recorded.codec.calls[0][0] == ctx.best_designs(10)
    values = qlogei_ranking(ctx)(latent.encode(designs).to(torch.float64)).tolist()
    start = 0
    for k, (_, children) in enumerate(recorded.codec.calls):
        generation = [d for d in designs[start:] if d in children]
        assert generation and designs[start : start + len(generation)] == generation
        start += len(generation)
        if k + 1 < len(recorded.codec.calls):  # the next parents: the best 10 so far
            so_far = sorted(range(start), key=lambda i: -values[i])[:10]
            assert recorded.codec.calls[k + 1][0] == [designs[i] for i in so_far]
    assert start == len(designs) > 16
    with pytest.raises(InvalidOptionError, match="generations must be an int >= 1"):
        Plain(generations=0)


def test_children_have_the_best_parents_designs_as_parents(strings, string_vae):
    recorded = copy.deepcopy(string_vae)
    recorded.codec = RecordedTokens(string_vae.codec.tokens[1:], string_vae.codec.max_length)
    latent, observations, run, gate = components(recorded, strings)
    observe(latent, observations, strings[::20])
    ctx = dataclasses.replace(context(latent, observations, run), usable=gate.is_new_and_valid)
    for parents in (1, 10, 25):
        recorded.codec.calls = []
        made = Plain(parents=parents).children(ctx, 16, np.random.default_rng(0), set())
        assert made and [call[0] for call in recorded.codec.calls] == [ctx.best_designs(parents)]
    assert len(ctx.best_designs(25)) == 25
    for wrong in (0, -1, 2.5, True):
        with pytest.raises(InvalidOptionError, match="parents must be an int >= 1"):
            Plain(parents=wrong)


def test_plain_ranks_256_mutants_by_default_where_the_codec_can_vary(strings, string_vae):
    latent, observations, run, gate = components(string_vae, strings)
    observe(latent, observations, strings[::50])
    ctx = dataclasses.replace(context(latent, observations, run), usable=gate.is_new_and_valid)
    assert string_vae.codec.varies and Plain().mutants_for(ctx) == DEFAULT_MUTANTS == 256
    assert Plain(mutants=0).mutants_for(ctx) == 0 and Plain(mutants=3).mutants_for(ctx) == 3
    default = [c.design for c in Plain().propose_designs(ctx, 4)]
    assert default == [c.design for c in Plain(mutants=256).propose_designs(ctx, 4)]
    assert default != [c.design for c in Plain(mutants=3).propose_designs(ctx, 4)]

    fixed = copy.deepcopy(string_vae)
    fixed.codec = FixedTokens(string_vae.codec.tokens[1:], string_vae.codec.max_length)
    latent, observations, run, _ = components(fixed, strings)
    observe(latent, observations, strings[::50])
    ctx = context(latent, observations, run)
    assert not fixed.codec.varies and Plain().mutants_for(ctx) == 0
    assert Plain().propose_designs(ctx, 4) is None  # the latent optima, decoded as usual
    with pytest.raises(InvalidOptionError, match="FixedTokens cannot vary designs"):
        Plain(latent_optima=False).propose_designs(ctx, 4)


def test_a_plain_run_stored_before_mutants_existed_reads_as_without_them():
    assert (
        normalized({"strategy": {"name": "plain", "latent_optima": True}})["strategy"]["mutants"]
        == 0
    )
    assert normalized({"strategy": "plain"})["strategy"]["mutants"] == 0
    assert normalized({})["strategy"] == {
        "name": "plain", "mutants": 0, "latent_optima": True, "explore": 0.0,
        "explore_from": "prior", "generations": 1, "parents": 10, "drift": True, "spacing": 0.0,
        "adaptive": False,
    }  # fmt: skip
    today = normalized({"strategy": Plain().settings()})["strategy"]
    assert today["mutants"] is None
    assert stored_strategy({"strategy": {"name": "plain"}}) == Plain(mutants=0)
    with pytest.raises(InvalidOptionError, match="rate must be in"):
        Genetic(rate=2.0)


def test_screening_scores_the_unscored_training_designs_in_the_runs_order(strings, string_vae):
    scores = [count_a(s) if i % 2 else None for i, s in enumerate(strings)]
    unscored = [s for s, v in zip(strings, scores, strict=True) if v is None]

    def run(seed):
        return lsbo.optimize(
            count_a, strings, budget=25, scores=scores, model=string_vae, options=FAST,
            seed=seed, strategy="screening",
        )  # fmt: skip

    result = run(0)
    assert {r.source for r in result.history} == {Source.SCREENING}  # scores given: no start
    assert result.stats.surrogate_seconds == 0 and result.stats.n_decoded == 0
    designs = [r.design for r in result.history]
    assert len(set(designs)) == 25 and set(designs) <= set(unscored)
    order = np.random.default_rng(0).permutation(len(strings)).tolist()
    screened = sorted(result.history, key=lambda r: r.number)
    screened = [r.design for r in screened]
    assert screened == [strings[i] for i in order if strings[i] in set(unscored)][:25]
    assert [r.design for r in run(0).history] == designs
    assert [r.design for r in run(1).history] != designs


def test_screening_stops_with_a_clear_error_once_every_design_is_scored(strings, string_vae):
    from lsbo.exceptions import SearchExhaustedError

    designs = strings[:12]
    scores = [count_a(s) if i < 6 else None for i, s in enumerate(designs)]
    optimizer = lsbo.Optimizer(
        count_a, designs, scores=scores, model=string_vae, options=FAST, strategy=Screening()
    )
    for proposal in optimizer.ask(6):
        optimizer.tell(proposal.number, count_a(proposal.design))
    with pytest.raises(SearchExhaustedError, match="every valid unscored training design"):
        optimizer.ask(1)
