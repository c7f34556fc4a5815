"""Gaussian-process surrogates on latent points."""

from lsbo.surrogates.deep_kernel import DeepKernelGP, fit_deep_kernel_gp, new_deep_kernel_gp
from lsbo.surrogates.gp import fit_gp, gp_state, select_training_points
from lsbo.surrogates.variational import (
    SurrogateKind,
    fit_surrogate,
    fit_variational_gp,
    variational_state,
)

__all__ = [
    "DeepKernelGP",
    "SurrogateKind",
    "fit_deep_kernel_gp",
    "fit_gp",
    "fit_surrogate",
    "fit_variational_gp",
    "gp_state",
    "new_deep_kernel_gp",
    "select_training_points",
    "variational_state",
]
