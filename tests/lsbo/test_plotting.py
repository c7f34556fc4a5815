"""Figures of a run: the prepared data first, then that every figure draws and saves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

import lsbo
from lsbo import Objective, Optimizer, OptimizerOptions, TrainingOptions
from lsbo.exceptions import InvalidOptionError, NoDataError
from lsbo.loop import OptimizationResult, Record, RunStats
from lsbo.plotting import (
    MAX_TRAINING_POINTS,
    best_designs_data,
    history_data,
    interpolation_data,
    latent_data,
    plot_best_designs,
    plot_history,
    plot_interpolation,
    plot_latent_space,
    plot_run,
    plot_training,
    save_figure,
    training_data,
)
from lsbo.plotting.history import _best_summary
from lsbo.plotting.latent_space import _projected_box
from tests.conftest import squares, toy_strings

EPOCHS = 2
SEARCH = {"n_initial": 4, "num_restarts": 2, "raw_samples": 32, "mc_samples": 32}
STRING_OPTIONS = OptimizerOptions(
    latent_dim=4, vae=TrainingOptions(epochs=EPOCHS, batch_size=16, patience=5), **SEARCH
)
IMAGE_OPTIONS = OptimizerOptions(
    vae=TrainingOptions(epochs=EPOCHS, batch_size=16, patience=5), **SEARCH
)


class EveryThirdFails(Objective):
    """Counts 'a's; every third call raises, so that a run has failed evaluations."""

    name = "count_a"
    batch_size = 1

    def __init__(self):
        self.calls = 0

    def _evaluate(self, designs):
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("simulated crash")
        return [float(designs[0].count("a"))]


def area(image):
    return float(np.asarray(image).sum())


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return tmp_path_factory.mktemp("plots") / "runs.db"


@pytest.fixture(scope="module")
def strings():
    return toy_strings(40)


@pytest.fixture(scope="module")
def images():
    return squares()[::3][:50]


@pytest.fixture(scope="module")
def string_run(storage, strings):
    """A plain run of 8 evaluations in a 4-D latent space; evaluations 3 and 6 fail."""
    lsbo.optimize(
        EveryThirdFails(),
        strings,
        budget=8,
        options=STRING_OPTIONS,
        storage=storage,
        name="strings",
    )
    return lsbo.load_run(storage, "strings")


@pytest.fixture(scope="module")
def image_run(storage, images):
    """A trust-region run of 8 evaluations in a 2-D latent space."""
    lsbo.optimize(
        area,
        images,
        budget=8,
        options=IMAGE_OPTIONS,
        storage=storage,
        name="images",
        strategy="trust-region",
    )
    return lsbo.load_run(storage, "images")


def record(number, value, source="bo", design=None, iteration=None):
    status = "failed" if value is None else "complete"
    design = f"d{number}" if design is None else design
    iteration = number if iteration is None else iteration
    # no latent point, as a stored proposal without one: no latent plot for these runs
    return Record(number, design, value, status, "", iteration, source, torch.empty(0), 0.0)


def synthetic(values, maximize=True, designs=None, invalid=0, name="toy"):
    designs = designs or [None] * len(values)
    history = [record(i, v, design=d) for i, (v, d) in enumerate(zip(values, designs, strict=True))]
    return OptimizationResult(
        history=history,
        maximize=maximize,
        stats=RunStats(),
        model=None,
        name=name,
        invalid=[record(100 + i, None) for i in range(invalid)],
    )


# ----------------------------------------------------------------------------- data


def test_a_stored_run_keeps_the_vaes_training_curves(string_run):
    report = string_run.model.metadata["report"]
    assert len(report["reconstruction"]) == len(report["kl"]) == EPOCHS
    assert len(report["validation_reconstruction"]) == len(report["validation_kl"]) == EPOCHS
    assert report["n_validation"] == 4  # 10% of the 40 designs
    curves = training_data(string_run)
    np.testing.assert_array_equal(curves.epoch, [1, 2])
    np.testing.assert_allclose(curves.kl, report["kl"])
    assert 1 <= curves.best_epoch <= EPOCHS


def test_a_model_without_a_report_is_a_clear_error(string_run):
    model = string_run.model
    saved, model.metadata = model.metadata, {"seed": 0}
    try:
        with pytest.raises(NoDataError, match="no stored training report"):
            training_data(model)
        with pytest.raises(NoDataError):
            plot_training(string_run)
    finally:
        model.metadata = saved
    with pytest.raises(NoDataError):
        training_data(synthetic([1.0]))  # a result without its model


def test_best_so_far_follows_the_direction_and_skips_failures():
    values = [None, 2.0, None, 5.0, 1.0, 7.0]
    up = history_data(synthetic(values, maximize=True, invalid=2))
    np.testing.assert_array_equal(up.number, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(up.best, [np.nan, 2, 2, 5, 5, 7])
    assert np.isnan(up.value[[0, 2]]).all() and up.value[3] == 5.0
    assert list(up.status) == ["failed", "complete", "failed", "complete", "complete", "complete"]
    assert up.n_invalid == 2
    down = history_data(synthetic(values, maximize=False))
    np.testing.assert_array_equal(down.best, [np.nan, 2, 2, 2, 1, 1])


def test_history_of_a_real_run(string_run):
    data = history_data(string_run)
    failed = np.array([r.status == "failed" for r in string_run.history])
    assert failed.sum() == 2  # the objective's 3rd and 6th calls
    assert np.isnan(data.value[failed]).all() and np.isfinite(data.value[~failed]).all()
    assert (np.diff(data.best[np.isfinite(data.best)]) >= 0).all()
    assert data.best[-1] == string_run.best_value
    assert data.objective == "count_a" and data.name == "strings"
    assert set(data.source) <= {"initial", "bo", "fallback"}


def test_several_runs_average_up_to_the_shortest():
    a = history_data(synthetic([1.0, 3.0, 2.0, 9.0]))
    b = history_data(synthetic([None, 1.0, 5.0]))
    summary = _best_summary([a, b])
    np.testing.assert_array_equal(summary.number, [1, 2, 3])
    np.testing.assert_array_equal(summary.mean, [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(summary.n_runs, [1, 2, 2])
    assert np.isnan(summary.standard_error[0])  # one run: no spread
    np.testing.assert_allclose(summary.standard_error[1:], [1.0, 1.0])  # std / sqrt(2)


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


def test_interpolation_runs_between_the_two_latent_means(string_run, strings):
    model = string_run.model
    data = interpolation_data(model, strings[0], strings[1], steps=5)
    mean, _ = model.encode(strings[:2])
    np.testing.assert_allclose(data.t, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(data.latents[[0, -1]], mean.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(data.latents[2], mean.double().mean(0).numpy(), atol=1e-6)
    assert data.designs == model.decode(torch.as_tensor(data.latents))
    assert (data.start, data.end) == (strings[0], strings[1])
    with pytest.raises(InvalidOptionError, match="steps"):
        interpolation_data(model, strings[0], strings[1], steps=1)


# -------------------------------------------------------------------------- drawing


def labels(figure):
    return [text for ax in figure.axes for text in ax.get_legend_handles_labels()[1]]


def test_the_history_of_one_run(string_run):
    result = OptimizationResult(**{**vars(string_run), "invalid": [record(99, None)]})
    figure = plot_history(result)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_title() == "Optimization history: strings"
    assert ax.get_xlabel() == "evaluation" and ax.get_ylabel() == "count_a (higher is better)"
    names = ax.get_legend().get_texts()
    shown = [t.get_text() for t in names]
    assert "best so far" in shown and "failed (2)" in shown
    assert "invalid proposals, not evaluated: 1" in shown


def test_the_history_of_several_runs(string_run):
    other = synthetic([0.0, 1.0, 4.0, 4.0, 5.0, 5.0, 6.0, 6.0, 7.0], name="other")
    other.settings = {"objective": "count_a"}
    figure = plot_history([string_run, other])
    ax = figure.axes[0]
    assert ax.get_title() == "Best so far over 2 runs"
    assert {"strings", "other", "mean of 2 runs"} <= set(labels(figure))
    mean_line = next(line for line in ax.lines if line.get_label() == "mean of 2 runs")
    expected = (history_data(string_run).best + history_data(other).best[:8]) / 2
    np.testing.assert_allclose(mean_line.get_ydata(), expected)
    with pytest.raises(InvalidOptionError, match="mix"):
        plot_history([string_run, synthetic([1.0], maximize=False)])


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


def test_interpolation_strips(string_run, image_run, images):
    strip = plot_interpolation(image_run.model, images[0], images[-1], steps=4)
    assert len(strip.axes) == 6  # the two given designs around the four decoded ones
    assert [ax.get_title() for ax in strip.axes][:2] == ["start design", "t = 0.00"]
    assert all(len(ax.images) == 1 for ax in strip.axes)
    text = plot_interpolation(string_run.model, "abca", "dddd", steps=3)
    ax = text.axes[0]
    assert ax.get_title() == "Interpolation in latent space"
    assert ax.get_xlabel() and ax.get_ylabel() == "position on the line (t)"
    assert [t.get_text() for t in ax.texts][::4] == ["abca", "dddd"]


def test_the_training_curves(string_run):
    figure = plot_training(string_run)
    reconstruction, kl = figure.axes
    assert reconstruction.get_title().startswith("Reconstruction")
    assert kl.get_title().startswith("KL")
    assert reconstruction.get_xlabel() == "epoch" and kl.get_ylabel()
    assert "validation (4 designs)" in reconstruction.get_legend_handles_labels()[1]
    train = reconstruction.lines[0].get_ydata()
    np.testing.assert_allclose(train, string_run.model.metadata["report"]["reconstruction"])


def test_save_figure_writes_png_and_svg(tmp_path, image_run):
    paths = save_figure(plot_history(image_run), tmp_path / "new" / "folder" / "history")
    assert [p.name for p in paths] == ["history.png", "history.svg"]
    assert paths[0].read_bytes().startswith(b"\x89PNG") and paths[0].stat().st_size > 1000
    assert b"<svg" in paths[1].read_bytes()


def test_plot_run_saves_every_figure_of_a_run(tmp_path, image_run, images):
    paths = plot_run(image_run, tmp_path / "out", training_designs=images)
    names = {"history", "latent", "best", "interpolation", "training"}
    assert {p.name for p in paths} == {f"{n}.{s}" for n in names for s in ("png", "svg")}
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def test_plot_run_skips_what_has_no_data(tmp_path):
    paths = plot_run(synthetic([None, None], name="broken"), tmp_path)
    assert sorted(p.name for p in paths) == ["history.png", "history.svg"]
    empty = plot_run(synthetic([]), tmp_path / "empty")
    assert sorted(p.name for p in empty) == ["history.png", "history.svg"]
    assert math.isnan(history_data(synthetic([None])).best[0])
