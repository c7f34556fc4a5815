"""A user's own small tasks, run as a newcomer would: default settings, nothing tuned.

Two tasks nobody tuned lsbo for, each given as a plain function and a few hundred
unscored designs (the examples' made-up assays):

- ``gc-assay`` (strings, ``examples/custom_function.py``): 300 AT-rich strings of
  length 8-12; the score rewards G and C and punishes runs; budget 60.
- ``heat-sink`` (16x16 binary images, ``examples/custom_image.py``): 300 base plates
  with a few stubby fins (best about 0.09); tall thin fins score far more (0.74);
  budget 150.

Each strategy runs ``lsbo.optimize(f, designs, budget=B, seed=s, strategy=name)``
with lsbo's default options, nothing else; every seed trains its own VAE once (shared
by the strategies through lsbo's model cache). The table gives the best value after
each checkpoint, mean ± standard error over seeds, against the best training design
(which the run does not know: the designs come unscored) and what lsbo warned about
its VAE. Each finished run is a JSON file under ``benchmarks/runs/own``, so an
interrupted benchmark keeps what it ran and ``--report-only`` reports it.

Run: OMP_NUM_THREADS=1 python benchmarks/own_tasks.py [--tasks gc-assay] [--seeds 0-2]
     [--strategies "plain;plain:mutants=256;random"] [--jobs 2] [--report-only] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _results import machine, write_section
from harness import parse_seeds
from harness.reporting import machines_note
from harness.stats import best_so_far, mean_se

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

import custom_function  # noqa: E402  (examples/, on the path above)
import custom_image  # noqa: E402

RUNS = HERE / "runs" / "own"
HEADING = "## A user's own small tasks: default settings, nothing tuned"
STRATEGIES = (
    "plain",
    "plain:mutants=0",
    "trust-region",
    "trust-region:mutants=256",
    "lol-bo",
    "random",
    "genetic",
    "screening",
)  # NAME or NAME:FIELD=VALUE,...: a strategy with settings of its own


def strategy_of(spec: str) -> Any:
    """The strategy ``NAME`` or ``NAME:FIELD=VALUE,...`` (values read as JSON)."""
    import lsbo

    name, _, fields = spec.partition(":")
    settings = dict(field.split("=", 1) for field in fields.split(",") if field)
    values = {}
    for key, text in settings.items():
        try:
            values[key] = json.loads(text)
        except ValueError:
            raise SystemExit(
                f"{spec}: {key}={text} is not a JSON value (true, false, numbers, "
                '"strings" in double quotes)'
            ) from None
    return lsbo.strategies.get_strategy(name, **values)


@dataclass(frozen=True)
class OwnTask:
    """A function, its unscored designs and the budget a user would give it."""

    name: str
    function: Callable[[Any], float]
    designs: Callable[[], list[Any]]
    budget: int
    checkpoints: tuple[int, ...]
    what: str


TASKS = {
    "gc-assay": OwnTask(
        "gc-assay", custom_function.assay, lambda: custom_function.training_designs(300),
        60, (10, 25, 40, 60), "300 AT-rich strings over ACGT, length 8-12 (strings)",
    ),
    "heat-sink": OwnTask(
        "heat-sink", custom_image.heat_sink, lambda: custom_image.training_images(300),
        150, (10, 25, 50, 100, 150), "300 16x16 binary heat sinks with stubby fins (images)",
    ),
}  # fmt: skip


def run_file(task: str, strategy: str, seed: int) -> Path:
    """Where a run is stored: ``plain:explore=0.2,explore_from="children"`` is
    ``<task>-plain-explore0.2-explore_fromchildren-seed<seed>.json`` (no quotes)."""
    label = strategy.replace(":", "-").replace("=", "").replace(",", "-").replace('"', "")
    return RUNS / f"{task}-{label}-seed{seed}.json"


def run_one(task_name: str, strategy: str, seed: int) -> dict[str, Any]:
    """One run of ``lsbo.optimize`` with the defaults; stored and returned."""
    import torch

    import lsbo

    torch.set_num_threads(1)
    task = TASKS[task_name]
    designs = task.designs()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", lsbo.exceptions.PoorVAEWarning)
        try:
            result = lsbo.optimize(
                task.function, designs, budget=task.budget, seed=seed,
                strategy=strategy_of(strategy),
            )  # fmt: skip
            values = [r.value for r in result.history]
            error = None
        except lsbo.LsboError as exc:  # e.g. screening out of designs: say so
            values, error = [], f"{type(exc).__name__}: {exc}"
    run = {
        "task": task_name,
        "strategy": strategy,
        "seed": seed,
        "values": values,
        "seconds": time.perf_counter() - start,
        "error": error,
        "warnings": sorted({str(w.message) for w in caught if "VAE" in type(w.message).__name__}),
        "best_training": max(task.function(d) for d in designs),
        "machine": machine(),
    }
    RUNS.mkdir(parents=True, exist_ok=True)
    run_file(task_name, strategy, seed).write_text(json.dumps(run, indent=1))
    return run


def load_runs() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(RUNS.glob("*.json"))]


def _fmt(mean: float, se: float, n: int) -> str:
    return f"{mean:.3f} ± {se:.3f}" if n > 1 else (f"{mean:.3f}" if n else "-")


def _by_row(runs: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The runs by table row: task and strategy."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        rows.setdefault(f"{r['task']} `{r['strategy']}`", []).append(r)
    return rows


def report(runs: Sequence[dict[str, Any]]) -> str:
    """The RESULTS.md section: a table per task, best so far at each checkpoint."""
    lines = [
        HEADING, "",
        "Each run is `lsbo.optimize(f, designs, budget=B, seed=s, strategy=NAME)` with the "
        "default options (no scores given, nothing tuned), one thread. Best value after "
        "N evaluations, mean ± standard error over seeds (larger is better); 'beats data' "
        "counts seeds whose best beats the best training design (unknown to the run). "
        f"Command: `OMP_NUM_THREADS=1 python benchmarks/own_tasks.py --jobs 2`. The report "
        f"was written on {machine()}. {machines_note(_by_row(runs))}", "",
        "`plain` is the default, which ranks 256 design-space children of the best designs "
        "beside its decoded latent optima. The rows `plain` and `genetic` were run again on "
        "2026-12-05 (`--tasks gc-assay,heat-sink --strategies \"plain;genetic\" --redo`), "
        "after sequences' children got translocations and parents among equal values the "
        "newest (drift); the other rows are older (the same operators without them). "
        "On heat-sink, `plain` and `genetic` seeds 3 and 4 and `plain:generations=3` "
        "(seeds 0 to 4, `--redo`) were run on 2026-12-06 with the same operators. "
        "`plain:mutants=0` is the former default, the latent optima alone. Rows after "
        "`screening` are settings tried beside the default (`NAME:FIELD=VALUE`, read as "
        "JSON); `adaptive=true` learns the share of unranked children from the run "
        "(`Plain.adaptive`, the expression task's setting; measured here on 2026-12-06, "
        "not the library default).", "",
    ]  # fmt: skip
    for task in TASKS.values():
        mine = [r for r in runs if r["task"] == task.name]
        if not mine:
            continue
        best_data = mine[0]["best_training"]
        marks = [f"after {n}" for n in task.checkpoints]
        lines += [
            f"**{task.name}**: {task.what}; budget {task.budget}; best training design "
            f"{best_data:.3f}.", "",
            "| strategy | seeds | " + " | ".join(marks) + " | beats data | seconds a run |",
            "| --- | ---: | " + " | ".join("---:" for _ in marks) + " | ---: | ---: |",
        ]  # fmt: skip
        present = {r["strategy"] for r in mine}  # the listed ones first, then the others
        for strategy in [s for s in STRATEGIES if s in present] + sorted(present - set(STRATEGIES)):
            these = [r for r in mine if r["strategy"] == strategy]
            curves = [best_so_far(r["values"], True) for r in these]
            cells = []
            for n in task.checkpoints:
                at = [c[n - 1] for c in curves if len(c) >= n and c[n - 1] is not None]
                cells.append(_fmt(*mean_se(at)))
            finals = [c[-1] for c in curves if c and c[-1] is not None]
            beats = sum(v > best_data for v in finals)
            seconds = mean_se(r["seconds"] for r in these)[0]
            label = f"`{strategy}`" + (" (default)" if strategy == "plain" else "")
            lines.append(
                f"| {label} | {len(these)} | " + " | ".join(cells)
                + f" | {beats} of {len(these)} | {seconds:.0f} |"
            )  # fmt: skip
        notes = sorted({w for r in mine for w in r["warnings"]})
        errors = sorted(
            {f"{r['strategy']} seed {r['seed']}: {r['error']}" for r in mine if r["error"]}
        )
        lines += [""] + [f"- lsbo warned: {w}" for w in notes] + [f"- {e}" for e in errors]
        lines += [""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--strategies", default=";".join(STRATEGIES), help="';'-separated")
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--redo", action="store_true", help="run again what has a file")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    todo = [
        (t, s, seed)
        for seed in parse_seeds(args.seeds)
        for t in args.tasks.split(",")
        for s in args.strategies.split(";")
        if args.redo or not run_file(t, s, seed).exists()
    ]
    if not args.report_only:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for run in pool.map(run_one, *zip(*todo, strict=True)) if todo else []:
                best = max((v for v in run["values"] if v is not None), default=None)
                print(f"{run['task']} {run['strategy']} seed {run['seed']}: best {best} "
                      f"in {run['seconds']:.0f} s", flush=True)  # fmt: skip
    text = report(load_runs())
    print(text)
    if not args.no_write:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
