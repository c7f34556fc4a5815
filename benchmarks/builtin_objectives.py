"""How well lsbo's default VAE and search do on each built-in objective.

For every objective (or those named): hold 1,000 of the task's designs out (seeded),
train the default VAE on the others with its ``default_options()`` (timed, not cached),
then report

- the reconstruction accuracy on the 1,000 held-out designs and on 1,000 training
  designs: share of tokens or pixels, and of whole designs, that
  ``decode(encode(x).mean)`` gets right;
- the validity rate of 1,000 decoded prior samples ``z ~ N(0, I)``: valid for the codec
  and the objective, distinct (by the codec's key), and new (not a training design);
- with ``--budget`` above 0, the best value after that many evaluations (plain
  latent-space BO, the task's default options, this VAE) against the best score in
  the training data.

    python benchmarks/builtin_objectives.py [NAME ...] [--budget 100] [--seed 0 ...] [--no-write]

``--seed`` takes several seeds (a row for each: the held-out split, the VAE's training
and the prior samples all follow it).

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
from _results import machine, publish  # benchmarks/ is on the path when run

import objectives
from lsbo import Optimizer
from lsbo.models import fit_new_vae, reconstruction_accuracy

HEADING = "## Built-in objectives"


@dataclass
class Row:
    name: str
    seed: int
    n_designs: int
    latent_dim: int
    vae_seconds: float
    element_accuracy: float
    exact_accuracy: float
    held_element: float
    held_exact: float
    prior_valid: float
    prior_distinct: float
    prior_new: float
    prior_feasible: float | None
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
    held = set(
        torch.randperm(len(data.designs), generator=torch.Generator().manual_seed(seed))[
            : min(1000, len(data.designs) // 5)
        ].tolist()
    )
    train = [d for i, d in enumerate(data.designs) if i not in held]
    held_out = [data.designs[i] for i in sorted(held)]
    start = time.perf_counter()
    model, _ = fit_new_vae(train, codec, options.latent_dim, options.vae, seed)
    vae_seconds = time.perf_counter() - start
    sample = train[:: max(1, len(train) // 1000)][:1000]
    element, exact = reconstruction_accuracy(model, sample)
    held_element, held_exact = reconstruction_accuracy(model, held_out)
    generator = torch.Generator().manual_seed(seed)
    decoded = model.decode(torch.randn(1000, model.latent_dim, generator=generator))
    valid = [d for d in decoded if codec.is_valid(d) and objective.is_valid(d)]
    distinct = {codec.key(d) for d in valid}
    known = {codec.key(d) for d in train}
    feasible = None  # Ehrlich: valid strings may still break the chain's transitions
    if hasattr(objective, "is_feasible") and valid:
        feasible = float(objective.is_feasible(objective.to_states(valid)).sum()) / len(decoded)
    scored = [s for s in data.scores or [] if s is not None]
    found, run_seconds = None, 0.0
    if budget > 0:
        start = time.perf_counter()
        scores = (
            None if data.scores is None else [s for i, s in enumerate(data.scores) if i not in held]
        )
        optimizer = Optimizer(
            objective, train, scores=scores, model=model, options=options, seed=seed
        )
        found = optimizer.run(budget).best_value
        run_seconds = time.perf_counter() - start
    return Row(
        name=name,
        seed=seed,
        n_designs=len(train),
        latent_dim=model.latent_dim,
        vae_seconds=vae_seconds,
        element_accuracy=element,
        exact_accuracy=exact,
        held_element=held_element,
        held_exact=held_exact,
        prior_valid=len(valid) / len(decoded),
        prior_distinct=len(distinct) / len(decoded),
        prior_new=len(distinct - known) / len(decoded),
        prior_feasible=feasible,
        data_best=(max(scored) if objective.maximize else min(scored)) if scored else None,
        found_best=found,
        run_seconds=run_seconds,
        maximize=objective.maximize,
        optimum=objective.optimum,
    )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def table(rows: list[Row], budget: int) -> str:
    lines = [
        "| objective | seed | direction | optimum | training designs | latent | VAE s "
        "| held out: elements / exact | training: elements / exact "
        "| prior samples: valid / distinct / new | feasible | best in data "
        f"| best after {budget} | search s |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.seed} | {'max' if r.maximize else 'min'} | {_number(r.optimum)} "
            f"| {r.n_designs:,} | {r.latent_dim} | {r.vae_seconds:.0f} "
            f"| {r.held_element:.1%} / {r.held_exact:.1%} "
            f"| {r.element_accuracy:.1%} / {r.exact_accuracy:.1%} "
            f"| {r.prior_valid:.1%} / {r.prior_distinct:.1%} / {r.prior_new:.1%} "
            f"| {'-' if r.prior_feasible is None else f'{r.prior_feasible:.1%}'} "
            f"| {_number(r.data_best)} | {_number(r.found_best)} | {r.run_seconds:.0f} |"
        )
    return "\n".join(lines)


def section(rows: list[Row], args: argparse.Namespace, host: str) -> str:
    command = " ".join(["python benchmarks/builtin_objectives.py", *sys.argv[1:]])
    search = (
        f"then plain latent-space BO (GP + qLogEI, the task's options) for {args.budget} "
        "evaluations from the training designs. "
        if args.budget > 0
        else "(no search: --budget 0). "
    )
    setup = (
        "Each objective's default VAE (its `default_options()`), trained on the task's "
        "designs less 1,000 held out at random (a fifth for smaller datasets; seeded); VAE "
        f"s is its training time; {search}"
        "Reconstruction: share of tokens (pixels) and of whole designs that "
        "decode(encode(x).mean) gets right, on the held-out designs and on up to 1,000 "
        "training designs; for grayscale images a pixel is right when it falls on the same "
        "side of 0.5. Prior samples: 1,000 decoded z ~ N(0, I), valid for codec and "
        "objective, distinct by the codec's key, and new (distinct and not a training "
        "design); feasible (Ehrlich): every transition allowed by its chain. Best in "
        "data: the best score the task's dataset gives the optimizer (for "
        "expression, the hidden better half is not counted). A description of each task's "
        "starting point, not a comparison of methods."
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
    parser.add_argument("--seed", type=int, nargs="+", default=[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    host = machine()
    rows = []
    for name in args.names or objectives.names():
        for seed in args.seed:
            print(f"{name}, seed {seed}...", flush=True)
            rows.append(measure(name, args.budget, seed))
            print(table(rows[-1:], args.budget).splitlines()[-1], flush=True)
    text = section(rows, args, host)
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
