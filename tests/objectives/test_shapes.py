"""Tests for the shaded-area task on 64x64 squares (objectives/shapes.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lsbo.exceptions import InvalidOptionError
from lsbo.representations import ImageCodec
from objectives import shapes
from tests.objectives.contract import ObjectiveContract


class TestShapesContract(ObjectiveContract):
    module = shapes
    registry_name = "shapes"

    def optimal_design(self):
        return np.ones((64, 64), dtype=np.float32)

    def bad_design(self):
        return np.zeros((64, 64), dtype=np.float32), 0.0

    def invalid_designs(self):
        nan = np.zeros((64, 64))
        nan[3, 4] = np.nan
        return [
            np.zeros((32, 32)),
            np.zeros((64, 64, 1)),
            nan,
            np.full((64, 64), 1.5),
            np.full((64, 64), -0.1),
            "a string",
            None,
        ]


def square(side: int, top: int, left: int) -> np.ndarray:
    """A square written out independently of the module."""
    image = np.zeros((64, 64), dtype=np.float32)
    image[top : top + side, left : left + side] = 1
    return image


@pytest.fixture(scope="module")
def data():
    return shapes.dataset()


def test_scores_count_pixels_above_one_half():
    objective = shapes.ShapesArea()
    grey = np.full((64, 64), 0.5)  # exactly 0.5 is not shaded
    grey[:2, :3] = 0.51
    designs = [np.ones((64, 64)), square(7, 10, 20), np.zeros((64, 64)), grey]
    values = [e.value for e in objective(designs)]
    assert values == [4096.0, 49.0, 0.0, 6.0]
    assert objective.optimum == 4096.0 and objective.maximize


def test_the_dataset_is_the_papers_squares(data):
    assert len(data) == shapes.N_SQUARES == sum(65 - s for s in range(1, 21)) == 1090
    assert max(data.scores) == 400.0 and min(data.scores) == 1.0
    expected = {(s, top) for s in range(1, 21) for top in range(65 - s)}
    found = set()
    for image, score in zip(data.designs, data.scores, strict=True):
        assert image.dtype == np.float32 and image.shape == (64, 64)
        rows, cols = np.nonzero(image)
        side = rows.max() - rows.min() + 1
        assert cols.min() == 32 and cols.max() - cols.min() + 1 == side
        assert np.array_equal(image, square(side, rows.min(), 32))  # one filled square, 0/1
        assert score == side * side
        found.add((int(side), int(rows.min())))
    assert found == expected


def test_subsampling_is_seeded_and_a_subset(data):
    first, again = shapes.dataset(n=100, seed=3), shapes.dataset(n=100, seed=3)
    assert len(first) == 100
    assert all(np.array_equal(a, b) for a, b in zip(first.designs, again.designs, strict=True))
    keys = {image.tobytes(): score for image, score in zip(data.designs, data.scores, strict=True)}
    assert len({d.tobytes() for d in first.designs}) == 100
    assert all(keys[d.tobytes()] == s for d, s in zip(first.designs, first.scores, strict=True))


def test_the_dataset_is_a_fresh_copy():
    shapes.dataset(n=5).designs[0][:] = 1
    assert shapes.dataset(n=5).designs[0].sum() < 4096


@pytest.mark.parametrize("bad", [{"n": 0}, {"n": 1091}, {"n": 2.5}, {"seed": -1}])
def test_bad_arguments_raise(bad):
    with pytest.raises(InvalidOptionError):
        shapes.dataset(**bad)


@pytest.mark.parametrize(
    ("design", "words"),
    [
        (np.zeros((63, 64)), "shape"),
        (np.full((64, 64), np.nan), "NaN"),
        (np.full((64, 64), 2.0), "outside [0, 1]"),
        ("square", "not a numeric array"),
    ],
)
def test_an_invalid_design_fails_with_a_clear_message(design, words):
    objective = shapes.ShapesArea()
    assert not objective.is_valid(design)
    [evaluation] = objective([design])
    assert evaluation.status == "failed" and words in evaluation.message


def test_codec_and_options():
    codec = shapes.make_codec([])
    assert isinstance(codec, ImageCodec) and codec.shape == (64, 64) and codec.binary
    options = shapes.default_options()
    assert options.latent_dim == 2
    assert options.vae.epochs == 200  # 20 did not converge: some seeds decoded one blank image


def test_strategies_on_shapes_retrain_as_the_paper_does():
    import objectives
    from lsbo.strategies import TrustRegion, WeightedRetraining

    retraining = objectives.strategy(shapes, "weighted-retraining")
    assert retraining == WeightedRetraining(period=5, fraction=1.0)
    combined = objectives.strategy(shapes, "trust-region+weighted-retraining")
    assert isinstance(combined, TrustRegion) and combined.retraining == retraining
    assert objectives.strategy(shapes, "weighted-retraining", k=0.01).period == 5
    assert objectives.strategy(shapes, "plain").name == "plain"
    with pytest.raises(InvalidOptionError, match="no strategy named 'turbo'"):
        objectives.strategy(shapes, "turbo")
