"""The learned validity constraint on and off, on expressions with a token VAE.

A token VAE decodes many latent points to strings that are not expressions, so the
search meets invalid decodes all the time. One VAE is trained (seeded) and shared by
every run; each strategy runs with ``validity_constraint`` on and off for a few seeds
at a fixed budget. The table gives, per strategy and setting, the mean over seeds of:
the share of the strategy's decoded points that were valid, the share of decodes
re-proposed (invalid or duplicate), the proposals the fallback had to make, the best
score (minimized, 0 is the target) and the run's seconds.

Run: python benchmarks/validity_constraint.py [--budget 60] [--seeds 3] [--no-write]

Prints the table and writes it into benchmarks/RESULTS.md under its heading.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from _results import RESULTS, machine, write_section  # benchmarks/ is on the path when run

import lsbo
from lsbo import OptimizerOptions
from lsbo.models import TrainingOptions, fit_new_vae
from lsbo.representations import TokenCodec
from objectives.expression import (
    TOKEN_PATTERN,
    ExpressionObjective,
    generate_expressions,
    score,
)

HEADING = "## Learned validity constraint (expressions, token VAE)"


def run(model, designs, scores, strategy: str, constrained: bool, seed: int, budget: int):
    options = OptimizerOptions(
        n_initial=10, num_restarts=4, raw_samples=128, mc_samples=64,
        validity_constraint=constrained,
    )  # fmt: skip
    start = time.perf_counter()
    result = lsbo.optimize(
        ExpressionObjective(), designs, budget, scores=scores, model=model, options=options,
        seed=seed, strategy=strategy,
    )  # fmt: skip
    stats = result.stats
    return {
        "valid": stats.validity_rate or 0.0,
        "reproposed": stats.n_rejected / max(stats.n_decoded, 1),
        "fallback": stats.n_fallback,
        "best": result.best_value,
        "seconds": time.perf_counter() - start,
        "fits": stats.n_validity_fits,
        "fit_seconds": stats.validity_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--designs", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--strategies", default="plain,trust-region")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    host = machine()
    designs = generate_expressions(args.designs, seed=0)
    scores = [score(d) if i % 10 == 0 else None for i, d in enumerate(designs)]
    # a token VAE (not the task's grammar VAE, whose decodes are all valid)
    codec = TokenCodec.from_designs(designs, tokenizer=TOKEN_PATTERN)
    model, _ = fit_new_vae(
        designs, codec=codec, latent_dim=8, options=TrainingOptions(epochs=args.epochs), seed=0,
    )  # fmt: skip
    lines = [
        "| strategy | constraint | valid decodes | re-proposed | fallback | best score "
        "| seconds | fits (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines))
    for strategy in args.strategies.split(","):
        for constrained in (False, True):
            rows = [
                run(model, designs, scores, strategy, constrained, seed, args.budget)
                for seed in range(args.seeds)
            ]

            def mean(key: str, rows=rows) -> float:
                return statistics.mean(r[key] for r in rows)

            bests = ", ".join(f"{r['best']:.2f}" for r in rows)
            lines.append(
                f"| {strategy} | {'on' if constrained else 'off'} | {mean('valid'):.1%} "
                f"| {mean('reproposed'):.1%} | {mean('fallback'):.1f} | {mean('best'):.2f} "
                f"({bests}) | {mean('seconds'):.0f} | {mean('fits'):.0f} "
                f"({mean('fit_seconds'):.1f}) |"
            )
            print(lines[-1], flush=True)
    command = " ".join(["python benchmarks/validity_constraint.py", *sys.argv[1:]])
    setup = (
        f"A token VAE (latent 8, {args.epochs} epochs) on {args.designs} generated "
        "expressions, a tenth of them scored; each strategy with the constraint off and "
        f"on, {args.budget} evaluations, seeds 0-{args.seeds - 1}; means over seeds. Valid "
        "decodes: share of the strategy's decoded points that were expressions; "
        "re-proposed: invalid or duplicate decodes among all decodes; fits (s): validity "
        "classifier fits per run and their seconds."
    )
    text = "\n\n".join([HEADING, f"`{command}` on {host}.", setup, "\n".join(lines)]) + "\n"
    if not args.no_write:
        write_section(HEADING, text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
