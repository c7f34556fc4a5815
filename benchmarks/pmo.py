"""Molecules, PMO protocol: lsbo against Graph GA, screening and random prior samples.

GuacaMol's tasks under the protocol of PMO (Gao et al. 2022, "Sample Efficiency
Matters"): every method starts from molecules whose scores it does not know, every new
molecule scored is an oracle call counted against the budget, and the metric is the
area under the curve of the top-10 average over the calls (``harness.stats.auc_top_k``:
read every 100 calls, a run that stops early keeps its last value), reported beside the
best value found.

Methods, same budget and seeds:

- lsbo strategies by name (``plain``, lsbo's default, ``lol-bo``, ...): the task's
  default options and the molecule VAE shipped with lsbo (seed 0's, as the paper's
  methods share one pretrained model), the 20,000 vendored MOSES molecules given
  without scores, so that the first ``n_initial`` (10) evaluations are random
  training molecules, paid for like every other call;
- ``screening``: lsbo's strategy of that name, the vendored molecules in a random
  order (PMO's baseline);
- ``random``: lsbo's strategy of that name, decoded samples of the VAE's prior;
- ``graph-ga``: Jensen's Graph GA with PMO's settings (``benchmarks/graph_ga.py``),
  starting from 120 random vendored molecules.

Where ours differ from PMO: the molecule pool is 20,000 MOSES molecules (PMO: ZINC
250k), lsbo's VAE is a SELFIES GRU VAE trained on them, and the default budget is
1,000 calls (PMO: 10,000).

    python benchmarks/pmo.py [--tasks osimertinib-mpo,...]
        [--methods plain,graph-ga,screening,random] [--seeds 0-2] [--budget 1000]
        [--batch-size 10] [--jobs 1] [--report-only] [--no-write] [--quick]

Runs go to ``benchmarks/runs/pmo/<budget>/<task>/<method>-seed<seed>.json`` (a run whose file
holds the same settings is not redone); the report goes to the "Molecules, PMO protocol"
section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import harness  # benchmarks/ is on the path when run
import numpy as np
from _results import machine, write_section
from graph_ga import GraphGAOptions, graph_ga
from harness.reporting import cpu_of
from harness.tasks import jsonable

import lsbo
import objectives
from lsbo.models import cached_vae, default_cache_dir
from lsbo.records import ProposalState
from objectives import _molecules

TASKS = (
    "osimertinib-mpo",
    "fexofenadine-mpo",
    "ranolazine-mpo",
    "perindopril-mpo",
    "amlodipine-mpo",
    "zaleplon-mpo",
    "valsartan-smarts",
    "rediscovery-celecoxib",
)
METHODS = ("plain", "graph-ga", "screening", "random")
RUNS = harness.ROOT / "runs" / "pmo"
HEADING = "## Molecules, PMO protocol"
VAE_SEED = 0
TOP = 10
# AUC top-10 after 10,000 calls, mean over 5 seeds: PMO's leaderboard data (Gao et al.
# 2022; pmo-benchmark.github.io, Mol_Opt.xlsx), NF-BO from its paper (Lee et al., ICLR
# 2025, appendix table 2)
PUBLISHED_METHODS = ("Graph GA", "GP-BO", "SELFIES-VAE-BO", "screening", "NF-BO")
PUBLISHED = {
    "osimertinib-mpo": (0.831, 0.787, 0.765, 0.764, 0.828),
    "fexofenadine-mpo": (0.760, 0.722, 0.670, 0.666, 0.784),
    "ranolazine-mpo": (0.728, 0.735, 0.452, 0.411, 0.698),
    "perindopril-mpo": (0.538, 0.493, 0.429, 0.445, 0.586),
    "amlodipine-mpo": (0.661, 0.583, 0.516, 0.535, 0.672),
    "zaleplon-mpo": (0.346, 0.221, 0.206, 0.072, 0.504),
    "valsartan-smarts": (0.000, 0.000, 0.001, 0.000, 0.594),
    "rediscovery-celecoxib": (0.630, 0.723, 0.326, 0.351, 0.546),
}


def _settings(task: str, method: str, seed: int, budget: int, batch_size: int) -> dict[str, Any]:
    if method == "graph-ga":
        how: dict[str, Any] = {"graph_ga": dataclasses.asdict(GraphGAOptions())}
    else:
        module = objectives.load(task)
        options = dataclasses.replace(module.default_options(), batch_size=batch_size)
        strategy = objectives.strategy(module, method)
        how = {
            "strategy": strategy.settings(),
            "options": jsonable(dataclasses.asdict(options)),
            "vae_seed": VAE_SEED,
        }
    return jsonable(
        {"protocol": "pmo", "task": task, "method": method, "seed": seed, "budget": budget, **how}
    )


def run(task: str, method: str, seed: int, budget: int, batch_size: int) -> dict[str, Any]:
    """One run (or the stored one with the same settings); returns its record."""
    settings = _settings(task, method, seed, budget, batch_size)
    path = RUNS / str(budget) / task / f"{method}-seed{seed}.json"
    if harness.is_done(path, settings):
        return harness.read_run(path) or {}
    start = time.perf_counter()
    module = objectives.load(task)
    objective = module.OBJECTIVE()
    # every method starts from the vendored molecules, unscored: reading them spares the
    # GuacaMol tasks' datasets from scoring all 20,000 only to drop the scores
    designs = list(_molecules.table()["selfies"])
    stopped, gp_seconds = None, None
    if method == "graph-ga":

        def score(batch: list[str]) -> list[float | None]:
            return [e.value if e.status == "complete" else None for e in objective(batch)]

        result = graph_ga(score, designs, budget, seed)
        values, evaluated, stopped = result.values, result.designs, result.stopped
    else:
        options = dataclasses.replace(module.default_options(), batch_size=batch_size)
        codec = module.make_codec(designs)
        vae, _ = cached_vae(
            default_cache_dir(), designs, codec, options.latent_dim, options.vae, VAE_SEED,
            task, pretrained=[objectives.PRETRAINED],
        )  # fmt: skip
        optimizer = lsbo.Optimizer(
            objective, designs, scores=None, model=vae, options=options, seed=seed,
            strategy=objectives.strategy(module, method),
        )  # fmt: skip
        try:
            outcome = optimizer.run(budget)
        except lsbo.LsboError as exc:  # e.g. nothing new left: keep what was found
            outcome, stopped = optimizer.result(), f"{type(exc).__name__}: {exc}"
        history = outcome.history
        values = [r.value if r.status == ProposalState.COMPLETE else None for r in history]
        evaluated = [r.design for r in history]
        gp_seconds = outcome.stats.surrogate_seconds
    complete = [(v, d) for v, d in zip(values, evaluated, strict=True) if v is not None]
    best_value, best_design = max(complete, default=(None, None), key=lambda vd: vd[0])
    record = {
        "format": harness.FORMAT,
        "task": task,
        "strategy": method,
        "seed": seed,
        "budget": budget,
        "maximize": True,
        "n_evaluations": len(values),
        "values": values,
        "best_value": best_value,
        "best_design": best_design,
        "auc_top10": harness.auc_top_k(values, budget, k=TOP),
        "stopped": stopped,
        "seconds": {"total": time.perf_counter() - start, "gp": gp_seconds},
        "git": harness.runfiles.git_version(),
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": settings,
    }
    harness.write_run(path, record)
    return record


def _one(args: tuple[str, str, int, int, int]) -> str:
    import torch

    torch.set_num_threads(1)
    record = run(*args)
    task, method, seed = args[:3]
    return (
        f"{task} {method} seed {seed}: AUC top-10 {record['auc_top10']:.3f}, best "
        f"{harness.number(record['best_value'])} after {record['n_evaluations']} calls "
        f"({record['seconds']['total']:.0f} s)"
    )


# ---------------------------------------------------------------------------- report


def _cell(values: Sequence[float | None], bold: bool = False) -> str:
    mean, se, n = harness.mean_se(values)
    if not n:
        return "-"
    text = f"{mean:.3f}" + ("" if n == 1 else f" ± {se:.3f}") + f" ({n})"
    return f"**{text}**" if bold else text


def _runs(task: str, method: str, budget: int) -> list[dict[str, Any]]:
    folder = RUNS / str(budget) / task
    found = [harness.read_run(path) for path in sorted(folder.glob(f"{method}-seed*.json"))]
    return [r for r in found if r and r.get("budget") == budget]


def _machines() -> str:
    """The machines the stored runs were made on (their cores and CPU), as a list."""
    found = {cpu_of(record) for path in RUNS.rglob("*.json") if (record := harness.read_run(path))}
    return ", ".join(sorted(found)) or "no recorded machine"


def _tables(tasks: Sequence[str], methods: Sequence[str], budget: int) -> list[str]:
    """AUC top-10 and best value after ``budget`` calls, a row per task with runs."""
    runs = {(t, m): _runs(t, m, budget) for t in tasks for m in methods}
    shown = [t for t in tasks if any(runs[t, m] for m in methods)]
    lines: list[str] = []
    for title, key in ((f"AUC top-{TOP}", "auc_top10"), ("best value", "best_value")):
        lines += [f"{title} after {budget:,} calls:", ""]
        lines += ["| task | " + " | ".join(methods) + " |"]
        lines += ["| --- |" + " ---: |" * len(methods)]
        for task in shown:
            means = {m: harness.mean_se([r[key] for r in runs[task, m]])[0] for m in methods}
            top = max((v for v in means.values() if not np.isnan(v)), default=None)
            cells = [_cell([r[key] for r in runs[task, m]], means[m] == top) for m in methods]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _stored_methods(budget: int) -> list[str]:
    """The methods with run files at ``budget`` calls, sorted."""
    return sorted({p.name.rsplit("-seed", 1)[0] for p in (RUNS / str(budget)).rglob("*.json")})


def report(tasks: Sequence[str], methods: Sequence[str], budget: int) -> str:
    """The section's Markdown: AUC top-10 and best value per task and method after
    ``budget`` calls (``methods``, then any other with stored runs at that budget),
    then the same for the other budgets that have runs (e.g. PMO's 10,000), then the
    published numbers."""
    methods = [*methods, *(m for m in _stored_methods(budget) if m not in methods)]
    lines = [
        HEADING,
        "",
        f"`python benchmarks/pmo.py --budget {budget}`, report of "
        f"{time.strftime('%Y-%m-%d')}; the runs were made on {_machines()}, one "
        "thread each.",
        "",
        "PMO's protocol (Gao et al. 2022): no method knows a score it did not pay for; "
        f"AUC of the top-{TOP} average over the oracle calls (read every 100 calls; a "
        "run that stops early keeps its last value), mean ± standard error (seeds in "
        "brackets). lsbo runs search the shipped molecule VAE (seed 0) with the task's "
        "default options and strategy settings (`plain`: Graph GA children of the 10 "
        "best molecules, ranked by the GP's qLogEI alone; `random`: decoded samples of "
        "the VAE's prior; `genetic`: the same children of the 10 best, unranked), 10 random "
        "training molecules first, 10 proposals per step; "
        "Graph GA starts from 120. The molecule pool is the 20,000 vendored MOSES "
        "molecules (PMO: ZINC 250k).",
        "",
        *_tables(tasks, methods, budget),
    ]
    others = sorted(int(p.name) for p in RUNS.glob("*") if p.name.isdigit() and p.is_dir())
    for other in (b for b in others if b != budget):
        lines += [
            f"The runs at {other:,} calls:",
            "",
            *_tables(tasks, _stored_methods(other), other),
        ]
    lines += [
        "Published, AUC top-10 after 10,000 calls (5 seeds; PMO's leaderboard data, "
        "pmo-benchmark.github.io; NF-BO: Lee et al., ICLR 2025, appendix table 2). "
        "Rediscovery is GuacaMol's count-fingerprint version there; lsbo's "
        "`rediscovery-celecoxib` uses bit fingerprints.",
        "",
        "| task | " + " | ".join(PUBLISHED_METHODS) + " |",
        "| --- |" + " ---: |" * len(PUBLISHED_METHODS),
    ]
    for task in tasks:
        if task in PUBLISHED:
            lines.append(f"| {task} | " + " | ".join(f"{v:.3f}" for v in PUBLISHED[task]) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--tasks", default=",".join(TASKS))
    cli.add_argument("--methods", default=",".join(METHODS))
    cli.add_argument("--seeds", default="0-2")
    cli.add_argument("--budget", type=int, default=1000)
    cli.add_argument("--batch-size", type=int, default=10)
    cli.add_argument("--jobs", type=int, default=1)
    cli.add_argument("--report-only", action="store_true")
    cli.add_argument("--no-write", action="store_true", help="print the report only")
    cli.add_argument(
        "--quick",
        action="store_true",
        help="check end to end: one task, seed 0, 20 calls, files under runs-quick, no write",
    )
    args = cli.parse_args(argv)
    if args.quick:
        global RUNS
        RUNS = harness.ROOT / "runs-quick" / "pmo"
        args.tasks, args.seeds, args.budget, args.no_write = "zaleplon-mpo", "0", 20, True
    tasks, methods = args.tasks.split(","), args.methods.split(",")
    for task in tasks:
        objectives.load(task)  # an unknown name fails here, before any run
    todo = [
        (task, method, seed, args.budget, args.batch_size)
        for seed in harness.parse_seeds(args.seeds)
        for task in tasks
        for method in methods
    ]
    if not args.report_only:
        if args.jobs > 1:
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(args.jobs, context) as pool:
                for line in pool.map(_one, todo):
                    print(line, flush=True)
        else:
            for item in todo:
                print(_one(item), flush=True)
    text = report(tasks, methods, args.budget)
    print(text)
    if not args.no_write:
        write_section(HEADING, text + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
