"""Names that moved: they keep working for one release, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import warnings
from typing import Any


def moved(module: str, name: str, homes: dict[str, str]) -> Any:
    """``name`` of ``module``, now in ``homes[name]``, with a warning that says where.

    Raises:
        AttributeError: ``name`` is not one that moved.
    """
    if name not in homes:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    warnings.warn(
        f"{module}.{name} is deprecated: use {homes[name]}.{name}",
        DeprecationWarning,
        stacklevel=3,
    )
    return getattr(importlib.import_module(homes[name]), name)
