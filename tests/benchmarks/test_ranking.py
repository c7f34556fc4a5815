"""The ranking check (benchmarks/ranking.py): its chance baselines and its recording."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest
import ranking

import lsbo
from lsbo.objective import as_objective


@pytest.mark.parametrize("q", [1, 2, 3, 5])
def test_chance_baselines_match_every_draw(q):
    values = [0.3, -1.0, 2.5, 2.5, 0.0, 1.7]
    draws = list(itertools.combinations(values, q))
    assert ranking.expected_best(values, q) == pytest.approx(
        statistics.fmean(max(d) for d in draws)
    )
    for best in (-2.0, 0.0, 1.7, 2.5):
        share = sum(max(d) > best for d in draws) / len(draws)
        assert ranking.chance_of_better(values, q, best) == pytest.approx(share)


def test_recording_scores_each_step_without_changing_the_run(strings, string_vae):
    data = lsbo.Dataset(designs=strings[:300], scores=[None] * 300)
    options = lsbo.OptimizerOptions(batch_size=2, n_initial=4, num_restarts=2, raw_samples=32)
    plain = lsbo.Plain(mutants=16, parents=4)

    def objective():
        return as_objective(lambda s: s.count("b") - s.count("c"), maximize=True)

    log, recorded = ranking.recorded_run(objective(), data, string_vae, options, 0, plain, 12)
    plain_run = lsbo.Optimizer(
        objective(), data.designs, model=string_vae, options=options, seed=0, strategy=plain
    ).run(12)
    assert [r.design for r in recorded.history] == [r.design for r in plain_run.history]
    assert log  # one record per step that made at least 2q children
    for record in log:
        assert -1.0 <= record["rho"] <= 1.0 or math.isnan(record["rho"])
        assert record["found"] in (0.0, 1.0) and 0.0 <= record["chance"] <= 1.0
