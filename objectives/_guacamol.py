"""GuacaMol's multi-property objectives: score modifiers, similarities and their means.

One implementation of the parts GuacaMol (Brown et al. 2019) builds its goal-directed
tasks from, as its public scoring code defines them (``guacamol`` 0.5.5,
``score_modifier.py``, ``common_scoring_functions.py``, ``standard_benchmarks.py``):

- score modifiers that map a raw property to [0, 1]: :class:`Gaussian`,
  :class:`MinGaussian` (1 up to ``mu``, then a half Gaussian), :class:`MaxGaussian`
  (1 from ``mu`` on) and :class:`Clipped` (linear between two points, clipped);
- terms of a molecule: :class:`Similarity` (Tanimoto similarity of count fingerprints
  to a target molecule: ``ECFP4``, ``ECFP6``, ``FCFP4``, ``AP``), :class:`Descriptor` (an
  rdkit descriptor through a modifier), :class:`Isomer` (closeness to a molecular
  formula) and :class:`Smarts` (whether a substructure is present);
- :class:`MultiProperty`, the geometric or arithmetic mean of terms, and
  :data:`TASKS`, the seven tasks lsbo ships, each exactly as GuacaMol defines it.

Fingerprints are rdkit's count fingerprints made by ``rdFingerprintGenerator`` (the
generators that replace the functions GuacaMol calls, ``GetMorganFingerprint`` and
``GetAtomPairFingerprint``, with the same hashes). ``tests/objectives/test_guacamol.py``
checks every task against scores of GuacaMol's own code.

A molecule GuacaMol cannot score gets its ``corrupt_score``, -1; here such a design is
invalid before it reaches the objective (SELFIES always decode to a molecule).

The tasks' datasets are the vendored MOSES molecules (:mod:`objectives._molecules`),
each scored by this module when a task first asks for it (all 20,000 in about 8 s per
task on one core), so the data always agree with the objective.

Requires the ``[molecules]`` extra (rdkit, selfies).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lsbo.representations.molecules import require_molecules
from objectives import _molecules
from objectives._molecules import MoleculeObjective, logp

FINGERPRINTS = ("ECFP4", "ECFP6", "FCFP4", "AP")


# ------------------------------------------------------------------ score modifiers


@dataclass(frozen=True)
class Gaussian:
    """``exp(-((x - mu) / sigma)^2 / 2)``: 1 at ``mu``."""

    mu: float
    sigma: float

    def __call__(self, x: float) -> float:
        return math.exp(-0.5 * ((x - self.mu) / self.sigma) ** 2)


@dataclass(frozen=True)
class MinGaussian(Gaussian):
    """1 for ``x <= mu``, then a half Gaussian: rewards values at most ``mu``."""

    def __call__(self, x: float) -> float:
        return super().__call__(max(x, self.mu))


@dataclass(frozen=True)
class MaxGaussian(Gaussian):
    """1 for ``x >= mu``, a half Gaussian below: rewards values at least ``mu``."""

    def __call__(self, x: float) -> float:
        return super().__call__(min(x, self.mu))


@dataclass(frozen=True)
class Clipped:
    """Linear from ``(lower_x, low_score)`` to ``(upper_x, high_score)``, clipped to
    ``[low_score, high_score]`` (GuacaMol's ``ClippedScoreModifier``)."""

    upper_x: float
    lower_x: float = 0.0
    high_score: float = 1.0
    low_score: float = 0.0

    def __call__(self, x: float) -> float:
        slope = (self.high_score - self.low_score) / (self.upper_x - self.lower_x)
        y = slope * x + self.high_score - slope * self.upper_x
        return min(max(y, self.low_score), self.high_score)


def _identity(x: float) -> float:
    return x


# ----------------------------------------------------------------------- fingerprints


@functools.cache
def _generator(kind: str) -> Any:
    require_molecules()
    from rdkit.Chem import rdFingerprintGenerator as generators

    if kind in ("ECFP4", "ECFP6"):
        return generators.GetMorganGenerator(radius=2 if kind == "ECFP4" else 3)
    if kind == "FCFP4":
        features = generators.GetMorganFeatureAtomInvGen()
        return generators.GetMorganGenerator(radius=2, atomInvariantsGenerator=features)
    if kind == "AP":
        return generators.GetAtomPairGenerator(minDistance=1, maxDistance=10)
    raise ValueError(f"unknown fingerprint {kind!r}; choose one of {', '.join(FINGERPRINTS)}")


def fingerprint(mol: Any, kind: str) -> Any:
    """The count fingerprint of a molecule: ``ECFP4``/``ECFP6`` (Morgan, radius 2/3),
    ``FCFP4`` (Morgan on feature invariants, radius 2) or ``AP`` (atom pairs, distance
    1 to 10), as GuacaMol computes them."""
    return _generator(kind).GetSparseCountFingerprint(mol)


@functools.cache
def _target(smiles: str, kind: str) -> Any:
    _, chem = require_molecules()
    return fingerprint(chem.MolFromSmiles(smiles), kind)


def similarity(mol: Any, smiles: str, kind: str) -> float:
    """Tanimoto similarity of the ``kind`` count fingerprints of ``mol`` and ``smiles``."""
    from rdkit import DataStructs

    return float(DataStructs.TanimotoSimilarity(fingerprint(mol, kind), _target(smiles, kind)))


# -------------------------------------------------------------------------- descriptors
# (Crippen's logP is the molecule tasks' own, objectives._molecules.logp, which GuacaMol's
# Descriptors.MolLogP computes too)


def tpsa(mol: Any) -> float:
    """Topological polar surface area (rdkit ``Descriptors.TPSA``)."""
    from rdkit.Chem import rdMolDescriptors

    return float(rdMolDescriptors.CalcTPSA(mol))


def bertz(mol: Any) -> float:
    """Bertz's complexity index (rdkit ``Descriptors.BertzCT``)."""
    from rdkit.Chem import GraphDescriptors

    return float(GraphDescriptors.BertzCT(mol))


def rings(mol: Any) -> float:
    """Number of rings (SSSR)."""
    from rdkit.Chem import rdMolDescriptors

    return float(rdMolDescriptors.CalcNumRings(mol))


def aromatic_rings(mol: Any) -> float:
    """Number of aromatic rings."""
    from rdkit.Chem import rdMolDescriptors

    return float(rdMolDescriptors.CalcNumAromaticRings(mol))


def atoms(mol: Any) -> float:
    """Number of atoms, hydrogens included."""
    _, chem = require_molecules()
    return float(chem.AddHs(mol).GetNumAtoms())


def count_of(element: str) -> Callable[[Any], float]:
    """A descriptor: how many atoms of ``element`` a molecule has (hydrogens counted
    explicitly for ``"H"``)."""

    def count(mol: Any) -> float:
        if element == "H":
            _, chem = require_molecules()
            mol = chem.AddHs(mol)
        return float(sum(1 for atom in mol.GetAtoms() if atom.GetSymbol() == element))

    count.__name__ = f"count_{element}"
    return count


# -------------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Similarity:
    """``modifier(Tanimoto(fingerprint(mol), fingerprint(target)))``."""

    target: str
    kind: str
    modifier: Callable[[float], float] = _identity

    def __call__(self, mol: Any) -> float:
        return float(self.modifier(similarity(mol, self.target, self.kind)))


@dataclass(frozen=True)
class Descriptor:
    """``modifier(descriptor(mol))``."""

    descriptor: Callable[[Any], float]
    modifier: Callable[[float], float] = _identity

    def __call__(self, mol: Any) -> float:
        return float(self.modifier(self.descriptor(mol)))


@dataclass(frozen=True)
class Smarts:
    """1 where the molecule has the substructure (0 with ``inverse``), else the other."""

    pattern: str
    inverse: bool = False

    def __call__(self, mol: Any) -> float:
        found = mol.HasSubstructMatch(_smarts(self.pattern))
        return float(found != self.inverse)


@functools.cache
def _smarts(pattern: str) -> Any:
    _, chem = require_molecules()
    return chem.MolFromSmarts(pattern)


@dataclass(frozen=True)
class Isomer:
    """Closeness to a molecular formula: the geometric mean of a Gaussian (sigma 1) on
    the count of each of its elements and a Gaussian (sigma 2) on the number of atoms."""

    formula: str
    terms: tuple[Descriptor, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts = [(el, int(n or 1)) for el, n in re.findall(r"([A-Z][a-z]*)(\d*)", self.formula)]
        terms = [Descriptor(count_of(el), Gaussian(n, 1.0)) for el, n in counts]
        terms.append(Descriptor(atoms, Gaussian(sum(n for _, n in counts), 2.0)))
        object.__setattr__(self, "terms", tuple(terms))

    def __call__(self, mol: Any) -> float:
        return geometric_mean([term(mol) for term in self.terms])


def geometric_mean(values: Sequence[float]) -> float:
    """``prod(values) ** (1 / len(values))``."""
    return float(math.prod(values) ** (1.0 / len(values)))


def arithmetic_mean(values: Sequence[float]) -> float:
    """``sum(values) / len(values)``."""
    return float(sum(values) / len(values))


@dataclass(frozen=True)
class MultiProperty:
    """A GuacaMol goal: the ``mean`` (geometric or arithmetic) of its terms, in [0, 1]."""

    terms: tuple[Callable[[Any], float], ...]
    mean: Callable[[Sequence[float]], float] = geometric_mean

    def __call__(self, mol: Any) -> float:
        return self.mean([term(mol) for term in self.terms])


# -------------------------------------------------------------------------------- tasks

OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"
FEXOFENADINE = "CC(C)(C(=O)O)c1ccc(cc1)C(O)CCCN2CCC(CC2)C(O)(c3ccccc3)c4ccccc4"
RANOLAZINE = "COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2"
PERINDOPRIL = "O=C(OCC)C(NC(C(=O)N1C(C(=O)O)CC2CCCCC12)C)CCC"
AMLODIPINE = r"Clc1ccccc1C2C(=C(/N/C(=C2/C(=O)OCC)COCCN)C)\C(=O)OC"
ZALEPLON = "O=C(C)N(CC)C1=CC=CC(C2=CC=NC3=C(C=NN23)C#N)=C1"
SITAGLIPTIN = "NC(CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F"
VALSARTAN_SMARTS = "CN(C=O)Cc1ccc(c2ccccc2)cc1"


def _osimertinib() -> MultiProperty:
    return MultiProperty((
        Similarity(OSIMERTINIB, "FCFP4", Clipped(upper_x=0.8)),
        Similarity(OSIMERTINIB, "ECFP6", MinGaussian(0.85, 0.1)),
        Descriptor(tpsa, MaxGaussian(100, 10)),
        Descriptor(logp, MinGaussian(1, 1)),
    ))  # fmt: skip


def _fexofenadine() -> MultiProperty:
    return MultiProperty((
        Similarity(FEXOFENADINE, "AP", Clipped(upper_x=0.8)),
        Descriptor(tpsa, MaxGaussian(90, 10)),
        Descriptor(logp, MinGaussian(4, 1)),
    ))  # fmt: skip


def _ranolazine() -> MultiProperty:
    return MultiProperty((
        Similarity(RANOLAZINE, "AP", Clipped(upper_x=0.7)),
        Descriptor(logp, MaxGaussian(7, 1)),
        Descriptor(count_of("F"), Gaussian(1, 1.0)),
        Descriptor(tpsa, MaxGaussian(95, 20)),
    ))  # fmt: skip


def _perindopril() -> MultiProperty:
    return MultiProperty((
        Similarity(PERINDOPRIL, "ECFP4"),
        Descriptor(aromatic_rings, Gaussian(2, 0.5)),
    ))  # fmt: skip


def _amlodipine() -> MultiProperty:
    return MultiProperty((Similarity(AMLODIPINE, "ECFP4"), Descriptor(rings, Gaussian(3, 0.5))))


def _zaleplon() -> MultiProperty:
    return MultiProperty((Similarity(ZALEPLON, "ECFP4"), Isomer("C19H17N3O2")))


def _valsartan() -> MultiProperty:
    _, chem = require_molecules()
    other = chem.MolFromSmiles(SITAGLIPTIN)
    return MultiProperty((
        Smarts(VALSARTAN_SMARTS),
        Descriptor(logp, Gaussian(logp(other), 0.2)),
        Descriptor(tpsa, Gaussian(tpsa(other), 5)),
        Descriptor(bertz, Gaussian(bertz(other), 30)),
    ))  # fmt: skip


@dataclass(frozen=True)
class Task:
    """One of GuacaMol's goals: its name in lsbo, GuacaMol's name, the reference drug
    (or pattern) and what it asks for."""

    name: str
    guacamol_name: str
    reference: str
    description: str
    build: Callable[[], MultiProperty] = field(repr=False)


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task("osimertinib-mpo", "Osimertinib MPO", OSIMERTINIB,
             "similar to osimertinib (FCFP4), not too similar (ECFP6), TPSA >= 100, "
             "logP <= 1", _osimertinib),
        Task("fexofenadine-mpo", "Fexofenadine MPO", FEXOFENADINE,
             "similar to fexofenadine (atom pairs), TPSA >= 90, logP <= 4", _fexofenadine),
        Task("ranolazine-mpo", "Ranolazine MPO", RANOLAZINE,
             "similar to ranolazine (atom pairs), logP >= 7, TPSA >= 95, one fluorine",
             _ranolazine),
        Task("perindopril-mpo", "Perindopril MPO", PERINDOPRIL,
             "similar to perindopril (ECFP4) with two aromatic rings", _perindopril),
        Task("amlodipine-mpo", "Amlodipine MPO", AMLODIPINE,
             "similar to amlodipine (ECFP4) with three rings", _amlodipine),
        Task("zaleplon-mpo", "Zaleplon MPO", ZALEPLON,
             "similar to zaleplon (ECFP4) with the formula C19H17N3O2", _zaleplon),
        Task("valsartan-smarts", "Valsartan SMARTS", VALSARTAN_SMARTS,
             "valsartan's substructure with sitagliptin's logP, TPSA and Bertz "
             "complexity", _valsartan),
    )
}  # fmt: skip


@functools.cache
def goal(name: str) -> MultiProperty:
    """The scoring function of a task of :data:`TASKS` (built once)."""
    return TASKS[name].build()


def score(name: str, mol: Any) -> float:
    """The GuacaMol score in [0, 1] of an rdkit molecule for the task ``name``."""
    return goal(name)(mol)


# ---------------------------------------------------------------- objectives and data

GUACAMOL_REFERENCE = (
    "Brown et al., GuacaMol: Benchmarking Models for de Novo Molecular Design, "
    "J. Chem. Inf. Model. 2019; Gao et al., Sample Efficiency Matters: A Benchmark for "
    "Practical Molecular Optimization (PMO), NeurIPS 2022"
)


class GuacaMolObjective(MoleculeObjective):
    """A GuacaMol goal of a SELFIES molecule, maximized, in [0, 1].

    Subclasses set ``task``, a key of :data:`TASKS`; name and description follow from
    it. No molecule is known to reach 1, so ``optimum`` is ``None``.
    """

    task: ClassVar[str] = ""
    optimum: ClassVar[float | None] = None
    reference: ClassVar[str] = GUACAMOL_REFERENCE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        task = TASKS[cls.task]
        cls.name = task.name
        cls.description = (
            f"GuacaMol's {task.guacamol_name}: {task.description}; maximized, at most 1"
        )

    def score(self, mol: Any) -> float:
        """The task's GuacaMol score of an rdkit molecule."""
        return score(self.task, mol)


_SCORES: dict[str, dict[int, float]] = {}  # task -> vendored row -> score


def _scores(name: str, rows: Sequence[int]) -> list[float]:
    """The task's scores of vendored molecules (computed once per row and process)."""
    _, chem = require_molecules()
    known = _SCORES.setdefault(name, {})
    smiles = _molecules.table()["smiles"]
    for row in rows:
        if row not in known:
            known[row] = score(name, chem.MolFromSmiles(smiles[row]))
    return [known[row] for row in rows]


def dataset_of(name: str) -> Callable[..., Any]:
    """The task's ``dataset(n=None, seed=0)``: the vendored molecules with its scores."""
    return _molecules.dataset_of(name, functools.partial(_scores, name))
