"""VAEs over designs and the one loop that trains them."""

from lsbo.models.cache import cached_vae, default_cache_dir, fingerprint
from lsbo.models.inversion import invert
from lsbo.models.quality import VAEQuality, assess_vae, held_out_designs, warn_if_poor
from lsbo.models.training import (
    TrainingOptions,
    TrainingReport,
    fine_tune_vae,
    fit_new_vae,
    reconstruction_accuracy,
    train_vae,
)
from lsbo.models.transformer import TransformerVAE
from lsbo.models.vae import (
    VAE,
    ImageVAE,
    SequenceVAE,
    build_vae,
    convert_model_file,
    load_model,
)

__all__ = [
    "VAE",
    "ImageVAE",
    "SequenceVAE",
    "TrainingOptions",
    "TrainingReport",
    "TransformerVAE",
    "VAEQuality",
    "assess_vae",
    "build_vae",
    "cached_vae",
    "convert_model_file",
    "default_cache_dir",
    "fine_tune_vae",
    "fingerprint",
    "fit_new_vae",
    "held_out_designs",
    "invert",
    "load_model",
    "reconstruction_accuracy",
    "train_vae",
    "warn_if_poor",
]
