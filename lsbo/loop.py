"""Deprecated: the optimizer moved to :mod:`lsbo.optimizer`, its parts to their own homes.

``from lsbo.loop import ...`` keeps working for one release.
"""

from __future__ import annotations

from typing import Any

from lsbo._deprecated import moved

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
    return moved(__name__, name, _MOVED)
