"""Drug-likeness of a molecule (QED), maximized: the ``qed`` task of the molecule VAEs.

Task:
    Find a molecule with the highest QED, rdkit's quantitative estimate of
    drug-likeness (Bickerton et al. 2012), a number in (0, 1). The best values known,
    reported since the JT-VAE paper, are about :data:`OPTIMUM` ``= 0.948``; the vendored
    data already holds a molecule at 0.9481, so this task measures how quickly a method
    finds the top of a crowded range rather than how far it extrapolates.

Designs, dataset, extra:
    SELFIES strings of the vendored MOSES molecules, scored by their QED; see
    :mod:`objectives._molecules`. Needs ``pip install 'lsbo[molecules]'``.

References:
    Bickerton, Paolini, Besnard, Muresan and Hopkins. Quantifying the chemical beauty of
    drugs. Nature Chemistry 2012. Gomez-Bombarelli et al. Automatic chemical design
    using a data-driven continuous representation of molecules. ACS Central Science
    2018 (the QED task of latent-space BO).
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
    "OBJECTIVE",
    "OPTIMUM",
    "QED",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]

OPTIMUM = 0.948


class QED(MoleculeObjective):
    """rdkit's QED of a SELFIES molecule, maximized; the best known values are about 0.948."""

    name: ClassVar[str] = "qed"
    description: ClassVar[str] = (
        "Drug-likeness (rdkit QED) of a molecule written as SELFIES, maximized; "
        "best known about 0.948"
    )
    optimum: ClassVar[float | None] = OPTIMUM
    reference: ClassVar[str] = (
        "Bickerton et al., Quantifying the chemical beauty of drugs, Nature Chemistry 2012; "
        "Gomez-Bombarelli et al., ACS Central Science 2018"
    )

    def score(self, mol: Any) -> float:
        """rdkit's QED of an rdkit molecule, in [0, 1]."""
        return _molecules.qed(mol)


OBJECTIVE = QED
dataset = _molecules.dataset_of("qed")
