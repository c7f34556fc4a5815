"""The latent space: projection, training designs, the trust region, and the figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.patches import Polygon

from lsbo import Optimizer
from lsbo.exceptions import NoDataError
from lsbo.plotting.latent_space import (
    MAX_TRAINING_POINTS,
    _projected_box,
    latent_data,
    plot_latent_space,
)
from lsbo.records import OptimizationResult, Record
from tests.conftest import toy_strings
from tests.lsbo.plotting.conftest import IMAGE_OPTIONS, area, labels, synthetic


def test_latent_space_of_a_4d_run_is_its_pca(string_run, strings):
    data = latent_data(string_run, strings)
    assert data.projection == "pca" and data.latent_dim == 4
    assert data.training.shape == (40, 2) and data.points.shape == (8, 2)
    assert list(data.number) == sorted(r.number for r in string_run.history)
    assert data.region is None  # a plain run has no trust region
    # PCA: the axes carry the largest shares of variance, in order, and sum to at most 1
    mean, _ = string_run.model.encode(strings)
    ordered = sorted(string_run.history, key=lambda r: r.number)
    latents = np.concatenate([mean.numpy(), torch.stack([r.latent for r in ordered]).numpy()])
    shares = np.concatenate([data.training, data.points]).var(0) / latents.var(0).sum()
    np.testing.assert_allclose(data.explained, shares, rtol=1e-5)
    assert data.explained[0] >= data.explained[1] and data.explained.sum() <= 1 + 1e-9
    assert data.axis_labels[0].startswith("PC1 (")
    failed = [r.status == "failed" for r in ordered]
    assert list(data.failed) == failed and np.isnan(data.value[data.failed]).all()
    best = data.value[data.best]
    assert best == string_run.best_value
    # an invalid proposal is drawn where its latent point projects
    latent = torch.ones(4, dtype=torch.float64)
    invalid = Record(50, "zz", None, "invalid", "", 9, "bo", latent, 0.0)
    with_invalid = latent_data(OptimizationResult(**{**vars(string_run), "invalid": [invalid]}))
    assert with_invalid.invalid.shape == (1, 2)


def test_training_designs_are_subsampled(string_run):
    many = toy_strings(MAX_TRAINING_POINTS + 100, seed=1)
    data = latent_data(string_run, many)
    assert data.training.shape == (MAX_TRAINING_POINTS, 2)
    again = latent_data(string_run, many)
    np.testing.assert_array_equal(data.training, again.training)  # a fixed subset
    with pytest.raises(NoDataError, match="VAE"):
        latent_data(synthetic([1.0]), many)


def test_latent_space_of_a_2d_trust_region_run(image_run, images, storage):
    data = latent_data(image_run, images)
    assert data.projection == "identity" and data.latent_dim == 2
    ordered = sorted(image_run.history, key=lambda r: r.number)
    np.testing.assert_allclose(data.points, torch.stack([r.latent for r in ordered]).numpy())
    assert data.axis_labels[0].startswith("z1 (")
    # the region is a rectangle around the best point, inside the search box
    region = data.region
    assert region is not None and region.shape == (4, 2)
    (x0, y0), (x1, y1) = region[0], region[2]
    assert x0 < x1 and y0 < y1
    np.testing.assert_array_equal(region, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    # its side is the one the optimizer itself would use for the next step
    optimizer = Optimizer(
        area,
        images,
        options=IMAGE_OPTIONS,
        storage=storage,
        name="images",
        strategy="trust-region",
    )
    assert data.region_length == optimizer.trust_region().length


def test_a_projected_box_is_the_hull_of_its_projected_corners():
    rng = np.random.default_rng(0)
    dim = 5
    low = rng.normal(size=dim)
    high = low + rng.uniform(0.1, 2.0, size=dim)
    center, axes = rng.normal(size=dim), np.linalg.qr(rng.normal(size=(dim, 2)))[0]
    polygon = _projected_box(low, high, center, axes)
    assert polygon.shape == (2 * dim, 2)
    bits = (np.arange(2**dim)[:, None] >> np.arange(dim)) & 1
    corners = (np.where(bits, high, low) - center) @ axes
    # every vertex is a projected corner ...
    gaps = np.linalg.norm(polygon[:, None] - corners[None], axis=-1).min(1)
    np.testing.assert_allclose(gaps, 0.0, atol=1e-9)
    # ... and every projected corner lies inside the (counter-clockwise, convex) polygon
    edges = np.roll(polygon, -1, axis=0) - polygon
    to_corners = corners[:, None] - polygon[None]
    cross = edges[None, :, 0] * to_corners[..., 1] - edges[None, :, 1] * to_corners[..., 0]
    assert (cross >= -1e-9).all()


def test_the_latent_space_shows_the_trust_region_only_for_that_strategy(
    string_run, image_run, strings, images
):
    plain = plot_latent_space(string_run, strings)
    region = plot_latent_space(image_run, images)
    for figure in (plain, region):
        ax = figure.axes[0]
        assert ax.get_title().startswith("Latent space: ")
        assert ax.get_xlabel() and ax.get_ylabel()
        assert len(figure.axes) == 2  # the plot and its colorbar
        assert figure.legends and any(t.startswith("best (") for t in labels(figure))
    assert plain.axes[0].get_xlabel().startswith("PC1")
    assert not [p for p in plain.axes[0].patches if isinstance(p, Polygon)]
    (patch,) = [p for p in region.axes[0].patches if isinstance(p, Polygon)]
    np.testing.assert_allclose(patch.get_xy()[:4], latent_data(image_run, images).region)
