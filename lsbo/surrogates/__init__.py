"""Gaussian-process surrogates on latent points."""

from lsbo.surrogates.gp import fit_gp, gp_state, select_training_points

__all__ = ["fit_gp", "gp_state", "select_training_points"]
