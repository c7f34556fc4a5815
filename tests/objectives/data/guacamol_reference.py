"""Write ``guacamol_reference.json``: scores by GuacaMol's own code for lsbo's tasks.

GuacaMol 0.5.5 does not install cleanly beside lsbo (it requires ``rdkit-pypi``, a
second rdkit, and ``FCD``, with TensorFlow; its ``utils/chemistry.py`` imports
``scipy.histogram``, which SciPy removed), so the test suite cannot call it. This script
runs its scoring code once, from a copy installed without dependencies, and the test
compares lsbo's scores with what it wrote::

    pip install --no-deps --target /tmp/guacamol guacamol==0.5.5
    PYTHONPATH=/tmp/guacamol python tests/objectives/data/guacamol_reference.py

Two stand-ins make the package importable and touch no score: ``scipy.histogram``
(used by a distribution-learning metric) is numpy's, and ``fcd`` (the Frechet
ChemNet distance, a distribution-learning benchmark) is an empty module. Each task's
score comes from the ``objective`` of GuacaMol's benchmark function in
``guacamol.standard_benchmarks``. The molecules: each task's reference drug, the other
tasks' drugs, four molecules with valsartan's substructure (:data:`WITH_SMARTS`)
and the first 25 vendored MOSES molecules.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import scipy

scipy.histogram = np.histogram  # removed from SciPy; only a distribution metric uses it
sys.modules.setdefault("fcd", types.ModuleType("fcd"))  # FCD needs TensorFlow; unused here

from guacamol import standard_benchmarks as guacamol  # noqa: E402

from objectives import _guacamol, _molecules  # noqa: E402

BENCHMARKS = {
    "osimertinib-mpo": guacamol.hard_osimertinib,
    "fexofenadine-mpo": guacamol.hard_fexofenadine,
    "ranolazine-mpo": guacamol.ranolazine_mpo,
    "perindopril-mpo": guacamol.perindopril_rings,
    "amlodipine-mpo": guacamol.amlodipine_rings,
    "zaleplon-mpo": guacamol.zaleplon_with_other_formula,
    "valsartan-smarts": guacamol.valsartan_smarts,
}
# molecules with valsartan's substructure (no vendored one has it): valsartan itself,
# the substructure as a molecule, and two made by hand to come near sitagliptin's logP,
# TPSA and complexity (0.027 and 0.115 on valsartan-smarts)
WITH_SMARTS = [
    "CCCCC(=O)N(Cc1ccc(cc1)c2ccccc2c3nn[nH]n3)C(C(C)C)C(=O)O",
    "O=CN(C)Cc1ccc(-c2ccccc2)cc1",
    "O=CN(CC(N)CC(=O)O)Cc1ccc(-c2ccc(F)cc2F)cc1",
    "O=CN(CC(N)CC(=O)N)Cc1ccc(-c2cc(F)c(F)cc2F)cc1",
]
OUT = Path(__file__).with_suffix(".json")


def main() -> None:
    drugs = [task.reference for task in _guacamol.TASKS.values() if task.name != "valsartan-smarts"]
    molecules = [*drugs, _guacamol.SITAGLIPTIN, *WITH_SMARTS, *_molecules.table()["smiles"][:25]]
    scores = {}
    for name, benchmark in BENCHMARKS.items():
        objective = benchmark().objective
        scores[name] = [float(objective.score(smiles)) for smiles in molecules]
    OUT.write_text(
        json.dumps({"guacamol": "0.5.5", "smiles": molecules, "scores": scores}, indent=1) + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
