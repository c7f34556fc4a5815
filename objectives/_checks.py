"""Argument and design checks shared by the built-in objective modules."""

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


def image_problem(design: Any, shape: tuple[int, int]) -> str | None:
    """Why a design is not an image of ``shape`` with finite values in [0, 1], or
    ``None`` if it is one."""
    try:
        array = np.asarray(design, dtype=np.float64)
    except (TypeError, ValueError):
        return f"design is not a numeric array ({type(design).__name__})"
    if array.shape != shape:
        return f"design has shape {array.shape}, expected {shape}"
    if not np.isfinite(array).all():
        return "design has NaN or infinite pixel values"
    if array.min() < 0.0 or array.max() > 1.0:
        return "design has pixel values outside [0, 1]"
    return None
