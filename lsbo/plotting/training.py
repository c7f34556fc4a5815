"""The VAE's training curves: reconstruction and KL per epoch, training and validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lsbo.exceptions import NoDataError
from lsbo.plotting._common import _figure, _integer_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lsbo.models.vae import VAE
    from lsbo.records import OptimizationResult


@dataclass(frozen=True)
class TrainingCurves:
    """The VAE's training losses per epoch (weighted means per design).

    Attributes:
        epoch: ``E`` epochs, ``1..E``.
        train_loss: ``E`` training losses (``reconstruction + beta * kl``).
        reconstruction: ``E`` training negative log-likelihoods.
        kl: ``E`` training KL divergences to the prior.
        validation_loss: ``E`` validation losses, or empty without a validation split.
        validation_reconstruction: ``E`` or ``0``, as ``reconstruction``.
        validation_kl: ``E`` or ``0``, as ``kl``.
        best_epoch: The epoch whose parameters were kept (``1..E``).
        n_train: Designs in the training split.
        n_validation: Designs in the validation split.
    """

    epoch: np.ndarray
    train_loss: np.ndarray
    reconstruction: np.ndarray
    kl: np.ndarray
    validation_loss: np.ndarray
    validation_reconstruction: np.ndarray
    validation_kl: np.ndarray
    best_epoch: int
    n_train: int
    n_validation: int


def training_data(model_or_result: VAE | OptimizationResult) -> TrainingCurves:
    """The training curves stored with a VAE (``model.metadata["report"]``).

    Args:
        model_or_result: A VAE, or a run whose ``model`` is one.

    Returns:
        A :class:`TrainingCurves`.

    Raises:
        NoDataError: No VAE, or a VAE without a training report (one trained before lsbo
            stored reports, or by :func:`lsbo.models.train_vae` directly).
    """
    from lsbo.models.training import TrainingReport

    model = getattr(model_or_result, "model", model_or_result)
    stored = None if model is None else getattr(model, "metadata", {}).get("report")
    report = None if stored is None else TrainingReport.from_dict(stored)
    if report is None or not report.reconstruction:
        raise NoDataError(
            "the VAE has no stored training report (per-epoch reconstruction and KL); "
            "it was trained before lsbo kept one, or without lsbo.models.fit_new_vae: "
            "train it again (e.g. a new run) to plot its training"
        )
    return TrainingCurves(
        epoch=np.arange(1, len(report.reconstruction) + 1),
        train_loss=np.array(report.train_loss, dtype=float),
        reconstruction=np.array(report.reconstruction, dtype=float),
        kl=np.array(report.kl, dtype=float),
        validation_loss=np.array(report.validation_loss, dtype=float),
        validation_reconstruction=np.array(report.validation_reconstruction, dtype=float),
        validation_kl=np.array(report.validation_kl, dtype=float),
        best_epoch=report.best_epoch + 1,
        n_train=report.n_train,
        n_validation=report.n_validation,
    )


def plot_training(model_or_result: VAE | OptimizationResult) -> Figure:
    """The VAE's reconstruction and KL terms per epoch, training and validation.

    Args:
        model_or_result: A VAE, or a run whose ``model`` is one.

    Returns:
        The figure (two panels).

    Raises:
        NoDataError: No stored training report (see :func:`training_data`).
    """
    curves = training_data(model_or_result)
    figure = _figure(9.0, 3.8)
    panels = [
        ("Reconstruction: -log p(x|z)", curves.reconstruction, curves.validation_reconstruction),
        ("KL(q(z|x) || prior)", curves.kl, curves.validation_kl),
    ]
    for ax, (title, train, validation) in zip(figure.subplots(1, 2), panels, strict=True):
        ax.plot(curves.epoch, train, "o-", ms=3, label=f"training ({curves.n_train} designs)")
        if len(validation):
            ax.plot(
                curves.epoch[: len(validation)],
                validation,
                "s--",
                ms=3,
                label=f"validation ({curves.n_validation} designs)",
            )
        ax.axvline(curves.best_epoch, color="0.5", ls=":", lw=1, label="kept (best epoch)")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("per design (nats)")
        _integer_ticks(ax)
        ax.legend(fontsize="small")
    figure.suptitle("VAE training")
    return figure
