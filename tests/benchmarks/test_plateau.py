"""The plateau analysis (benchmarks/plateau.py): which one-token changes it tries."""

from __future__ import annotations

import itertools

import numpy as np
import plateau
from crossover import task


def test_one_token_changes_are_every_substitution_and_the_mended_keep_to_the_pairs():
    function, scores, pairs = task()
    design = next(iter(scores))  # a training sequence: its pairs are all in ``pairs``
    mended, unconstrained = plateau.one_token_changes(
        function, design, pairs, np.random.default_rng(0)
    )
    assert len(unconstrained) == len(set(unconstrained)) == function.dim * (function.num_states - 1)
    assert all(sum(a != b for a, b in zip(design, u, strict=True)) == 1 for u in unconstrained)
    assert mended and all((a, b) in pairs for child in mended for a, b in itertools.pairwise(child))
    assert design not in mended


def test_motif_value_ignores_the_transition_rule():
    function = task()[0]
    optimum = function.optimal_solution()
    region = function.dim // function.num_motifs
    held = {i * region + int(o) for i, row in enumerate(function.spacings) for o in row}
    position = next(p for p in range(1, function.dim) if p not in held)
    before = function.to_states([optimum])[0][position - 1]
    banned = int(np.flatnonzero(function.transition_matrix[before] == 0)[0])
    broken = optimum[:position] + function.alphabet[banned] + optimum[position + 1 :]
    assert function.score_states(function.to_states([broken]))[0] == 0.0  # infeasible
    assert plateau.motif_value(function, [broken])[0] == 1.0  # the motifs are whole


def test_an_unfinished_run_is_examined_and_a_finished_one_is_not():
    row = plateau.examine(seed=0, budget=20)
    assert row["best"] < 1.0
    assert row["n_mended"] > 0 and 0 <= row["mended"] <= row["n_mended"]
    assert row["unconstrained"] >= 0
    finished = plateau.examine(seed=0, budget=1000)  # seed 0 reaches the optimum
    assert finished["best"] == 1.0
    assert finished["n_mended"] is finished["mended"] is finished["unconstrained"] is None
