"""Penalized logP of a molecule, maximized: the JT-VAE / weighted-retraining benchmark.

Task:
    Find a molecule with the highest penalized logP, in the standardized form of the
    JT-VAE and weighted-retraining papers::

        (logP - 2.45777691) / 1.43341767 + (3.05352042 - SA) / 0.83460587
            + (0.04861121 - cycle) / 0.28746695

    with logP from rdkit's Crippen model, SA the synthetic-accessibility score of
    rdkit's Contrib ``sascorer`` and cycle ``= max(0, largest ring size - 6)``. The score
    has no upper bound: long carbon chains (high logP) keep raising it, which is why the
    size of a molecule matters when comparing methods. Molecules are therefore bounded
    in size as the training data is: one with more than :data:`MAX_HEAVY_ATOMS` ``= 26``
    heavy atoms (the largest in the vendored data) is not a valid design
    (``PenalizedLogP(max_heavy_atoms=None)`` lifts the bound). The decoder's own limit,
    49 SELFIES tokens, would allow chains of about 49 atoms. The best in the vendored
    data is 3.13.

Designs, dataset, extra:
    SELFIES strings of the vendored MOSES molecules, scored by their penalized logP;
    see :mod:`objectives._molecules`. Needs ``pip install 'lsbo[molecules]'``.

References:
    Jin, Barzilay and Jaakkola. Junction Tree Variational Autoencoder for Molecular
    Graph Generation. ICML 2018. Tripp, Daxberger and Hernandez-Lobato. Sample-Efficient
    Optimization in the Latent Space of Deep Generative Models via Weighted Retraining.
    NeurIPS 2020 (penalized logP 19.66 +- 6 after 500 evaluations, JT-VAE).
"""

from __future__ import annotations

from typing import Any, ClassVar

from objectives import _molecules
from objectives._molecules import (
    DATASET_SIZE,
    MoleculeObjective,
    default_options,
    default_strategy,
    make_codec,
)

__all__ = [
    "DATASET_SIZE",
    "MAX_HEAVY_ATOMS",
    "OBJECTIVE",
    "PenalizedLogP",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]

MAX_HEAVY_ATOMS = 26  # the most heavy atoms of a vendored molecule (a test checks it)


class PenalizedLogP(MoleculeObjective):
    """Standardized logP - SA - ring penalty of a SELFIES molecule, maximized; unbounded."""

    name: ClassVar[str] = "penalized-logp"
    description: ClassVar[str] = (
        "Penalized logP (Crippen logP - SA score - large rings, each standardized) of a "
        "SELFIES molecule, maximized; no upper bound"
    )
    optimum: ClassVar[float | None] = None
    reference: ClassVar[str] = (
        "Jin et al., Junction Tree VAE, ICML 2018; Tripp et al., weighted retraining, "
        "NeurIPS 2020 (arXiv:2006.09191)"
    )

    def __init__(self, max_heavy_atoms: int | None = MAX_HEAVY_ATOMS) -> None:
        self.max_heavy_atoms = max_heavy_atoms

    def score(self, mol: Any) -> float:
        """Penalized logP of an rdkit molecule; raises for one above the size bound."""
        atoms = mol.GetNumHeavyAtoms()
        if self.max_heavy_atoms is not None and atoms > self.max_heavy_atoms:
            raise ValueError(
                f"the molecule has {atoms} heavy atoms, more than the {self.max_heavy_atoms} "
                "the task allows (the largest training molecule)"
            )
        return _molecules.penalized_logp(mol)

    def is_valid(self, design: Any) -> bool:
        """A SELFIES molecule rdkit sanitizes, with at most ``max_heavy_atoms`` heavy atoms."""
        if not super().is_valid(design):
            return False
        atoms = _molecules.molecule(design).GetNumHeavyAtoms()
        return self.max_heavy_atoms is None or atoms <= self.max_heavy_atoms


OBJECTIVE = PenalizedLogP
dataset = _molecules.dataset_of("penalized_logp")
