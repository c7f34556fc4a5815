"""Amlodipine MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Amlodipine MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of two terms, with amlodipine
    (:data:`objectives._guacamol.AMLODIPINE`) as reference:

    - Tanimoto similarity of ECFP4 count fingerprints to amlodipine;
    - the number of rings, a Gaussian at 3 (sigma 0.5).

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.516, GP-BO 0.583,
Graph GA 0.661, screening 0.535; NF-BO 0.672.

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
    "AmlodipineMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class AmlodipineMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Amlodipine MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "amlodipine-mpo"


OBJECTIVE = AmlodipineMPO
dataset = _guacamol.dataset_of("amlodipine-mpo")
