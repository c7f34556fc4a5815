"""Argument and design checks shared by the built-in objective modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from lsbo.exceptions import InvalidOptionError
from lsbo.objective import Objective


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


class ImageObjective(Objective):
    """An objective over images of one ``image_shape`` with values in [0, 1], scored as a
    stack: subclasses implement :meth:`score_images`.

    A design that is not such an image is not valid; if it is evaluated anyway, the
    whole call fails with a message naming the first bad design and what is wrong.
    """

    image_shape: ClassVar[tuple[int, int]]

    def score_images(self, stack: np.ndarray) -> np.ndarray:
        """Scores of an ``n x H x W`` float64 stack of valid images."""
        raise NotImplementedError

    def _evaluate(self, designs: Sequence[Any]) -> list[float]:
        """Score every image at once.

        Raises:
            ValueError: A design is not a valid image (the template turns it into a
                failed evaluation with this message).
        """
        height, width = self.image_shape
        for row, design in enumerate(designs):
            problem = image_problem(design, self.image_shape)
            if problem is not None:
                raise ValueError(
                    f"{problem} (design {row}); {self.name} scores {height}x{width} images "
                    "in [0, 1]"
                )
        stack = np.stack([np.asarray(d, dtype=np.float64) for d in designs])
        return [float(v) for v in self.score_images(stack)]

    def is_valid(self, design: Any) -> bool:
        """Whether the design is an ``image_shape`` array of finite values in [0, 1]."""
        return image_problem(design, self.image_shape) is None
