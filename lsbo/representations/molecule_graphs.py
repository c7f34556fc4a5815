"""Crossover and mutation on molecular graphs (Jensen 2019, "Graph GA").

The operators of Jensen's Graph GA as GuacaMol's and PMO's baselines run them:
crossover cuts two parents at a random non-ring bond (or across a ring) and joins a
piece of each; mutation applies one of seven reaction-SMARTS families (insert, append,
delete or change an atom, change a bond order, add or delete a ring bond). A child is
kept only if rdkit sanitizes it, it has more than 5 atoms and fewer than a size drawn
from N(39.15, 3.50), and it has no macrocycle, no allene in a ring and no double bond
in a ring of 3 or 4. Children are chemically sensible by construction, which token
edits of a SELFIES string are not (they keep validity but mostly make odd molecules).

:class:`lsbo.representations.SelfiesCodec` varies its designs with these operators; the
Graph GA baseline in ``benchmarks/graph_ga.py`` evolves a population with them.
Needs rdkit (the ``[molecules]`` extra).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["AVERAGE_SIZE", "SIZE_STDEV", "GraphOperators"]

AVERAGE_SIZE, SIZE_STDEV = 39.15, 3.50  # Jensen's molecule size distribution (ZINC)


class _Chem:
    """rdkit, imported once, with the SMARTS patterns the operators use."""

    def __init__(self) -> None:
        from rdkit import Chem
        from rdkit.Chem import rdChemReactions

        self.Chem, self.reactions = Chem, rdChemReactions
        smarts = {
            "chain": "[*]-;!@[*]",
            "ring4": "[R]@[R]@[R]@[R]",
            "ring3": "[R]@[R;!D2]@[R]",
            "ring": "[R]",
            "allene": "[R]=[R]=[R]",
            "small_double": "[r3,r4]=[r3,r4]",
        }
        self.patterns = {name: Chem.MolFromSmarts(s) for name, s in smarts.items()}
        self._reactions: dict[str, Any] = {}

    def reaction(self, smarts: str) -> Any:
        if smarts not in self._reactions:
            self._reactions[smarts] = self.reactions.ReactionFromSmarts(smarts)
        return self._reactions[smarts]


class GraphOperators:
    """Jensen's crossover and mutation operators on rdkit molecules, drawing from one
    numpy generator (``rng``). Most attempts fail rdkit's sanitization, which rdkit
    logs: call them inside ``rdkit.rdBase.BlockLogs()``."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.chem = _chem()

    def _choice(self, items: Sequence[Any], p: Sequence[float] | None = None) -> Any:
        return items[int(self.rng.choice(len(items), p=p))]

    # ----------------------------------------------------------------- checks
    def mol_ok(self, mol: Any) -> bool:
        try:
            self.chem.Chem.SanitizeMol(mol)
        except ValueError:
            return False
        target_size = SIZE_STDEV * self.rng.standard_normal() + AVERAGE_SIZE
        return 5 < mol.GetNumAtoms() < target_size

    def ring_ok(self, mol: Any) -> bool:
        patterns = self.chem.patterns
        if not mol.HasSubstructMatch(patterns["ring"]):
            return True
        allene = mol.HasSubstructMatch(patterns["allene"])
        macrocycle = max(len(ring) for ring in mol.GetRingInfo().AtomRings()) > 6
        small_double = mol.HasSubstructMatch(patterns["small_double"])
        return not allene and not macrocycle and not small_double

    # -------------------------------------------------------------- crossover
    def _cut(self, mol: Any) -> Any:
        matches = mol.GetSubstructMatches(self.chem.patterns["chain"])
        if not matches:
            return None
        a, b = self._choice(matches)
        bond = mol.GetBondBetweenAtoms(a, b).GetIdx()
        pieces = self.chem.Chem.FragmentOnBonds(mol, [bond], addDummies=True, dummyLabels=[(1, 1)])
        try:
            return self.chem.Chem.GetMolFrags(pieces, asMols=True, sanitizeFrags=True)
        except ValueError:
            return None

    def _cut_ring(self, mol: Any) -> Any:
        Chem = self.chem.Chem
        for _ in range(10):
            if self.rng.random() < 0.5:
                matches = mol.GetSubstructMatches(self.chem.patterns["ring4"])
                if not matches:
                    return None
                atoms = self._choice(matches)
                pairs = ((atoms[0], atoms[1]), (atoms[2], atoms[3]))
            else:
                matches = mol.GetSubstructMatches(self.chem.patterns["ring3"])
                if not matches:
                    return None
                atoms = self._choice(matches)
                pairs = ((atoms[0], atoms[1]), (atoms[1], atoms[2]))
            bonds = [mol.GetBondBetweenAtoms(x, y).GetIdx() for x, y in pairs]
            pieces = Chem.FragmentOnBonds(mol, bonds, addDummies=True, dummyLabels=[(1, 1), (1, 1)])
            try:
                fragments = Chem.GetMolFrags(pieces, asMols=True, sanitizeFrags=True)
            except ValueError:
                return None
            if len(fragments) == 2:
                return fragments
        return None

    def _crossover_ring(self, a: Any, b: Any) -> Any:
        ring = self.chem.patterns["ring"]
        if not a.HasSubstructMatch(ring) and not b.HasSubstructMatch(ring):
            return None
        joins = ["[*:1]~[1*].[1*]~[*:2]>>[*:1]-[*:2]", "[*:1]~[1*].[1*]~[*:2]>>[*:1]=[*:2]"]
        closes = ["([*:1]~[1*].[1*]~[*:2])>>[*:1]-[*:2]", "([*:1]~[1*].[1*]~[*:2])>>[*:1]=[*:2]"]
        for _ in range(10):
            pieces_a, pieces_b = self._cut_ring(a), self._cut_ring(b)
            if pieces_a is None or pieces_b is None:
                return None
            trials = [
                self.chem.reaction(join).RunReactants((fa, fb))[0]
                for join in joins
                for fa in pieces_a
                for fb in pieces_b
            ]
            closed = []
            for close in closes:
                for trial in trials:
                    if self.mol_ok(trial[0]):
                        closed += list(self.chem.reaction(close).RunReactants((trial[0],)))
            children = [m[0] for m in closed if self.mol_ok(m[0]) and self.ring_ok(m[0])]
            if children:
                return self._choice(children)
        return None

    def _crossover_chain(self, a: Any, b: Any) -> Any:
        join = self.chem.reaction("[*:1]-[1*].[1*]-[*:2]>>[*:1]-[*:2]")
        for _ in range(10):
            pieces_a, pieces_b = self._cut(a), self._cut(b)
            if pieces_a is None or pieces_b is None:
                return None
            trials = [join.RunReactants((fa, fb))[0][0] for fa in pieces_a for fb in pieces_b]
            children = [m for m in trials if self.mol_ok(m)]
            if children:
                return self._choice(children)
        return None

    def crossover(self, a: Any, b: Any) -> Any:
        """A child of two molecules, or ``None``."""
        Chem = self.chem.Chem
        parents = {Chem.MolToSmiles(a), Chem.MolToSmiles(b)}
        a, b = Chem.Mol(a), Chem.Mol(b)
        try:
            Chem.Kekulize(a, clearAromaticFlags=True)
            Chem.Kekulize(b, clearAromaticFlags=True)
        except ValueError:
            pass
        for _ in range(10):
            chain = self.rng.random() <= 0.5
            child = self._crossover_chain(a, b) if chain else self._crossover_ring(a, b)
            if child is not None and Chem.MolToSmiles(child) not in parents:
                return child
        return None

    # --------------------------------------------------------------- mutation
    def _insert_atom(self) -> str:
        bond = self._choice(["single", "double", "triple"], p=[0.60, 0.35, 0.05])
        if bond == "single":
            return "[*:1]~[*:2]>>[*:1]X[*:2]".replace("X", self._choice(["C", "N", "O", "S"]))
        if bond == "double":
            return "[*;!H0:1]~[*:2]>>[*:1]=X-[*:2]".replace("X", self._choice(["C", "N"]))
        return "[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#C-[*:2]"

    def _change_bond_order(self) -> str:
        return self._choice(
            [
                "[*:1]!-[*:2]>>[*:1]-[*:2]",
                "[*;!H0:1]-[*;!H0:2]>>[*:1]=[*:2]",
                "[*:1]#[*:2]>>[*:1]=[*:2]",
                "[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#[*:2]",
            ],
            p=[0.45, 0.45, 0.05, 0.05],
        )

    def _add_ring(self) -> str:
        return self._choice(
            [
                "[*;!r;!H0:1]~[*;!r:2]~[*;!r;!H0:3]>>[*:1]1~[*:2]~[*:3]1",
                "[*;!r;!H0:1]~[*!r:2]~[*!r:3]~[*;!r;!H0:4]>>[*:1]1~[*:2]~[*:3]~[*:4]1",
                "[*;!r;!H0:1]~[*!r:2]~[*:3]~[*:4]~[*;!r;!H0:5]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]1",
                "[*;!r;!H0:1]~[*!r:2]~[*:3]~[*:4]~[*!r:5]~[*;!r;!H0:6]>>"
                "[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]~[*:6]1",
            ],
            p=[0.05, 0.05, 0.45, 0.45],
        )

    def _delete_atom(self) -> str:
        return self._choice(
            [
                "[*:1]~[D1:2]>>[*:1]",
                "[*:1]~[D2:2]~[*:3]>>[*:1]-[*:3]",
                "[*:1]~[D3:2](~[*;!H0:3])~[*:4]>>[*:1]-[*:3]-[*:4]",
                "[*:1]~[D4:2](~[*;!H0:3])(~[*;!H0:4])~[*:5]>>[*:1]-[*:3]-[*:4]-[*:5]",
                "[*:1]~[D4:2](~[*;!H0;!H1:3])(~[*:4])~[*:5]>>[*:1]-[*:3](-[*:4])-[*:5]",
            ],
            p=[0.25, 0.25, 0.25, 0.1875, 0.0625],
        )

    def _change_atom(self, mol: Any) -> str:
        elements = ["#6", "#7", "#8", "#9", "#16", "#17", "#35"]
        p = [0.15, 0.15, 0.14, 0.14, 0.14, 0.14, 0.14]
        present = self._choice(elements, p=p)
        while not mol.HasSubstructMatch(self.chem.Chem.MolFromSmarts(f"[{present}]")):
            present = self._choice(elements, p=p)
        new = self._choice(elements, p=p)
        while new == present:
            new = self._choice(elements, p=p)
        return f"[{present}:1]>>[{new}:1]"

    def _append_atom(self) -> str:
        bond = self._choice(["single", "double", "triple"], p=[0.60, 0.35, 0.05])
        if bond == "single":
            atom = self._choice(["C", "N", "O", "F", "S", "Cl", "Br"])
            return f"[*;!H0:1]>>[*:1]-{atom}"
        if bond == "double":
            return f"[*;!H0;!H1:1]>>[*:1]={self._choice(['C', 'N', 'O'])}"
        return f"[*;H3:1]>>[*:1]#{self._choice(['C', 'N'])}"

    def mutate(self, mol: Any, rate: float) -> Any:
        """The molecule, mutated with probability ``rate`` (``None``: no valid mutant)."""
        if self.rng.random() > rate:
            return mol
        self.chem.Chem.Kekulize(mol, clearAromaticFlags=True)
        p = [0.15, 0.14, 0.14, 0.14, 0.14, 0.14, 0.15]
        for _ in range(10):
            smarts = [
                self._insert_atom(),
                self._change_bond_order(),
                "[*:1]@[*:2]>>([*:1].[*:2])",  # delete a ring bond
                self._add_ring(),
                self._delete_atom(),
                self._change_atom(mol),
                self._append_atom(),
            ]
            reaction = self.chem.reaction(self._choice(smarts, p=p))
            mutants = [m[0] for m in reaction.RunReactants((mol,))]
            mutants = [m for m in mutants if self.mol_ok(m) and self.ring_ok(m)]
            if mutants:
                return self._choice(mutants)
        return None


@functools.cache
def _chem() -> _Chem:
    """rdkit and the compiled patterns, once per process."""
    return _Chem()
