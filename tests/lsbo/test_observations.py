"""Observations: signed values, failed evaluations, and the GP's training subset."""

from __future__ import annotations

import pytest
import torch

from lsbo.exceptions import LsboError
from lsbo.observations import Observations
from lsbo.records import Direction, ProposalState, Record, Source


def record(number, value, status=ProposalState.COMPLETE, design=None):
    latent = torch.full((2,), float(number))
    design = design or f"d{number}"
    return Record(number, design, value, status, "", number, Source.BO, latent, 0.0)


def test_values_are_signed_so_that_larger_is_better_when_minimizing():
    observations = Observations(Direction.MINIMIZE)
    for i, value in enumerate([3.0, -1.0, 2.0]):
        observations.add(f"d{i}", value, torch.zeros(2) + i, from_run=True)
    assert observations.Y.tolist() == [-3.0, 1.0, -2.0]
    assert observations.best_point().tolist() == [1.0, 1.0]  # the design with -1.0
    assert observations.worst() == 3.0  # in the objective's own units


@pytest.mark.parametrize(
    ("failure_value", "expected"),
    [(None, [1.0, 5.0]), ("worst", [1.0, 5.0, 1.0]), (-2.0, [1.0, 5.0, -2.0])],
)
def test_a_failed_evaluation_joins_the_history_and_the_gp_only_as_told(failure_value, expected):
    observations = Observations(Direction.MAXIMIZE)
    observations.add_record(record(0, 1.0), failure_value)
    observations.add_record(record(1, 5.0), failure_value)
    observations.add_record(record(2, None, ProposalState.FAILED), failure_value)
    assert [r.number for r in observations.history] == [0, 1, 2]
    assert observations.Y.tolist() == expected


def test_the_training_subset_keeps_the_best_the_recent_and_a_stable_random_rest():
    observations = Observations(Direction.MAXIMIZE)
    values = torch.randn(60, generator=torch.Generator().manual_seed(0)).tolist()
    for i, value in enumerate(values):
        observations.add(f"d{i}", value, torch.tensor([float(i)]), from_run=i >= 20)
    X, Y = observations.training_data(max_points=20, seed=3)
    assert len(X) == 20 and Y.shape == (20, 1)
    best = sorted(range(60), key=lambda i: -values[i])[:10]
    kept = {int(x) for x in X.flatten().tolist()}
    assert set(best) <= kept  # the best half of max_points
    assert {59, 58, 57} <= kept  # the latest evaluations of the run
    # one more observation barely changes the subset: warm starts stay useful
    observations.add("new", min(values) - 1, torch.tensor([60.0]), from_run=True)
    X2, _ = observations.training_data(max_points=20, seed=3)
    assert len(kept & {int(x) for x in X2.flatten().tolist()}) >= 17
    all_X, _ = observations.training_data(max_points=None)
    assert len(all_X) == 61


def test_fewer_than_two_values_cannot_train_a_gp():
    observations = Observations(Direction.MAXIMIZE)
    observations.add("a", 1.0, torch.zeros(2), from_run=True)
    with pytest.raises(LsboError, match="fewer than 2 evaluations"):
        observations.training_data(max_points=10)


def test_reencoding_moves_every_point_into_the_new_latent_space():
    observations = Observations(Direction.MAXIMIZE)
    observations.add("ab", 1.0, torch.zeros(3), from_run=False)
    observations.add("abc", 2.0, torch.zeros(3), from_run=True)
    observations.reencode(lambda designs: torch.tensor([[float(len(d))] * 3 for d in designs]))
    assert observations.X.tolist() == [[2.0] * 3, [3.0] * 3]
    assert observations.given_values() == [1.0]
