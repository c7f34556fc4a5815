"""The latent space a run searches: its VAE, its search box, encoding and decoding."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from lsbo.acquisition import latent_bounds
from lsbo.models import VAE, TrainingOptions, fit_new_vae, invert
from lsbo.observations import Observations
from lsbo.records import data_fingerprint
from lsbo.storage.serialize import key_digest

if TYPE_CHECKING:
    from lsbo.options import OptimizerOptions
    from lsbo.representations import Codec
    from lsbo.run_storage import RunStorage
    from lsbo.strategies.retraining import WeightedRetraining


# what a retraining adds to a VAE's metadata
RETRAINING_STATE = ("retrainings", "adam", "bounds", "retrained_at")


def without_retraining_state(model: VAE) -> VAE:
    """A copy of ``model`` without the retraining state of another run."""
    model = copy.deepcopy(model)
    model.metadata = {k: v for k, v in model.metadata.items() if k not in RETRAINING_STATE}
    return model


# the VAE's metadata entry that keeps the extremes of its training designs' encodings
TRAINING_EXTREMES = "training_extremes"

# candidates closer than this fraction of the box's diagonal count as one point
DISTINCT_TOLERANCE = 1e-3


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

    @classmethod
    def of_run(
        cls,
        run: RunStorage,
        designs: Sequence[Any],
        options: OptimizerOptions,
        seed: int,
        model: VAE | None = None,
        codec: Codec | None = None,
        fresh_schedule: bool = False,
    ) -> tuple[LatentSpace, float]:
        """The latent space of a run: its stored VAE, else ``model``, else a new one.

        A VAE given or trained here is stored with the run (unless another process
        stored one first: then all share that one, so they share one latent space).

        Args:
            run: The run's storage.
            designs: The training designs.
            options: The run's options (VAE training, device, box margin, dtype).
            seed: Seeds the training.
            model: A trained VAE to use (its codec must accept the designs).
            codec: Codec of a VAE trained here (default: chosen from the designs).
            fresh_schedule: Use a copy of ``model`` without the retraining state of
                another run (it is fine-tuned here; the caller's stays as it is).

        Returns:
            ``(latent space, seconds spent training)``.
        """
        stored, seconds = run.load_model(), 0.0
        if stored is not None:
            model = stored
        elif model is not None:
            model.codec.encode(list(designs[:1]))  # raises if the designs do not fit
            model = without_retraining_state(model) if fresh_schedule else model
        else:
            start = time.perf_counter()
            model, _ = fit_new_vae(
                designs, codec=codec, latent_dim=options.latent_dim, options=options.vae,
                seed=seed, device=options.device,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            # how it was trained: what tells its validation split (held_out_designs)
            model.metadata.update(training=dataclasses.asdict(options.vae), seed=seed)
        model = model.to(options.device).eval()
        latent = cls(model, designs, options.bounds_margin, options.dtype)
        if stored is None:
            latent.training_extremes()  # kept in the metadata stored with the run
            if not run.save_model(model, seed, replace=False):
                return cls.of_run(run, designs, options, seed)  # another process stored one
        return latent, seconds

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

    def locate(self, designs: Sequence[Any], inversion_steps: int = 0) -> Tensor:
        """``n x d`` points for the GP to learn the designs' values at: the encoder's
        means, or, with ``inversion_steps``, points moved by up to that many gradient
        steps until they decode to their designs (:func:`lsbo.models.inversion.invert`;
        a design never reached keeps its last point)."""
        if inversion_steps <= 0:
            return self.encode(designs)
        points, _ = invert(self.model, designs, steps=inversion_steps)
        return points.to("cpu", self.dtype)

    def decode(self, points: Tensor) -> list[Any]:
        """The designs that ``n x d`` points decode to (some may be invalid)."""
        return list(self.model.decode(points))

    def is_valid(self, design: Any) -> bool:
        """Whether the codec accepts ``design`` as a design."""
        return bool(self.model.codec.is_valid(design))

    def digest(self, design: Any) -> str:
        """The key under which a design is stored: equal designs share it."""
        return key_digest(self.model.codec.key(design))

    def refresh(
        self, observations: Observations, extend_bounds: bool = False, since: int | None = None
    ) -> None:
        """Encode the observations (and, for the box, the training designs) anew.

        Runs at the start, and after each retraining so that the GP and the box follow
        the new latent space. The box spans the training designs; after a retraining it
        spans the evaluated designs too (``extend_bounds``), as the weighted-retraining
        paper's box spans its whole, growing dataset, so the search can follow the good
        designs beyond the data. A retrained VAE keeps its box in its metadata.
        """
        observations.reencode(self.encode, since)
        stored = self.model.metadata.get("bounds")
        if stored is not None and not extend_bounds:  # the training designs need no encoding
            self.bounds = torch.tensor(stored, dtype=self.dtype)
            return
        latents = self.training_extremes()
        if extend_bounds and len(observations):
            latents = torch.cat([latents, observations.X])
        self.bounds = latent_bounds(latents, self.margin)

    def training_extremes(self) -> Tensor:
        """``2 x d``: the lowest and the highest encoding of the training designs in
        each dimension, all the box needs of them.

        Kept in the VAE's metadata under a digest of the designs and the VAE's weights,
        so that a run opened again (a resume, a worker, ``lsbo ask``) need not encode
        every training design; a retrained VAE or other designs compute them anew.
        """
        key = f"{data_fingerprint(self.designs, [None] * len(self.designs))}-{_weights(self.model)}"
        kept = self.model.metadata.get(TRAINING_EXTREMES)
        if isinstance(kept, dict) and kept.get("key") == key:
            return torch.tensor(kept["values"], dtype=self.dtype)
        latents = self.encode(self.designs)
        extremes = torch.stack([latents.min(0).values, latents.max(0).values])
        entry = {"key": key, "values": extremes.tolist()}
        self.model.metadata = {**self.model.metadata, TRAINING_EXTREMES: entry}
        return extremes

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

    def retrain(
        self,
        schedule: WeightedRetraining,
        observations: Observations,
        due: int,
        seed: int,
        vae: TrainingOptions,
    ) -> None:
        """Fine-tune the VAE on every known design (retraining number ``due``), then
        move the observations and the box into its new latent space; the box, which
        now spans the evaluated designs too, is kept in the VAE's metadata."""
        designs, values = self.known_designs(observations)
        schedule.retrain(self.model, designs, values, due, seed, vae)
        self.refresh(observations, extend_bounds=True)
        self.model.metadata = {**self.model.metadata, "bounds": self.bounds.tolist()}

    def set_model(self, model: VAE, observations: Observations) -> None:
        """Use another VAE (one retrained by another process) and move everything into
        its space."""
        self.model = model
        self.refresh(observations)


def distinct_points(points: Tensor, bounds: Tensor) -> Tensor:
    """``points`` (``m x d``, best first) without those closer than
    ``DISTINCT_TOLERANCE`` times the diagonal of ``bounds`` to an earlier one."""
    if len(points) < 2:
        return points
    tolerance = DISTINCT_TOLERANCE * float((bounds[1] - bounds[0]).norm())
    distances = torch.cdist(points.to(bounds), points.to(bounds))
    close = (distances < tolerance).tril(diagonal=-1)  # to an earlier point
    keep = ~close.any(dim=1)
    return points[keep]


def _weights(model: VAE) -> str:
    """A short digest of a VAE's parameters and buffers."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu").reshape(-1).contiguous().view(torch.uint8).numpy())
    return digest.hexdigest()[:16]
