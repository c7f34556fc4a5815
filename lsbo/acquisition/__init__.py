"""Choosing latent points to evaluate next."""

from lsbo.acquisition.qlogei import latent_bounds, optimize_qlogei, qlogei_values

__all__ = ["latent_bounds", "optimize_qlogei", "qlogei_values"]
