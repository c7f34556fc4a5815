"""Deprecated: the optimizer moved to :mod:`lsbo.optimizer`, its parts to their own homes.

``from lsbo.loop import ...`` keeps working for one release.
"""

from __future__ import annotations

import warnings
from typing import Any

_MOVED = {
    "Optimizer": "lsbo.optimizer",
    "OptimizerOptions": "lsbo.options",
    "OptimizationResult": "lsbo.records",
    "Proposal": "lsbo.records",
    "Record": "lsbo.records",
    "RunStats": "lsbo.records",
    "record_from_row": "lsbo.run_storage",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        warnings.warn(
            f"lsbo.loop is deprecated: import {name} from {_MOVED[name]} (or from lsbo)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
