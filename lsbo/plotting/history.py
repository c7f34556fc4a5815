"""The optimization history: each evaluation's value and the best so far, of one run or
the mean of several."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lsbo.exceptions import InvalidOptionError
from lsbo.plotting._common import _figure, _integer_ticks, _value, _value_label
from lsbo.records import Direction

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lsbo.records import OptimizationResult

# how each source of a proposal is drawn in the history: colour and legend label
_SOURCES = {
    "initial": ("tab:gray", "initial (training designs)"),
    "random": ("tab:green", "random (prior samples)"),
    "bo": ("tab:blue", "Bayesian optimization"),
    "fallback": ("tab:orange", "fallback (sampled near the best)"),
    "mutant": ("tab:purple", "children of good designs"),
    "explored": ("tab:pink", "children taken unranked (explored)"),
}


@dataclass(frozen=True)
class HistoryData:
    """The evaluations of one run, in the order they finished.

    Attributes:
        name: The run's name.
        objective: The objective's name (empty when the run's settings are unknown).
        maximize: Direction of the objective.
        number: ``n`` evaluation indices, ``1..n``.
        value: ``n`` values, NaN for failed evaluations.
        status: ``n`` statuses, ``"complete"`` or ``"failed"``.
        source: ``n`` sources (``"initial"``, ``"random"``, ``"bo"``, ``"fallback"``).
        best: ``n`` best values so far (largest when maximizing, smallest otherwise),
            NaN before the first complete evaluation.
        n_invalid: Decoded proposals that were not valid designs (never evaluated).
    """

    name: str
    objective: str
    maximize: bool
    number: np.ndarray
    value: np.ndarray
    status: np.ndarray
    source: np.ndarray
    best: np.ndarray
    n_invalid: int


def history_data(result: OptimizationResult) -> HistoryData:
    """The values and the best value so far of each evaluation of a run.

    Args:
        result: A run, e.g. from :func:`lsbo.optimize` or :func:`lsbo.load_run`.

    Returns:
        A :class:`HistoryData` with ``n = len(result.history)``.
    """
    records = result.history
    value = np.array([_value(r) for r in records], dtype=float)
    best = Direction.of(result.maximize).best_so_far(value.tolist())  # skips NaN
    return HistoryData(
        name=result.name,
        objective=str(result.settings.get("objective", "")),
        maximize=result.maximize,
        number=np.arange(1, len(records) + 1),
        value=value,
        status=np.array([r.status for r in records], dtype=str),
        source=np.array([r.source for r in records], dtype=str),
        best=np.array([math.nan if b is None else b for b in best], dtype=float),
        n_invalid=len(result.invalid),
    )


@dataclass(frozen=True)
class _BestSummary:
    """Best so far of several runs, aligned by evaluation index ``1..n``, ``n`` the length
    of the shortest run (so that every index averages the same runs); each array is
    ``n``. ``n_runs`` counts the runs with a complete value by then (the mean and error
    are NaN where none has, the error also where only one has)."""

    number: np.ndarray
    mean: np.ndarray
    standard_error: np.ndarray
    n_runs: np.ndarray


def _best_summary(histories: Sequence[HistoryData]) -> _BestSummary:
    """Mean and standard error over runs of the best value so far at each evaluation."""
    length = min((len(h.best) for h in histories), default=0)
    table = np.array([h.best[:length] for h in histories], dtype=float).reshape(-1, length)
    counts = np.isfinite(table).sum(0)
    with warnings.catch_warnings():  # columns without any value are NaN on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(table, axis=0)
        spread = np.nanstd(table, axis=0, ddof=1)
    error = np.where(counts > 1, spread / np.sqrt(np.maximum(counts, 1)), np.nan)
    return _BestSummary(np.arange(1, length + 1), mean, error, counts)


def plot_history(results: OptimizationResult | Sequence[OptimizationResult]) -> Figure:
    """The values found over the evaluations of one run, or the best so far of several.

    One run: each evaluation's value as a dot coloured by where its design came from,
    failed evaluations as red crosses along the bottom, the best so far as a step line;
    the legend counts failed evaluations and invalid proposals. Several runs (e.g. seeds
    or strategies): each run's best so far as a thin line labelled by its name, and
    their mean with a band of one standard error, up to the length of the shortest run.

    Args:
        results: One run or a sequence of runs (all maximized or all minimized).

    Returns:
        The figure.
    """
    runs: list[OptimizationResult] = (
        [results] if hasattr(results, "history") else list(results)  # type: ignore[list-item]
    )
    if not runs:
        raise InvalidOptionError("no runs to plot; pass one result or a list of them")
    histories = [history_data(run) for run in runs]
    if len({h.maximize for h in histories}) > 1:
        raise InvalidOptionError(
            "the runs mix maximized and minimized objectives; plot them separately"
        )
    if len(histories) == 1:
        return _draw_history(histories[0])
    return _draw_histories(histories)


def _draw_history(history: HistoryData) -> Figure:
    """One run: values by source, the best so far, failures and invalid proposals."""
    figure = _figure(7.0, 4.2)
    ax = figure.add_subplot()
    complete = history.status == "complete"
    for source, (color, label) in _SOURCES.items():
        mask = complete & (history.source == source)
        if mask.any():
            ax.scatter(history.number[mask], history.value[mask], s=20, color=color, label=label)
    if np.isfinite(history.best).any():
        ax.step(
            history.number, history.best, where="post", color="black", lw=1.4, label="best so far"
        )
    _draw_failed(ax, history.number[~complete])
    if history.n_invalid:
        ax.plot([], [], " ", label=f"invalid proposals, not evaluated: {history.n_invalid}")
    if not len(history.number):
        ax.text(0.5, 0.5, "no evaluations yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Optimization history: {history.name or 'run'}")
    ax.set_xlabel("evaluation")
    ax.set_ylabel(_value_label(history.objective, history.maximize))
    _integer_ticks(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best")
    return figure


def _draw_failed(ax: Axes, numbers: np.ndarray) -> None:
    """Red crosses along the bottom at the failed evaluations (nothing if none failed)."""
    if not len(numbers):
        return
    # y in axes coordinates: along the bottom, whatever the values' range
    ax.plot(
        numbers,
        np.full(len(numbers), 0.03),
        "x",
        color="tab:red",
        ms=7,
        mew=1.5,
        transform=ax.get_xaxis_transform(),
        clip_on=False,
        label=f"failed ({len(numbers)})",
    )
    ax.set_ymargin(0.12)  # keep values clear of the marks along the bottom


def _draw_histories(histories: Sequence[HistoryData]) -> Figure:
    """Several runs: each one's best so far, and their mean with a standard-error band."""
    figure = _figure(7.0, 4.2)
    ax = figure.add_subplot()
    few = len(histories) <= 8
    for i, history in enumerate(histories):
        label = (history.name or f"run {i + 1}") if few else ("individual runs" if i == 0 else None)
        ax.step(history.number, history.best, where="post", lw=0.8, alpha=0.6, label=label)
    _draw_summary(ax, _best_summary(histories), len(histories))
    objectives = {h.objective for h in histories}
    ax.set_title(f"Best so far over {len(histories)} runs")
    ax.set_xlabel("evaluation")
    ylabel = objectives.pop() if len(objectives) == 1 else ""
    ax.set_ylabel("best " + _value_label(ylabel, histories[0].maximize))
    _integer_ticks(ax)
    ax.legend(fontsize="small", loc="best")
    return figure


def _draw_summary(ax: Axes, summary: _BestSummary, n_runs: int) -> None:
    """The mean best so far of ``n_runs`` runs as a step line, in a standard-error band."""
    low, high = summary.mean - summary.standard_error, summary.mean + summary.standard_error
    ax.fill_between(
        summary.number,
        low,
        high,
        step="post",
        color="black",
        alpha=0.15,
        lw=0,
        label="± 1 standard error",
    )
    ax.step(
        summary.number,
        summary.mean,
        where="post",
        color="black",
        lw=2,
        label=f"mean of {n_runs} runs",
    )
