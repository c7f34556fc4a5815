"""Valsartan SMARTS: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Valsartan SMARTS, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of four terms:

    - 1 if the molecule has valsartan's substructure ``CN(C=O)Cc1ccc(c2ccccc2)cc1``
      (SMARTS), else 0;
    - Crippen logP, a Gaussian (sigma 0.2) at sitagliptin's;
    - TPSA, a Gaussian (sigma 5) at sitagliptin's;
    - Bertz complexity, a Gaussian (sigma 30) at sitagliptin's.

    No vendored molecule has the substructure, so every training score is 0: the
    search starts with no signal, as in PMO (where most methods stay near 0).

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.001, GP-BO 0.000,
Graph GA 0.000, screening 0.000; NF-BO 0.594.

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
    "ValsartanSMARTS",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class ValsartanSMARTS(_guacamol.GuacaMolObjective):
    """GuacaMol's Valsartan SMARTS of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "valsartan-smarts"


OBJECTIVE = ValsartanSMARTS
dataset = _guacamol.dataset_of("valsartan-smarts")
