"""The best distinct designs of a run, drawn as a grid by the objective."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lsbo.exceptions import InvalidOptionError, NoDataError
from lsbo.models.cache import design_bytes
from lsbo.objective import Objective
from lsbo.plotting._common import _figure, _render_cell, _value
from lsbo.records import Direction

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lsbo.records import OptimizationResult, Record


@dataclass(frozen=True)
class BestDesigns:
    """The best distinct designs of a run, best first.

    Attributes:
        name: The run's name.
        maximize: Direction of the objective.
        designs: ``k`` designs.
        values: ``k`` values.
        numbers: ``k`` proposal numbers.
        evaluations: ``k`` positions in the history (1 for the first evaluation), as
            the history plot and `lsbo show` count.
    """

    name: str
    maximize: bool
    designs: list[Any]
    values: np.ndarray
    numbers: np.ndarray
    evaluations: np.ndarray


def best_designs_data(result: OptimizationResult, n: int = 9) -> BestDesigns:
    """The ``n`` best distinct complete designs of a run, best first.

    Designs are distinct by the VAE codec's key when the run has its VAE (so two
    SELFIES of one molecule count once), else by their bytes. Ties keep the earlier
    proposal first.

    Args:
        result: The run.
        n: How many designs at most (``k = min(n, distinct complete designs)``).

    Returns:
        A :class:`BestDesigns`; empty when no evaluation completed.
    """
    if n < 1:
        raise InvalidOptionError(f"n must be >= 1, got {n}")
    key: Callable[[Any], Any] = design_bytes
    if result.model is not None:
        key = result.model.codec.key
    complete = [r for r in result.history if not math.isnan(_value(r))]
    ranked = Direction.of(result.maximize).ranked(complete)
    chosen = _distinct(ranked, key, n)
    order = {r.number: i for i, r in enumerate(result.history, start=1)}
    return BestDesigns(
        name=result.name,
        maximize=result.maximize,
        designs=[r.design for r in chosen],
        values=np.array([_value(r) for r in chosen], dtype=float),
        numbers=np.array([r.number for r in chosen], dtype=int),
        evaluations=np.array([order[r.number] for r in chosen], dtype=int),
    )


def _distinct(records: Iterable[Record], key: Callable[[Any], Any], n: int) -> list[Record]:
    """The first ``n`` records whose designs' keys differ from those of earlier ones."""
    chosen: list[Record] = []
    seen: set[Any] = set()
    for record in records:
        design_key = key(record.design)
        if design_key not in seen:
            seen.add(design_key)
            chosen.append(record)
        if len(chosen) == n:
            break
    return chosen


def plot_best_designs(
    result: OptimizationResult, objective: Objective | None = None, n: int = 9
) -> Figure:
    """A grid of a run's best distinct designs, best first, each titled with its value.

    Each cell shows ``objective.render(design)``: 2-D arrays as grey images, RGB(A)
    arrays as they are, text wrapped.

    Args:
        result: The run.
        objective: How to show a design (default: :meth:`lsbo.Objective.render`'s
            default: arrays as images, anything else as text).
        n: How many designs at most.

    Returns:
        The figure.

    Raises:
        NoDataError: No evaluation of the run completed.
    """
    data = best_designs_data(result, n)
    if not data.designs:
        raise NoDataError(f"run {result.name!r} has no complete evaluation to show")
    renderer = objective if objective is not None else Objective()
    rendered = [renderer.render(design) for design in data.designs]
    count = len(data.designs)
    columns = min(count, 3 if n <= 9 else 5)
    rows = math.ceil(count / columns)
    # an image cell is as tall as wide, plus its title and label
    height = 1.3 if all(isinstance(r, str) for r in rendered) else 2.95
    figure = _figure(2.3 * columns, height * rows + 0.5)
    cells = figure.subplots(rows, columns, squeeze=False).flat
    for i, ax in enumerate(cells):
        if i >= count:
            ax.set_axis_off()
            continue
        _render_cell(ax, rendered[i])
        ax.set_title(f"{i + 1}. value {data.values[i]:.4g}", fontsize="medium")
        ax.set_xlabel(f"evaluation {data.evaluations[i]}", fontsize="small")
    figure.suptitle(f"Best designs: {data.name or 'run'}")
    return figure
