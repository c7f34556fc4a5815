"""Reuse trained VAEs: a file per (data, settings, seed), in a folder the caller names."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsbo.exceptions import ModelFileError, OutdatedModelFileError
from lsbo.models.training import TrainingOptions, fit_new_vae, is_collapsed
from lsbo.models.vae import FILE_VERSION, VAE, load_model
from lsbo.representations import Codec


def default_cache_dir() -> Path:
    """Where lsbo caches trained VAEs and generated data: ``$LSBO_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/lsbo``, else ``~/.cache/lsbo``."""
    if os.environ.get("LSBO_CACHE_DIR"):
        return Path(os.environ["LSBO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lsbo"


def fingerprint(
    designs: Sequence[Any],
    codec: Codec,
    latent_dim: int | None,
    options: TrainingOptions,
    seed: int,
) -> str:
    """A hex digest that changes whenever the data or any training setting changes."""
    digest = hashlib.sha256()
    settings = {
        "codec": repr(codec),
        "codec_state": _codec_state(codec),
        "latent_dim": latent_dim,
        "training": dataclasses.asdict(options),
        "seed": seed,
        "file_version": FILE_VERSION,
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for design in designs:
        digest.update(design_bytes(design))
        digest.update(b"\x00")
    return digest.hexdigest()


def _codec_state(codec: Codec) -> str:
    state = {k: v for k, v in vars(codec).items() if not callable(v) and not k.startswith("_")}
    return json.dumps(state, sort_keys=True, default=repr)


def design_bytes(design: Any) -> bytes:
    """The bytes of a design, for hashing."""
    if isinstance(design, str):
        return design.encode()
    return np.ascontiguousarray(np.asarray(design, dtype=np.float32)).tobytes()


def cached_vae(
    directory: str | Path,
    designs: Sequence[Any],
    codec: Codec,
    latent_dim: int | None = None,
    options: TrainingOptions | None = None,
    seed: int = 0,
    prefix: str = "vae",
    device: str | torch.device = "cpu",
    callback: Callable[[int, float, float | None], None] | None = None,
    pretrained: Sequence[str | Path] = (),
) -> tuple[VAE, bool]:
    """Load the VAE trained on these designs with these settings, or train and store it.

    A corrupt or outdated cache file is replaced (with a warning), never fatal: one
    written by an older lsbo, with pickled objects, is never unpickled but trained again.

    Args:
        directory: Folder of the cache (created if missing).
        designs, codec, latent_dim, options, seed, device, callback: As in
            :func:`lsbo.models.fit_new_vae` (``callback`` runs only when it trains).
        prefix: Start of the file name, e.g. the objective's name. A model cached
            under another prefix with the same data and settings is used as well.
        pretrained: Read-only folders of VAEs shipped with a task, named as cache
            files are (what this function writes): one trained on these designs with
            these settings is used before the cache, and nothing is written there.

    Returns:
        ``(model, from_cache)``: ``from_cache`` is also true for a pretrained VAE.
    """
    options = options or TrainingOptions()
    key = fingerprint(designs, codec, latent_dim, options, seed)
    path = Path(directory) / f"{prefix}-{key[:20]}.pt"
    # the same data and settings under another prefix (e.g. the three molecule tasks,
    # which share their molecules) is the same model
    shipped = [twin for folder in map(Path, pretrained) for twin in _twins(folder, key)]
    cached = [twin for twin in _twins(Path(directory), key) if twin != path]
    for candidate in [*shipped, path, *cached]:
        if candidate.is_file():
            try:
                model = load_model(candidate).to(device)
            except OutdatedModelFileError:  # never unpickled: trained again, then replaced
                warnings.warn(
                    f"ignoring the cached model {candidate.name}: an older lsbo wrote it "
                    "with pickled objects, which lsbo no longer loads; training it again",
                    stacklevel=2,
                )
                continue
            except ModelFileError as exc:
                warnings.warn(f"ignoring the cached model: {exc}", stacklevel=2)
                continue
            if not _collapsed_unchecked(model):
                return model, True
            warnings.warn(
                f"ignoring the cached model {candidate.name}: its decoder collapsed (every "
                "prior sample decodes to almost one design) and the lsbo that trained it "
                "did not train it again; training it again",
                stacklevel=2,
            )
    model, report = fit_new_vae(designs, codec, latent_dim, options, seed, device, callback)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    model.save(
        partial,
        training=dataclasses.asdict(options),
        seed=seed,
        fingerprint=key,
        train_loss=report.train_loss,
        validation_loss=report.validation_loss,
        report=report.to_dict(),
    )
    os.replace(partial, path)  # atomic: a killed process never leaves half a file
    return model, False


def _collapsed_unchecked(model: VAE) -> bool:
    """Whether a model trained before :func:`fit_new_vae` restarted collapsed VAEs (its
    report has no ``restarts``) is collapsed (:func:`lsbo.models.training.is_collapsed`)."""
    report = model.metadata.get("report")
    return not (isinstance(report, dict) and "restarts" in report) and is_collapsed(model)


def _twins(folder: Path, key: str) -> list[Path]:
    """Model files of ``folder`` made with the data and settings of ``key``."""
    return sorted(folder.glob(f"*-{key[:20]}.pt")) if folder.is_dir() else []
