"""Where penalized logP stops (benchmarks/logp_ceiling.py): the mutants it counts."""

from __future__ import annotations

import logp_ceiling
import numpy as np
from rdkit import Chem

from lsbo.representations.molecules import smiles_to_selfies
from objectives.penalized_logp import PenalizedLogP

QUATERPHENYL = "Clc1ccc(cc1)-c1ccc(cc1)-c1ccc(cc1)-c1ccc(Cl)cc1"


def test_score_smiles_keeps_to_the_bound():
    objective = PenalizedLogP()
    assert logp_ceiling.score_smiles(objective, "C" * 26) > 8.0
    assert logp_ceiling.score_smiles(objective, "C" * 27) is None  # over 26 heavy atoms
    assert logp_ceiling.score_smiles(objective, "C1CC") is None  # not a molecule


def test_one_mutation_gives_distinct_scored_children_within_the_bound():
    objective = PenalizedLogP()
    parent = Chem.CanonSmiles(QUATERPHENYL)  # given as written, not canonical
    mutants = logp_ceiling.one_mutation(objective, QUATERPHENYL, 300, np.random.default_rng(0))
    assert mutants and parent not in mutants
    for smiles, value in mutants.items():
        mol = Chem.MolFromSmiles(smiles)
        assert Chem.MolToSmiles(mol) == smiles  # canonical: one key per molecule
        assert mol.GetNumHeavyAtoms() <= 26
        assert value == objective.score(mol)
    # one mutation changes the molecule by one atom or bond: sizes differ by at most one
    assert {Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in mutants} <= {25, 26}


def test_a_molecule_below_its_best_mutant_counts_improving_mutants():
    objective = PenalizedLogP()
    short = "C" * 10  # inserting or appending a carbon raises the score
    row = logp_ceiling.examine(
        {"strategy": "s", "seed": 0, "extras": {"best_smiles": short}}, objective, 200
    )
    value, improving, top = float(row[3]), int(row[5]), float(row[6])
    assert improving > 0 and top > value


def test_chains_counts_acyclic_carbon_chains():
    octane, cyclooctane = "[C]" * 8, smiles_to_selfies("C1CCCCCCC1")
    assert logp_ceiling.chains([octane, cyclooctane], 8) == 1
    assert logp_ceiling.chains([octane], 9) == 0
