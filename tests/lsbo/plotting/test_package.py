"""The package: its public names, re-exported, and no matplotlib until a figure is drawn."""

from __future__ import annotations

import subprocess
import sys

import lsbo.plotting
from lsbo.plotting import best_designs, history, interpolation, latent_space, run, training


def test_the_public_names_are_importable_from_the_package():
    public = {
        "MAX_TRAINING_POINTS",
        *("BestDesigns", "HistoryData", "Interpolation", "LatentData", "TrainingCurves"),
        *("best_designs_data", "history_data", "interpolation_data", "latent_data"),
        *("plot_best_designs", "plot_history", "plot_interpolation", "plot_latent_space"),
        *("plot_run", "plot_training", "save_figure", "training_data"),
    }
    assert set(lsbo.plotting.__all__) == public
    assert all(hasattr(lsbo.plotting, name) for name in public)
    homes = (best_designs, history, interpolation, latent_space, run, training)
    for module in homes:
        for name in public & set(vars(module)):
            assert getattr(lsbo.plotting, name) is getattr(module, name)


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, lsbo.plotting; print('matplotlib' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
