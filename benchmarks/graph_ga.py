"""Graph GA (Jensen 2019): a genetic algorithm on molecular graphs, PMO's strongest simple
baseline, for the molecule tasks.

Follows Jensen's code as GuacaMol's and PMO's baselines run it (``graph_ga``: crossover
at a random non-ring bond or across a ring, mutations by reaction SMARTS, molecules
between 6 atoms and a size drawn from N(39.15, 3.50), no macrocycles, allenes in rings
or double bonds in rings of 3 or 4), with PMO's settings:

- the starting population is ``population`` (120) molecules drawn at random from the
  task's training molecules, each evaluated (an oracle call, as in PMO);
- each generation draws a mating pool of ``offspring`` (70) parents, with probability
  proportional to their scores (plus 1e-10; scores below 0, which PMO's tasks never
  give, are first shifted up to 0), makes ``offspring`` children (crossover of
  two parents of the pool, then a mutation with probability ``mutation_rate``, 0.067),
  evaluates the new ones (a molecule evaluated before costs no call: PMO's oracle
  remembers it), and keeps the ``population`` best molecules;
- the run stops at the budget of oracle calls, or after ``patience`` (5) generations
  whose top 100 did not change its mean by more than 1e-3 (PMO's early stop), or when a
  generation makes no new molecule; PMO's metric then counts the last top-10 average
  for the remaining calls (``harness.stats.auc_top_k``).

All randomness comes from ``numpy.random.default_rng(seed)``. Molecules are evaluated as
SELFIES through the task's lsbo objective, as every other method is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lsbo.representations.molecule_graphs import GraphOperators
from lsbo.representations.molecules import canonical_smiles, selfies_to_smiles, written_selfies


@dataclass(frozen=True)
class GraphGAOptions:
    """PMO's settings of Graph GA (see the module docstring)."""

    population: int = 120
    offspring: int = 70
    mutation_rate: float = 0.067
    patience: int = 5


@dataclass
class GraphGARun:
    """What a run evaluated: SELFIES in call order, their values (``None``: failed)."""

    designs: list[str]
    values: list[float | None]
    objective_seconds: float
    stopped: str | None


def graph_ga(
    score: Callable[[list[str]], list[float | None]],
    start: Sequence[str],
    budget: int,
    seed: int,
    options: GraphGAOptions = GraphGAOptions(),
) -> GraphGARun:
    """Run Graph GA for ``budget`` oracle calls.

    Args:
        score: Values of SELFIES designs (``None`` for a failed evaluation); one call
            per design.
        start: SELFIES to draw the starting population from.
        budget: Oracle calls (new molecules evaluated).
        seed: Seed of every random draw.
        options: Population settings.
    """
    from rdkit import rdBase

    with rdBase.BlockLogs():  # most operator attempts fail sanitization: not news
        return _evolve(score, start, budget, np.random.default_rng(seed), options)


def _evolve(
    score: Callable[[list[str]], list[float | None]],
    start: Sequence[str],
    budget: int,
    rng: np.random.Generator,
    options: GraphGAOptions,
) -> GraphGARun:
    """The run of :func:`graph_ga`, its ``rng`` seeded."""
    from rdkit import Chem

    ops = GraphOperators(rng)
    seen: dict[str, float] = {}  # canonical SMILES -> value (failed: 0, as PMO scores them)
    run = GraphGARun([], [], 0.0, None)

    def evaluate(written: dict[str, str]) -> None:
        """Score the molecules not seen yet (canonical SMILES -> their SELFIES)."""
        new = [s for s in written if s not in seen][: budget - len(run.values)]
        designs = [written[s] for s in new]
        begin = time.perf_counter()
        values = score(designs)
        run.objective_seconds += time.perf_counter() - begin
        for s, design, value in zip(new, designs, values, strict=True):
            seen[s] = 0.0 if value is None else float(value)
            run.designs.append(design)
            run.values.append(value)

    picks = rng.choice(len(start), size=min(options.population, len(start)), replace=False)
    evaluate(_written(selfies_to_smiles(start[i]) for i in picks))
    population = sorted(seen, key=seen.__getitem__, reverse=True)[: options.population]
    stale, last = 0, None
    while len(run.values) < budget:
        scores = np.array([seen[s] for s in population])
        scores = scores - min(0.0, scores.min()) + 1e-10  # PMO's scores are >= 0 already
        pool = rng.choice(len(population), size=options.offspring, p=scores / scores.sum())
        mols = [Chem.MolFromSmiles(population[i]) for i in pool]
        made = []
        for _ in range(options.offspring):
            a, b = mols[int(rng.integers(len(mols)))], mols[int(rng.integers(len(mols)))]
            child = ops.crossover(a, b)
            child = None if child is None else ops.mutate(child, options.mutation_rate)
            made.append(None if child is None else canonical_smiles(Chem.MolToSmiles(child)))
        children = _written(made)
        calls = len(run.values)
        evaluate(children)
        if len(run.values) == calls:
            run.stopped = "a generation made no new molecule"
            break
        known = [s for s in dict.fromkeys([*population, *children]) if s in seen]
        population = sorted(known, key=lambda s: -seen[s])[: options.population]  # stable
        top = float(np.mean([seen[s] for s in population[:100]]))
        stale = stale + 1 if last is not None and abs(top - last) < 1e-3 else 0
        last = top
        if stale >= options.patience:
            run.stopped = f"the top 100 did not change for {options.patience} generations"
            break
    return run


def _written(smiles: Iterable[str | None]) -> dict[str, str]:
    """Canonical SMILES -> SELFIES, in order, for the molecules SELFIES writes back
    unchanged (``None``, and a molecule SELFIES cannot write or alters, left out)."""
    written: dict[str, str] = {}
    for s in smiles:
        if s is not None and s not in written and (design := written_selfies(s)) is not None:
            written[s] = design
    return written
