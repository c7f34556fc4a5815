"""Black-box objectives: a template that validates, counts and catches failures.

Subclasses write only ``_evaluate``; the public ``__call__`` turns whatever happens
(a number, a NaN, a non-number, an exception) into one :class:`Evaluation` per design,
so that a broken evaluation is recorded instead of ending a run.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from lsbo.exceptions import InvalidDesignsError, ObjectiveError

Status = Literal["complete", "failed"]


@dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating one design.

    Attributes:
        value: The score, or ``None`` when the evaluation failed.
        status: ``"complete"`` or ``"failed"``.
        message: Why it failed (empty when complete).
        duration: Seconds spent in the objective for the call that scored this design,
            divided evenly between the designs of that call.
    """

    value: float | None
    status: Status
    message: str = ""
    duration: float = 0.0


class Objective:
    """Base class for black-box objectives.

    Subclasses implement :meth:`_evaluate` on a list of designs and may override
    :meth:`is_valid` to reject designs that must never be scored (lsbo's optimizer
    checks it before calling the objective).

    Class attributes give the metadata that the CLI and the optimizer read:
    ``name``, ``maximize``, ``design_type`` (what a design is, e.g. ``"string"``),
    ``description``, ``optimum`` (best known value or ``None``), ``reference`` (paper
    that defined the task) and ``batch_size`` (how many designs one ``_evaluate`` call
    receives at most; ``None`` means all at once).
    """

    name: ClassVar[str] = "objective"
    maximize: ClassVar[bool] = True
    design_type: ClassVar[str] = ""
    description: ClassVar[str] = ""
    optimum: ClassVar[float | None] = None
    reference: ClassVar[str] = ""
    batch_size: ClassVar[int | None] = None

    def _evaluate(self, designs: Sequence[Any]) -> Sequence[Any]:
        """Score designs. Return one number per design, in order."""
        raise NotImplementedError

    def is_valid(self, design: Any) -> bool:
        """Whether a design may be sent to the objective (default: every design)."""
        return True

    def describe(self, design: Any) -> str:
        """A short text that shows a design to a person.

        The default is ``str(design)``, and for arrays their shape and value range.
        Molecule objectives, for example, show the canonical SMILES next to the SELFIES.
        """
        shape = getattr(design, "shape", None)
        if shape is not None and len(shape) > 0:
            try:
                low, high = float(design.min()), float(design.max())
            except (TypeError, ValueError):
                return f"array of shape {tuple(shape)}"
            return f"array of shape {tuple(shape)}, values {low:.3g} to {high:.3g}"
        return str(design)

    def render(self, design: Any) -> Any:
        """What a plot shows for a design: an image, or else a text.

        The default shows a design that is a 2-D or 3-D array of numbers as that array
        (an image) and anything else as :meth:`describe`'s text. Objectives whose
        designs have a picture override it; the molecule objectives draw the molecule.

        Args:
            design: One design.

        Returns:
            A float numpy array with values in [0, 1], ``H x W`` (grey) or ``H x W x 3``
            / ``H x W x 4`` (RGB / RGBA), or a string.
        """
        import numpy as np

        if isinstance(design, (str, bytes)):
            return self.describe(design)
        try:
            array = np.asarray(design, dtype=float)
        except (TypeError, ValueError):
            return self.describe(design)
        if array.ndim in (2, 3) and array.size:
            return array
        return self.describe(design)

    @property
    def n_evaluated(self) -> int:
        """How many designs this objective has been asked to score."""
        return getattr(self, "_n_evaluated", 0)

    def __call__(self, designs: Sequence[Any]) -> list[Evaluation]:
        """Score designs, one :class:`Evaluation` each; failures are caught, not raised.

        Raises:
            ObjectiveError: ``_evaluate`` returned a number of values that differs
                from the number of designs (a bug in the objective, not a bad design).
        """
        designs = list(designs)
        step = self.batch_size or max(len(designs), 1)
        results: list[Evaluation] = []
        for start in range(0, len(designs), step):
            results.extend(self._evaluate_chunk(designs[start : start + step]))
        self._n_evaluated = self.n_evaluated + len(designs)
        return results

    def _evaluate_chunk(self, chunk: list[Any]) -> list[Evaluation]:
        start = time.perf_counter()
        try:
            raw = self._evaluate(chunk)
        except Exception as exc:  # a user's objective may raise anything
            per = (time.perf_counter() - start) / len(chunk)
            message = f"objective raised {type(exc).__name__}: {exc}"
            return [Evaluation(None, "failed", message, per) for _ in chunk]
        per = (time.perf_counter() - start) / len(chunk)
        values = _as_list(raw, self.name)
        if len(values) != len(chunk):
            raise ObjectiveError(
                f"objective {self.name!r} returned {len(values)} values for {len(chunk)} "
                "designs; _evaluate must return exactly one value per design, in order"
            )
        return [check_value(value, per) for value in values]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, maximize={self.maximize})"


class FunctionObjective(Objective):
    """Wraps a plain function ``f(design) -> float``, one design per call."""

    batch_size: ClassVar[int | None] = 1

    def __init__(self, function: Callable[[Any], Any], maximize: bool = True) -> None:
        if not callable(function):
            raise ObjectiveError(
                f"the objective must be callable (a function design -> float or an "
                f"lsbo.Objective), got {type(function).__name__}"
            )
        self.function = function
        self.name = getattr(function, "__name__", type(function).__name__)  # type: ignore[misc]
        self.maximize = maximize  # type: ignore[misc]

    def _evaluate(self, designs: Sequence[Any]) -> list[Any]:
        return [self.function(design) for design in designs]


class ExternalObjective(Objective):
    """The objective of a run whose designs are evaluated outside lsbo (an assay, a
    synthesis, a simulation elsewhere): proposals come from ``ask(external=True)`` or
    ``lsbo ask``, values from ``tell`` or ``lsbo tell``. Evaluating it is an error.

    Args:
        maximize: Whether larger measured values are better.
    """

    name = "external"

    def __init__(self, maximize: bool = True) -> None:
        self.maximize = maximize  # type: ignore[misc]

    def _evaluate(self, designs: Sequence[Any]) -> list[Any]:
        raise ObjectiveError(
            "this run's designs are evaluated outside lsbo: ask for a batch with "
            "Optimizer.ask(n, external=True) or `lsbo ask`, and tell the measured values "
            "with Optimizer.tell or `lsbo tell`"
        )


def as_objective(objective: Any, maximize: bool | None = None) -> Objective:
    """Return ``objective`` as an :class:`Objective`, wrapping a plain function.

    Args:
        objective: An ``Objective`` or a callable ``design -> float``.
        maximize: Direction for a plain function (default ``True``); for an
            ``Objective`` it must agree with the objective's own ``maximize``, or be None.
    """
    if isinstance(objective, Objective):
        if maximize is not None and maximize != objective.maximize:
            direction = "maximized" if objective.maximize else "minimized"
            raise ObjectiveError(
                f"objective {objective.name!r} is {direction} by definition; drop the "
                f"maximize={maximize} argument or wrap its function in a new Objective"
            )
        return objective
    return FunctionObjective(objective, maximize=True if maximize is None else maximize)


def _as_list(raw: Any, name: str) -> list[Any]:
    if hasattr(raw, "tolist"):  # numpy arrays and tensors
        raw = raw.tolist()
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise ObjectiveError(
            f"objective {name!r}: _evaluate must return a sequence of numbers (one per "
            f"design), got {type(raw).__name__}"
        )
    return list(raw)


def check_value(value: Any, duration: float = 0.0) -> Evaluation:
    """Turn a value returned by an objective into an :class:`Evaluation`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if hasattr(value, "item") and getattr(value, "size", 1) == 1:
            return check_value(value.item(), duration)  # numpy / torch scalars
        shown = repr(value)[:80]
        message = f"objective returned {shown} ({type(value).__name__}), not a number"
        return Evaluation(None, "failed", message, duration)
    value = float(value)
    if not math.isfinite(value):
        return Evaluation(None, "failed", f"objective returned {value}", duration)
    return Evaluation(value, "complete", "", duration)


def as_evaluation(value: float | Evaluation | BaseException | None) -> Evaluation:
    """What a user tells of an evaluation, as an :class:`Evaluation`: a value, an
    ``Evaluation``, or an exception or ``None`` (failed)."""
    if isinstance(value, Evaluation):
        return value
    if value is None:
        return Evaluation(None, "failed", "no value reported")
    if isinstance(value, BaseException):
        return Evaluation(None, "failed", f"{type(value).__name__}: {value}")
    return check_value(value, 0.0)


@dataclass(frozen=True)
class Dataset:
    """Training designs, with scores for those already evaluated.

    Attributes:
        designs: The designs the VAE learns from.
        scores: ``None``, or one entry per design: its known value, or ``None`` for a
            design that has not been scored.
    """

    designs: list[Any]
    scores: list[float | None] | None = None

    def __len__(self) -> int:
        return len(self.designs)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Dataset:
        """Read designs from a file a person can write without Python.

        - ``.npy``: an ``n x height x width`` array of images with values in [0, 1];
        - ``.csv``: a header row with a ``design`` column and, optionally, a
          ``score`` column (an empty cell: not scored);
        - anything else: text, one design (string) per line; blank lines are skipped.

        Raises:
            InvalidDesignsError: The file is missing, empty or malformed; the message
                says which line or what shape.
        """
        path = Path(path)
        if not path.is_file():
            raise InvalidDesignsError(f"no designs file {str(path)!r}")
        if path.suffix == ".npy":
            return cls(_read_images(path))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidDesignsError(f"cannot read designs from {str(path)!r}: {exc}") from None
        data = _read_csv(path, text) if path.suffix == ".csv" else cls(_read_lines(text))
        if not data.designs:
            raise InvalidDesignsError(f"{str(path)!r} holds no designs")
        return data


def _read_images(path: Path) -> list[Any]:
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidDesignsError(f"cannot read images from {str(path)!r}: {exc}") from None
    if array.ndim != 3 or not np.issubdtype(array.dtype, np.number) or not len(array):
        raise InvalidDesignsError(
            f"{str(path)!r} holds a {array.dtype} array of shape {array.shape}; images go in "
            "an n x height x width array of numbers in [0, 1]"
        )
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise InvalidDesignsError(f"the images in {str(path)!r} must have values in [0, 1]")
    return list(array.astype(np.float32))


def _read_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _read_csv(path: Path, text: str) -> Dataset:
    import csv

    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "design" not in rows[0]:
        raise InvalidDesignsError(
            f"{str(path)!r} needs a header row with a 'design' column (and optionally 'score')"
        )
    designs, scores = [], []
    for line, row in enumerate(rows, start=2):
        design, score = (row.get("design") or "").strip(), (row.get("score") or "").strip()
        if not design:
            raise InvalidDesignsError(f"{str(path)!r} line {line}: empty design")
        try:
            value = float(score) if score else None
        except ValueError:
            raise InvalidDesignsError(
                f"{str(path)!r} line {line}: score {score!r} is not a number"
            ) from None
        if value is not None and not math.isfinite(value):
            raise InvalidDesignsError(f"{str(path)!r} line {line}: score {score!r} is not finite")
        designs.append(design)
        scores.append(value)
    return Dataset(designs, scores if any(s is not None for s in scores) else None)
