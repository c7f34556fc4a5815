"""Seconds per proposal step, and how good the proposal is, as the evaluations pile up.

One process measures, at n = 100, 500, 2,000 and 10,000 random points in 16 dimensions,
one proposal step (surrogate fit + qLogEI for q=1, 10 restarts, 256 raw samples, 256 MC
samples) with each surrogate: the exact GP on all n points, the exact GP on lsbo's local
subset (300 points, and 1,000 as LOL-BO), and the variational GP on all n points. Like
the optimizer, every fit is warm-started from the previous step's (a fit on the first
n - 1 points, whose time is the cold-start figure). Quality: the true value of the
proposed point on two test functions (maximized), and R^2 on fresh random points.

    python benchmarks/surrogate_scaling.py [--quick] [--seeds 3] [--threads 2] [--cap 600]

Prints markdown tables and writes them into benchmarks/RESULTS.md under the heading
"## Surrogate scaling" (replaced if present, other sections kept).
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from _results import machine, publish  # benchmarks/ is on the path when run
from botorch.test_functions import Levy, StyblinskiTang
from botorch.test_functions.synthetic import SyntheticTestFunction
from torch import Tensor

from lsbo.acquisition import optimize_qlogei
from lsbo.surrogates import fit_surrogate, select_training_points

HEADING = "## Surrogate scaling"
DIM = 16
SIZES = (100, 500, 2000, 10000)
QUICK_SIZES = (100, 500, 1000)
ACQ = {"q": 1, "num_restarts": 10, "raw_samples": 256, "mc_samples": 256}
FUNCTIONS: dict[str, Callable[[], SyntheticTestFunction]] = {
    "Levy": lambda: Levy(dim=DIM, negate=True),
    "Styblinski-Tang": lambda: StyblinskiTang(dim=DIM, negate=True),
}
THRESHOLD = 500  # the recommended policy: exact GP on all points up to here, then variational


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the results
class Method:
    name: str
    kind: str  # "exact" or "variational"
    subset: int | None = None  # exact GP on select_training_points(max_points=subset)
    options: dict[str, Any] = field(default_factory=dict)


EXACT = Method("exact GP, all n points", "exact")
VARIATIONAL = Method("variational GP, all n, 128 inducing", "variational")
METHODS = (
    EXACT,
    Method("exact GP, local subset of 300 (lsbo's earlier default)", "exact", subset=300),
    Method("exact GP, local subset of 1,000 (as LOL-BO)", "exact", subset=1000),
    VARIATIONAL,
    Method("variational GP, all n, 256 inducing", "variational", options={"num_inducing": 256}),
    Method(
        "variational GP, all n, 128 inducing, + 30 ELBO steps",
        "variational",
        options={"num_steps": 30},
    ),
)
RECOMMENDED = f"**lsbo's surrogate**: exact GP up to {THRESHOLD} points, variational (128) above"


@dataclass
class Cell:
    cold: list[float] = field(default_factory=list)  # fit from scratch on n - 1 points
    warm: list[float] = field(default_factory=list)  # fit on n points, warm-started
    acq: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)  # per function
    r2: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""

    def step(self) -> float:
        return mean(self.warm) + mean(self.acq)

    def case(self) -> float:
        return mean(self.cold) + mean(self.warm) + mean(self.acq)


def data(function: SyntheticTestFunction, n: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """``n`` uniform random points in the function's box, their values, and the box."""
    bounds = function.bounds.to(torch.float64)
    g = torch.Generator().manual_seed(seed)
    X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n, DIM, generator=g, dtype=torch.float64)
    return X, function(X).unsqueeze(-1), bounds


def training_set(method: Method, X: Tensor, Y: Tensor, seed: int) -> tuple[Tensor, Tensor]:
    if method.subset is None:
        return X, Y
    # every point counts as the run's own (the latest are the "recent" quarter); the
    # random keys are fixed per point, as the optimizer's are
    priority = torch.rand(len(X), generator=torch.Generator().manual_seed(seed + 1))
    recent = torch.ones(len(X), dtype=torch.bool)
    keep = select_training_points(Y.squeeze(-1), recent, method.subset, priority)
    return X[keep], Y[keep]


def one_case(method: Method, label: str, n: int, seed: int, cell: Cell) -> None:
    """Time a cold fit on n - 1 points, the warm fit on n points and qLogEI; score them."""
    function = FUNCTIONS[label]()
    X, Y, bounds = data(function, n, seed)
    fit = {"kind": method.kind, "seed": seed, **method.options}
    start = time.perf_counter()
    _, state = fit_surrogate(*training_set(method, X[:-1], Y[:-1], seed), bounds, **fit)
    cell.cold.append(time.perf_counter() - start)
    start = time.perf_counter()
    model, _ = fit_surrogate(*training_set(method, X, Y, seed), bounds, warm_start=state, **fit)
    cell.warm.append(time.perf_counter() - start)
    start = time.perf_counter()
    candidates, _ = optimize_qlogei(model, bounds, best_f=Y.max(), seed=seed, **ACQ)
    cell.acq.append(time.perf_counter() - start)
    cell.values.setdefault(label, []).append(function(candidates[0]).item())
    X_test, Y_test, _ = data(function, 1000, seed + 10_000)
    with torch.no_grad():
        error = model.posterior(X_test).mean - Y_test
    cell.r2.setdefault(label, []).append(1 - (error**2).mean().item() / Y_test.var().item())


def estimate(method: Method, cells: dict[int, Cell], n: int) -> float | None:
    """Seconds for one case of an exact GP at ``n``, extrapolated from the two largest
    sizes measured, at least as n^2 in its training points; None when fewer than two
    were measured or the surrogate is not an exact GP."""
    done = sorted(m for m, c in cells.items() if c.cold)
    if method.kind != "exact" or len(done) < 2:
        return None
    size = {m: min(m, method.subset or m) for m in [*done, n]}
    a, b = done[-2:]
    if size[n] == size[b]:
        return cells[b].case()
    slope = math.log(cells[b].case() / cells[a].case()) / math.log(size[b] / size[a])
    # at least quadratic: at the small sizes, overheads that do not grow dominate
    return cells[b].case() * (size[n] / size[b]) ** max(2.0, slope)


def run_method(method: Method, args: argparse.Namespace) -> dict[int, Cell]:
    cells: dict[int, Cell] = {}
    cases = args.seeds * len(args.functions)
    for n in args.sizes:
        guess = estimate(method, cells, n)
        cells[n] = cell = Cell()
        if guess is not None and guess * cases > args.cap:
            cell.note = f"not run: estimated {guess:.0f} s"
            print(f"{method.name}, n={n}: {cell.note} per case", flush=True)
            continue
        for label in args.functions:
            for seed in range(args.seeds):
                one_case(method, label, n, seed, cell)
        values = ", ".join(f"{k} {mean(v):.2f}" for k, v in cell.values.items())
        print(
            f"{method.name}, n={n}: cold {mean(cell.cold):.2f} s, warm {mean(cell.warm):.2f} "
            f"s, acquisition {mean(cell.acq):.2f} s; {values}",
            flush=True,
        )
    return cells


def recommended(results: dict[Method, dict[int, Cell]]) -> dict[int, Cell]:
    """The recommended policy's cells, taken from the surrogates it switches between."""
    return {n: results[EXACT if n <= THRESHOLD else VARIATIONAL][n] for n in results[EXACT]}


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def mean_se(xs: list[float], digits: int = 2) -> str:
    m = mean(xs)
    if len(xs) < 2:
        return f"{m:.{digits}f}"
    se = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs)) ** 0.5
    return f"{m:.{digits}f} +- {se:.{digits}f}"


def header(first: str, sizes: tuple[int, ...]) -> list[str]:
    return [
        f"| {first} | " + " | ".join(f"n = {n:,}" for n in sizes) + " |",
        "| --- |" + " ---: |" * len(sizes),
    ]


def time_table(rows: dict[str, dict[int, Cell]], sizes: tuple[int, ...]) -> str:
    lines = header("surrogate", sizes)
    for name, cells in rows.items():
        row = [
            f"**{c.step():.2f}** (fit {mean(c.warm):.2f}; cold {mean(c.cold) + mean(c.acq):.2f})"
            if c.cold
            else c.note
            for c in (cells[n] for n in sizes)
        ]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def ratios(rows: dict[str, dict[int, Cell]], sizes: tuple[int, ...]) -> str:
    small, large = 500, sizes[-1]
    if small not in sizes or large == small:
        return ""
    out = [f"Step at n = {large:,} over step at n = {small}:", ""]
    for name, cells in rows.items():
        if cells[small].cold and cells[large].cold:
            out.append(f"- {name}: {cells[large].step() / cells[small].step():.1f}x")
    return "\n".join(out)


def quality_table(
    rows: dict[str, dict[int, Cell]], sizes: tuple[int, ...], label: str, what: str
) -> str:
    lines = header(label, sizes)
    for name, cells in rows.items():
        row = [
            mean_se(getattr(c, what)[label]) if c.cold else "-" for c in (cells[n] for n in sizes)
        ]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def best_in_data(label: str, sizes: tuple[int, ...], seeds: int) -> str:
    function = FUNCTIONS[label]()
    best = [mean_se([data(function, n, s)[1].max().item() for s in range(seeds)]) for n in sizes]
    return "| best of the n random points | " + " | ".join(best) + " |"


def section(rows: dict[str, dict[int, Cell]], args: argparse.Namespace, host: str) -> str:
    command = " ".join(["python benchmarks/surrogate_scaling.py", *sys.argv[1:]])
    setup = (
        f"n uniform random points in {DIM} dimensions; {args.seeds} seed(s) for each test "
        f"function ({', '.join(args.functions)}; negated, so larger is better: optimum 0 "
        "for Levy, 626.6 for Styblinski-Tang). One proposal step = surrogate fit + "
        "`optimize_qlogei` (q=1, 10 restarts, 256 raw samples, 256 MC samples). Each fit "
        "is warm-started from a fit on the first n - 1 points, as the optimizer warm-starts "
        "from its previous step (the variational GP: `fit_variational_gp` defaults, i.e. "
        "hyperparameters of an exact GP on 500 random points, inducing points by greedy "
        "variance reduction, the ELBO's optimal variational distribution on all n; the "
        "last row adds 30 minibatch Adam/natural-gradient steps on the ELBO); in bold "
        "that step (warm fit + acquisition), then its fit "
        "alone, then the step with the fit from scratch. Mean seconds over all cases "
        f"(functions x seeds), torch threads {args.threads}. A size is not run when a "
        "log-log extrapolation from the two sizes below says its cases would take more "
        f"than {args.cap:.0f} s. Quality: the true value at the proposed point, and R^2 of "
        "the posterior mean on 1,000 fresh random points (mean +- s.e. over seeds). The "
        f"whole benchmark took {args.wall / 60:.1f} min."
    )
    parts = [
        HEADING,
        f"`{command}` on {host}, {time.strftime('%Y-%m-%d')}.",
        textwrap.fill(setup, 88),
        "Seconds per proposal step:",
        time_table(rows, args.sizes),
        ratios(rows, args.sizes),
    ]
    for label in args.functions:
        values = quality_table(rows, args.sizes, label, "values")
        parts.append(
            f"{label}, true value at the proposed point:\n\n{values}\n"
            + best_in_data(label, args.sizes, args.seeds)
        )
        parts.append(f"{label}, R^2:\n\n" + quality_table(rows, args.sizes, label, "r2"))
    return "\n\n".join(p for p in parts if p) + "\n"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="n up to 1,000, 1 seed, Levy; prints only"
    )
    parser.add_argument("--seeds", type=int, default=None, help="seeds per function (3)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--cap", type=float, default=600.0, help="seconds per size, at most")
    parser.add_argument("--function", action="append", choices=sorted(FUNCTIONS))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    args.sizes = QUICK_SIZES if args.quick else SIZES
    args.seeds = args.seeds or (1 if args.quick else 3)
    args.functions = args.function or (["Levy"] if args.quick else list(FUNCTIONS))
    if args.quick:
        args.cap = min(args.cap, 30.0)
    return args


def main() -> None:
    args = parse()
    torch.set_num_threads(args.threads)
    host = machine()  # the load average before this benchmark adds to it
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch's notes on input scaling and the like
        results = {method: run_method(method, args) for method in METHODS}
    args.wall = time.perf_counter() - start
    rows = {m.name: cells for m, cells in results.items()}
    rows = {EXACT.name: rows.pop(EXACT.name), RECOMMENDED: recommended(results), **rows}
    text = section(rows, args, host)
    # a smoke run must not replace the measurement
    publish(HEADING, text, write=not (args.no_write or args.quick))


if __name__ == "__main__":
    main()
