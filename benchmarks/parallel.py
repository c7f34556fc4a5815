"""Parallel evaluation: one run with 1 worker and with 4, side by side, in one process.

The objective sleeps 1 s per design (a stand-in for a simulation or a lab step) and
counts the 'a's of a string. With 4 evaluations in flight a run approaches 4x the
evaluations per minute, until proposing (GP fit + qLogEI, on the optimizer's thread)
cannot keep the workers busy. The VAE is trained once and shared by every run.

    python benchmarks/parallel.py [--budget 24] [--workers 4] [--sleep 1] [--no-dask]

Prints a markdown table and writes it into benchmarks/RESULTS.md, under the heading
"## Parallel evaluation" (replaced if present, other sections kept).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import textwrap
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from _results import machine, publish  # benchmarks/ is on the path when run

from lsbo import Optimizer, OptimizerOptions
from lsbo.execution import DaemonThreadExecutor
from lsbo.models import TrainingOptions, fit_new_vae

HEADING = "## Parallel evaluation"
OPTIONS = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
SLEEP = 1.0  # seconds per design


def toy_strings(n: int = 1500, seed: int = 0) -> list[str]:
    """Distinct random strings over 'abcd' of length 3-8 with at most two 'a's."""
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        s = "".join(rng.choice("abcd") for _ in range(rng.randint(3, 8)))
        if s.count("a") <= 2:
            out.add(s)
    return sorted(out)


def slow_count_a(design: str, sleep: float = SLEEP) -> float:
    time.sleep(sleep)
    return float(design.count("a"))


@dataclass
class Row:
    workers: int
    executor: str
    wall: float | None = None
    surrogate: float | None = None
    waiting: float | None = None
    best: float | None = None
    note: str = ""


def timed_run(
    designs: list[str], model: Any, budget: int, sleep: float, executor: Any, row: Row
) -> Row:
    start = time.perf_counter()
    optimizer = Optimizer(partial(slow_count_a, sleep=sleep), designs, model=model, options=OPTIONS)
    result = optimizer.run(budget, executor=executor)
    row.wall = time.perf_counter() - start
    row.surrogate = result.stats.surrogate_seconds
    row.waiting = result.stats.objective_seconds
    row.best = result.best_value
    assert len(result.history) == budget and len({r.design for r in result.history}) == budget
    return row


def dask_row(designs: list[str], model: Any, args: argparse.Namespace) -> Row:
    row = Row(args.workers, f"dask LocalCluster ({args.workers} x 1 thread)")
    try:
        import distributed
    except ImportError:
        row.note = "not run: dask.distributed is not installed"
        return row
    start = time.perf_counter()
    try:
        cluster = distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            timeout="90s",
        )
    except Exception as exc:  # a cluster that does not start is a result, not a crash
        row.note = f"not run: the cluster did not start ({type(exc).__name__})"
        return row
    row.note = f"cluster start {time.perf_counter() - start:.1f} s, not in wall time"
    with cluster, distributed.Client(cluster) as client:
        return timed_run(designs, model, args.budget, args.sleep, client, row)


def table(rows: list[Row], budget: int) -> str:
    base = rows[0].wall
    lines = [
        "| workers | executor | wall s | evaluations/min | speed-up vs 1 "
        "| GP+acquisition s | objective wait s | best | note |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if r.wall is None:
            lines.append(f"| {r.workers} | {r.executor} | - | - | - | - | - | - | {r.note} |")
            continue
        speedup = f"{base / r.wall:.2f}x" if base else "-"
        lines.append(
            f"| {r.workers} | {r.executor} | {r.wall:.1f} | {60 * budget / r.wall:.1f} "
            f"| {speedup} | {r.surrogate:.1f} | {r.waiting:.1f} | {r.best:g} | {r.note} |"
        )
    return "\n".join(lines)


def section(rows: list[Row], args: argparse.Namespace, vae_seconds: float, host: str) -> str:
    command = " ".join(["python benchmarks/parallel.py", *sys.argv[1:]])
    setup = (
        f"Toy strings over 'abcd' (1500, at most two 'a's); objective: the number of 'a's "
        f"after a {args.sleep:g} s sleep per design; budget {args.budget} "
        f"({OPTIONS.n_initial} random initial designs, then qLogEI with "
        f"num_restarts={OPTIONS.num_restarts}, raw_samples={OPTIONS.raw_samples}, "
        f"mc_samples={OPTIONS.mc_samples}); seed 0. One VAE (latent 8, 30 epochs, "
        f"{vae_seconds:.0f} s to train) serves every run. Wall time covers building the "
        "optimizer and the run. GP+acquisition is `stats.surrogate_seconds`, spent on the "
        "optimizer's thread (while the workers evaluate, when there are workers); "
        "objective wait is `stats.objective_seconds`, the time it spent blocked on "
        "evaluations. Best: the best value found (one seed: not a comparison of quality)."
    )
    return (
        "\n\n".join(
            [
                HEADING,
                f"`{command}` on {host}, {time.strftime('%Y-%m-%d')}.",
                textwrap.fill(setup, 88),
                table(rows, args.budget),
            ]
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=24)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=SLEEP)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    host = machine()  # the load average before this benchmark adds to it
    designs = toy_strings()
    start = time.perf_counter()
    model, _ = fit_new_vae(designs, latent_dim=8, options=TrainingOptions(epochs=30), seed=0)
    vae_seconds = time.perf_counter() - start

    run = partial(timed_run, designs, model, args.budget, args.sleep)
    rows = [run(None, Row(1, "none (this thread)"))]
    print(table(rows, args.budget), flush=True)
    threads = Row(args.workers, f"DaemonThreadExecutor({args.workers})")
    rows.append(run(DaemonThreadExecutor(args.workers), threads))
    print(table(rows, args.budget), flush=True)
    if not args.no_dask:
        rows.append(dask_row(designs, model, args))
    text = section(rows, args, vae_seconds, host)
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
