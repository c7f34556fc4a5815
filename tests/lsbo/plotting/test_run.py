"""Every figure of a run, saved into one folder; those without data skipped."""

from __future__ import annotations

import math

from lsbo.plotting.history import history_data
from lsbo.plotting.run import plot_run
from tests.lsbo.plotting.conftest import synthetic


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
