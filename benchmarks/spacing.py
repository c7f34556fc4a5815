"""Parents spaced in value on the expression task: the genetic algorithm with and without.

``lsbo.Plain(spacing=...)`` and ``lsbo.Genetic(spacing=...)`` take parents whose scores
lie more than ``spacing`` apart (``lsbo.strategies.base.SearchContext.best_designs``).
Without it, once a run finds ``x`` plus a constant (0.3889 at best), the 10 best designs
are soon 10 such variants (``x+1/3``, ``x+1/2``, ``(x)+2/3``) and every child descends
from them; only a child holding ``sin(x*x)`` scores lower. This ablation runs the
steady-state genetic algorithm of the ``genetic`` strategy with no VAE (which that
strategy does not search through): each round, the 10 best designs known (the 5,000
training scores and the run's evaluations; the oldest first among equal scores, as the
task's ``drift=False``), or the 10 best spaced by ``spacing``, are the parents of 10 new
children (``Codec.vary`` of the task's codec, one design per function on the task's
points). A run starts from 10 unscored training expressions drawn at random (the
benchmark's runs start from 10 decoded prior samples instead).

    python benchmarks/spacing.py [--seeds 180] [--budget 500] [--spacing 0,0.01]

Prints a markdown table (best after 100/250/500 evaluations, mean ± standard error over
seeds, and how many seeds found ``sin(x*x)``: a best below 0.2) and writes it into
benchmarks/RESULTS.md under "## Spaced parents (expression)".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable
from typing import Any

import numpy as np
from _results import (  # benchmarks/ is on the path
    ablation_parser,
    machine,
    mean_se,
    publish,
    table_section,
)

from lsbo.strategies.base import spaced
from objectives import expression

HEADING = "## Spaced parents (expression)"
Q = 10
SURVIVORS = 10
CHECKPOINTS = (100, 250, 500)
# below every x plus a constant (0.3889 at best): the run found sin(x*x)
FOUND = 0.2


@functools.cache
def task() -> tuple[list[tuple[str, float | None]], Any]:
    """The task's designs with their scores (``None``: unscored) and its codec."""
    data = expression.dataset()
    return list(zip(data.designs, data.scores, strict=True)), expression.make_codec(data.designs)


def run(seed: int, budget: int, spacing: float) -> list[float]:
    """Best score after each evaluation of one steady-state run."""
    designs, codec = task()
    known: dict[Hashable, tuple[float, int, str]] = {}  # key: (score, order, design)
    for design, score in designs:
        if score is not None:
            known.setdefault(codec.key(design), (score, len(known), design))
    unscored = [design for design, score in designs if score is None]
    rng = np.random.default_rng([seed, 11])
    trace: list[float] = []

    def evaluate(design: str) -> None:
        score = expression.score(design)
        known[codec.key(design)] = (score, len(known), design)
        trace.append(min(score, trace[-1]) if trace else score)

    for i in rng.choice(len(unscored), Q, replace=False):
        if codec.key(unscored[i]) not in known:
            evaluate(unscored[i])
    while len(trace) < budget:
        ranked = sorted(known.values(), key=lambda v: (v[0], v[1]))  # oldest first among equals
        order = spaced(list(range(len(ranked))), [v[0] for v in ranked], SURVIVORS, spacing)
        parents = [ranked[i][2] for i in order]
        made = 0
        for child in codec.vary(parents, 50 * Q, rng):  # draws, as the genetic strategy's
            if codec.key(child) not in known and codec.is_valid(child):
                evaluate(child)
                made += 1
                if made == Q or len(trace) == budget:
                    break
        if not made:
            break
    return trace + [trace[-1]] * (budget - len(trace))


def main() -> None:
    parser = ablation_parser(__doc__, seeds=180, budget=500)
    parser.add_argument("--spacing", default="0,0.01", help="comma-separated spacings")
    args = parser.parse_args()
    host = machine()
    checkpoints = [c for c in CHECKPOINTS if c <= args.budget]
    rows = []
    for spacing in (float(s) for s in args.spacing.split(",")):
        traces = [run(seed, args.budget, spacing) for seed in range(args.seeds)]
        cells = [mean_se([t[c - 1] for t in traces]) for c in checkpoints]
        found = sum(t[-1] < FOUND for t in traces)
        exact = sum(math.isclose(t[-1], 0.0, abs_tol=1e-9) for t in traces)
        rows.append([f"{spacing:g}", *cells, f"{found} of {len(traces)}", str(exact)])
    paragraph = (
        f"`python benchmarks/spacing.py --seeds {args.seeds} --budget {args.budget} "
        f"--spacing {args.spacing}`: the steady-state genetic algorithm of the "
        f"`genetic` strategy on the expression task (minimize, optimum 0), {Q} "
        f"children a round from the {SURVIVORS} best designs known, or the "
        f"{SURVIVORS} best whose scores lie more than `spacing` apart; without a "
        f"VAE; seeds 0 to {args.seeds - 1}. Best after N evaluations, mean ± "
        f"standard error over seeds; a best below {FOUND} holds `sin(x*x)`. {host}."
    )
    header = ["spacing", *(f"best after {c:,}" for c in checkpoints)]
    header += ["seeds that found `sin(x*x)`", "seeds at 0"]
    text = table_section(HEADING, paragraph, header, rows)
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
