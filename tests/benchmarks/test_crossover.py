"""The recombination ablation (benchmarks/crossover.py): every variant runs the same loop."""

from __future__ import annotations

import crossover
import numpy as np
import pytest

from objectives import ehrlich


@pytest.mark.parametrize("variant", crossover.VARIANTS, ids=lambda variant: variant[0])
def test_each_variant_runs_the_steady_state_loop_to_its_budget(variant):
    _, cross, newest = variant
    trace = crossover.run(cross, seed=0, budget=40, survivors=10, newest_first=newest)
    assert len(trace) == 40 and trace == sorted(trace)  # best so far never falls
    assert all(0.0 <= value <= 1.0 for value in trace)


def test_the_two_operators_recombine_differently():
    function = ehrlich.OBJECTIVE()
    first, second = function.sample(2, seed=3)
    pairs = set(ehrlich.make_codec(function.sample(500)).pairs or ())
    vocabulary = list(function.alphabet)

    def stretches(cross):
        rng = np.random.default_rng(0)
        taken = []
        for _ in range(100):
            child = cross(list(first), list(second), vocabulary, rng, 0.0, pairs)
            if child is not None:  # positions from the second parent, where it differs
                taken.append(sum(c == b != a for a, b, c in zip(first, second, child, strict=True)))
        return np.mean(taken)

    differing = sum(a != b for a, b in zip(first, second, strict=True))
    # holo-bench's draw keeps nearly all of the second parent; two-point about a third
    assert stretches(crossover.position_by_position) > 0.8 * differing
    assert stretches(crossover.two_point_in_place) < 0.6 * differing
    assert stretches(crossover.two_point) < 0.6 * differing  # moved, but no longer
