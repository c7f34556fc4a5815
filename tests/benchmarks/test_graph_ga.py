"""Graph GA (benchmarks/graph_ga.py) on real molecules and a cheap rdkit score."""

from __future__ import annotations

from graph_ga import GraphGAOptions, _written, graph_ga
from rdkit import Chem
from rdkit.Chem import Crippen

from lsbo.representations.molecules import selfies_to_smiles, smiles_to_selfies
from objectives import _molecules

OPTIONS = GraphGAOptions(population=30, offspring=20)


def start(n: int = 200) -> list[str]:
    return _molecules.table()["selfies"][:n]


def logp(designs: list[str]) -> list[float | None]:
    """Crippen logP of SELFIES (None for one that is no molecule)."""
    values: list[float | None] = []
    for design in designs:
        smiles = selfies_to_smiles(design)
        values.append(None if smiles is None else Crippen.MolLogP(Chem.MolFromSmiles(smiles)))
    return values


def test_a_run_spends_its_budget_on_distinct_valid_molecules():
    run = graph_ga(logp, start(), budget=150, seed=0, options=OPTIONS)
    assert len(run.values) == len(run.designs) == 150 and run.stopped is None
    smiles = [selfies_to_smiles(d) for d in run.designs]
    assert None not in smiles and None not in run.values
    assert len(set(smiles)) == 150  # a molecule scored once costs no second call


def test_the_search_improves_on_its_starting_population():
    run = graph_ga(logp, start(), budget=300, seed=1, options=OPTIONS)
    first = max(run.values[: OPTIONS.population])
    assert max(run.values) > first + 1.0  # logP is easy to raise by growing chains


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    a = graph_ga(logp, start(), budget=80, seed=3, options=OPTIONS)
    b = graph_ga(logp, start(), budget=80, seed=3, options=OPTIONS)
    c = graph_ga(logp, start(), budget=80, seed=4, options=OPTIONS)
    assert a.designs == b.designs and a.values == b.values
    assert a.designs != c.designs


def test_a_search_that_cannot_improve_stops_early_and_says_why():
    run = graph_ga(lambda ds: [1.0] * len(ds), start(), budget=2000, seed=0, options=OPTIONS)
    assert len(run.values) < 2000 and "did not change" in run.stopped


def test_selfies_round_trip_of_the_start():
    # the search scores SELFIES; the starting molecules must survive the round trip
    for design in start(20):
        assert smiles_to_selfies(selfies_to_smiles(design)) is not None


def test_only_molecules_selfies_writes_back_unchanged_are_scored():
    # Cl[I](Cl)Cl is beyond SELFIES's bonding rules (it cannot be written: skipped, not a
    # crash); rdkit reads iodic acid as [O-][I+2]([O-])O, which SELFIES writes back; None
    # and a repeat are skipped
    written = _written(["CCO", "Cl[I](Cl)Cl", "O=I(=O)O", None, "CCO", "c1ccccc1"])
    assert list(written) == ["CCO", "O=I(=O)O", "c1ccccc1"]
    back = [selfies_to_smiles(d) for d in written.values()]
    assert back == ["CCO", "[O-][I+2]([O-])O", "c1ccccc1"]
