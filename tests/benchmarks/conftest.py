"""Make ``benchmarks/`` importable as the task scripts see it: ``import harness``,
``import genetic``."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # appended: its script names never shadow a package
