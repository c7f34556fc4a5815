"""How well lsbo's default VAE and search do on each built-in objective.

For every objective (or those named): train the default VAE on the task's dataset with
its ``default_options()`` (through lsbo's VAE cache, so a later ``lsbo run NAME`` reuses
it), then report

- the reconstruction accuracy on up to 1,000 training designs: share of tokens or
  pixels, and of whole designs, that ``decode(encode(x).mean)`` gets right;
- the validity rate of 1,000 decoded prior samples ``z ~ N(0, I)``: valid for the codec
  and the objective, and distinct (by the codec's key);
- the best value after ``--budget`` evaluations (plain latent-space BO, seed 0, the
  task's default options) against the best score in the training data.

    python benchmarks/builtin_objectives.py [NAME ...] [--budget 100] [--seed 0] [--no-write]

Prints a markdown table and writes it into benchmarks/RESULTS.md under
"## Built-in objectives" (replaced if present, other sections kept).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from dataclasses import dataclass

import torch
from _results import RESULTS, machine, write_section  # benchmarks/ is on the path when run

import objectives
from lsbo import Optimizer
from lsbo.models import cached_vae, default_cache_dir, reconstruction_accuracy

HEADING = "## Built-in objectives"


@dataclass
class Row:
    name: str
    n_designs: int
    latent_dim: int
    vae_seconds: float
    element_accuracy: float
    exact_accuracy: float
    prior_valid: float
    prior_distinct: float
    data_best: float | None
    found_best: float | None
    run_seconds: float
    maximize: bool
    optimum: float | None


def measure(name: str, budget: int, seed: int) -> Row:
    task = objectives.load(name)
    objective = task.OBJECTIVE()
    data = task.dataset()
    options = task.default_options()
    codec = task.make_codec(data.designs)
    start = time.perf_counter()
    model, _ = cached_vae(
        default_cache_dir(), data.designs, codec, options.latent_dim, options.vae, seed, name
    )
    vae_seconds = time.perf_counter() - start
    sample = data.designs[:: max(1, len(data.designs) // 1000)][:1000]
    element, exact = reconstruction_accuracy(model, sample)
    generator = torch.Generator().manual_seed(seed)
    decoded = model.decode(torch.randn(1000, model.latent_dim, generator=generator))
    valid = [d for d in decoded if codec.is_valid(d) and objective.is_valid(d)]
    distinct = {codec.key(d) for d in valid}
    scored = [s for s in data.scores or [] if s is not None]
    start = time.perf_counter()
    optimizer = Optimizer(
        objective, data.designs, scores=data.scores, model=model, options=options, seed=seed
    )
    result = optimizer.run(budget)
    return Row(
        name=name,
        n_designs=len(data.designs),
        latent_dim=model.latent_dim,
        vae_seconds=vae_seconds,
        element_accuracy=element,
        exact_accuracy=exact,
        prior_valid=len(valid) / len(decoded),
        prior_distinct=len(distinct) / len(decoded),
        data_best=(max(scored) if objective.maximize else min(scored)) if scored else None,
        found_best=result.best_value,
        run_seconds=time.perf_counter() - start,
        maximize=objective.maximize,
        optimum=objective.optimum,
    )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def table(rows: list[Row], budget: int) -> str:
    lines = [
        f"| objective | direction | optimum | designs | latent | VAE s | reconstruction: "
        f"elements / exact | prior samples: valid / distinct | best in data | best after "
        f"{budget} | search s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {'max' if r.maximize else 'min'} | {_number(r.optimum)} "
            f"| {r.n_designs:,} | {r.latent_dim} | {r.vae_seconds:.0f} "
            f"| {r.element_accuracy:.1%} / {r.exact_accuracy:.1%} "
            f"| {r.prior_valid:.1%} / {r.prior_distinct:.1%} | {_number(r.data_best)} "
            f"| {_number(r.found_best)} | {r.run_seconds:.0f} |"
        )
    return "\n".join(lines)


def section(rows: list[Row], args: argparse.Namespace, host: str) -> str:
    command = " ".join(["python benchmarks/builtin_objectives.py", *sys.argv[1:]])
    setup = (
        "Each objective's default VAE (its `default_options()`, seed "
        f"{args.seed}; VAE s is 0 when it came from lsbo's cache), then plain latent-space "
        f"BO (GP + qLogEI, the task's options) for {args.budget} evaluations. "
        "Reconstruction: share of tokens (pixels) and of whole designs that "
        "decode(encode(x).mean) gets right on up to 1,000 training designs; for grayscale "
        "images a pixel is right when it falls on the same side of 0.5. Prior samples: "
        "1,000 decoded z ~ N(0, I), valid for codec and objective, and distinct by the "
        "codec's key. Best in data: the best score the task's dataset gives the "
        "optimizer (for expression, the hidden better half is not counted). One seed: "
        "a description of each task's starting point, not a comparison of methods."
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
    parser.add_argument("names", nargs="*", help="objectives (default: all built-in)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    host = machine()
    rows = []
    for name in args.names or objectives.names():
        print(f"{name}...", flush=True)
        rows.append(measure(name, args.budget, args.seed))
        print(table(rows[-1:], args.budget).splitlines()[-1], flush=True)
    text = section(rows, args, host)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
