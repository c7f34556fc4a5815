"""lsbo: latent-space Bayesian optimization of structured designs.

The public API, as BoTorch and Optuna curate theirs: running an optimization
(:func:`optimize`, :class:`Optimizer`), stored runs (:func:`load_run`,
:func:`list_runs`, :func:`delete_run`), objectives, options, strategies and what a run
returns are here; codecs are in :mod:`lsbo.representations`, VAEs and their training in
:mod:`lsbo.models`, storage in :mod:`lsbo.storage`. Heavy modules (torch, BoTorch) load
on first use of a name that needs them, so ``import lsbo`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lsbo._deprecated import moved
from lsbo.exceptions import LsboError, PoorVAEWarning
from lsbo.objective import Dataset, Evaluation, ExternalObjective, FunctionObjective, Objective

__version__ = "0.2.0"

_LAZY = {
    "optimize": "lsbo.api",
    "load_run": "lsbo.api",
    "list_runs": "lsbo.api",
    "delete_run": "lsbo.api",
    "upgrade_run_models": "lsbo.api",
    "write_batch": "lsbo.batch",
    "read_batch": "lsbo.batch",
    "tell_batch": "lsbo.batch",
    "Optimizer": "lsbo.optimizer",
    "OptimizerOptions": "lsbo.options",
    "TrainingOptions": "lsbo.models",
    "VAEQuality": "lsbo.models",
    "GrammarCodec": "lsbo.representations",
    "OptimizationResult": "lsbo.records",
    "Proposal": "lsbo.records",
    "Record": "lsbo.records",
    "RunStats": "lsbo.records",
    "Direction": "lsbo.records",
    "ProposalState": "lsbo.records",
    "Source": "lsbo.records",
    "Phase": "lsbo.records",
    "DaemonThreadExecutor": "lsbo.execution",
    "STRATEGIES": "lsbo.strategies",
    "Strategy": "lsbo.strategies",
    "SearchContext": "lsbo.strategies",
    "Plain": "lsbo.strategies",
    "Genetic": "lsbo.strategies",
    "JointTraining": "lsbo.strategies",
    "Candidate": "lsbo.strategies",
    "RandomSearch": "lsbo.strategies",
    "Screening": "lsbo.strategies",
    "TrustRegion": "lsbo.strategies",
    "WeightedRetraining": "lsbo.strategies",
    "get_strategy": "lsbo.strategies",
}
# names that lived at the top before 0.2.0: they still work, with a warning
_MOVED = {
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
    "get_storage": "lsbo.storage",
    "RDBStorage": "lsbo.storage",
}

__all__ = [
    "STRATEGIES",
    "Candidate",
    "DaemonThreadExecutor",
    "Dataset",
    "Direction",
    "Evaluation",
    "ExternalObjective",
    "FunctionObjective",
    "Genetic",
    "GrammarCodec",
    "JointTraining",
    "LsboError",
    "Objective",
    "OptimizationResult",
    "Optimizer",
    "OptimizerOptions",
    "Phase",
    "Plain",
    "PoorVAEWarning",
    "Proposal",
    "ProposalState",
    "RandomSearch",
    "Record",
    "RunStats",
    "Screening",
    "SearchContext",
    "Source",
    "Strategy",
    "TrainingOptions",
    "TrustRegion",
    "VAEQuality",
    "WeightedRetraining",
    "delete_run",
    "get_strategy",
    "list_runs",
    "load_run",
    "optimize",
    "read_batch",
    "tell_batch",
    "upgrade_run_models",
    "write_batch",
]

if TYPE_CHECKING:
    from lsbo.api import delete_run, list_runs, load_run, optimize, upgrade_run_models
    from lsbo.batch import read_batch, tell_batch, write_batch
    from lsbo.execution import DaemonThreadExecutor
    from lsbo.models import TrainingOptions, VAEQuality
    from lsbo.optimizer import Optimizer
    from lsbo.options import OptimizerOptions
    from lsbo.records import (
        Direction,
        OptimizationResult,
        Phase,
        Proposal,
        ProposalState,
        Record,
        RunStats,
        Source,
    )
    from lsbo.representations import GrammarCodec
    from lsbo.strategies import (
        STRATEGIES,
        Candidate,
        Genetic,
        JointTraining,
        Plain,
        RandomSearch,
        Screening,
        SearchContext,
        Strategy,
        TrustRegion,
        WeightedRetraining,
        get_strategy,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    return moved(__name__, name, _MOVED)
