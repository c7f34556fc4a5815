"""The VAE's training curves: the stored report, and its figure."""

from __future__ import annotations

import numpy as np
import pytest

from lsbo.exceptions import NoDataError
from lsbo.plotting.training import plot_training, training_data
from tests.lsbo.plotting.conftest import EPOCHS, synthetic


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


def test_the_training_curves(string_run):
    figure = plot_training(string_run)
    reconstruction, kl = figure.axes
    assert reconstruction.get_title().startswith("Reconstruction")
    assert kl.get_title().startswith("KL")
    assert reconstruction.get_xlabel() == "epoch" and kl.get_ylabel()
    assert "validation (4 designs)" in reconstruction.get_legend_handles_labels()[1]
    train = reconstruction.lines[0].get_ydata()
    np.testing.assert_allclose(train, string_run.model.metadata["report"]["reconstruction"])
