"""Ranolazine MPO: one of GuacaMol's multi-property objectives, maximized, at most 1.

Task (Ranolazine MPO, Brown et al. 2019, exactly as GuacaMol's scoring code defines it; see
:mod:`objectives._guacamol`):
    The geometric mean of four terms, with ranolazine
    (:data:`objectives._guacamol.RANOLAZINE`) as reference:

    - Tanimoto similarity of atom-pair count fingerprints, linear from 0 to 1 at 0.7
      and above;
    - Crippen logP, 1 from 7 on, a half Gaussian (sigma 1) below (GuacaMol's code
      names this term ``logP_under_4``; the code is what the benchmark scores);
    - the number of fluorine atoms, a Gaussian at 1 (sigma 1);
    - TPSA, 1 from 95 on, a half Gaussian (sigma 20) below.

    GuacaMol also gives ranolazine as the starting population; PMO and lsbo do not.

Designs, dataset, extra:
    SELFIES strings of the 20,000 vendored MOSES molecules, each scored by this task
    when it is first loaded; see :mod:`objectives._molecules`. Needs ``pip install
    'lsbo[molecules]'``.

Published (area under the curve of the top-10 average over 10,000 oracle calls, starting
from ZINC; PMO's leaderboard data, Gao et al. 2022): SELFIES-VAE-BO 0.452, GP-BO 0.735,
Graph GA 0.728, screening 0.411; NF-BO 0.698.

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
    "RanolazineMPO",
    "dataset",
    "default_options",
    "default_strategy",
    "make_codec",
]


class RanolazineMPO(_guacamol.GuacaMolObjective):
    """GuacaMol's Ranolazine MPO of a SELFIES molecule, maximized, in [0, 1]."""

    task: ClassVar[str] = "ranolazine-mpo"


OBJECTIVE = RanolazineMPO
dataset = _guacamol.dataset_of("ranolazine-mpo")
