"""Does the GP rank design-space children better than chance? One check per task.

``plain`` makes children of the best designs each step and lets qLogEI rank them at
their encodings (``lsbo.Plain``, README "Candidates from design space"). On shapes that
ranking carries the search; on expression and Ehrlich, half of each batch taken
unranked did as well as the whole batch ranked. This script measures the ranking
itself: it runs the task's ``plain`` (its ``default_strategy``, the benchmark's VAE of
that seed) and, at every step, scores all the step's children with the task's objective
(cheap on these tasks; the run itself evaluates only its proposals). Per step:

- rho: Spearman's rank correlation between the GP's posterior mean at a child's
  encoding and the child's true value (larger is better in both; 0 is chance);
- the best true value among the q children of highest qLogEI (q: the run's batch
  size), against the expected best of q children drawn at random (exact, over every
  draw);
- whether those q hold a child better than the best design known at that step,
  against the chance that q random ones do.

    python benchmarks/ranking.py [--tasks expression,ehrlich,shapes] [--seeds 1]
        [--budget 200] [--no-write]

Prints a markdown table (mean ± standard error over the steps of all seeds) and writes
it into benchmarks/RESULTS.md under "## Ranking of design-space children".
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _results import (  # benchmarks/ is on the path
    ablation_parser,
    machine,
    mean_se,
    publish,
    table_section,
)
from harness.runner import task_vae
from harness.tasks import make_options, make_strategy, task_data
from scipy.stats import spearmanr

import lsbo
import objectives
from lsbo.strategies.base import Candidate, SearchContext, encodings, qlogei_ranking
from lsbo.strategies.plain import Plain

HEADING = "## Ranking of design-space children"
ROOT = Path(__file__).resolve().parent
BATCH = {"expression": 10, "ehrlich": 10, "glyphs": 10}  # as the strategy benchmarks run


def expected_best(values: Sequence[float], q: int) -> float:
    """The expected largest of ``q`` values drawn without replacement from ``values``."""
    ordered, m = sorted(values), len(values)
    total = math.comb(m, q)
    # the i-th smallest (0-based) is the largest of a draw when the other q - 1 lie below
    return sum(v * math.comb(i, q - 1) / total for i, v in enumerate(ordered))


def chance_of_better(values: Sequence[float], q: int, best: float) -> float:
    """The chance that ``q`` values drawn without replacement hold one above ``best``."""
    m, worse = len(values), sum(v <= best for v in values)
    return 1.0 - math.comb(worse, q) / math.comb(m, q)


@dataclasses.dataclass(frozen=True)
class Recorded(Plain):
    """``Plain`` that, besides making its children, scores them all and keeps per step
    what the GP's ranking of them was worth (in ``log``, a list shared by the copies)."""

    log: list[dict[str, float]] = dataclasses.field(default_factory=list, compare=False)
    objective: Any = dataclasses.field(default=None, compare=False)

    def children(
        self, context: SearchContext, draws: int, rng: np.random.Generator, keys: set[str]
    ) -> list[Candidate]:
        made = super().children(context, draws, rng, keys)
        q = context.batch_size
        if len(made) < 2 * q:
            return made
        sign = 1.0 if self.objective.maximize else -1.0
        scored = self.objective([c.design for c in made])
        true = [sign * e.value if e.value is not None else -math.inf for e in scored]
        if not all(math.isfinite(t) for t in true):
            return made
        points = encodings(context, made)
        with torch.no_grad():
            mean = context.surrogate().posterior(points).mean.squeeze(-1).tolist()
            ei = qlogei_ranking(context)(points)
        top = ei.argsort(descending=True)[:q].tolist()
        best = float(context.observations.Y.max())
        self.log.append(
            {
                "rho": float(spearmanr(mean, true)[0]),
                "gap": max(true[i] for i in top) - expected_best(true, q),
                "found": float(max(true[i] for i in top) > best),
                "chance": chance_of_better(true, q, best),
            }
        )
        return made


def recorded_run(
    objective: Any, data: Any, model: Any, options: lsbo.OptimizerOptions, seed: int,
    plain: Plain, budget: int,
) -> tuple[list[dict[str, float]], lsbo.OptimizationResult]:  # fmt: skip
    """A run of ``plain`` on ``objective`` (an :class:`lsbo.Objective`) from ``data``'s
    designs and scores, with each step's ranking of its children recorded."""
    fields = {f.name: getattr(plain, f.name) for f in dataclasses.fields(Plain) if f.init}
    # the children are scored on a copy, so that the run's own count of calls holds
    strategy = Recorded(**fields, objective=copy.deepcopy(objective))
    optimizer = lsbo.Optimizer(
        objective, data.designs, scores=data.scores, model=model, options=options,
        seed=seed, strategy=strategy,
    )  # fmt: skip
    return strategy.log, optimizer.run(budget)


def run(task: str, seed: int, budget: int) -> list[dict[str, float]]:
    """The per-step records of one run of the task's ``plain``."""
    torch.set_num_threads(1)
    options = make_options(task, {"batch_size": BATCH.get(task, 1)})
    model, _ = task_vae(task, seed, None, options, ROOT / "runs" / task)
    objective = objectives.load(task).OBJECTIVE()
    plain = make_strategy(task, "plain", None)
    return recorded_run(objective, task_data(task, None), model, options, seed, plain, budget)[0]


def section(rows: list[list[str]], args: argparse.Namespace, host: str) -> str:
    """The RESULTS.md section of the table ``rows`` made with ``args``."""
    seeds = "seed 0" if args.seeds == 1 else f"seeds 0 to {args.seeds - 1}"
    paragraph = (
        f"`python benchmarks/ranking.py --tasks {args.tasks} --seeds {args.seeds} "
        f"--budget {args.budget}`: each task's `plain` (its `default_strategy`), "
        f"{args.budget} evaluations, {seeds}, one thread; at each step every "
        "child is scored by the objective, outside the run. rho: Spearman's rank "
        "correlation of the GP's posterior mean at the children's encodings with their "
        "true values (0: chance). Top q against random q: the best true value among "
        "the q children of highest qLogEI minus the expected best of q drawn at random "
        "(in the task's units, signed so that larger is better), and the steps where it "
        "is positive. Improving: steps whose top q hold a child better than the best "
        f"design known, and the number q random children would give. Mean ± standard "
        f"error over steps. {host}."
    )
    header = ["task", "q", "steps", "rho", "top q minus random q", "top q ahead", "improving"]
    return table_section(HEADING, paragraph, header, rows)


def main() -> None:
    parser = ablation_parser(__doc__, seeds=1, budget=200)
    parser.add_argument("--tasks", default="expression,ehrlich,shapes")
    args = parser.parse_args()
    host = machine()
    rows = []
    for task in args.tasks.split(","):
        log = [r for seed in range(args.seeds) for r in run(task, seed, args.budget)]
        found = sum(r["found"] for r in log)
        chance = sum(r["chance"] for r in log)
        rows.append(
            [
                task,
                str(BATCH.get(task, 1)),
                str(len(log)),
                mean_se([r["rho"] for r in log], 2),
                mean_se([r["gap"] for r in log]),
                f"{sum(r['gap'] > 0 for r in log)} of {len(log)}",
                f"{found:.0f} (random: {chance:.1f})",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    publish(HEADING, section(rows, args, host), write=not args.no_write)


if __name__ == "__main__":
    main()
