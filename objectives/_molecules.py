"""What the molecule objectives (qed, penalized-logp, rediscovery-celecoxib) share.

Designs:
    Molecules written as SELFIES strings (e.g. ``[C][C][O]`` for ethanol). A design is
    valid when it decodes to a non-empty molecule that rdkit parses and sanitizes (see
    :class:`lsbo.representations.SelfiesCodec`); any other input is invalid, and if it
    reaches an objective anyway that evaluation fails with a message, it never crashes
    the run. Objectives show a design as its canonical SMILES next to its SELFIES
    (``Objective.describe``).

Dataset (vendored, no downloads):
    ``objectives/data/moses.csv.gz`` holds :data:`N_MOLECULES` ``= 20,000`` drug-like
    molecules of the MOSES training set (Polykovskiy et al. 2020; MIT licence in
    ``objectives/data/MOSES_LICENSE.txt``), the first 20,000 of a random sample of
    100,000, after removing celecoxib and every molecule whose Tanimoto similarity to
    it exceeds 0.323 (GuacaMol's hold-out rule) so that ``rediscovery-celecoxib`` is a
    real rediscovery. Each row has the canonical SMILES, its SELFIES and every score the
    three objectives use, computed by this module (``objectives/data/vendor_moses.py``
    rebuilds the file; scores are rounded to 6 decimals). The SELFIES are at most 49
    tokens long, over 25 distinct tokens.

Requires the ``[molecules]`` extra (rdkit, selfies); without it, the objectives still
list their metadata, and using them raises :class:`lsbo.exceptions.MissingDependencyError`.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from lsbo.exceptions import InvalidDesignsError
from lsbo.models import TrainingOptions
from lsbo.objective import Dataset, Objective
from lsbo.options import OptimizerOptions
from lsbo.representations.molecules import (
    SelfiesCodec,
    require_molecules,
    selfies_to_smiles,
)
from lsbo.strategies import Plain, Strategy, get_strategy
from objectives._checks import check_int

DATA_FILE = Path(__file__).parent / "data" / "moses.csv.gz"
N_MOLECULES = 20_000
DATASET_SIZE = N_MOLECULES  # designs `dataset()` returns
COLUMNS = ("smiles", "selfies", "qed", "logp", "sa", "cycle", "penalized_logp", "celecoxib")
SCORE_COLUMNS = ("qed", "logp", "sa", "cycle", "penalized_logp", "celecoxib")

CELECOXIB = "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1"
"""Celecoxib, the target of GuacaMol's rediscovery task (canonical SMILES)."""
HOLDOUT_SIMILARITY = 0.323
"""Training molecules more similar than this to celecoxib were removed (GuacaMol)."""

# penalized logP, JT-VAE / weighted-retraining convention: each term standardized by its
# mean and standard deviation over ZINC 250k
LOGP_MEAN, LOGP_STD = 2.45777691, 1.43341767
SA_MEAN, SA_STD = 3.05352042, 0.83460587
CYCLE_MEAN, CYCLE_STD = 0.04861121, 0.28746695

MOSES_REFERENCE = (
    "Polykovskiy et al., Molecular Sets (MOSES): A Benchmarking Platform for Molecular "
    "Generation Models, Frontiers in Pharmacology 2020 (training data)"
)


# ------------------------------------------------------------------------- scores


def molecule(design: Any) -> Any:
    """The rdkit molecule of a SELFIES design.

    Raises:
        ValueError: The design is not a SELFIES string of a molecule rdkit sanitizes.
    """
    if not isinstance(design, str):
        raise ValueError(
            f"the design is a {type(design).__name__}, not a string; molecule objectives "
            "score SELFIES strings such as '[C][C][O]'"
        )
    smiles = selfies_to_smiles(design)
    if smiles is None:
        raise ValueError(
            f"{design[:60]!r} is not a SELFIES string of a molecule rdkit can sanitize; "
            "molecule objectives score SELFIES strings such as '[C][C][O]'"
        )
    _, chem = require_molecules()
    return chem.MolFromSmiles(smiles)


def qed(mol: Any) -> float:
    """rdkit's quantitative estimate of drug-likeness (Bickerton et al. 2012), in (0, 1)."""
    from rdkit.Chem import QED

    return float(QED.qed(mol))


def logp(mol: Any) -> float:
    """Crippen's logP (Wildman and Crippen 1999), as rdkit computes it."""
    from rdkit.Chem import Crippen

    return float(Crippen.MolLogP(mol))


def synthetic_accessibility(mol: Any) -> float:
    """Ertl and Schuffenhauer's SA score from rdkit's Contrib ``sascorer`` (1 easy, 10 hard)."""
    return float(_sascorer().calculateScore(mol))


@functools.cache
def _sascorer() -> Any:
    require_molecules()
    from rdkit.Contrib.SA_Score import sascorer

    return sascorer


def cycle_penalty(mol: Any) -> float:
    """``max(0, largest ring size - 6)``: 0 for molecules whose rings have at most 6 atoms."""
    rings = mol.GetRingInfo().AtomRings()
    largest = max((len(ring) for ring in rings), default=0)
    return float(max(0, largest - 6))


def penalized_logp(mol: Any) -> float:
    """Penalized logP, each term standardized as in JT-VAE and weighted retraining::

    (logP - 2.45777691) / 1.43341767 + (3.05352042 - SA) / 0.83460587
        + (0.04861121 - cycle) / 0.28746695
    """
    return (
        (logp(mol) - LOGP_MEAN) / LOGP_STD
        + (SA_MEAN - synthetic_accessibility(mol)) / SA_STD
        + (CYCLE_MEAN - cycle_penalty(mol)) / CYCLE_STD
    )


@functools.cache
def _celecoxib_fingerprint() -> Any:
    _, chem = require_molecules()
    return _fingerprint(chem.MolFromSmiles(CELECOXIB))


def _fingerprint(mol: Any) -> Any:
    return _morgan_generator().GetFingerprint(mol)


@functools.cache
def _morgan_generator() -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


def celecoxib_similarity(mol: Any) -> float:
    """Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits) to celecoxib."""
    from rdkit import DataStructs

    return float(DataStructs.TanimotoSimilarity(_fingerprint(mol), _celecoxib_fingerprint()))


def all_scores(mol: Any) -> dict[str, float]:
    """Every score column of the vendored data for one molecule."""
    return {
        "qed": qed(mol),
        "logp": logp(mol),
        "sa": synthetic_accessibility(mol),
        "cycle": cycle_penalty(mol),
        "penalized_logp": penalized_logp(mol),
        "celecoxib": celecoxib_similarity(mol),
    }


# -------------------------------------------------------------------------- data


@functools.cache
def table() -> dict[str, Any]:
    """The vendored molecules: ``smiles`` and ``selfies`` lists and a float array per score.

    Raises:
        InvalidDesignsError: The file is missing or malformed (reinstall lsbo).
    """
    try:
        with gzip.open(DATA_FILE, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(io.StringIO(handle.read())))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InvalidDesignsError(
            f"cannot read the vendored molecules {DATA_FILE}: {exc}; reinstall lsbo or "
            "rebuild the file with objectives/data/vendor_moses.py"
        ) from None
    if not rows or tuple(rows[0]) != COLUMNS or any(len(row) != len(COLUMNS) for row in rows):
        raise InvalidDesignsError(
            f"{DATA_FILE} is malformed: expected a header {','.join(COLUMNS)} and "
            f"{len(COLUMNS)} fields per row; reinstall lsbo or rebuild the file with "
            "objectives/data/vendor_moses.py"
        )
    body = rows[1:]
    columns: dict[str, Any] = {"smiles": [r[0] for r in body], "selfies": [r[1] for r in body]}
    try:
        for j, name in enumerate(COLUMNS[2:], start=2):
            values = np.array([float(r[j]) for r in body])
            values.flags.writeable = False
            columns[name] = values
    except ValueError as exc:
        raise InvalidDesignsError(f"{DATA_FILE} has a non-numeric score: {exc}") from None
    return columns


def dataset_of(
    column: str, scores: Callable[[Sequence[int]], Sequence[float]] | None = None
) -> Callable[..., Dataset]:
    """A task's ``dataset(n=None, seed=0)``: the vendored SELFIES, scored by the vendored
    ``column`` of :func:`table`, or by ``scores(rows)`` (the scores of those rows) where
    given."""

    def dataset(n: int | None = None, seed: int = 0) -> Dataset:
        """The vendored MOSES molecules as SELFIES, with this task's scores.

        Args:
            n: Number of molecules (1 to 20,000), a seeded random subset kept in file
                order; ``None`` returns all of them in file order.
            seed: Seed of the subset (``numpy.random.default_rng``; unused when ``n`` is
                None).

        Returns:
            A fresh :class:`lsbo.Dataset` of SELFIES strings and float scores.

        Raises:
            InvalidOptionError: Bad ``n`` or ``seed``.
            MissingDependencyError: The ``[molecules]`` extra is not installed.
        """
        seed = check_int(seed, "seed", 0, None)
        require_molecules()  # the designs are useless without them: say so now
        data = table()
        total = len(data["selfies"])
        chosen = np.arange(total)
        if n is not None:
            n = check_int(n, "n", 1, total)
            chosen = np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))
        rows = chosen.tolist()
        values = data[column][chosen] if scores is None else scores(rows)
        return Dataset(
            designs=[data["selfies"][i] for i in rows], scores=[float(v) for v in values]
        )

    return dataset


# ----------------------------------------------------------------------- objectives


class MoleculeObjective(Objective):
    """A score of a molecule written as SELFIES; one rdkit call per design.

    Subclasses implement :meth:`score`. A design that is not a SELFIES string of a
    molecule rdkit sanitizes is not valid; if it is evaluated anyway, its evaluation
    fails with a message that says so.
    """

    maximize: ClassVar[bool] = True
    design_type: ClassVar[str] = "molecule (SELFIES string)"
    batch_size: ClassVar[int | None] = 1

    def score(self, mol: Any) -> float:
        """The score of an rdkit molecule."""
        raise NotImplementedError

    def _evaluate(self, designs: Sequence[Any]) -> list[float]:
        return [self.score(molecule(design)) for design in designs]

    def is_valid(self, design: Any) -> bool:
        """Whether the design is a SELFIES string of a molecule rdkit sanitizes."""
        return selfies_to_smiles(design) is not None

    def describe(self, design: Any) -> str:
        """Canonical SMILES and SELFIES, e.g. ``CCO (SELFIES [C][C][O])``."""
        smiles = selfies_to_smiles(design)
        return f"{smiles} (SELFIES {design})" if smiles else f"invalid molecule {design!r}"

    def render(self, design: Any) -> Any:
        """The molecule drawn by rdkit, or :meth:`describe`'s text for an invalid one.

        Returns:
            A ``200 x 200 x 3`` float array with values in [0, 1] (RGB), or a string.
        """
        smiles = selfies_to_smiles(design)
        if smiles is None:
            return self.describe(design)
        _, chem = require_molecules()
        from rdkit.Chem import Draw

        image = Draw.MolToImage(chem.MolFromSmiles(smiles), size=(200, 200))
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def make_codec(designs: Sequence[str]) -> SelfiesCodec:
    """SELFIES tokens of the designs; the longest design bounds the molecule size."""
    return SelfiesCodec.from_designs(designs)


def default_strategy(name: str) -> Strategy:
    """Strategies as they suit molecules: ``plain`` ranks its design-space children
    alone (``Plain(latent_optima=False)``, PMO's GP-BO: a GP whose acquisition a Graph
    GA optimizes), without the decoded optima of a latent search.

    The molecule VAE reconstructs few held-out molecules exactly (14%), so a decoded
    latent optimum is seldom the molecule the GP believed in, and the latent search
    costs most of a step. At PMO's 1,000 calls (``benchmarks/pmo.py``, seed 0) on
    celecoxib rediscovery, AUC top-10 0.308 in 241 s without the latent optima against
    0.285 in 989 s with them.
    """
    if name == "plain":
        return Plain(latent_optima=False)
    return get_strategy(name)


def default_options() -> OptimizerOptions:
    """Search settings shared by the molecule tasks.

    A 32-dimensional latent space and an autoregressive GRU decoder (256 units): with
    the parallel decoder, decoded prior samples were long carbon chains (mean QED 0.25
    against 0.81 in the data); with this one they are drug-like, distinct, novel
    molecules (mean QED 0.64), and 19% of molecules reconstruct exactly. Training takes
    about 40 s per epoch on 2 CPU cores, at most 10 epochs.
    """
    architecture = {"decoder": "autoregressive", "hidden_dim": 256}
    return OptimizerOptions(
        latent_dim=32, vae=TrainingOptions(epochs=10, patience=2, architecture=architecture)
    )
