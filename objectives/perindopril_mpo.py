"""Perindopril MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Perindopril MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of two terms, with perindopril
    (:data:`objectives._guacamol.PERINDOPRIL`) as reference:

    - Tanimoto similarity of ECFP4 count fingerprints to perindopril;
    - the number of aromatic rings, a Gaussian at 2 (sigma 0.5).

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.429, GP-BO 0.493,
Graph GA 0.538, screening 0.445; NF-BO 0.586.

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
    "PerindoprilMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class PerindoprilMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Perindopril MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "perindopril-mpo"


OBJECTIVE = PerindoprilMPO
dataset = _guacamol.dataset_of("perindopril-mpo")
