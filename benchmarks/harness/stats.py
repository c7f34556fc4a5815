"""Statistics over run records: means with standard errors, best-so-far curves,
evaluations to reach a threshold, the best among small designs, the table's budgets."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsbo.records import Direction

CHECKPOINTS = (25, 50, 100, 250, 500, 1000)


def mean_se(values: Iterable[float | None]) -> tuple[float, float, int]:
    """Mean, standard error (NaN for one value) and count of the non-missing values."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    if not len(kept):
        return math.nan, math.nan, 0
    se = kept.std(ddof=1) / math.sqrt(len(kept)) if len(kept) > 1 else math.nan
    return float(kept.mean()), float(se), len(kept)


def best_so_far(values: Sequence[float | None], maximize: bool) -> list[float | None]:
    """Best complete value after each evaluation (``None`` until one completes)."""
    return Direction.of(maximize).best_so_far(values)


def value_at(run: Mapping[str, Any], n: int) -> float | None:
    """The run's best so far after ``n`` evaluations (``None``: shorter run, or none yet)."""
    curve = run["best_so_far"]
    return curve[n - 1] if len(curve) >= n else None


def reached(value: float | None, threshold: float, maximize: bool) -> bool:
    """Whether ``value`` is ``threshold`` or better."""
    sign = Direction.of(maximize).sign
    return value is not None and sign * value >= sign * threshold


def evaluations_to_reach(run: Mapping[str, Any], threshold: float) -> float:
    """1-based index of the first evaluation whose best-so-far reaches ``threshold``
    (``inf`` if none does)."""
    for i, value in enumerate(run["best_so_far"]):
        if reached(value, threshold, run["maximize"]):
            return float(i + 1)
    return math.inf


def bounded_best(run: Mapping[str, Any], limit: int) -> float | None:
    """The best complete value among designs whose size (``extras["sizes"]``) is at most
    ``limit``, or ``None``."""
    sizes = run["extras"].get("sizes") or []
    kept = [
        v
        for v, size in zip(run["values"], sizes, strict=False)
        if v is not None and size is not None and size <= limit
    ]
    return Direction.of(run["maximize"]).best(kept)


def auc_top_k(
    values: Sequence[float | None], budget: int, k: int = 10, every: int = 100, finish: bool = True
) -> float:
    """PMO's metric: the area under the curve of the mean of the ``k`` best values over
    oracle calls, divided by ``budget`` (Gao et al. 2022, ``mol_opt``'s ``top_auc``).

    The curve is read every ``every`` calls and integrated by the trapezoid rule (it starts
    at 0); with fewer than ``k`` values it is the mean of those there are. A failed call
    (``None``) is no oracle call, as PMO's oracle scores no invalid molecule. A run that
    stopped early (``finish``) keeps its last value for the calls it did not make.
    Maximized values only (PMO's tasks are all maximized).
    """
    calls = [v for v in values if v is not None][:budget]
    if not calls:
        return 0.0

    def top(n: int) -> float:
        return float(np.mean(sorted(calls[:n], reverse=True)[:k]))

    area, previous, called = 0.0, 0.0, 0
    for n in range(every, min(len(calls), budget), every):
        now = top(n)
        area += every * (now + previous) / 2
        previous, called = now, n
    now = top(len(calls))
    area += (len(calls) - called) * (now + previous) / 2
    if finish and len(calls) < budget:
        area += (budget - len(calls)) * now
    return area / budget


def checkpoints(runs: Mapping[str, list[dict[str, Any]]]) -> list[int]:
    """Budgets shown in the table: the standard ones up to the longest run, and it."""
    longest = max((r["n_evaluations"] for rs in runs.values() for r in rs), default=0)
    shown = [c for c in CHECKPOINTS if c <= longest]
    return shown if longest in shown or not longest else [*shown, longest]


@dataclass
class Curve:
    """Mean best-so-far over seeds after each evaluation, with its standard error."""

    label: str
    evaluations: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    seeds: int


def curves(runs: Mapping[str, list[dict[str, Any]]]) -> list[Curve]:
    """Prepare the plot data: for each strategy, mean and s.e. at each evaluation over the
    seeds whose runs are that long and have a complete value by then."""
    out = []
    for label, rs in runs.items():
        length = max(r["n_evaluations"] for r in rs)
        grid = np.full((len(rs), length), np.nan)
        for i, r in enumerate(rs):
            grid[i, : r["n_evaluations"]] = [np.nan if v is None else v for v in r["best_so_far"]]
        count = np.sum(~np.isnan(grid), axis=0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no value yet
            mean = np.nanmean(grid, axis=0)
            se = np.where(count > 1, np.nanstd(grid, axis=0, ddof=1) / np.sqrt(count), 0.0)
        out.append(Curve(label, np.arange(1, length + 1), mean, se, len(rs)))
    return out
