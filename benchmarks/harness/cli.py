"""The command line every task script shares: run the missing runs, then report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .reporting import report
from .runfiles import ROOT
from .runner import RunSpec, run_many
from .tasks import QUICK_BUDGET, QUICK_SEEDS, QUICK_STRATEGY_PARAMS, Task, quick_options


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
        "Thompson sampling, the others by joint qLogEI); runs are labelled STRATEGY-qQ",
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
    given = parse_params(args.param).get(strategy, {})
    suffixes += [f"{key}{given[key]}" for key in sorted(given)]
    if args.batch_size is not None and strategy != "holo-genetic":
        suffixes.append(f"q{args.batch_size}")
    return "-".join([strategy, *suffixes]) if suffixes else None


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
