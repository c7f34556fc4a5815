"""Jensen's Graph GA operators on molecular graphs, and SelfiesCodec.vary built on them."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from lsbo.representations import SelfiesCodec
from lsbo.representations.molecule_graphs import GraphOperators
from lsbo.representations.molecules import selfies_to_smiles, smiles_to_selfies, written_selfies
from objectives import _molecules


def test_the_operators_make_sanitizable_molecules_of_bounded_size():
    ops = GraphOperators(np.random.default_rng(0))
    parents = [Chem.MolFromSmiles(s) for s in _molecules.table()["smiles"][:20]]
    children = [ops.crossover(parents[i], parents[i + 1]) for i in range(0, 20, 2)]
    made = [c for c in children if c is not None]
    assert len(made) >= 5
    for child in made:
        smiles = Chem.MolToSmiles(child)
        assert Chem.MolFromSmiles(smiles) is not None and 5 < child.GetNumAtoms() < 60
        mutant = ops.mutate(Chem.Mol(child), rate=1.0)
        if mutant is not None:
            assert Chem.MolFromSmiles(Chem.MolToSmiles(mutant)) is not None
    assert ops.mutate(made[0], rate=0.0) is made[0]  # no mutation drawn: the same molecule


@pytest.mark.parametrize("smiles", ["C1=CC=C1", "C1CCCCCCC1"])
def test_rings_jensen_rejects_are_rejected(smiles):
    # a double bond in a 4-ring, a macrocycle: neither is ring_ok
    assert not GraphOperators(np.random.default_rng(0)).ring_ok(Chem.MolFromSmiles(smiles))
    assert GraphOperators(np.random.default_rng(0)).ring_ok(Chem.MolFromSmiles("c1ccccc1"))


def codec_and_parents(n: int = 10) -> tuple[SelfiesCodec, list[str]]:
    designs = _molecules.table()["selfies"]
    return SelfiesCodec.from_designs(designs), designs[:n]


def test_selfies_children_are_new_molecules_the_codec_encodes():
    codec, parents = codec_and_parents()
    children = codec.vary(parents, 64, np.random.default_rng(0))
    assert len(children) >= 32  # most draws give a child
    parent_keys = {codec.key(p) for p in parents}
    assert sum(codec.key(c) not in parent_keys for c in children) >= len(children) - 2
    for child in children:
        assert codec.is_valid(child)
        assert selfies_to_smiles(child) is not None
        assert codec.encode([child]).shape == (1, codec.max_length)  # in vocabulary, fits
        # the graph operators keep Jensen's size bound (SELFIES would allow any)
        assert 5 < Chem.MolFromSmiles(selfies_to_smiles(child)).GetNumAtoms() < 60


def test_selfies_children_drop_what_the_codec_cannot_encode():
    # the same draws under a codec of 12 tokens at most: the longer children are left out
    codec, _ = codec_and_parents()
    short = SelfiesCodec(codec.tokens[1:], max_length=12)
    small = [smiles_to_selfies(s) for s in ["CCOC(=O)c1ccccc1", "CC(C)Cc1ccc(O)cc1"]]
    wide = codec.vary(small, 40, np.random.default_rng(1))
    kept = short.vary(small, 40, np.random.default_rng(1))
    assert any(len(codec.tokenize(c)) > 12 for c in wide)
    assert kept == [c for c in wide if len(codec.tokenize(c)) <= 12] and kept


def test_selfies_variation_is_seeded_and_rate_zero_only_recombines():
    codec, parents = codec_and_parents()
    a = codec.vary(parents, 20, np.random.default_rng(5))
    b = codec.vary(parents, 20, np.random.default_rng(5))
    c = codec.vary(parents, 20, np.random.default_rng(6))
    assert a == b and a != c
    # without mutation every atom of a child comes from a parent's elements
    elements = {
        atom.GetSymbol()
        for p in parents
        for atom in Chem.MolFromSmiles(selfies_to_smiles(p)).GetAtoms()
    }
    for child in codec.vary(parents, 30, np.random.default_rng(2), rate=0.0):
        atoms = Chem.MolFromSmiles(selfies_to_smiles(child)).GetAtoms()
        assert {atom.GetSymbol() for atom in atoms} <= elements


def test_unparsable_parents_give_no_children_instead_of_an_error():
    codec, _ = codec_and_parents()
    assert codec.vary(["[Ring1][Branch1]"], 5, np.random.default_rng(0)) == []


@pytest.mark.parametrize("smiles", [None, "", "C1CC", "Cl[I](Cl)Cl"])
def test_no_selfies_is_written_for_what_is_no_molecule_or_beyond_selfies(smiles):
    # not given, empty, an unclosed ring rdkit rejects, beyond SELFIES's bonding rules
    assert written_selfies(smiles) is None


def test_written_selfies_read_back_as_the_molecule():
    for smiles in ["CCO", "O=[N+]([O-])c1ccccc1", "C1=CC=CC=C1"]:
        assert selfies_to_smiles(written_selfies(smiles)) == Chem.CanonSmiles(smiles)
