"""Running benchmarks: one (task, strategy, seed) run into its run file, or many at once.

The VAE of a (task, seed) is trained once, through lsbo's VAE cache, and shared by every
strategy of that seed; a run whose file already holds the same settings is not redone.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lsbo
import objectives
from lsbo.models import cached_vae, default_cache_dir, fingerprint
from lsbo.records import ProposalState

from .reporting import number
from .runfiles import ROOT, is_done, read_run, run_path, run_record, write_run
from .tasks import (
    TASKS,
    data_settings,
    jsonable,
    make_options,
    make_strategy,
    strategy_settings,
    task_data,
)


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
        if self.strategy == "holo-genetic":
            from genetic import genetic_settings

            method = genetic_settings(self)
        else:
            method = {
                "strategy": strategy_settings(self.task, self.strategy, self.strategy_params),
                "options": jsonable(
                    dataclasses.asdict(make_options(self.task, self.options_override))
                ),
            }
        return jsonable(
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
        strategy: An lsbo strategy name, or ``"holo-genetic"`` (``genetic.py``).
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
    if spec.strategy == "holo-genetic":
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
    values = [r.value if r.status == ProposalState.COMPLETE else None for r in result.history]
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
        sources=[r.source.value for r in result.history],
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
        f"{spec.task} {spec.name} seed {spec.seed}: best {number(run['best_value'])} after "
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
    seeds = {(s.task, s.seed, s.n_designs): s for s in todo if s.strategy != "holo-genetic"}
    context = multiprocessing.get_context("spawn")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with concurrent.futures.ProcessPoolExecutor(jobs, context, _one_thread) as pool:
        list(pool.map(_prepare_vae, seeds.values()))
        futures = {pool.submit(run_spec, spec): spec for spec in todo}
        for future in concurrent.futures.as_completed(futures):
            print(_describe(futures[future], future.result()), flush=True)
