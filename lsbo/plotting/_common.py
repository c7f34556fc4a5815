"""Helpers shared by the figures: a new figure, axis labels, a design's cell, saving.

matplotlib is imported inside the functions that draw, so importing this module does
not import it.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lsbo.records import ProposalState

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lsbo.records import Record


def _value(record: Record) -> float:
    """A record's value, NaN unless it is a complete evaluation with a value."""
    if record.status != ProposalState.COMPLETE or record.value is None:
        return math.nan
    return float(record.value)


def _figure(width: float, height: float) -> Figure:
    """A new figure of ``width x height`` inches, with the constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _value_label(objective: str, maximize: bool) -> str:
    """An axis label for an objective's values that says which way is better."""
    better = "higher" if maximize else "lower"
    return f"{objective or 'value'} ({better} is better)"


def _integer_ticks(ax: Axes) -> None:
    """Only integer ticks on the x axis (evaluations, epochs)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _render_cell(ax: Axes, rendered: Any) -> None:
    """Draw what :meth:`Objective.render` returned: an image, or wrapped text."""
    ax.set_xticks([])
    ax.set_yticks([])
    if isinstance(rendered, str):
        _render_text(ax, rendered)
        return
    image = np.clip(np.asarray(rendered, dtype=float), 0.0, 1.0)
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(image)


def _render_text(ax: Axes, rendered: str) -> None:
    """Wrapped text in the middle of a cell (at most 8 lines), in a light grey frame."""
    lines = textwrap.wrap(rendered, width=22, break_long_words=True) or [""]
    if len(lines) > 8:
        lines = [*lines[:7], lines[7][:19] + "..."]
    size = 13 if len(rendered) <= 12 else 8
    ax.text(
        0.5,
        0.5,
        "\n".join(lines),
        ha="center",
        va="center",
        family="monospace",
        fontsize=size,
        transform=ax.transAxes,
    )
    for spine in ax.spines.values():
        spine.set_color("0.8")


def save_figure(figure: Figure, path_without_suffix: str | Path) -> list[Path]:
    """Write a figure as PNG (150 dpi) and SVG, creating the folder.

    Args:
        figure: The figure.
        path_without_suffix: E.g. ``plots/history``; ``.png`` and ``.svg`` are added.

    Returns:
        The two paths written, PNG first.
    """
    path = Path(path_without_suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_name(path.name + suffix)
        metadata = {"Date": None} if suffix == ".svg" else None  # same plot, same file
        figure.savefig(target, dpi=150, metadata=metadata)
        written.append(target)
    return written
