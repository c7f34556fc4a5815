"""The demo's search (`make demo`: expression, 100 evaluations, one per step) with
a strategy and `Plain` settings of your choice, one line of JSON per run.

Each run uses the task's default VAE of its seed (seed 0's ships with lsbo; others are
trained once and cached), as `lsbo run expression --seed SEED` does.

    OMP_NUM_THREADS=1 python benchmarks/demo_search.py --seeds 0,1,2 --explore 0.2 \\
        [--explore-from children] [--parents 10] [--budget 100] [--batch-size 1] \\
        [--strategy trust-region]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import lsbo
import objectives
from lsbo.models import cached_vae, default_cache_dir

CHECKPOINTS = (25, 50, 100, 250, 500)


def run(seed: int, strategy: lsbo.Strategy, budget: int, batch_size: int) -> dict:
    """One run; its best value after each checkpoint within the budget."""
    task = objectives.load("expression")
    data = task.dataset()
    options = dataclasses.replace(task.default_options(), batch_size=batch_size)
    vae, _ = cached_vae(
        default_cache_dir(), data.designs, task.make_codec(data.designs), options.latent_dim,
        options.vae, seed, "expression", pretrained=[objectives.PRETRAINED],
    )  # fmt: skip
    start = time.perf_counter()
    optimizer = lsbo.Optimizer(
        task.OBJECTIVE(), data.designs, scores=data.scores, model=vae, options=options,
        seed=seed, strategy=strategy,
    )  # fmt: skip
    result = optimizer.run(budget)
    values = [r.value for r in result.history]
    best = {n: min(v for v in values[:n] if v is not None) for n in CHECKPOINTS if n <= len(values)}
    return {
        "seed": seed, "strategy": strategy.settings(), "batch_size": batch_size, "best": best,
        "design": result.best_design, "seconds": round(time.perf_counter() - start, 1),
        "gp_seconds": round(result.stats.surrogate_seconds, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--explore", type=float, default=0.0)
    parser.add_argument("--explore-from", default="prior")
    parser.add_argument("--parents", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--strategy", default="plain", help="a name of lsbo.STRATEGIES")
    args = parser.parse_args()
    if args.strategy == "plain":
        strategy = lsbo.Plain(
            explore=args.explore, explore_from=args.explore_from, parents=args.parents
        )
    else:
        strategy = objectives.strategy(objectives.load("expression"), args.strategy)
    for seed in (int(s) for s in args.seeds.split(",")):
        print(json.dumps(run(seed, strategy, args.budget, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
