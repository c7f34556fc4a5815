"""lsbo: latent-space Bayesian optimization of structured designs.

The public API is re-exported here. Heavy modules (torch, BoTorch) load on first use
of a name that needs them, so ``import lsbo`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lsbo.exceptions import LsboError
from lsbo.objective import Dataset, Evaluation, FunctionObjective, Objective

__version__ = "0.1.0"

_LAZY = {
    "optimize": "lsbo.api",
    "load_run": "lsbo.api",
    "get_storage": "lsbo.storage",
    "RDBStorage": "lsbo.storage",
    "Optimizer": "lsbo.loop",
    "OptimizerOptions": "lsbo.loop",
    "OptimizationResult": "lsbo.loop",
    "Proposal": "lsbo.loop",
    "Record": "lsbo.loop",
    "TrainingOptions": "lsbo.models",
    "VAE": "lsbo.models",
    "SequenceVAE": "lsbo.models",
    "ImageVAE": "lsbo.models",
    "build_vae": "lsbo.models",
    "train_vae": "lsbo.models",
    "load_model": "lsbo.models",
    "TokenCodec": "lsbo.representations",
    "ImageCodec": "lsbo.representations",
    "SelfiesCodec": "lsbo.representations",
    "Codec": "lsbo.representations",
    "STRATEGIES": "lsbo.strategies",
    "Strategy": "lsbo.strategies",
    "Plain": "lsbo.strategies",
    "RandomSearch": "lsbo.strategies",
    "TrustRegion": "lsbo.strategies",
    "WeightedRetraining": "lsbo.strategies",
}

__all__ = [
    "STRATEGIES",
    "VAE",
    "Codec",
    "Dataset",
    "Evaluation",
    "FunctionObjective",
    "ImageCodec",
    "ImageVAE",
    "LsboError",
    "Objective",
    "OptimizationResult",
    "Optimizer",
    "OptimizerOptions",
    "Plain",
    "Proposal",
    "RDBStorage",
    "RandomSearch",
    "Record",
    "SelfiesCodec",
    "SequenceVAE",
    "Strategy",
    "TokenCodec",
    "TrainingOptions",
    "TrustRegion",
    "WeightedRetraining",
    "build_vae",
    "get_storage",
    "load_model",
    "load_run",
    "optimize",
    "train_vae",
]

if TYPE_CHECKING:
    from lsbo.api import load_run, optimize
    from lsbo.loop import OptimizationResult, Optimizer, OptimizerOptions, Proposal, Record
    from lsbo.models import (
        VAE,
        ImageVAE,
        SequenceVAE,
        TrainingOptions,
        build_vae,
        load_model,
        train_vae,
    )
    from lsbo.representations import Codec, ImageCodec, SelfiesCodec, TokenCodec
    from lsbo.storage import RDBStorage, get_storage
    from lsbo.strategies import (
        STRATEGIES,
        Plain,
        RandomSearch,
        Strategy,
        TrustRegion,
        WeightedRetraining,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lsbo' has no attribute {name!r}")
