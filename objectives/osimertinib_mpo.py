"""Osimertinib MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Osimertinib MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of four terms of a molecule m, with osimertinib
    (:data:`objectives._guacamol.OSIMERTINIB`) as reference:

    - Tanimoto similarity of FCFP4 count fingerprints to osimertinib, linear from 0 at
      similarity 0 to 1 at 0.8 and above;
    - Tanimoto similarity of ECFP6 count fingerprints, 1 up to 0.85, then a half
      Gaussian (sigma 0.1): not too similar;
    - TPSA, 1 from 100 on, a half Gaussian (sigma 10) below;
    - Crippen logP, 1 up to 1, a half Gaussian (sigma 1) above.

    Osimertinib itself scores 0.133 (too similar to itself).

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.765, GP-BO 0.787,
Graph GA 0.831, screening 0.764; NF-BO (Lee et al., ICLR 2025) 0.828.

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
    "OsimertinibMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class OsimertinibMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Osimertinib MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "osimertinib-mpo"


OBJECTIVE = OsimertinibMPO
dataset = _guacamol.dataset_of("osimertinib-mpo")
