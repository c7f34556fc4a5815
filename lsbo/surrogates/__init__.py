"""Gaussian-process surrogates on latent points."""

from lsbo.surrogates.gp import fit_gp, gp_state, select_training_points
from lsbo.surrogates.variational import (
    SurrogateKind,
    fit_surrogate,
    fit_variational_gp,
    variational_state,
)

__all__ = [
    "SurrogateKind",
    "fit_gp",
    "fit_surrogate",
    "fit_variational_gp",
    "gp_state",
    "select_training_points",
    "variational_state",
]
