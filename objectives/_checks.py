"""Argument checks shared by the built-in objective modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from lsbo.exceptions import InvalidOptionError


def check_int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum], else raise InvalidOptionError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidOptionError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise InvalidOptionError(f"{name} must be at least {minimum}{upper}, got {value}")
    return int(value)
