"""Shared harness of the strategy benchmarks: one JSON per run, and a report over them.

``run_one`` (or ``run_spec``) runs one optimization (task, strategy, seed, budget) and writes
``benchmarks/runs/<task>/<strategy>-seed<k>.json``; a file with the same settings is not
run again, so runs can be split across processes and resumed. ``report`` reads the files
of a task and writes a markdown section (best value at fixed budgets, evaluations to
reach a threshold, wall time, the published numbers) and a figure of the best-so-far
curves. The VAE of a (task, seed) is trained once, through lsbo's VAE cache, and shared
by every strategy of that seed.

The per-task scripts (``shapes.py``, ``expression.py``, ``molecules.py``,
``ehrlich.py``) are thin shells over :func:`main`.

Run file (``format`` 1), one per (task, strategy, seed)::

    {"format": 1, "task": "shapes", "strategy": "plain", "seed": 0, "budget": 500,
     "maximize": true, "n_evaluations": 500,
     "values": [...],          # one per evaluation, in evaluation order; null: failed
     "failed": [...],          # 0-based indices of the failed evaluations
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

import argparse
import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import math
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _results import RESULTS, machine, write_section  # benchmarks/ is on the path when run

import lsbo
import objectives
from lsbo.models import cached_vae, default_cache_dir, fingerprint
from lsbo.objective import Dataset

ROOT = Path(__file__).parent
STRATEGIES = ("plain", "weighted-retraining", "trust-region", "random")
ORDER = (*STRATEGIES, "trust-region+weighted-retraining", "genetic")
CHECKPOINTS = (25, 50, 100, 250, 500, 1000)
FORMAT = 1

QUICK_BUDGET = 30
QUICK_SEEDS = (0, 1)
QUICK_OPTIONS: dict[str, Any] = {
    "n_initial": 5,
    "num_restarts": 2,
    "raw_samples": 32,
    "mc_samples": 32,
    "max_gp_points": 100,
}
QUICK_STRATEGY_PARAMS: dict[str, dict[str, Any]] = {"weighted-retraining": {"period": 10}}


# ------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """A benchmark task: an lsbo objective and what its report compares against.

    Attributes:
        name: The objective's name for :func:`objectives.load`.
        title: Heading of its RESULTS.md section.
        threshold: Value whose first reach the report counts (in evaluations).
        published: Strategy -> (mean, standard error) after 500 evaluations.
        source: Where the published numbers come from.
        target: What lsbo aims for, e.g. ``(">=", 950.0)``.
        quick_designs: Training designs in ``--quick`` mode (``None``: all).
        quick_vae: VAE training settings replaced in ``--quick`` mode (e.g. fewer epochs).
        strategy_params: Per-strategy settings that follow the paper for this task.
        default_strategies: Strategies a plain invocation runs.
        note: A sentence of task setup for the report.
        extras: ``(evaluated designs, best design) -> dict`` of facts stored with each
            run; a ``"sizes"`` entry (one per evaluation) enables the size-bounded column.
        extra_columns: ``(header, extras key)`` columns of the table (values per seed).
        data_note: ``dataset -> sentence`` about the training data for the report.
        size_limit: ``dataset -> the largest size in the training data``; the table then
            shows the best value among evaluated designs no larger than that.
        size_name: What a size counts, for the table header.
        vae_seed: Seed of one VAE that every search seed shares, as a paper that
            pretrains one model does (``None``: each seed trains its own).
    """

    name: str
    title: str
    threshold: float
    published: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    vae_seed: int | None = None
    source: str = ""
    target: tuple[str, float] | None = None
    quick_designs: int | None = None
    quick_vae: Mapping[str, Any] = field(default_factory=dict)
    strategy_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_strategies: tuple[str, ...] = STRATEGIES
    note: str = ""
    extras: Callable[[Sequence[Any], Any], dict[str, Any]] | None = None
    extra_columns: tuple[tuple[str, str], ...] = ()
    data_note: Callable[[Dataset], str] | None = None
    size_limit: Callable[[Dataset], int] | None = None
    size_name: str = ""


def _heavy_atoms(design: Any) -> int | None:
    from objectives._molecules import molecule

    try:
        return int(molecule(design).GetNumHeavyAtoms())
    except ValueError:  # not a molecule (its evaluation failed too)
        return None


def _molecule_extras(designs: Sequence[Any], best: Any) -> dict[str, Any]:
    from lsbo.representations.molecules import selfies_to_smiles

    return {
        "best_smiles": None if best is None else selfies_to_smiles(best),
        "best_heavy_atoms": None if best is None else _heavy_atoms(best),
        "sizes": [_heavy_atoms(d) for d in designs],
    }


def _training_heavy_atoms(data: Dataset) -> list[int]:
    return [n for n in map(_heavy_atoms, data.designs) if n is not None]


def _molecule_data_note(data: Dataset) -> str:
    import selfies

    atoms = _training_heavy_atoms(data)
    tokens = max(selfies.len_selfies(d) for d in data.designs)
    return (
        f"Training molecules have at most {max(atoms)} heavy atoms (median "
        f"{int(np.median(atoms))}) and {tokens} SELFIES tokens; the decoder writes at most "
        f"{tokens} tokens, so a proposal may have up to about {tokens} heavy atoms, more "
        "than any training molecule. The column 'best with <= N heavy atoms' keeps only "
        "molecules no larger than the largest training molecule."
    )


PAPER = "Tripp et al. 2020 (weighted retraining), 500 evaluations, mean ± s.e. over seeds"
TASKS: dict[str, Task] = {
    "shapes": Task(
        name="shapes",
        title="Shapes: strategies against the weighted-retraining paper",
        threshold=800.0,
        published={"plain": (464.0, 3.0), "weighted-retraining": (883.0, 27.0)},
        source=PAPER,
        target=(">=", 950.0),
        note="Maximize the shaded area of a 64x64 binary image; the VAE trains on the "
        "1,090 single squares of area at most 400 (optimum 4096). Weighted retraining "
        "fine-tunes every 5 evaluations, as the paper does on this task (shapes.default_strategy).",
    ),
    "expression": Task(
        name="expression",
        title="Expression: strategies against the weighted-retraining paper",
        threshold=0.3,
        published={"plain": (1.18, 0.28), "weighted-retraining": (0.48, 0.12)},
        source=PAPER,
        target=("<=", 0.30),
        quick_designs=5000,
        quick_vae={"epochs": 3},
        note="Minimize log(1 + MSE) of an arithmetic expression against 1/3+x+sin(x*x); "
        "the best 50% of the 100,000 generated expressions are hidden, 5,000 of the "
        "other 50,000 carry scores.",
    ),
    "penalized-logp": Task(
        name="penalized-logp",
        title="Penalized logP: strategies against the weighted-retraining paper",
        threshold=10.0,
        published={"plain": (5.71, 0.29), "weighted-retraining": (19.66, 6.0)},
        source=PAPER + "; the paper's model is a JT-VAE on ZINC, ours a SELFIES GRU VAE "
        "on 20,000 MOSES molecules",
        target=(">=", 20.0),
        quick_designs=2000,
        quick_vae={"epochs": 1},
        note="Maximize penalized logP (standardized Crippen logP - SA - large rings) of a "
        "SELFIES molecule. The score has no upper bound (long carbon chains raise it), "
        "so the heavy-atom count of each seed's best molecule is shown next to it. Every "
        "seed searches the latent space of one VAE (trained with seed 0), as the paper's "
        "seeds share one pretrained JT-VAE.",
        extras=_molecule_extras,
        extra_columns=(("heavy atoms of best (per seed)", "best_heavy_atoms"),),
        data_note=_molecule_data_note,
        size_limit=lambda data: max(_training_heavy_atoms(data)),
        size_name="heavy atoms",
        vae_seed=0,  # the paper's seeds share one pretrained JT-VAE; ours takes 12 minutes
    ),
    "ehrlich": Task(
        name="ehrlich",
        title="Ehrlich (small): strategies against a genetic algorithm",
        threshold=1.0,
        source="Stanton et al. 2024 (holo-bench) report GA runs with far larger budgets; "
        "no published numbers at 500 evaluations",
        target=("==", 1.0),
        default_strategies=(*STRATEGIES, "genetic"),
        quick_vae={"epochs": 5},
        note="Maximize the Ehrlich function (v=32 states, L=32, c=2 motifs of length 4; "
        "optimum 1.0, infeasible sequences score 0). The genetic algorithm follows "
        "holo-bench's DiscreteEvolution (benchmarks/genetic.py) and starts from the "
        "best training sequences.",
    ),
}


# ------------------------------------------------------------------------- one run


@functools.lru_cache(maxsize=2)
def task_data(name: str, n: int | None) -> Dataset:
    """The task's training data (a seeded subset of ``n`` designs when given)."""
    return objectives.load(name).dataset() if n is None else objectives.load(name).dataset(n=n)


@functools.lru_cache(maxsize=2)
def _data_digest(name: str, n: int | None) -> str:
    from lsbo.models.cache import design_bytes

    data = task_data(name, n)
    digest = hashlib.sha256()
    for design, score in zip(data.designs, data.scores or [None] * len(data.designs), strict=True):
        digest.update(design_bytes(design))
        digest.update(repr(score).encode())
    return digest.hexdigest()[:16]


def data_settings(name: str, n: int | None) -> dict[str, Any]:
    """How the training data is identified in a run's settings."""
    data = task_data(name, n)
    scored = sum(s is not None for s in data.scores or [])
    return {"n": n, "designs": len(data.designs), "scored": scored, "sha": _data_digest(name, n)}


def data_best(name: str, n: int | None) -> float | None:
    """The best score the training data gives the optimizer."""
    scores = [s for s in task_data(name, n).scores or [] if s is not None]
    if not scores:
        return None
    return max(scores) if objectives.load(name).OBJECTIVE.maximize else min(scores)


def make_options(name: str, override: Mapping[str, Any] | None = None) -> lsbo.OptimizerOptions:
    """The task's ``default_options()`` with fields replaced (``"vae"`` takes a dict)."""
    options = objectives.load(name).default_options()
    override = dict(override or {})
    vae = override.pop("vae", None)
    if vae:
        override["vae"] = dataclasses.replace(options.vae, **vae)
    return dataclasses.replace(options, **override)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def make_strategy(task: str, strategy: str, params: Mapping[str, Any] | None) -> Any:
    """The strategy with the task's own settings (``default_strategy``) and ``params``."""
    return objectives.strategy(objectives.load(task), strategy, **(params or {}))


def strategy_settings(task: str, strategy: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """All fields of the strategy (defaults included), as the run file stores them."""
    return _jsonable(make_strategy(task, strategy, params).settings())


def run_path(runs_dir: Path, task: str, label: str, seed: int) -> Path:
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
    run = read_run(path)
    return run is not None and run.get("format") == FORMAT and run.get("settings") == settings


def best_so_far(values: Sequence[float | None], maximize: bool) -> list[float | None]:
    """Best complete value after each evaluation (``None`` until one completes)."""
    best: float | None = None
    out: list[float | None] = []
    for value in values:
        if value is not None and (best is None or (value > best if maximize else value < best)):
            best = value
        out.append(best)
    return out


@functools.cache
def _git() -> str | None:
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
) -> dict[str, Any]:
    """The contents of a run file (see the module docstring); used by genetic.py too."""
    curve = best_so_far(values, maximize)
    return {
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
        "git": _git(),
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": dict(settings),
    }


def _vae_sidecar(runs_dir: Path, task: str, seed: int) -> Path:
    return runs_dir / task / f"_vae-seed{seed}.json"


def task_vae(
    task: str, seed: int, n: int | None, options: lsbo.OptimizerOptions, runs_dir: Path
) -> tuple[Any, float | None]:
    """The (task, seed) VAE from lsbo's cache, trained there if missing.

    Returns:
        ``(model, seconds it took to train)``; the seconds come from a note next to the
        runs when another process trained it, and are ``None`` when unknown.
    """
    module = objectives.load(task)
    data = task_data(task, n)
    codec = module.make_codec(data.designs)
    key = fingerprint(data.designs, codec, options.latent_dim, options.vae, seed)
    start = time.perf_counter()
    model, from_cache = cached_vae(
        default_cache_dir(), data.designs, codec, options.latent_dim, options.vae, seed, task
    )
    sidecar = _vae_sidecar(runs_dir, task, seed)
    if not from_cache:
        seconds = time.perf_counter() - start
        write_run(sidecar, {"fingerprint": key, "train_seconds": seconds})
        return model, seconds
    note = read_run(sidecar) or {}
    return model, note.get("train_seconds") if note.get("fingerprint") == key else None


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides one run; picklable, so that a subprocess can do it."""

    task: str
    strategy: str
    seed: int
    budget: int
    runs_dir: Path
    options_override: Mapping[str, Any] = field(default_factory=dict)
    strategy_params: Mapping[str, Any] = field(default_factory=dict)
    n_designs: int | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.strategy

    @property
    def path(self) -> Path:
        return run_path(self.runs_dir, self.task, self.name, self.seed)

    def settings(self) -> dict[str, Any]:
        """The settings stored in the run file and compared before running again."""
        if self.strategy == "genetic":
            from genetic import genetic_settings

            method = genetic_settings(self)
        else:
            method = {
                "strategy": strategy_settings(self.task, self.strategy, self.strategy_params),
                "options": _jsonable(
                    dataclasses.asdict(make_options(self.task, self.options_override))
                ),
            }
        return _jsonable(
            {
                "task": self.task,
                "label": self.name,
                "seed": self.seed,
                "budget": self.budget,
                "data": data_settings(self.task, self.n_designs),
                **method,
                # only where it differs, so that run files from before it still match
                **({"vae_seed": self.vae_seed} if self.vae_seed != self.seed else {}),
            }
        )

    @property
    def vae_seed(self) -> int:
        """Seed of the run's VAE: the task's shared one, or the run's own seed."""
        shared = TASKS[self.task].vae_seed if self.task in TASKS else None
        return self.seed if shared is None else shared

    def done(self) -> bool:
        return is_done(self.path, self.settings())


def run_one(
    task: str,
    strategy: str,
    seed: int,
    budget: int,
    *,
    runs_dir: Path = ROOT / "runs",
    options_override: Mapping[str, Any] | None = None,
    strategy_params: Mapping[str, Any] | None = None,
    n_designs: int | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Run one optimization and write ``<runs_dir>/<task>/<label>-seed<seed>.json``.

    Args:
        task: An objective name (``objectives.load``).
        strategy: An lsbo strategy name, or ``"genetic"`` (``genetic.py``).
        seed: Seed of the VAE and of the search.
        budget: Evaluations.
        runs_dir: Folder of the run files.
        options_override: Fields of the task's ``default_options()`` to replace
            (``"vae"``: a dict of ``TrainingOptions`` fields).
        strategy_params: Settings of the strategy (e.g. ``{"period": 5}``).
        n_designs: Train on a seeded subset of this many designs (``None``: all).
        label: Name of the run file and table row (default: the strategy).

    Returns:
        The run record; an existing file with the same settings is returned as it is.
    """
    spec = RunSpec(
        task,
        strategy,
        seed,
        budget,
        runs_dir,
        dict(options_override or {}),
        dict(strategy_params or {}),
        n_designs,
        label,
    )
    return run_spec(spec)


def run_spec(spec: RunSpec) -> dict[str, Any]:
    """:func:`run_one` for a :class:`RunSpec` (what subprocesses are handed)."""
    settings = spec.settings()
    if is_done(spec.path, settings):
        return read_run(spec.path) or {}
    if spec.strategy == "genetic":
        from genetic import run_genetic

        run = run_genetic(spec, settings)
    else:
        run = _run_lsbo(spec, settings)
    write_run(spec.path, run)
    return run


def _run_lsbo(spec: RunSpec, settings: Mapping[str, Any]) -> dict[str, Any]:
    module = objectives.load(spec.task)
    objective = module.OBJECTIVE()
    data = task_data(spec.task, spec.n_designs)
    options = make_options(spec.task, spec.options_override)
    model, vae_initial = task_vae(spec.task, spec.vae_seed, spec.n_designs, options, spec.runs_dir)
    start = time.perf_counter()
    strategy = make_strategy(spec.task, spec.strategy, spec.strategy_params)
    optimizer = lsbo.Optimizer(
        objective,
        data.designs,
        scores=data.scores,
        model=model,
        options=options,
        seed=spec.seed,
        strategy=strategy,
    )
    stopped = None
    try:
        result = optimizer.run(spec.budget)
    except lsbo.LsboError as exc:  # e.g. no new valid design left: keep what was found
        result, stopped = optimizer.result(), f"{type(exc).__name__}: {exc}"
        print(f"{spec.task} {spec.name} seed {spec.seed} stopped early: {stopped}", flush=True)
    total = time.perf_counter() - start
    values = [r.value if r.status == "complete" else None for r in result.history]
    best = result.best_design
    seconds = {
        "vae": result.stats.vae_seconds,
        "gp": result.stats.surrogate_seconds,
        "objective": result.stats.objective_seconds,
        "total": total,
        "vae_initial": vae_initial,
    }
    extras = TASKS[spec.task].extras if spec.task in TASKS else None
    return run_record(
        settings,
        values,
        result.maximize,
        best,
        seconds,
        extras([r.design for r in result.history], best) if extras else None,
        stopped,
    )


# ---------------------------------------------------------------------- many runs


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _prepare_vae(spec: RunSpec) -> None:
    options = make_options(spec.task, spec.options_override)
    task_vae(spec.task, spec.vae_seed, spec.n_designs, options, spec.runs_dir)


def _describe(spec: RunSpec, run: Mapping[str, Any]) -> str:
    seconds = run["seconds"]["total"]
    return (
        f"{spec.task} {spec.name} seed {spec.seed}: best {_number(run['best_value'])} after "
        f"{run['n_evaluations']} evaluations ({seconds:.0f} s)"
    )


def run_many(specs: Sequence[RunSpec], jobs: int = 1) -> None:
    """Run every spec whose file is missing or stale, in ``jobs`` processes.

    With ``jobs > 1`` the VAEs of the seeds involved are trained first (one process per
    seed), so that strategies of a seed never train the same VAE twice at once; every
    subprocess runs torch on one thread.
    """
    todo = [spec for spec in specs if not spec.done()]
    print(f"{len(specs) - len(todo)} of {len(specs)} runs already done", flush=True)
    if jobs <= 1:
        for spec in todo:
            print(_describe(spec, run_spec(spec)), flush=True)
        return
    seeds = {(s.task, s.seed, s.n_designs): s for s in todo if s.strategy != "genetic"}
    context = multiprocessing.get_context("spawn")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with concurrent.futures.ProcessPoolExecutor(jobs, context, _one_thread) as pool:
        list(pool.map(_prepare_vae, seeds.values()))
        futures = {pool.submit(run_spec, spec): spec for spec in todo}
        for future in concurrent.futures.as_completed(futures):
            print(_describe(futures[future], future.result()), flush=True)


# -------------------------------------------------------------------------- report


def load_runs(task: str, runs_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The task's run files by strategy label, each list sorted by seed."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((runs_dir / task).glob("*-seed*.json")):
        run = None if path.name.startswith("_") else read_run(path)
        if run is not None and run.get("format") == FORMAT:
            runs.setdefault(run["strategy"], []).append(run)
    ordered = sorted(runs, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))
    return {label: sorted(runs[label], key=lambda r: r["seed"]) for label in ordered}


def mean_se(values: Iterable[float | None]) -> tuple[float, float, int]:
    """Mean, standard error (NaN for one value) and count of the non-missing values."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    if not len(kept):
        return math.nan, math.nan, 0
    se = kept.std(ddof=1) / math.sqrt(len(kept)) if len(kept) > 1 else math.nan
    return float(kept.mean()), float(se), len(kept)


def _at(run: Mapping[str, Any], n: int) -> float | None:
    curve = run["best_so_far"]
    return curve[n - 1] if len(curve) >= n else None


def _reached(value: float | None, threshold: float, maximize: bool) -> bool:
    return value is not None and (value >= threshold if maximize else value <= threshold)


def evaluations_to_reach(run: Mapping[str, Any], threshold: float) -> float:
    """1-based index of the first evaluation whose best-so-far reaches ``threshold``
    (``inf`` if none does)."""
    for i, value in enumerate(run["best_so_far"]):
        if _reached(value, threshold, run["maximize"]):
            return float(i + 1)
    return math.inf


def _number(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}g}"


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _mean_se_cell(values: Sequence[float | None], seeds: int) -> str:
    mean, se, n = mean_se(values)
    if n == 0:
        return "-"
    text = _number(mean) + ("" if math.isnan(se) else f" ± {_number(se, 2)}")
    return text if n == seeds else f"{text} ({n})"


def checkpoints(runs: Mapping[str, list[dict[str, Any]]]) -> list[int]:
    """Budgets shown in the table: the standard ones up to the longest run, and it."""
    longest = max((r["n_evaluations"] for rs in runs.values() for r in rs), default=0)
    shown = [c for c in CHECKPOINTS if c <= longest]
    return shown if longest in shown or not longest else [*shown, longest]


def _reach_cell(runs: Sequence[Mapping[str, Any]], threshold: float) -> str:
    counts = [evaluations_to_reach(r, threshold) for r in runs]
    median = float(np.median(counts))
    reached = sum(math.isfinite(c) for c in counts)
    shown = (
        f"{median:.0f}" if math.isfinite(median) else f"> {min(r['n_evaluations'] for r in runs)}"
    )
    return f"{shown} ({reached}/{len(runs)})"


def _published_cell(task: Task, label: str) -> str:
    if label not in task.published:
        return "-"
    mean, se = task.published[label]
    return f"{mean:.4g} ± {se:.2g}"


def bounded_best(run: Mapping[str, Any], limit: int) -> float | None:
    """The best complete value among designs whose size (``extras["sizes"]``) is at most
    ``limit``, or ``None``."""
    sizes = run["extras"].get("sizes") or []
    kept = [
        v
        for v, size in zip(run["values"], sizes, strict=False)
        if v is not None and size is not None and size <= limit
    ]
    if not kept:
        return None
    return max(kept) if run["maximize"] else min(kept)


def table(
    task: Task, runs: Mapping[str, list[dict[str, Any]]], size_limit: int | None = None
) -> str:
    """The markdown table: one row per strategy."""
    budgets = checkpoints(runs)
    reach = f"evaluations to reach {task.threshold:g}: median (seeds)"
    extras = [header for header, _ in task.extra_columns]
    if size_limit is not None:
        extras.append(f"best with <= {size_limit} {task.size_name}")
    headers = [
        "strategy",
        "seeds",
        *[f"best after {b}" for b in budgets],
        "published (500)",
        reach,
        *extras,
        "VAE s in run",
        "GP s",
        "objective s",
        "total s",
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| --- | " + " | ".join("---:" for _ in headers[1:]) + " |",
    ]
    for label, rs in runs.items():
        cells = [label, str(len(rs))]
        cells += [_mean_se_cell([_at(r, b) for r in rs], len(rs)) for b in budgets]
        cells += [_published_cell(task, label), _reach_cell(rs, task.threshold)]
        for _, key in task.extra_columns:
            cells.append(", ".join(str(r["extras"].get(key, "-")) for r in rs))
        if size_limit is not None:
            cells.append(_mean_se_cell([bounded_best(r, size_limit) for r in rs], len(rs)))
        for part in ("vae", "gp", "objective", "total"):
            cells.append(_seconds(mean_se(r["seconds"].get(part) for r in rs)[0]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- figure


@dataclass
class Curve:
    """Mean best-so-far over seeds after each evaluation, with its standard error."""

    label: str
    evaluations: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    seeds: int


def curves(runs: Mapping[str, list[dict[str, Any]]]) -> list[Curve]:
    """Prepare the plot data: for each strategy, mean and s.e. at each evaluation over the
    seeds whose runs are that long and have a complete value by then."""
    out = []
    for label, rs in runs.items():
        length = max(r["n_evaluations"] for r in rs)
        grid = np.full((len(rs), length), np.nan)
        for i, r in enumerate(rs):
            grid[i, : r["n_evaluations"]] = [np.nan if v is None else v for v in r["best_so_far"]]
        count = np.sum(~np.isnan(grid), axis=0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no value yet
            mean = np.nanmean(grid, axis=0)
            se = np.where(count > 1, np.nanstd(grid, axis=0, ddof=1) / np.sqrt(count), 0.0)
        out.append(Curve(label, np.arange(1, length + 1), mean, se, len(rs)))
    return out


def _color(label: str) -> str:
    """The same colour for a strategy in every figure."""
    palette = [f"C{i}" for i in range(10)]
    index = ORDER.index(label) if label in ORDER else len(ORDER) + sum(map(ord, label))
    return palette[index % len(palette)]


def draw(
    task: Task, data: list[Curve], maximize: bool, data_best: float | None, paths: Sequence[Path]
) -> None:
    """Draw the best-so-far curves, the published results at 500 and the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for curve in data:
        color = _color(curve.label)
        label = f"{curve.label} ({curve.seeds} seed{'s' if curve.seeds > 1 else ''})"
        axes.plot(curve.evaluations, curve.mean, color=color, label=label)
        axes.fill_between(
            curve.evaluations, curve.mean - curve.se, curve.mean + curve.se, color=color, alpha=0.2
        )
    for name, (mean, se) in task.published.items():
        published = f"{name}, published (500)"
        axes.errorbar([500], [mean], [se], fmt="o", color=_color(name), capsize=3, label=published)
    if data_best is not None:
        axes.axhline(data_best, color="grey", linestyle=":", label="best in training data")
    if task.target is not None:
        target = f"lsbo's target ({task.target[0]} {task.target[1]:g})"
        axes.axhline(task.target[1], color="black", linestyle="--", linewidth=0.8, label=target)
    axes.set_xlabel("evaluations")
    axes.set_ylabel(f"best value so far ({'higher' if maximize else 'lower'} is better)")
    axes.set_title(f"{task.name}: best so far, mean ± s.e. over seeds")
    axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    plt.close(figure)


# ---------------------------------------------------------------------------- section


def _seconds_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    by_seed = {  # keyed by the VAE's seed: seeds that share one VAE count it once
        r["settings"].get("vae_seed", r["seed"]): r["seconds"].get("vae_initial")
        for rs in runs.values()
        for r in rs
        if r["seconds"].get("vae_initial") is not None
    }
    if not by_seed:
        return "The shared VAE came from lsbo's cache (its training time is not known here)."
    mean = float(np.mean(list(by_seed.values())))
    if len(by_seed) == 1:
        return f"Training the VAE took {mean:.0f} s; it is not in the per-run times."
    return (
        f"Training the shared VAE took {mean:.0f} s per seed on average ({len(by_seed)} "
        "seeds); it is not in the per-run times."
    )


def _stopped_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    stopped = [
        f"{r['strategy']} seed {r['seed']} after {r['n_evaluations']} ({r['stopped']})"
        for rs in runs.values()
        for r in rs
        if r.get("stopped")
    ]
    return f"Runs that stopped before their budget: {'; '.join(stopped)}." if stopped else ""


def _options_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    first = next(r for rs in runs.values() for r in rs if "options" in r["settings"])
    options = first["settings"]["options"]
    vae = options["vae"]
    return (
        f"Options (the first run file's): latent {options['latent_dim']}, VAE at most "
        f"{vae['epochs']} epochs, batch {options['batch_size']}, {options['n_initial']} "
        f"initial designs, num_restarts {options['num_restarts']}, raw_samples "
        f"{options['raw_samples']}, max_gp_points {options['max_gp_points']}; every run "
        "file holds its full options and strategy settings."
    )


def section(
    task: Task,
    runs: Mapping[str, list[dict[str, Any]]],
    command: str,
    figure: Path,
    heading: str,
    data_text: str,
    size_limit: int | None = None,
) -> str:
    """The RESULTS.md section of a task."""
    maximize = next(iter(runs.values()))[0]["maximize"]
    best = next(iter(runs.values()))[0]["data_best"]
    target = "" if task.target is None else f" lsbo's target: {task.target[0]} {task.target[1]:g}."
    setup = " ".join(
        [
            task.note,
            f"Best value so far, {'maximized' if maximize else 'minimized'}, counts only "
            "designs evaluated in the run (training scores cost no budget and are not "
            f"counted); the best score in the training data is {_number(best)}.",
            f"Cells: mean ± standard error over seeds (a count in brackets when fewer "
            f"runs are that long). Evaluations to reach {task.threshold:g}: the median "
            "over seeds (a seed that never reaches it counts as never), and how many "
            "seeds reached it. Times are means per run, in seconds, without training "
            "the shared VAE; VAE in run is retraining; GP includes the acquisition.",
            _options_note(runs)
            if any("options" in r["settings"] for rs in runs.values() for r in rs)
            else "",
            _seconds_note(runs),
            _stopped_note(runs),
            data_text,
            f"Published: {task.source}.{target}" if task.source else target,
        ]
    )
    relative = os.path.relpath(figure, RESULTS.parent)
    return (
        "\n\n".join(
            [
                heading,
                f"`{command}` on {machine()}, {time.strftime('%Y-%m-%d')}.",
                textwrap.fill(" ".join(setup.split()), 88),
                table(task, runs, size_limit),
                f"![{task.name}: best value so far]({relative})",
            ]
        )
        + "\n"
    )


def _best_rows(task: Task, runs: Mapping[str, list[dict[str, Any]]]) -> str:
    """Each seed's best design where the run stored it (strings only), for the console."""
    lines = []
    for label, rs in runs.items():
        for r in rs:
            shown = r["extras"].get("best_smiles") or r.get("best_design")
            if shown:
                lines.append(
                    f"  {label} seed {r['seed']}: {_number(r['best_value'])}  {shown[:80]}"
                )
    return "\n".join(lines)


def report(
    task: Task,
    runs_dir: Path,
    figures_dir: Path,
    command: str,
    write: bool = True,
    heading: str | None = None,
) -> str | None:
    """Build the table, the figure and the RESULTS.md section from a task's run files."""
    runs = load_runs(task.name, runs_dir)
    if not runs:
        print(f"no run files in {runs_dir / task.name}")
        return None
    first = next(iter(runs.values()))[0]
    data = task_data(task.name, first["settings"]["data"]["n"])
    data_text = "" if task.data_note is None else task.data_note(data)
    size_limit = None if task.size_limit is None else task.size_limit(data)
    figure = figures_dir / f"{task.name}.png"
    draw(
        task,
        curves(runs),
        first["maximize"],
        first["data_best"],
        [figure, figure.with_suffix(".svg")],
    )
    heading = heading or f"## {task.title}"
    text = section(task, runs, command, figure, heading, data_text, size_limit)
    print(text)
    print(_best_rows(task, runs))
    print(f"figure: {figure}")
    if write:
        write_section(heading, text)
        print(f"written to {RESULTS}")
    return text


# ------------------------------------------------------------------------------- CLI


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> 0..4, ``"0,2,5"`` -> those, ``"3"`` -> [3]."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def parse_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["weighted-retraining.period=5"]`` -> ``{"weighted-retraining": {"period": 5}}``."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        key, _, raw = item.partition("=")
        strategy, _, name = key.rpartition(".")
        if not strategy or not raw:
            raise SystemExit(
                f"--param {item!r}: write STRATEGY.FIELD=VALUE, e.g. weighted-retraining.period=5"
            )
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        params.setdefault(strategy, {})[name] = value
    return params


def parser(task: Task, description: str) -> argparse.ArgumentParser:
    """The command-line flags every task script shares."""
    cli = argparse.ArgumentParser(description=description)
    strategies = ",".join(task.default_strategies)
    cli.add_argument("--strategies", default=strategies, help="comma-separated: %(default)s")
    cli.add_argument("--seeds", default="0-2", help="e.g. 0-4 or 0,3 (default: %(default)s)")
    cli.add_argument("--budget", type=int, default=500, help="evaluations per run")
    quick = (
        f"{QUICK_BUDGET} evaluations, seeds 0-1, light VAE and search, files under "
        "benchmarks/runs-quick and figures-quick, RESULTS.md left alone"
    )
    cli.add_argument("--quick", action="store_true", help=quick)
    cli.add_argument("--report-only", action="store_true", help="report the existing files")
    cli.add_argument("--jobs", type=int, default=1, help="runs in parallel subprocesses")
    cli.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="STRATEGY.FIELD=VALUE",
        help="a strategy setting, e.g. weighted-retraining.period=5 (repeatable)",
    )
    cli.add_argument(
        "--no-reencode",
        action="store_true",
        help="the GP learns from the acquisition's points, not the decoded designs' "
        "encodings (OptimizerOptions.reencode=False); runs are labelled STRATEGY-no-reencode",
    )
    cli.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="Q",
        help="proposals per GP fit (OptimizerOptions.batch_size; trust regions draw them by "
        "Thompson sampling, the others by sequential greedy qLogEI); runs are labelled "
        "STRATEGY-qQ",
    )
    cli.add_argument("--write", action="store_true", help="write RESULTS.md even with --quick")
    cli.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    return cli


def main(task: Task, description: str, argv: Sequence[str] | None = None) -> None:
    """Run the task's (strategy, seed) pairs that are missing, then report them."""
    args = parser(task, description).parse_args(argv)
    quick = args.quick
    runs_dir = ROOT / ("runs-quick" if quick else "runs")
    figures_dir = ROOT / ("figures-quick" if quick else "figures")
    if not args.report_only:
        run_many(specs(task, args, runs_dir), args.jobs)
    script = Path(sys.argv[0]).name
    command = " ".join(
        ["python", f"benchmarks/{script}", *(argv if argv is not None else sys.argv[1:])]
    )
    write = (args.write or not quick) and not args.no_write
    heading = f"## {task.title} (quick check)" if quick else None
    report(task, runs_dir, figures_dir, command, write=write, heading=heading)


def run_label(strategy: str, args: argparse.Namespace) -> str | None:
    """The name of a run with non-default search settings (``None``: the strategy's)."""
    suffixes = []
    if args.no_reencode:
        suffixes.append("no-reencode")
    if args.batch_size is not None and strategy != "genetic":
        suffixes.append(f"q{args.batch_size}")
    return "-".join([strategy, *suffixes]) if suffixes else None


def quick_options(task: Task) -> dict[str, Any]:
    """The search (and VAE) settings of ``--quick`` runs."""
    return {**QUICK_OPTIONS, "vae": dict(task.quick_vae)} if task.quick_vae else QUICK_OPTIONS


def specs(task: Task, args: argparse.Namespace, runs_dir: Path) -> list[RunSpec]:
    """The runs a command line asks for."""
    strategies = [s for s in args.strategies.split(",") if s]
    seeds = list(QUICK_SEEDS) if args.quick and args.seeds == "0-2" else parse_seeds(args.seeds)
    budget = QUICK_BUDGET if args.quick and args.budget == 500 else args.budget
    params = {k: dict(v) for k, v in task.strategy_params.items()}
    if args.quick:
        for k, v in QUICK_STRATEGY_PARAMS.items():
            params[k] = {**params.get(k, {}), **v}
    for k, v in parse_params(args.param).items():
        params[k] = {**params.get(k, {}), **v}
    override = dict(quick_options(task)) if args.quick else {}
    if args.no_reencode:
        override["reencode"] = False
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise SystemExit(f"--batch-size {args.batch_size}: give a positive number")
        override["batch_size"] = args.batch_size
    return [
        RunSpec(
            task=task.name,
            strategy=strategy,
            seed=seed,
            budget=budget,
            runs_dir=runs_dir,
            label=run_label(strategy, args),
            options_override=override,
            strategy_params=params.get(strategy, {}),
            n_designs=task.quick_designs if args.quick else None,
        )
        for strategy in strategies
        for seed in seeds
    ]
