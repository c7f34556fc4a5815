"""Helpers shared by the figures: saving."""

from __future__ import annotations

from lsbo.plotting._common import save_figure
from lsbo.plotting.history import plot_history


def test_save_figure_writes_png_and_svg(tmp_path, image_run):
    paths = save_figure(plot_history(image_run), tmp_path / "new" / "folder" / "history")
    assert [p.name for p in paths] == ["history.png", "history.svg"]
    assert paths[0].read_bytes().startswith(b"\x89PNG") and paths[0].stat().st_size > 1000
    assert b"<svg" in paths[1].read_bytes()
