"""Run files: one JSON per (task, strategy label, seed), and reading them back.

Run file (``format`` 1), one per (task, strategy, seed)::

    {"format": 1, "task": "shapes", "strategy": "plain", "seed": 0, "budget": 500,
     "maximize": true, "n_evaluations": 500,
     "values": [...],          # one per evaluation, in evaluation order; null: failed
     "failed": [...],          # 0-based indices of the failed evaluations
     "sources": [...],         # where each evaluated design came from (lsbo.Source
                               # values: "bo", "mutant", "explored", ...; lsbo runs
                               # since 2026-12-06, absent before)
     "best_so_far": [...],     # best complete value after each evaluation (null before)
     "best_value": 612.0, "best_design": "..." (strings only, else null),
     "extras": {...},          # task-specific facts, e.g. for molecules the SMILES and
                               # heavy atoms of the best and "sizes": heavy atoms of
                               # every evaluated molecule (null: failed)
     "data_best": 400.0,       # best score the training data gives the optimizer
     "stopped": null,          # why the run ended before its budget (an LsboError)
     "seconds": {"vae": ..., "gp": ..., "objective": ..., "total": ...,
                 "vae_initial": ...},  # VAE: retraining during the run; vae_initial:
                                       # training the shared VAE (null if it was cached)
     "lsbo_version": "0.1.0", "git": "5aa1f3c-dirty", "machine": "...",
     "finished": "2026-11-25T10:00:00",
     "settings": {...}}        # what decides whether a run is redone: task, data,
                               # strategy (all its fields), seed, budget, options
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from _results import machine  # benchmarks/ is on the path

import lsbo
from lsbo.exceptions import LsboError
from lsbo.records import Direction
from lsbo.settings import stored_strategy

from .tasks import ORDER, data_best, jsonable

ROOT = Path(__file__).parent.parent  # benchmarks/
FORMAT = 1


def run_path(runs_dir: Path, task: str, label: str, seed: int) -> Path:
    """``<runs_dir>/<task>/<label>-seed<seed>.json``."""
    return runs_dir / task / f"{label}-seed{seed}.json"


def read_run(path: Path) -> dict[str, Any] | None:
    """A run file, or ``None`` if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_run(path: Path, run: Mapping[str, Any]) -> None:
    """Write a run file atomically (a killed process never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(run, indent=1) + "\n")
    os.replace(partial, path)


def is_done(path: Path, settings: Mapping[str, Any]) -> bool:
    """Whether ``path`` holds a finished run of this format with exactly ``settings``
    (a strategy setting added to lsbo after the run counts as its default, as when a
    stored run resumes)."""
    run = read_run(path)
    if run is None or run.get("format") != FORMAT:
        return False
    return with_strategy_defaults(run.get("settings")) == settings


def with_strategy_defaults(settings: Any) -> Any:
    """Stored run settings with their lsbo strategy read as a resume reads it
    (:func:`lsbo.settings.stored_strategy`: every setting of today's version, those it
    lacks at their defaults); other settings as they are."""
    if not (isinstance(settings, dict) and isinstance(settings.get("strategy"), dict)):
        return settings
    try:
        today = stored_strategy(settings)
    except (LsboError, KeyError):  # not an lsbo strategy, or a setting it no longer has
        return settings
    return {**settings, "strategy": jsonable(today.settings())}


def load_runs(task: str, runs_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The task's run files by strategy label, each list sorted by seed."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((runs_dir / task).glob("*-seed*.json")):
        run = None if path.name.startswith("_") else read_run(path)
        if run is not None and run.get("format") == FORMAT:
            runs.setdefault(run["strategy"], []).append(run)
    ordered = sorted(runs, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))
    return {label: sorted(runs[label], key=lambda r: r["seed"]) for label in ordered}


@functools.cache
def git_version() -> str | None:
    """The short commit of the checkout, ``-dirty`` when lsbo or objectives changed."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "lsbo", "objectives"],
            cwd=ROOT.parent,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode:
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def run_record(
    settings: Mapping[str, Any],
    values: Sequence[float | None],
    maximize: bool,
    best_design: Any,
    seconds: Mapping[str, float | None],
    extras: Mapping[str, Any] | None = None,
    stopped: str | None = None,
    sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The contents of a run file (see the module docstring); used by genetic.py too
    (which gives no ``sources``: the key is then left out)."""
    curve = Direction.of(maximize).best_so_far(values)
    if sources is not None and len(sources) != len(values):
        raise ValueError(f"{len(sources)} sources for {len(values)} values")
    record = {
        "format": FORMAT,
        "task": settings["task"],
        "strategy": settings["label"],
        "seed": settings["seed"],
        "budget": settings["budget"],
        "maximize": maximize,
        "n_evaluations": len(values),
        "values": list(values),
        "failed": [i for i, v in enumerate(values) if v is None],
        "best_so_far": curve,
        "best_value": curve[-1] if curve else None,
        "best_design": best_design if isinstance(best_design, str) else None,
        "extras": dict(extras or {}),
        "data_best": data_best(settings["task"], settings["data"]["n"]),
        "stopped": stopped,
        "seconds": dict(seconds),
        "lsbo_version": lsbo.__version__,
        "git": git_version(),
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": dict(settings),
    }
    if sources is not None:
        record["sources"] = list(sources)
    return record
