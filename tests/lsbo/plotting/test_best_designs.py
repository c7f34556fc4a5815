"""The best distinct designs of a run, and their grid as images, text or molecules."""

from __future__ import annotations

import numpy as np
import pytest

from lsbo.exceptions import InvalidOptionError, NoDataError
from lsbo.plotting.best_designs import best_designs_data, plot_best_designs
from tests.lsbo.plotting.conftest import synthetic


def test_best_designs_are_distinct_and_best_first():
    designs = ["a", "b", "a", "c", "d"]
    result = synthetic([1.0, 3.0, 1.0, 2.0, None], designs=designs)
    best = best_designs_data(result)
    assert best.designs == ["b", "c", "a"]
    np.testing.assert_array_equal(best.values, [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(best.numbers, [1, 3, 0])
    np.testing.assert_array_equal(best.evaluations, [2, 4, 1])
    lowest = best_designs_data(synthetic([1.0, 3.0, 1.0, 2.0], False, designs[:4]), n=2)
    assert lowest.designs == ["a", "c"]
    assert best_designs_data(synthetic([None, None])).designs == []
    with pytest.raises(InvalidOptionError):
        best_designs_data(result, n=0)


def test_best_designs_are_drawn_as_images_or_text(string_run, image_run):
    images = plot_best_designs(image_run, n=4)
    assert images.axes[0].get_title().startswith("1. value ")
    assert images.axes[0].get_xlabel().startswith("evaluation ")
    assert len(images.axes[0].images) == 1 and images.axes[0].images[0].get_cmap().name == "gray"
    assert images.get_suptitle() == "Best designs: images"
    text = plot_best_designs(string_run, n=3)
    shown = text.axes[0].texts[0].get_text()
    assert shown == string_run.best_design and not text.axes[0].images
    with pytest.raises(NoDataError):
        plot_best_designs(synthetic([None]))


def test_best_molecules_are_drawn_by_rdkit():
    from objectives import qed

    data = qed.dataset(n=3, seed=0)
    result = synthetic(data.scores, designs=data.designs)
    figure = plot_best_designs(result, qed.OBJECTIVE())
    assert figure.axes[0].images[0].get_array().shape == (200, 200, 3)
