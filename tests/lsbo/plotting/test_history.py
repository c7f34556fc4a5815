"""The optimization history: the best so far of one run, the mean of several, figures."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lsbo.exceptions import InvalidOptionError
from lsbo.plotting.history import _best_summary, history_data, plot_history
from lsbo.records import OptimizationResult
from tests.lsbo.plotting.conftest import labels, record, synthetic


def test_best_so_far_follows_the_direction_and_skips_failures():
    values = [None, 2.0, None, 5.0, 1.0, 7.0]
    up = history_data(synthetic(values, maximize=True, invalid=2))
    np.testing.assert_array_equal(up.number, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(up.best, [np.nan, 2, 2, 5, 5, 7])
    assert np.isnan(up.value[[0, 2]]).all() and up.value[3] == 5.0
    assert list(up.status) == ["failed", "complete", "failed", "complete", "complete", "complete"]
    assert up.n_invalid == 2
    down = history_data(synthetic(values, maximize=False))
    np.testing.assert_array_equal(down.best, [np.nan, 2, 2, 2, 1, 1])


def test_history_of_a_real_run(string_run):
    data = history_data(string_run)
    failed = np.array([r.status == "failed" for r in string_run.history])
    assert failed.sum() == 2  # the objective's 3rd and 6th calls
    assert np.isnan(data.value[failed]).all() and np.isfinite(data.value[~failed]).all()
    assert (np.diff(data.best[np.isfinite(data.best)]) >= 0).all()
    assert data.best[-1] == string_run.best_value
    assert data.objective == "count_a" and data.name == "strings"
    assert set(data.source) <= {"initial", "bo", "fallback", "mutant"}


def test_several_runs_average_up_to_the_shortest():
    a = history_data(synthetic([1.0, 3.0, 2.0, 9.0]))
    b = history_data(synthetic([None, 1.0, 5.0]))
    summary = _best_summary([a, b])
    np.testing.assert_array_equal(summary.number, [1, 2, 3])
    np.testing.assert_array_equal(summary.mean, [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(summary.n_runs, [1, 2, 2])
    assert np.isnan(summary.standard_error[0])  # one run: no spread
    np.testing.assert_allclose(summary.standard_error[1:], [1.0, 1.0])  # std / sqrt(2)


def test_the_history_of_one_run(string_run):
    result = OptimizationResult(**{**vars(string_run), "invalid": [record(99, None)]})
    figure = plot_history(result)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_title() == "Optimization history: strings"
    assert ax.get_xlabel() == "evaluation" and ax.get_ylabel() == "count_a (higher is better)"
    names = ax.get_legend().get_texts()
    shown = [t.get_text() for t in names]
    assert "best so far" in shown and "failed (2)" in shown
    assert "invalid proposals, not evaluated: 1" in shown


def test_the_history_of_several_runs(string_run):
    other = synthetic([0.0, 1.0, 4.0, 4.0, 5.0, 5.0, 6.0, 6.0, 7.0], name="other")
    other.settings = {"objective": "count_a"}
    figure = plot_history([string_run, other])
    ax = figure.axes[0]
    assert ax.get_title() == "Best so far over 2 runs"
    assert {"strings", "other", "mean of 2 runs"} <= set(labels(figure))
    mean_line = next(line for line in ax.lines if line.get_label() == "mean of 2 runs")
    expected = (history_data(string_run).best + history_data(other).best[:8]) / 2
    np.testing.assert_allclose(mean_line.get_ydata(), expected)
    with pytest.raises(InvalidOptionError, match="mix"):
        plot_history([string_run, synthetic([1.0], maximize=False)])


def test_children_made_in_design_space_are_drawn_ranked_and_unranked_apart():
    sources = ["initial", "bo", "mutant", "explored", "mutant"]
    history = [record(i, float(i), source=s) for i, s in enumerate(sources)]
    result = OptimizationResult(**{**vars(synthetic([1.0])), "history": history})
    shown = labels(plot_history(result))
    assert "children of good designs" in shown
    assert "children taken unranked (explored)" in shown
