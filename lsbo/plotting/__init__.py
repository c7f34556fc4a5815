"""Figures of a run, with the data preparation kept apart from the drawing (as in Optuna).

Each ``*_data`` function turns a run (an :class:`lsbo.OptimizationResult`, e.g. from
:func:`lsbo.load_run`) or a VAE into a small frozen dataclass of numpy arrays, which can
be checked without drawing anything. Each ``plot_*`` function draws one of them on a new
:class:`matplotlib.figure.Figure` and returns it; no pyplot state is used, so the
functions work headless (the Agg backend) and in threads. :func:`plot_run` saves every
figure of a run, as PNG and SVG.

One module per figure, each with its data and its drawing: :mod:`.history`,
:mod:`.latent_space`, :mod:`.best_designs`, :mod:`.interpolation` and :mod:`.training`;
:mod:`.run` saves them all. Their public names are re-exported here.

matplotlib is imported on first use, so importing lsbo (or this package) stays fast.
"""

from __future__ import annotations

from lsbo.plotting._common import save_figure
from lsbo.plotting.best_designs import BestDesigns, best_designs_data, plot_best_designs
from lsbo.plotting.history import HistoryData, history_data, plot_history
from lsbo.plotting.interpolation import Interpolation, interpolation_data, plot_interpolation
from lsbo.plotting.latent_space import (
    MAX_TRAINING_POINTS,
    LatentData,
    latent_data,
    plot_latent_space,
)
from lsbo.plotting.run import plot_run
from lsbo.plotting.training import TrainingCurves, plot_training, training_data

__all__ = [
    "MAX_TRAINING_POINTS",
    "BestDesigns",
    "HistoryData",
    "Interpolation",
    "LatentData",
    "TrainingCurves",
    "best_designs_data",
    "history_data",
    "interpolation_data",
    "latent_data",
    "plot_best_designs",
    "plot_history",
    "plot_interpolation",
    "plot_latent_space",
    "plot_run",
    "plot_training",
    "save_figure",
    "training_data",
]
