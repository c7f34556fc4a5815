"""Designs decoded along the straight latent line between two designs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lsbo.exceptions import InvalidOptionError
from lsbo.objective import Objective
from lsbo.plotting._common import _figure, _render_cell

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lsbo.models.vae import VAE


@dataclass(frozen=True)
class Interpolation:
    """Designs decoded along a straight line in latent space.

    Attributes:
        t: ``steps`` positions on the line, from 0 (start) to 1 (end).
        latents: ``steps x d`` latent points.
        designs: ``steps`` decoded designs.
        start: The design whose latent mean is at ``t = 0``.
        end: The design whose latent mean is at ``t = 1``.
    """

    t: np.ndarray
    latents: np.ndarray
    designs: list[Any]
    start: Any
    end: Any


def interpolation_data(
    model: VAE, start_design: Any, end_design: Any, steps: int = 8
) -> Interpolation:
    """Decode ``steps`` points on the line between two designs' latent means.

    Args:
        model: The VAE.
        start_design: The design at ``t = 0``.
        end_design: The design at ``t = 1``.
        steps: Number of points, both ends included (>= 2).

    Returns:
        An :class:`Interpolation`.
    """
    if steps < 2:
        raise InvalidOptionError(f"steps must be >= 2 (both ends), got {steps}")
    mean, _ = model.encode([start_design, end_design])
    mean = mean.double().cpu()
    t = np.linspace(0.0, 1.0, steps)
    z = mean[0] + torch.as_tensor(t)[:, None] * (mean[1] - mean[0])
    return Interpolation(
        t=t, latents=z.numpy(), designs=model.decode(z), start=start_design, end=end_design
    )


def plot_interpolation(
    model: VAE,
    start_design: Any,
    end_design: Any,
    steps: int = 8,
    objective: Objective | None = None,
) -> Figure:
    """The designs decoded on the straight latent line between two designs.

    Images (as ``objective.render`` returns them) are drawn as a strip; texts as a
    list, one line per step. The two given designs frame the decoded ones, so that a
    poor reconstruction at ``t = 0`` or ``t = 1`` shows.

    Args:
        model: The VAE.
        start_design: The design at ``t = 0``.
        end_design: The design at ``t = 1``.
        steps: Number of points, both ends included.
        objective: How to show a design (default: :meth:`lsbo.Objective.render`'s
            default).

    Returns:
        The figure.
    """
    data = interpolation_data(model, start_design, end_design, steps)
    renderer = objective if objective is not None else Objective()
    designs = [data.start, *data.designs, data.end]
    rendered = [renderer.render(design) for design in designs]
    titles = ["start design", *(f"t = {t:.2f}" for t in data.t), "end design"]
    if all(isinstance(r, str) for r in rendered):
        return _draw_text_interpolation(titles, rendered)
    return _draw_image_interpolation(titles, rendered)


def _draw_image_interpolation(titles: Sequence[str], rendered: Sequence[Any]) -> Figure:
    """One cell per design, left to right, the two given ones framed in blue."""
    figure = _figure(1.35 * len(rendered), 2.3)
    cells = figure.subplots(1, len(rendered))
    for i, (ax, shown, title) in enumerate(zip(cells, rendered, titles, strict=True)):
        _render_cell(ax, shown)
        ax.set_title(title, fontsize="small")
        if i in (0, len(rendered) - 1):  # the given designs, not decoded ones
            for spine in ax.spines.values():
                spine.set(color="tab:blue", linewidth=2.5)
    cells[1].set_xlabel("decoded from the start's latent mean", fontsize="x-small")
    cells[-2].set_xlabel("... to the end's", fontsize="x-small")
    figure.suptitle("Interpolation in latent space")
    return figure


def _draw_text_interpolation(titles: Sequence[str], rendered: Sequence[str]) -> Figure:
    """One row per design, top to bottom: the start design, the decoded ones, the end."""
    longest = max(len(text) for text in rendered)
    figure = _figure(min(12.0, 2.6 + 0.1 * min(longest, 100)), 1.0 + 0.32 * len(rendered))
    ax = figure.add_subplot()
    rows = list(range(len(rendered)))
    for row, text in zip(rows, rendered, strict=True):
        shown = text if len(text) <= 100 else text[:97] + "..."
        given = row in (0, len(rendered) - 1)
        ax.text(
            0.02,
            row,
            shown,
            va="center",
            family="monospace",
            fontsize="small",
            color="tab:blue" if given else "black",
            weight="bold" if given else "normal",
        )
    ax.set_ylim(len(rendered) - 0.4, -0.6)  # the start at the top
    ax.set_yticks(rows, titles)
    ax.set_xticks([])
    ax.set_title("Interpolation in latent space")
    ax.set_xlabel("decoded designs (blue: the two given ones)")
    ax.set_ylabel("position on the line (t)")
    return figure
