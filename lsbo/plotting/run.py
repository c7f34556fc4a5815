"""Every figure of a run, saved into one folder."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsbo.exceptions import NoDataError
from lsbo.objective import Objective
from lsbo.plotting._common import _value, save_figure
from lsbo.plotting.best_designs import best_designs_data, plot_best_designs
from lsbo.plotting.history import plot_history
from lsbo.plotting.interpolation import plot_interpolation
from lsbo.plotting.latent_space import plot_latent_space
from lsbo.plotting.training import plot_training
from lsbo.records import Direction, Source

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lsbo.records import OptimizationResult


def plot_run(
    result: OptimizationResult,
    out_dir: str | Path,
    objective: Objective | None = None,
    training_designs: Sequence[Any] | None = None,
) -> list[Path]:
    """Save every figure of a run into a folder, as PNG and SVG.

    ``history`` always; ``latent`` (:func:`plot_latent_space`) when there are points to
    show; ``best`` (:func:`plot_best_designs`) when an evaluation completed;
    ``interpolation`` (:func:`plot_interpolation`) from the best initial design to the
    best design found (or between the two best designs, when the best is an initial
    one) when the run has its VAE; ``training`` (:func:`plot_training`) when the VAE has
    a training report. A figure without data is skipped.

    Args:
        result: The run (e.g. from :func:`lsbo.load_run`).
        out_dir: The folder (created if missing).
        objective: How to show designs (see :meth:`lsbo.Objective.render`).
        training_designs: The VAE's training designs, for the latent space's background.

    Returns:
        The files written.
    """
    out = Path(out_dir)
    figures: list[tuple[str, Callable[[], Figure]]] = [
        ("history", lambda: plot_history(result)),
        ("latent", lambda: plot_latent_space(result, training_designs)),
        ("best", lambda: plot_best_designs(result, objective)),
        ("interpolation", lambda: _run_interpolation(result, objective)),
        ("training", lambda: plot_training(result)),
    ]
    written: list[Path] = []
    for name, draw in figures:
        try:
            figure = draw()
        except NoDataError:
            continue
        written += save_figure(figure, out / name)
    return written


def _run_interpolation(result: OptimizationResult, objective: Objective | None) -> Figure:
    """From the best initial design to the best design found (see :func:`plot_run`)."""
    best = best_designs_data(result, n=2)
    if result.model is None or len(best.designs) < 2:
        raise NoDataError("an interpolation needs the run's VAE and two distinct designs")
    initial = [
        r for r in result.history if r.source == Source.INITIAL and not math.isnan(_value(r))
    ]
    ranked = Direction.of(result.maximize).ranked(initial)  # ties: the earliest proposal
    start = ranked[0] if ranked else None
    if start is None or start.number == best.numbers[0]:
        return plot_interpolation(result.model, best.designs[1], best.designs[0], 8, objective)
    return plot_interpolation(result.model, start.design, best.designs[0], 8, objective)
