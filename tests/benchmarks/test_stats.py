"""The harness's statistics on numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from harness import (
    auc_top_k,
    best_so_far,
    bounded_best,
    checkpoints,
    curves,
    evaluations_to_reach,
    mean_se,
)

from tests.benchmarks.helpers import make_run


def test_mean_se_of_known_numbers_skips_missing_values():
    mean, se, n = mean_se([1.0, None, 2.0, 3.0])
    assert (mean, n) == (2.0, 3)
    assert se == pytest.approx(1 / math.sqrt(3))  # sample std 1, three values


def test_mean_se_of_one_value_has_no_error_and_of_none_no_mean():
    mean, se, n = mean_se([5.0])
    assert (mean, n) == (5.0, 1) and math.isnan(se)
    mean, se, n = mean_se([None, None])
    assert n == 0 and math.isnan(mean) and math.isnan(se)


def test_best_so_far_in_both_directions_with_failed_values():
    values = [None, 2.0, None, 1.0, 3.0, 0.5]
    assert best_so_far(values, maximize=True) == [None, 2.0, 2.0, 2.0, 3.0, 3.0]
    assert best_so_far(values, maximize=False) == [None, 2.0, 2.0, 1.0, 1.0, 0.5]
    assert best_so_far([None, None], maximize=True) == [None, None]
    assert best_so_far([], maximize=False) == []


def test_evaluations_to_reach_counts_the_first_evaluation_at_or_past_the_threshold():
    run = make_run([None, 1.0, 2.0, 2.5, 4.0])
    assert evaluations_to_reach(run, 2.0) == 3  # reaching it exactly counts
    assert evaluations_to_reach(run, 3.0) == 5
    assert evaluations_to_reach(run, 1.0) == 2
    assert evaluations_to_reach(run, 5.0) == math.inf


def test_evaluations_to_reach_when_minimizing():
    run = make_run([3.0, None, 0.4, 0.2], maximize=False)
    assert evaluations_to_reach(run, 0.4) == 3
    assert evaluations_to_reach(run, 0.3) == 4
    assert evaluations_to_reach(run, 3.0) == 1
    assert evaluations_to_reach(run, 0.1) == math.inf


def test_bounded_best_keeps_only_designs_no_larger_than_the_limit():
    sizes = [10, 30, 20, None, 5]
    values = [4.0, 9.0, 6.0, 8.0, None]  # the 9 is too large, the 8 has no size
    run = make_run(values, extras={"sizes": sizes})
    assert bounded_best(run, 20) == 6.0
    assert bounded_best(run, 30) == 9.0
    assert bounded_best(run, 9) is None
    minimized = make_run(values, maximize=False, extras={"sizes": sizes})
    assert bounded_best(minimized, 20) == 4.0
    assert bounded_best(make_run(values), 100) is None  # no sizes stored


def test_checkpoints_are_the_standard_budgets_up_to_the_longest_run_and_it():
    def runs(*lengths):
        return {"plain": [make_run([1.0] * n, seed=i) for i, n in enumerate(lengths)]}

    assert checkpoints(runs(30, 12)) == [25, 30]
    assert checkpoints(runs(500)) == [25, 50, 100, 250, 500]
    assert checkpoints(runs(10)) == [10]
    assert checkpoints({}) == []


def test_curves_average_over_the_seeds_that_have_a_value():
    runs = {
        "plain": [make_run([1.0, 3.0, 3.0], seed=0), make_run([None, 1.0], seed=1)],
        "random": [make_run([2.0], seed=0)],
    }
    plain, random = curves(runs)
    assert (plain.label, plain.seeds, random.label) == ("plain", 2, "random")
    np.testing.assert_array_equal(plain.evaluations, [1, 2, 3])
    np.testing.assert_allclose(plain.mean, [1.0, 2.0, 3.0])
    # evaluation 2: values 3 and 1 -> sample std sqrt(2), two seeds
    np.testing.assert_allclose(plain.se, [0.0, 1.0, 0.0])
    np.testing.assert_allclose(random.mean, [2.0])


# ------------------------------------------------------------- PMO's AUC of the top 10


def test_auc_top_k_by_hand():
    # budget 4, read every 2 calls, top 2: curve 0 -> 1.5 after 2 -> 3.5 after 4
    values = [1.0, 2.0, 5.0, 0.0]
    assert auc_top_k(values, budget=4, k=2, every=2) == pytest.approx(
        (2 * (1.5 + 0) / 2 + 2 * (3.5 + 1.5) / 2) / 4
    )


def test_auc_top_k_of_a_constant_run_is_that_constant_once_the_top_fills():
    # every value 0.5: the curve is 0.5 from the first reading on, trapezoid from 0 first
    values = [0.5] * 1000
    expected = (100 * 0.25 + 900 * 0.5) / 1000
    assert auc_top_k(values, budget=1000) == pytest.approx(expected)


def test_auc_top_k_counts_a_run_that_stopped_early_at_its_last_value():
    short = [0.5] * 300  # stopped after 300 of 1,000 calls
    finished = auc_top_k(short, budget=1000)
    assert finished == pytest.approx((100 * 0.25 + 200 * 0.5 + 700 * 0.5) / 1000)
    assert auc_top_k(short, budget=1000, finish=False) == pytest.approx((25 + 100) / 1000)


def test_auc_top_k_skips_failed_calls_and_calls_past_the_budget():
    assert auc_top_k([None, 1.0, None, 1.0], budget=2, k=1, every=1) == pytest.approx(
        (0.5 + 1.0) / 2
    )
    assert auc_top_k([1.0, 1.0, 9.0], budget=2, k=1, every=1) == auc_top_k(
        [1.0, 1.0], budget=2, k=1, every=1
    )
    assert auc_top_k([None], budget=10) == 0.0


def test_auc_top_k_matches_pmos_reference_code():
    rng = np.random.default_rng(0)
    values = rng.random(730).tolist()
    assert auc_top_k(values, budget=1000) == pytest.approx(_mol_opt_top_auc(values, 1000))
    assert auc_top_k(values, budget=500) == pytest.approx(_mol_opt_top_auc(values[:500], 500))


def _mol_opt_top_auc(values, budget, top_n=10, freq_log=100, finish=True):
    """``top_auc`` of PMO's mol_opt, written out as it reads (buffer: molecule ->
    [score, call index])."""
    buffer = {f"m{i}": [v, i + 1] for i, v in enumerate(values)}
    total, prev, called = 0.0, 0.0, 0
    ordered = sorted(buffer.items(), key=lambda kv: kv[1][1])
    for idx in range(freq_log, min(len(buffer), budget), freq_log):
        best = sorted(ordered[:idx], key=lambda kv: kv[1][0], reverse=True)[:top_n]
        now = np.mean([item[1][0] for item in best])
        total += freq_log * (now + prev) / 2
        prev, called = now, idx
    best = sorted(ordered, key=lambda kv: kv[1][0], reverse=True)[:top_n]
    now = np.mean([item[1][0] for item in best])
    total += (len(buffer) - called) * (now + prev) / 2
    if finish and len(buffer) < budget:
        total += (budget - len(buffer)) * now
    return total / budget
