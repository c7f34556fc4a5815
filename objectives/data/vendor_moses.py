"""Rebuild ``objectives/data/moses.csv.gz`` from a MOSES SMILES file.

The shipped file was made with::

    python objectives/data/vendor_moses.py /path/to/moses_train_100k.smi.gz

from a file of 100,000 SMILES sampled at random from the MOSES training set (one per
line, gzip). It keeps, in file order, the first 20,000 molecules that rdkit parses,
that SELFIES can write, that are not celecoxib and whose Tanimoto similarity to
celecoxib is at most 0.323 (GuacaMol's hold-out rule), and writes each one's canonical
SMILES, SELFIES and scores rounded to 6 decimals (see ``objectives/_molecules.py``). Needs the
``[molecules]`` extra. The output is deterministic: gzip's header time is zeroed.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from lsbo.exceptions import InvalidDesignsError
from lsbo.representations.molecules import canonical_smiles, require_molecules, smiles_to_selfies
from objectives import _molecules


def vendor(source: Path, out: Path, n: int = _molecules.N_MOLECULES) -> dict[str, int]:
    """Write the first ``n`` usable molecules of ``source`` to ``out``; return counts."""
    _, chem = require_molecules()
    celecoxib = canonical_smiles(_molecules.CELECOXIB)
    counts = {"read": 0, "unparsable": 0, "held_out": 0, "unwritable": 0, "kept": 0}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_molecules.COLUMNS)
    seen: set[str] = set()
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            if counts["kept"] == n:
                break
            if not line.strip():
                continue
            counts["read"] += 1
            smiles = canonical_smiles(line.strip())
            if smiles is None or smiles in seen:
                counts["unparsable"] += 1
                continue
            mol = chem.MolFromSmiles(smiles)
            scores = _molecules.all_scores(mol)
            if smiles == celecoxib or scores["celecoxib"] > _molecules.HOLDOUT_SIMILARITY:
                counts["held_out"] += 1
                continue
            try:
                selfies = smiles_to_selfies(smiles)
            except InvalidDesignsError:
                counts["unwritable"] += 1
                continue
            seen.add(smiles)
            writer.writerow(
                [smiles, selfies, *(f"{scores[c]:.6f}" for c in _molecules.SCORE_COLUMNS)]
            )
            counts["kept"] += 1
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
        zipped.write(buffer.getvalue().encode("utf-8"))
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python objectives/data/vendor_moses.py MOSES_SMILES.smi.gz")
    print(vendor(Path(sys.argv[1]), _molecules.DATA_FILE))
