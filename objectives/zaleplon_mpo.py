"""Zaleplon MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Zaleplon MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of two terms, with zaleplon
    (:data:`objectives._guacamol.ZALEPLON`) as reference:

    - Tanimoto similarity of ECFP4 count fingerprints to zaleplon;
    - closeness to the formula C19H17N3O2: the geometric mean of a Gaussian (sigma 1)
      on the count of each element (hydrogens included) and a Gaussian (sigma 2) on
      the number of atoms (GuacaMol's ``IsomerScoringFunction``).

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.206, GP-BO 0.221,
Graph GA 0.346, screening 0.072; NF-BO 0.504.

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
    "ZaleplonMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class ZaleplonMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Zaleplon MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "zaleplon-mpo"


OBJECTIVE = ZaleplonMPO
dataset = _guacamol.dataset_of("zaleplon-mpo")
