"""Seconds per proposal step of each GP strategy at n scored designs, side by side.

Issue 16's cost target: one proposal step of LOL-BO's joint strategy (``lol-bo``) at
2,000 observations costs at most 3x a step of ``plain`` at the same size. One process
trains one VAE (latent dimension 16) on random strings over "abcd", gives every
strategy the same ``n`` scored designs (scores given with the data: no evaluations),
then times its first ``ask(10)`` (where ``lol-bo`` trains its GP on every point) and
the next ``--steps`` ones after telling each batch (the steady state: ``plain`` refits
its exact GP, warm-started; ``lol-bo`` updates its GP on the new batch).

    python benchmarks/strategy_cost.py [--sizes 2000] [--steps 3] [--threads 2]

Prints a markdown table and writes it into benchmarks/RESULTS.md under "## Strategy
step cost" (replaced if present, other sections kept).
"""

from __future__ import annotations

import argparse
import statistics
import textwrap
import time
import warnings

import numpy as np
import torch
from _results import machine, publish  # benchmarks/ is on the path when run

import lsbo
from lsbo.models import TrainingOptions, fit_new_vae

HEADING = "## Strategy step cost"
STRATEGIES = ("plain", "trust-region", "lol-bo")
Q = 10


def strings(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct random strings over 'abcd' of length 4-12."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(list("abcd"), size=int(rng.integers(4, 13)))))
    return sorted(out)


def score(s: str) -> float:
    """A smooth-ish toy objective: 'ab' motifs, a penalty on length."""
    return float(s.count("ab") + 0.5 * s.count("a") - 0.1 * len(s))


def time_strategy(name: str, designs: list[str], n: int, vae: lsbo.VAE, steps: int) -> list[float]:
    """Seconds of the first ``ask(Q)`` and of ``steps`` later ones."""
    scores = [score(d) for d in designs[:n]] + [None] * (len(designs) - n)
    options = lsbo.OptimizerOptions(batch_size=Q)
    optimizer = lsbo.Optimizer(
        score, designs, scores=scores, model=vae, options=options, strategy=name, seed=0
    )
    seconds = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        proposals = optimizer.ask(Q)
        seconds.append(time.perf_counter() - start)
        for proposal in proposals:
            optimizer.tell(proposal, score(proposal.design))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated n (default 2000)")
    parser.add_argument("--steps", type=int, default=3, help="steady-state steps timed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    host = machine()
    sizes = [int(s) for s in args.sizes.split(",")]
    designs = strings(max(sizes) + 1000)
    vae, _ = fit_new_vae(designs, latent_dim=16, options=TrainingOptions(epochs=10), seed=0)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the VAE's quality warnings and BoTorch's notes
        for n in sizes:
            times = {name: time_strategy(name, designs, n, vae, args.steps) for name in STRATEGIES}
            plain = statistics.median(times["plain"][1:])
            for name, seconds in times.items():
                steady = statistics.median(seconds[1:])
                rows.append(
                    f"| {n:,} | {name} | {seconds[0]:.2f} | {steady:.2f} | {steady / plain:.2f} |"
                )
    text = "\n".join(
        [
            HEADING,
            "",
            textwrap.fill(
                f"`python benchmarks/strategy_cost.py --sizes {args.sizes} --steps "
                f"{args.steps} --threads {args.threads}`: one process, one VAE (latent "
                f"dimension 16), n scored random strings, batches of {Q}. First step: "
                "the first `ask` (`lol-bo` trains its GP on every point); steady step: "
                f"median of the next {args.steps} (`lol-bo` updates its GP on the new "
                f"batch, the others refit theirs warm-started). {host}.",
                88,
            ),
            "",
            "| n | strategy | first step (s) | steady step (s) | steady / plain |",
            "| ---: | --- | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
