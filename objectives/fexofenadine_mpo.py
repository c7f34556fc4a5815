"""Fexofenadine MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Fexofenadine MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of three terms, with fexofenadine
    (:data:`objectives._guacamol.FEXOFENADINE`) as reference:

    - Tanimoto similarity of atom-pair count fingerprints (distances 1 to 10), linear
      from 0 to 1 at 0.8 and above;
    - TPSA, 1 from 90 on, a half Gaussian (sigma 10) below;
    - Crippen logP, 1 up to 4, a half Gaussian (sigma 1) above.

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.670, GP-BO 0.722,
Graph GA 0.760, screening 0.666; NF-BO 0.784.

References:
    Brown, Fiscato, Segler and Vaucher. GuacaMol: Benchmarking Models for de Novo
    Molecular Design. Journal of Chemical Information and Modeling 2019. Gao, Fu, Sun
    and Coley. Sample Efficiency Matters: A Benchmark for Practical Molecular
    Optimization. NeurIPS 2022.
"""

from __future__ import annotations

from typing import ClassVar

from objectives import _guacamol
from objectives._molecules import DATASET_SIZE, default_options, default_strategy, make_codec

__all__ = [
    "DATASET_SIZE",
    "OBJECTIVE",
    "FexofenadineMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class FexofenadineMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Fexofenadine MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "fexofenadine-mpo"


OBJECTIVE = FexofenadineMPO
dataset = _guacamol.dataset_of("fexofenadine-mpo")
