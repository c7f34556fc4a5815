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


def decoded(number, value, iteration, point, status=ProposalState.COMPLETE):
    """A record whose design was decoded from ``point`` (its encoding is elsewhere)."""
    latent = torch.full((2,), -float(number))
    return Record(
        number, f"d{number}", value, status, "", iteration, Source.BO, latent, 0.0,
        point=torch.tensor(point),
    )  # fmt: skip


def test_learning_decoded_points_adds_each_value_at_the_point_that_decoded_to_it():
    observations = Observations(Direction.MINIMIZE, learn_points=True)
    observations.add_record(decoded(1, 3.0, 1, [5.0, 5.0]))
    observations.add_record(decoded(2, 1.0, 2, [6.0, 6.0], ProposalState.DUPLICATE))
    observations.add_record(record(3, 2.0))  # a training design drawn: no point
    X, Y = observations.training_data(max_points=None)
    # the encodings first, then the decoded points with the values of their designs
    assert X.tolist() == [[-1.0, -1.0], [3.0, 3.0], [5.0, 5.0], [6.0, 6.0]]
    assert Y.squeeze(-1).tolist() == [-3.0, -2.0, -3.0, -1.0]
    # a duplicate decode is a point the GP learns, not an evaluation
    assert len(observations) == 2 and [r.number for r in observations.history] == [1, 3]
    assert observations.n_decoded_points == 2
    plain = Observations(Direction.MINIMIZE)  # switched off: the encodings only
    plain.add_record(decoded(1, 3.0, 1, [5.0, 5.0]))
    plain.add_record(record(3, 2.0))
    assert plain.training_data(max_points=None)[0].tolist() == [[-1.0, -1.0], [3.0, 3.0]]


def test_decoded_points_of_an_old_latent_space_go_when_the_observations_move():
    observations = Observations(Direction.MAXIMIZE, learn_points=True)
    for number in range(1, 4):
        observations.add_record(decoded(number, float(number), number, [float(number)] * 2))
    encode = lambda designs: torch.zeros(len(designs), 2)  # noqa: E731
    resumed = Observations(Direction.MAXIMIZE, learn_points=True)
    for r in observations.history:
        resumed.add_record(r)
    resumed.reencode(encode, since=3)  # a run resumed after a retraining at iteration 3
    assert resumed.n_decoded_points == 1
    assert resumed.training_data(None)[0][-1].tolist() == [3.0, 3.0]
    observations.reencode(encode)  # retrained now: every decoded point goes
    assert observations.n_decoded_points == 0
    observations.add_record(decoded(4, 4.0, 3, [4.0] * 2))  # found before the retraining
    observations.add_record(decoded(5, 5.0, 4, [5.0] * 2))
    assert observations.training_data(None)[0][-1].tolist() == [5.0, 5.0]
    assert observations.n_decoded_points == 1
