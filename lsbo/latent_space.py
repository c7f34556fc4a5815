"""The latent space a run searches: its VAE, its search box, encoding and decoding."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from lsbo.acquisition import latent_bounds
from lsbo.models import VAE
from lsbo.observations import Observations
from lsbo.storage.serialize import key_digest


def search_box(model: VAE | None, training_latents: Tensor, margin: float) -> Tensor:
    """The ``2 x d`` box a run searches: the one a retrained VAE keeps in its metadata,
    else the box of the encoded training designs widened by ``margin`` per side."""
    stored = None if model is None else model.metadata.get("bounds")
    if stored is not None:
        return torch.tensor(stored, dtype=training_latents.dtype)
    return latent_bounds(training_latents, margin)


class LatentSpace:
    """A VAE with the designs it was trained on and the box the search stays in.

    Args:
        model: The VAE (in eval mode).
        designs: Its training designs.
        margin: How far the box extends beyond the encoded designs, as a fraction of
            their range (``OptimizerOptions.bounds_margin``).
        dtype: Floating-point type of latent points handed to the GP.
    """

    def __init__(
        self, model: VAE, designs: Sequence[Any], margin: float, dtype: torch.dtype
    ) -> None:
        self.model = model
        self.designs = list(designs)
        self.margin = margin
        self.dtype = dtype
        self.bounds = torch.empty(2, model.latent_dim, dtype=dtype)

    @property
    def dim(self) -> int:
        """Latent dimension."""
        return self.model.latent_dim

    @property
    def retrainings(self) -> int:
        """How many times the VAE was fine-tuned in this run."""
        return int(self.model.metadata.get("retrainings", 0))

    def encode(self, designs: Sequence[Any]) -> Tensor:
        """``n x d`` posterior means of ``designs``, on the CPU in the GP's dtype."""
        mean, _ = self.model.encode(designs)
        return mean.to("cpu", self.dtype)

    def decode(self, points: Tensor) -> list[Any]:
        """The designs that ``n x d`` points decode to (some may be invalid)."""
        return list(self.model.decode(points))

    def is_valid(self, design: Any) -> bool:
        """Whether the codec accepts ``design`` as a design."""
        return bool(self.model.codec.is_valid(design))

    def digest(self, design: Any) -> str:
        """The key under which a design is stored: equal designs share it."""
        return key_digest(self.model.codec.key(design))

    def refresh(self, observations: Observations, extend_bounds: bool = False) -> None:
        """Encode the training designs and the observations with the current VAE.

        Runs at the start, and after each retraining so that the GP and the box follow
        the new latent space. The box spans the training designs; after a retraining it
        spans the evaluated designs too (``extend_bounds``), as the weighted-retraining
        paper's box spans its whole, growing dataset, so the search can follow the good
        designs beyond the data. A retrained VAE keeps its box in its metadata.
        """
        latents = self.encode(self.designs)
        observations.reencode(self.encode)
        if extend_bounds:
            points = torch.cat([latents, observations.X]) if len(observations) else latents
            self.bounds = latent_bounds(points, self.margin)
        else:
            self.bounds = search_box(self.model, latents, self.margin)

    def known_designs(self, observations: Observations) -> tuple[list[Any], Tensor]:
        """Every design known so far, once each, with its signed value (NaN: unscored):
        what a retraining learns from."""
        known: dict[str, tuple[Any, float]] = {}
        for design in self.designs:
            known.setdefault(self.digest(design), (design, math.nan))
        for design, value in zip(observations.designs, observations.Y.tolist(), strict=True):
            known[self.digest(design)] = (design, value)
        designs = [design for design, _ in known.values()]
        return designs, torch.tensor([value for _, value in known.values()], dtype=torch.float64)

    def set_model(self, model: VAE, observations: Observations, extend: bool = False) -> None:
        """Use another VAE (a retrained one) and move everything into its space."""
        self.model = model
        self.refresh(observations, extend_bounds=extend)
