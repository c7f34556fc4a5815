"""The genetic-algorithm baseline (benchmarks/genetic.py) on small toy objectives."""

from __future__ import annotations

import numpy as np
import pytest
from genetic import GeneticOptions, _Search, genetic_algorithm

import lsbo

TARGET = "abcdabcd"


def matches(design: str) -> int:
    return sum(a == b for a, b in zip(design, TARGET, strict=True))


def toy_data(n: int = 60, seed: int = 0) -> list[str]:
    """Distinct random strings over 'abcd' of length 8, none close to TARGET."""
    rng = np.random.default_rng(seed)
    designs: set[str] = set()
    while len(designs) < n:
        design = "".join(rng.choice(list("abcd"), size=len(TARGET)))
        if matches(design) <= 3:
            designs.add(design)
    return sorted(designs)


def objective(function=matches, maximize=True, alphabet=None):
    wrapped = lsbo.FunctionObjective(function, maximize=maximize)
    if alphabet is not None:
        wrapped.alphabet = alphabet
    return wrapped


OPTIONS = GeneticOptions(population=20, survival=0.25)


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    designs = toy_data()
    scores = [matches(d) for d in designs]
    first = genetic_algorithm(objective(), designs, scores, 60, seed=3, options=OPTIONS)
    again = genetic_algorithm(objective(), designs, scores, 60, seed=3, options=OPTIONS)
    other = genetic_algorithm(objective(), designs, scores, 60, seed=4, options=OPTIONS)
    assert first.evaluated == again.evaluated and first.values == again.values
    assert first.evaluated != other.evaluated


def test_it_improves_on_the_training_data_when_maximizing():
    designs = toy_data()
    scores = [matches(d) for d in designs]
    search = genetic_algorithm(objective(), designs, scores, 100, seed=0, options=OPTIONS)
    assert len(search.values) == 100  # exactly its budget: the last generation cut short
    assert max(v for v in search.values if v is not None) > max(scores)


def test_it_improves_on_the_training_data_when_minimizing():
    designs = toy_data()

    def distance(design: str) -> int:
        return len(TARGET) - matches(design)

    scores = [distance(d) for d in designs]
    minimized = objective(distance, maximize=False)
    search = genetic_algorithm(minimized, designs, scores, 150, seed=0, options=OPTIONS)
    assert min(v for v in search.values if v is not None) < min(scores)


def test_children_stay_in_the_alphabet_and_length_and_are_all_new():
    designs = toy_data()
    scores = [matches(d) for d in designs]
    options = GeneticOptions(population=20, survival=0.25, mutation_prob=0.3)
    search = genetic_algorithm(
        objective(alphabet="abcdef"), designs, scores, 100, seed=1, options=options
    )
    assert all(len(d) == len(TARGET) for d in search.evaluated)
    letters = set("".join(search.evaluated))
    assert letters <= set("abcdef")
    assert letters & set("ef")  # mutation draws from the objective's alphabet
    assert len(set(search.evaluated)) == len(search.evaluated)  # no design twice
    assert not set(search.evaluated) & set(designs)  # training designs cost no budget


def test_without_an_alphabet_it_uses_the_letters_of_the_data():
    designs = [d.replace("d", "c") for d in toy_data()]
    designs = sorted(set(designs))
    scores = [matches(d) for d in designs]
    options = GeneticOptions(population=20, survival=0.25, mutation_prob=0.5)
    search = genetic_algorithm(objective(), designs, scores, 60, seed=0, options=options)
    assert set("".join(search.evaluated)) <= set("abc")


def test_recombination_takes_each_position_from_a_parent():
    search = _Search(objective(), OPTIONS.resolved(6), seed=0, budget=10)
    search.options = GeneticOptions(20, 0.25, mutation_prob=0.0, recombine_prob=0.5)
    parents = np.array([list("aaaaaa"), list("bbbbbb")])
    children = {search.child(parents, np.array(list("abcd"))) for _ in range(30)}
    assert None not in children and len(children) == 30  # each one new
    assert all(set(child) <= {"a", "b"} and len(child) == 6 for child in children)


def test_without_scores_it_evaluates_a_random_training_population_first():
    designs = toy_data()
    search = genetic_algorithm(objective(), designs, None, 47, seed=0, options=OPTIONS)
    first = search.evaluated[: OPTIONS.population]
    assert len(set(first)) == OPTIONS.population and set(first) <= set(designs)
    assert not set(search.evaluated[OPTIONS.population :]) & set(designs)
    assert len(search.values) == 47


def test_failed_evaluations_are_kept_as_none_and_never_chosen_as_parents():
    designs = toy_data()
    scores = [matches(d) for d in designs]

    def fragile(design: str) -> int:
        if design.startswith("d"):
            raise ValueError("cannot score it")
        return matches(design)

    search = genetic_algorithm(objective(fragile), designs, scores, 100, seed=0, options=OPTIONS)
    failed = [d for d, v in zip(search.evaluated, search.values, strict=True) if v is None]
    assert failed and all(d.startswith("d") for d in failed)
    assert not set(failed) & set(search.survivors())


def test_a_converged_population_stops_before_the_budget():
    designs = ["aaa", "bbb"]  # 8 strings of length 3 over 'ab': 6 new ones at most
    options = GeneticOptions(population=4, survival=0.5, max_redraws=50)
    search = genetic_algorithm(objective(len), designs, [3, 3], 40, seed=0, options=options)
    assert 0 < len(search.values) <= 6
    assert set(search.evaluated) <= {"aab", "aba", "abb", "baa", "bab", "bba"}


@pytest.mark.parametrize("designs", [["abc", "ab"], [[1, 2], [3, 4]]])
def test_it_refuses_designs_it_cannot_recombine(designs):
    with pytest.raises(SystemExit):
        genetic_algorithm(objective(len), designs, None, 5, seed=0, options=OPTIONS)
