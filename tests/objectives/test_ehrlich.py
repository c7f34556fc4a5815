"""Tests for the Ehrlich functions (objectives/ehrlich.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lsbo
import objectives
from lsbo.exceptions import InvalidOptionError
from objectives import ehrlich
from objectives.ehrlich import ALPHABET, CONFIGURATIONS, Ehrlich, EhrlichSmall, make
from tests.objectives.contract import ObjectiveContract

# Hand-checked on OBJECTIVE() (seed 0): motif 0 is "VWdD" at spacing (0, 2, 4, 8), motif 1
# is "hYlL" at spacing (0, 4, 9, 15). This sequence holds motif 0 in full and only the
# "h" of motif 1, so it scores 1 * 1/4; every transition is allowed (it is the optimal
# solution with its second half held on "h").
PARTIAL = "VVWWddddDDDDDDDD" + "h" * 16


class TestEhrlichContract(ObjectiveContract):
    module = ehrlich
    registry_name = "ehrlich"

    def optimal_design(self) -> str:
        return EhrlichSmall().optimal_solution()

    def bad_design(self) -> tuple[str, float]:
        return PARTIAL, 0.25

    def invalid_designs(self) -> list[object]:
        return ["V" * 31, "V" * 33, "B" * 32, "V" * 31 + "!", "", None, 3.5, list("V" * 32)]


def small_function(quantization: int | None = None) -> Ehrlich:
    """A hand-made function: 4 states, L=8, one motif of length 4."""
    function = Ehrlich(4, 8, 1, 4, quantization=quantization, seed=0)
    function.transition_matrix = np.full((4, 4), 0.25)
    function.transition_matrix[0, 3] = 0.0  # A -> E is the only infeasible transition
    function.transition_matrix[0] /= function.transition_matrix[0].sum()
    function.motifs = np.array([[0, 1, 2, 3]])  # "ACDE"
    function.spacings = np.array([[0, 1, 2, 3]])
    return function


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_each_configuration_has_a_feasible_optimum(name: str) -> None:
    function = make(name, seed=3)
    optimum = function.optimal_solution()
    assert len(optimum) == CONFIGURATIONS[name]["dim"]
    assert function.is_feasible(function.to_states([optimum])).all()
    [evaluation] = function([optimum])
    assert evaluation.status == "complete" and evaluation.value == 1.0


def test_the_chain_is_ergodic_and_keeps_the_diagonal() -> None:
    for seed in range(5):
        matrix = make("small", seed=seed).transition_matrix
        assert np.allclose(matrix.sum(axis=1), 1.0)
        assert (np.diag(matrix) > 0).all()
        band = (matrix == 0).sum(axis=1)
        assert (band == round(0.4 * 32)).all()  # sparse: ~40% of transitions banned
        power = np.linalg.matrix_power(matrix > 0, 31).astype(bool)
        assert power.all()  # every state reaches every other: irreducible


def test_infeasible_sequences_score_zero_but_are_valid() -> None:
    function = small_function()
    assert function.score_states(function.to_states(["ACDE" * 2])).item() == 1.0
    design = "ACDEEEAE"  # holds the motif but A -> E is banned
    assert function.is_valid(design)
    [evaluation] = function([design])
    assert evaluation.status == "complete" and evaluation.value == 0.0


@pytest.mark.parametrize(
    ("quantization", "expected"), [(None, 0.75), (4, 0.75), (2, 0.5), (1, 0.0)]
)
def test_quantization_rounds_partial_motifs_down(quantization, expected) -> None:
    function = small_function(quantization)
    [evaluation] = function(["ACDAAAAA"])  # 3 of the 4 motif elements in place
    assert evaluation.value == expected


def test_a_full_motif_scores_one_at_every_quantization() -> None:
    for quantization in (1, 2, 3, 4):
        assert small_function(quantization)(["CCACDEEE"])[0].value == 1.0


def test_the_seed_fixes_the_function() -> None:
    first, again, other = make("small", seed=0), make("small", seed=0), make("small", seed=1)
    assert np.array_equal(first.transition_matrix, again.transition_matrix)
    assert np.array_equal(first.motifs, again.motifs)
    assert np.array_equal(first.spacings, again.spacings)
    assert not np.array_equal(first.transition_matrix, other.transition_matrix)
    assert EhrlichSmall().optimal_solution() == make("small").optimal_solution()


def test_motifs_and_spacings_fit_the_sequence() -> None:
    function = make("paper", seed=2)
    assert function.motifs.shape == function.spacings.shape == (4, 8)
    assert (function.spacings[:, 0] == 0).all()
    assert (np.diff(function.spacings, axis=1) > 0).all()
    assert (function.spacings[:, -1] < 256 // 4).all()
    chain = function.motifs.reshape(1, -1)
    assert function.is_feasible(chain).all()  # the motifs are jointly feasible


def test_values_lie_in_the_unit_interval_and_data_is_feasible() -> None:
    function = EhrlichSmall()
    data = ehrlich.dataset(n=500, seed=4)
    values = np.array(data.scores)
    assert ((values >= 0) & (values < 1)).all()
    assert np.median(values) <= 0.25  # mostly low scores, as in the paper
    states = function.to_states(data.designs)
    assert function.is_feasible(states).all()
    assert np.array_equal(function.score_states(states), values)
    random = np.random.default_rng(0).integers(32, size=(200, 32))
    scores = function.score_states(random)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_malformed_designs_fail_with_a_clear_message() -> None:
    function = EhrlichSmall()
    for design, words in [("V" * 31, "32 characters"), ("B" * 32, "alphabet"), (7, "str")]:
        assert not function.is_valid(design)
        [evaluation] = function([design])
        assert evaluation.status == "failed" and words in evaluation.message


def test_the_default_vae_decodes_autoregressively() -> None:
    # it learns the chain: every decoded prior sample was feasible, against 21% with the
    # parallel decoder (benchmarks/RESULTS.md)
    assert ehrlich.default_options().vae.architecture == {"decoder": "autoregressive"}


def test_the_codec_uses_the_fixed_alphabet() -> None:
    codec = ehrlich.make_codec(["VVVV"])
    assert codec.tokens[1:] == list(ALPHABET[:32]) and codec.max_length == 32
    assert codec.is_valid(PARTIAL) and not codec.is_valid(PARTIAL[:-1])


def test_children_made_in_design_space_keep_to_the_feasible_chain() -> None:
    data = ehrlich.dataset(n=500)
    function = EhrlichSmall()
    codec = ehrlich.make_codec(data.designs)
    parents = data.designs[:10]
    children = codec.vary(parents, 300, np.random.default_rng(0), rate=0.1)
    assert len(set(children) - set(parents)) > 250
    assert function.is_feasible(function.to_states(children)).all()
    plain = ehrlich.make_codec(data.designs)
    plain.pairs = None  # the same codec without the training designs' pairs
    free = plain.vary(parents, 300, np.random.default_rng(0), rate=0.1)
    assert function.is_feasible(function.to_states(free)).mean() < 0.5


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidOptionError, match="configuration"):
        make("huge")
    with pytest.raises(InvalidOptionError, match="quantization"):
        Ehrlich(32, 32, 2, 4, quantization=5)
    with pytest.raises(InvalidOptionError, match="num_states"):
        Ehrlich(len(ALPHABET) + 1, 32, 2, 4)


def test_plain_takes_half_of_each_batch_from_unranked_children_on_this_task() -> None:
    module = objectives.load("ehrlich")
    plain = objectives.strategy(module, "plain")
    assert (plain.name, plain.explore, plain.explore_from) == ("plain", 0.5, "children")
    assert plain.drift is True and plain.latent_optima is True
    assert objectives.strategy(module, "plain", explore=0.0).explore == 0.0
    assert objectives.strategy(module, "genetic") == lsbo.Genetic()
