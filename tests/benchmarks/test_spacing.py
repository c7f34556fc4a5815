"""The spaced-parents ablation (benchmarks/spacing.py): each spacing runs the same loop."""

from __future__ import annotations

import pytest
import spacing

from objectives import expression


@pytest.mark.parametrize("gap", [0.0, 0.01])
def test_each_spacing_runs_the_steady_state_loop_to_its_budget(gap):
    trace = spacing.run(seed=0, budget=30, spacing=gap)
    assert len(trace) == 30 and trace == sorted(trace, reverse=True)  # best so far never rises
    assert all(0.0 <= value <= expression.WORST_SCORE for value in trace)


def test_spacing_changes_the_parents_and_so_the_run():
    # the first rounds breed from the best training expressions, whose scores lie close
    alike, spaced = (spacing.run(seed=1, budget=40, spacing=gap) for gap in (0.0, 0.5))
    assert alike != spaced
