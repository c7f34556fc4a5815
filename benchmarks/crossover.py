"""Recombination of token sequences on Ehrlich: two-point crossover against holo-bench's.

The ``genetic`` strategy and ``plain``'s children recombine two token sequences of one
length by two-point crossover (``lsbo.representations.variation.vary_sequence``: the
first parent with one contiguous stretch of the second). Until 2026-12-05 they drew
each position from the first parent with probability ``rate`` (``1.1 / L``), as
holo-bench's ``DiscreteEvolution`` does, so that a child was one parent with about one
position of the other. Since the same day, the stretch goes to a random place of the
child in half the children (a translocation), and among designs of equal value the
newest are the parents (neutral drift). This ablation runs each in the steady-state
genetic algorithm of the ``genetic`` strategy, with no VAE (which that strategy does not
search through): each round, the ``survivors`` best designs known (the training scores
and the run's evaluations) are the parents of 10 new children, mutated at ``rate`` and
kept to the codec's pairs of adjacent states (``lsbo.representations.variation.keep_pairs``).

    python benchmarks/crossover.py [--seeds 100] [--budget 1000] [--survivors 10]

Prints a markdown table (best after 100/250/500/1,000 evaluations, mean ± standard
error over seeds, and how many seeds reach the optimum 1.0) and writes it into
benchmarks/RESULTS.md under "## Recombination of token sequences (Ehrlich)".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _results import (  # benchmarks/ is on the path
    ablation_parser,
    machine,
    mean_se,
    publish,
    table_section,
)

from lsbo.representations.variation import TRANSLOCATE, breed, keep_pairs, vary_sequence
from objectives import ehrlich

HEADING = "## Recombination of token sequences (Ehrlich)"
Q = 10
CHECKPOINTS = (100, 250, 500, 1000)

Crossover = Callable[..., list[Any] | None]


def position_by_position(
    first: Sequence[Any],
    second: Sequence[Any],
    vocabulary: Sequence[Any],
    rng: np.random.Generator,
    rate: float,
    pairs: set[tuple[Any, Any]],
) -> list[Any] | None:
    """holo-bench's recombination (each position from the first parent with probability
    ``rate``), then the same mutation and pair mending as lsbo's operator."""
    take_first = rng.random(len(first)) < rate
    child = [a if keep else b for a, b, keep in zip(first, second, take_first, strict=True)]
    written = rng.random(len(child)) < rate
    mutated = [
        vocabulary[int(rng.integers(len(vocabulary)))] if w else t
        for t, w in zip(child, written, strict=True)
    ]
    return keep_pairs(mutated, written.tolist(), pairs, vocabulary, rng)


def two_point(
    first: Sequence[Any],
    second: Sequence[Any],
    vocabulary: Sequence[Any],
    rng: np.random.Generator,
    rate: float,
    pairs: set[tuple[Any, Any]],
    translocate: float = TRANSLOCATE,
) -> list[Any] | None:
    """lsbo's operator for parents of one length, the stretch moved in ``translocate``
    of the children (half by default)."""
    return vary_sequence(
        first, second, vocabulary, rng, rate, fixed_length=True, pairs=pairs,
        translocate=translocate,
    )  # fmt: skip


# lsbo's operator before translocations: the stretch always stays in its place
two_point_in_place = functools.partial(two_point, translocate=0.0)


# (label, operator, parents among equal values newest first)
VARIANTS: list[tuple[str, Crossover, bool]] = [
    ("two-point, translocations; newest parents among equals (lsbo)", two_point, True),
    ("two-point, translocations; oldest first", two_point, False),
    ("two-point in place; newest first", two_point_in_place, True),
    ("two-point in place; oldest first (lsbo before)", two_point_in_place, False),
    ("position by position (holo-bench); oldest first", position_by_position, False),
]


@functools.cache
def task() -> tuple[ehrlich.Ehrlich, dict[str, float], set[tuple[Any, Any]]]:
    """The function, its scored training sequences and their pairs of adjacent states,
    made once for every run."""
    data = ehrlich.dataset()
    pairs = set(ehrlich.make_codec(data.designs).pairs or ())
    scores: dict[str, float] = dict(zip(data.designs, data.scores, strict=True))  # type: ignore[arg-type]
    return ehrlich.OBJECTIVE(), scores, pairs


def run(
    cross: Crossover, seed: int, budget: int, survivors: int, newest_first: bool
) -> list[float]:
    """Best value after each evaluation of one steady-state run; among designs of equal
    value the parents are the newest (``newest_first``, as lsbo's strategies choose
    them since 2026-12-05) or the oldest."""
    return evolve(cross, seed, budget, survivors, newest_first)[0]


def evolve(
    cross: Crossover, seed: int, budget: int, survivors: int, newest_first: bool
) -> tuple[list[float], dict[str, float]]:
    """:func:`run`'s loop: the best value after each evaluation, and every sequence
    known at the end (the training data's and the run's) with its value."""
    function, scores, pairs = task()
    vocabulary = list(function.alphabet)
    rate = 1.1 / function.dim
    known = dict(scores)
    rng = np.random.default_rng([seed, 7])
    best, trace = 0.0, list[float]()
    while len(trace) < budget:
        order = reversed(list(known)) if newest_first else known  # sorting keeps ties' order
        best_known = sorted(order, key=known.__getitem__, reverse=True)[:survivors]
        parents = [list(d) for d in best_known]
        children: list[str] = []
        for _ in range(50):  # draws, as the genetic strategy's
            made = breed(parents, Q, rng, lambda a, b: cross(a, b, vocabulary, rng, rate, pairs))
            children += [c for c in map("".join, made) if c not in known and c not in children]
            if len(children) >= Q:
                break
        children = children[: min(Q, budget - len(trace))]
        if not children:
            break
        for child, value in zip(children, function(children), strict=True):
            known[child] = float(value.value)  # type: ignore[arg-type]
            best = max(best, known[child])
            trace.append(best)
    return trace + [best] * (budget - len(trace)), known


def main() -> None:
    parser = ablation_parser(__doc__, seeds=100, budget=1000)
    parser.add_argument("--survivors", default="10", help="comma-separated pool sizes")
    args = parser.parse_args()
    host = machine()
    checkpoints = [c for c in CHECKPOINTS if c <= args.budget]
    rows = []
    for survivors in (int(s) for s in args.survivors.split(",")):
        for name, cross, newest in VARIANTS:
            traces = [
                run(cross, seed, args.budget, survivors, newest) for seed in range(args.seeds)
            ]
            cells = [mean_se([t[c - 1] for t in traces]) for c in checkpoints]
            reached = sum(t[-1] >= 1.0 for t in traces)
            rows.append([name, str(survivors), *cells, f"{reached} of {len(traces)}"])
    paragraph = (
        f"`python benchmarks/crossover.py --seeds {args.seeds} --budget "
        f"{args.budget} --survivors {args.survivors}`: the steady-state genetic "
        "algorithm of the `genetic` strategy on Ehrlich small (maximize, optimum "
        f"1.0), {Q} children a round, without a VAE; seeds 0 to {args.seeds - 1}. "
        "Best after N evaluations, mean ± standard error over seeds. lsbo's "
        "operator is two-point since 2026-12-05 (position by position before), "
        "with half the stretches moved to a random place and parents among equal "
        f"values newest first, the same day. {host}."
    )
    header = ["recombination", "survivors", *(f"best after {c:,}" for c in checkpoints)]
    text = table_section(HEADING, paragraph, [*header, "seeds reaching 1.0"], rows)
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
