"""Graph GA (Jensen 2019): a genetic algorithm on molecular graphs, PMO's strongest simple
baseline, for the molecule tasks.

Follows Jensen's code as GuacaMol's and PMO's baselines run it (``graph_ga``: crossover
at a random non-ring bond or across a ring, mutations by reaction SMARTS, molecules
between 6 atoms and a size drawn from N(39.15, 3.50), no macrocycles, allenes in rings
or double bonds in rings of 3 or 4), with PMO's settings:

- the starting population is ``population`` (120) molecules drawn at random from the
  task's training molecules, each evaluated (an oracle call, as in PMO);
- each generation draws a mating pool of ``offspring`` (70) parents, with probability
  proportional to their scores (plus 1e-10; scores below 0, which PMO's tasks never
  give, are first shifted up to 0), makes ``offspring`` children (crossover of
  two parents of the pool, then a mutation with probability ``mutation_rate``, 0.067),
  evaluates the new ones (a molecule evaluated before costs no call: PMO's oracle
  remembers it), and keeps the ``population`` best molecules;
- the run stops at the budget of oracle calls, or after ``patience`` (5) generations
  whose top 100 did not change its mean by more than 1e-3 (PMO's early stop), or when a
  generation makes no new molecule; PMO's metric then counts the last top-10 average
  for the remaining calls (``harness.stats.auc_top_k``).

All randomness comes from ``numpy.random.default_rng(seed)``. Molecules are evaluated as
SELFIES through the task's lsbo objective, as every other method is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsbo.exceptions import InvalidDesignsError
from lsbo.representations.molecules import canonical_smiles, selfies_to_smiles, smiles_to_selfies

AVERAGE_SIZE, SIZE_STDEV = 39.15, 3.50  # Jensen's molecule size distribution (ZINC)


@dataclass(frozen=True)
class GraphGAOptions:
    """PMO's settings of Graph GA (see the module docstring)."""

    population: int = 120
    offspring: int = 70
    mutation_rate: float = 0.067
    patience: int = 5


class _Chem:
    """rdkit, imported once, with the SMARTS patterns the operators use."""

    def __init__(self) -> None:
        from rdkit import Chem, RDLogger
        from rdkit.Chem import AllChem

        RDLogger.DisableLog("rdApp.*")  # failed sanitizations are expected, not news
        self.Chem, self.AllChem = Chem, AllChem
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
            self._reactions[smarts] = self.AllChem.ReactionFromSmarts(smarts)
        return self._reactions[smarts]


class GraphGA:
    """Jensen's crossover and mutation operators, drawing from one numpy generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.chem = _Chem()

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


@dataclass
class GraphGARun:
    """What a run evaluated: SELFIES in call order, their values (``None``: failed)."""

    designs: list[str]
    values: list[float | None]
    objective_seconds: float
    stopped: str | None


def graph_ga(
    score: Callable[[list[str]], list[float | None]],
    start: Sequence[str],
    budget: int,
    seed: int,
    options: GraphGAOptions = GraphGAOptions(),
) -> GraphGARun:
    """Run Graph GA for ``budget`` oracle calls.

    Args:
        score: Values of SELFIES designs (``None`` for a failed evaluation); one call
            per design.
        start: SELFIES to draw the starting population from.
        budget: Oracle calls (new molecules evaluated).
        seed: Seed of every random draw.
        options: Population settings.
    """
    from rdkit import Chem

    rng = np.random.default_rng(seed)
    ops = GraphGA(rng)
    seen: dict[str, float] = {}  # canonical SMILES -> value (failed: 0, as PMO scores them)
    run = GraphGARun([], [], 0.0, None)

    def evaluate(written: dict[str, str]) -> None:
        """Score the molecules not seen yet (canonical SMILES -> their SELFIES)."""
        new = [s for s in written if s not in seen][: budget - len(run.values)]
        designs = [written[s] for s in new]
        begin = time.perf_counter()
        values = score(designs)
        run.objective_seconds += time.perf_counter() - begin
        for s, design, value in zip(new, designs, values, strict=True):
            seen[s] = 0.0 if value is None else float(value)
            run.designs.append(design)
            run.values.append(value)

    picks = rng.choice(len(start), size=min(options.population, len(start)), replace=False)
    evaluate(_written(selfies_to_smiles(start[i]) for i in picks))
    population = sorted(seen, key=seen.__getitem__, reverse=True)[: options.population]
    stale, last = 0, None
    while len(run.values) < budget:
        scores = np.array([seen[s] for s in population])
        scores = scores - min(0.0, scores.min()) + 1e-10  # PMO's scores are >= 0 already
        pool = rng.choice(len(population), size=options.offspring, p=scores / scores.sum())
        mols = [Chem.MolFromSmiles(population[i]) for i in pool]
        made = []
        for _ in range(options.offspring):
            a, b = mols[int(rng.integers(len(mols)))], mols[int(rng.integers(len(mols)))]
            child = ops.crossover(a, b)
            child = None if child is None else ops.mutate(child, options.mutation_rate)
            made.append(None if child is None else canonical_smiles(Chem.MolToSmiles(child)))
        children = _written(made)
        calls = len(run.values)
        evaluate(children)
        if len(run.values) == calls:
            run.stopped = "a generation made no new molecule"
            break
        known = [s for s in dict.fromkeys([*population, *children]) if s in seen]
        population = sorted(known, key=lambda s: -seen[s])[: options.population]  # stable
        top = float(np.mean([seen[s] for s in population[:100]]))
        stale = stale + 1 if last is not None and abs(top - last) < 1e-3 else 0
        last = top
        if stale >= options.patience:
            run.stopped = f"the top 100 did not change for {options.patience} generations"
            break
    return run


def _written(smiles: Iterable[str | None]) -> dict[str, str]:
    """Canonical SMILES -> SELFIES, in order, for the molecules SELFIES writes back
    unchanged (``None``, and a molecule SELFIES cannot write or alters, left out)."""
    written: dict[str, str] = {}
    for s in smiles:
        if s is None or s in written:
            continue
        try:
            design = smiles_to_selfies(s)
        except InvalidDesignsError:  # beyond SELFIES's bonding rules: no design to score
            continue
        if selfies_to_smiles(design) == s:
            written[s] = design
    return written
