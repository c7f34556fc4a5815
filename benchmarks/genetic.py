"""A genetic-algorithm baseline on fixed-length sequences, as the Ehrlich paper uses.

Follows holo-bench's ``DiscreteEvolution`` (Stanton et al. 2024, "Closed-Form Test
Functions for Biophysical Sequence Design"), with elitism and a budget counted in
evaluations:

- the population starts from the training designs: the ``population`` best-scoring
  ones (their scores are known and cost no budget; ties in a seeded random order), or
  ``population`` random ones, evaluated, when the data carries no scores;
- survival of the fittest: the best ``survival * population`` designs evaluated so far
  are the parents (elitist truncation selection);
- each child takes its two parents uniformly among the survivors; each position comes
  from the first parent with probability ``recombine_prob``, else from the second
  (holo-bench's uniform recombination), then is replaced by a uniformly drawn state
  with probability ``mutation_prob`` (both default to holo-bench's ``1.1 / L``);
- a child equal to a design already evaluated (or in the training data) is drawn
  again, so that every evaluation is a new design, as in lsbo's runs;
- generations of ``population - survivors`` children are evaluated until the budget is
  spent (the last one cut short). Unlike holo-bench, survivors are not mutated: they
  keep their scores and cost nothing.

All randomness comes from ``numpy.random.default_rng(seed)``. Writes the same run files
as the harness (``harness/``), as strategy ``holo-genetic`` (lsbo's own ``genetic``
strategy is its steady-state counterpart):

    python benchmarks/genetic.py [--task ehrlich] [--seeds 0-2] [--budget 500]
        [--population 50] [--survival 0.2] [--quick] [--no-report]

The Ehrlich script (``ehrlich.py``) runs it too, with ``--strategies ...,holo-genetic``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import harness  # benchmarks/ is on the path when run
import numpy as np

import objectives
from lsbo.records import Direction


@dataclass(frozen=True)
class GeneticOptions:
    """Settings of the genetic algorithm (see the module docstring).

    Attributes:
        population: Designs per generation, survivors included.
        survival: Share of the population that survives (at least two designs).
        mutation_prob: Probability that a position is redrawn (``None``: ``1.1 / L``).
        recombine_prob: Probability that a position comes from the first parent
            (``None``: ``1.1 / L``).
        max_redraws: Attempts at a child not seen before, before the run stops early.
    """

    population: int = 50
    survival: float = 0.2
    mutation_prob: float | None = None
    recombine_prob: float | None = None
    max_redraws: int = 1000

    @property
    def survivors(self) -> int:
        return max(2, round(self.survival * self.population))

    def resolved(self, length: int) -> GeneticOptions:
        """These options with holo-bench's ``1.1 / L`` in place of missing probabilities."""
        default = 1.1 / length
        return GeneticOptions(
            self.population,
            self.survival,
            default if self.mutation_prob is None else self.mutation_prob,
            default if self.recombine_prob is None else self.recombine_prob,
            self.max_redraws,
        )


def _alphabet_and_length(objective: Any, designs: Sequence[Any]) -> tuple[str, int]:
    if not designs or not all(isinstance(d, str) for d in designs):
        raise SystemExit("the genetic algorithm works on string designs only")
    length = len(designs[0])
    if any(len(d) != length for d in designs):
        raise SystemExit("the genetic algorithm needs designs of one length (e.g. Ehrlich)")
    alphabet = getattr(objective, "alphabet", None) or "".join(sorted(set("".join(designs))))
    return alphabet, length


def genetic_settings(spec: harness.RunSpec) -> dict[str, Any]:
    """The method part of a genetic run's settings (options with probabilities resolved)."""
    data = harness.task_data(spec.task, spec.n_designs)
    objective = objectives.load(spec.task).OBJECTIVE()
    _, length = _alphabet_and_length(objective, data.designs)
    options = GeneticOptions(**spec.strategy_params).resolved(length)
    return {"strategy": {"name": "holo-genetic", **asdict(options)}}


class _Search:
    """The population, the designs seen and the evaluations spent, for one run."""

    def __init__(self, objective: Any, options: GeneticOptions, seed: int, budget: int) -> None:
        self.objective, self.options, self.budget = objective, options, budget
        self.rng = np.random.default_rng(seed)
        self.sign = Direction.of(objective.maximize).sign
        self.scored: dict[str, float] = {}  # every known design -> value (failed: -inf)
        self.seen: set[str] = set()
        self.evaluated: list[str] = []  # in evaluation order
        self.values: list[float | None] = []  # their values (None: failed)
        self.objective_seconds = 0.0

    def evaluate(self, designs: list[str]) -> None:
        designs = designs[: self.budget - len(self.values)]
        start = time.perf_counter()
        evaluations = self.objective(designs)
        self.objective_seconds += time.perf_counter() - start
        for design, evaluation in zip(designs, evaluations, strict=True):
            value = evaluation.value if evaluation.status == "complete" else None
            self.evaluated.append(design)
            self.values.append(value)
            self.seen.add(design)
            self.scored[design] = -np.inf if value is None else self.sign * value

    def survivors(self) -> list[str]:
        """The best designs known so far, ties in a seeded random order."""
        designs = list(self.scored)
        order = self.rng.permutation(len(designs))
        ranked = sorted(order, key=lambda i: -self.scored[designs[i]])
        return [designs[i] for i in ranked[: self.options.survivors]]

    def child(self, parents: np.ndarray, alphabet: np.ndarray) -> str | None:
        """A new design from two random parents (``None`` if none is found)."""
        options = self.options
        for _ in range(options.max_redraws):
            first, second = parents[self.rng.integers(len(parents), size=2)]
            genes = np.where(self.rng.random(len(first)) < options.recombine_prob, first, second)
            mutate = self.rng.random(len(genes)) < options.mutation_prob
            genes = np.where(
                mutate, alphabet[self.rng.integers(len(alphabet), size=len(genes))], genes
            )
            design = "".join(genes)
            if design not in self.seen:
                self.seen.add(design)
                return design
        return None


def genetic_algorithm(
    objective: Any,
    designs: Sequence[str],
    scores: Sequence[float | None] | None,
    budget: int,
    seed: int,
    options: GeneticOptions,
) -> _Search:
    """Run the genetic algorithm for ``budget`` evaluations (see the module docstring)."""
    alphabet, length = _alphabet_and_length(objective, designs)
    options = options.resolved(length)
    search = _Search(objective, options, seed, budget)
    search.seen.update(designs)
    known = [(d, s) for d, s in zip(designs, scores or [None] * len(designs), strict=True)]
    scored = [(d, s) for d, s in known if s is not None]
    if len(scored) >= options.survivors:
        ranked = sorted(
            search.rng.permutation(len(scored)), key=lambda i: -search.sign * scored[i][1]
        )
        search.scored.update(
            (scored[i][0], search.sign * scored[i][1]) for i in ranked[: options.population]
        )
    else:
        picks = search.rng.choice(
            len(designs), size=min(options.population, len(designs)), replace=False
        )
        search.evaluate([designs[i] for i in picks])
    states = np.array(list(alphabet))
    while len(search.values) < budget:
        parents = np.array([list(d) for d in search.survivors()])
        children = []
        for _ in range(options.population - options.survivors):
            child = search.child(parents, states)
            if child is not None:
                children.append(child)
        if not children:
            break  # every child was a repeat: the population has converged
        search.evaluate(children)
    return search


def run_genetic(spec: harness.RunSpec, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One genetic run as a run record of the harness (``harness.run_record``)."""
    start = time.perf_counter()
    data = harness.task_data(spec.task, spec.n_designs)
    objective = objectives.load(spec.task).OBJECTIVE()
    options = GeneticOptions(**spec.strategy_params)
    search = genetic_algorithm(
        objective, data.designs, data.scores, spec.budget, spec.seed, options
    )
    complete = [d for d, v in zip(search.evaluated, search.values, strict=True) if v is not None]
    best = max(complete, key=search.scored.__getitem__, default=None)
    seconds = {
        "vae": None,
        "gp": None,
        "objective": search.objective_seconds,
        "total": time.perf_counter() - start,
        "vae_initial": None,
    }
    stopped = None
    if len(search.values) < spec.budget:
        stopped = f"no new child in {options.max_redraws} draws: the population has converged"
    return harness.run_record(
        settings, search.values, objective.maximize, best, seconds, stopped=stopped
    )


def main(argv: Sequence[str] | None = None) -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--task", default="ehrlich", help="a task with fixed-length strings")
    cli.add_argument("--seeds", default="0-2")
    cli.add_argument("--budget", type=int, default=500)
    cli.add_argument("--population", type=int, default=GeneticOptions.population)
    cli.add_argument("--survival", type=float, default=GeneticOptions.survival)
    cli.add_argument(
        "--quick", action="store_true", help="30 evaluations, seeds 0-1, files under runs-quick"
    )
    cli.add_argument("--no-report", action="store_true", help="only write the run files")
    args = cli.parse_args(argv)
    runs_dir = harness.ROOT / ("runs-quick" if args.quick else "runs")
    quick_seeds = args.quick and args.seeds == "0-2"  # explicit flags win over --quick
    seeds = harness.QUICK_SEEDS if quick_seeds else harness.parse_seeds(args.seeds)
    budget = harness.QUICK_BUDGET if args.quick and args.budget == 500 else args.budget
    params = {"population": args.population, "survival": args.survival}
    task = harness.TASKS.get(args.task)
    n = task.quick_designs if task and args.quick else None
    specs = [
        harness.RunSpec(
            args.task, "holo-genetic", seed, budget, runs_dir, strategy_params=params, n_designs=n
        )
        for seed in seeds
    ]
    harness.run_many(specs)
    if task is not None and not args.no_report:
        figures = harness.ROOT / ("figures-quick" if args.quick else "figures")
        command = " ".join(["python benchmarks/genetic.py", *sys.argv[1:]])
        harness.report(task, runs_dir, figures, command, write=False)


if __name__ == "__main__":
    main()
