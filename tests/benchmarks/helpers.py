"""Small hand-made run records for the harness tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness import FORMAT, best_so_far  # benchmarks/ is on the path (conftest.py)


def make_run(
    values: Sequence[float | None],
    *,
    strategy: str = "plain",
    seed: int = 0,
    maximize: bool = True,
    seconds: dict[str, float | None] | None = None,
    extras: dict[str, Any] | None = None,
    stopped: str | None = None,
    task: str = "toy",
) -> dict[str, Any]:
    """A run record as ``harness.run_record`` writes it, without loading a task."""
    curve = best_so_far(values, maximize)
    return {
        "format": FORMAT,
        "task": task,
        "strategy": strategy,
        "seed": seed,
        "budget": len(values),
        "maximize": maximize,
        "n_evaluations": len(values),
        "values": list(values),
        "failed": [i for i, v in enumerate(values) if v is None],
        "best_so_far": curve,
        "best_value": curve[-1] if curve else None,
        "best_design": None,
        "extras": dict(extras or {}),
        "data_best": None,
        "stopped": stopped,
        "seconds": seconds or {"vae": None, "gp": 1.0, "objective": 2.0, "total": 4.0},
        "settings": {"task": task, "label": strategy, "seed": seed, "data": {"n": None}},
    }
