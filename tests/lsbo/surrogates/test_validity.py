"""The validity classifier: P(valid | z) learned from valid and invalid latent points."""

from __future__ import annotations

import torch

from lsbo.surrogates.validity import fit_validity_classifier

BOUNDS = torch.tensor([[-2.0] * 4, [2.0] * 4], dtype=torch.float64)


def _points(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 4, generator=g, dtype=torch.float64) * 4 - 2


def _fit(X, seed=0):
    valid = X[:, 0] < 0
    return fit_validity_classifier(X[valid], X[~valid], BOUNDS, seed=seed)


def test_it_learns_a_valid_half_space_and_ranks_held_out_points():
    classifier = _fit(_points(300, seed=0))
    held = _points(500, seed=1)
    prob = classifier(held)
    assert prob.shape == (500,) and prob.dtype == torch.float64
    assert ((prob > 0.5) == (held[:, 0] < 0)).double().mean() > 0.95
    # deep inside either side it is confident; the ranking follows the distance to it
    inside, outside = torch.tensor([[-1.5, 0, 0, 0]]), torch.tensor([[1.5, 0, 0, 0]])
    assert classifier(inside.double()) > 0.9 and classifier(outside.double()) < 0.1
    assert torch.allclose(classifier.log_prob(held).exp(), prob)


def test_a_few_invalid_points_among_many_valid_ones_still_mark_their_region():
    X = _points(400, seed=2)
    X = torch.cat([X[X[:, 0] < 0], X[X[:, 0] >= 0][:8]])  # 8 invalid examples
    classifier = _fit(X)
    held = _points(500, seed=3)
    assert ((classifier(held) > 0.5) == (held[:, 0] < 0)).double().mean() > 0.85


def test_the_fit_is_reproducible_for_a_seed_and_takes_batches_of_batches():
    X = _points(200, seed=4)
    held = _points(50, seed=5)
    assert torch.equal(_fit(X, seed=7)(held), _fit(X, seed=7)(held))
    assert _fit(X)(held.reshape(5, 10, 4)).shape == (5, 10)
