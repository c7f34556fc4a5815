"""Seconds to open a stored run again (a resume, ``lsbo worker``, ``lsbo ask``/``tell``),
with and without the training designs' extremes kept in the stored VAE.

The search box spans the encoded training designs. Before, every process that opened a
run encoded all of them to find it; now the VAE stored with the run keeps the extremes
of those encodings (under a digest of the designs and its weights,
``lsbo.latent_space.LatentSpace.training_extremes``). One process trains one VAE
(latent dimension 16) on 2,000 random strings, makes a run of ``n`` training designs
(all of them unscored) in a SQLite file, asks and tells one batch, then times
``Optimizer(...)`` on that stored run ``--repeats`` times as it is, and as many times
after the kept extremes are removed from the stored VAE (what a run stored by an older
lsbo holds), alternating the two. Both must give the same search box. The last row is
the built-in expression task (50,000 training designs, 5,000 of them scored, with the
VAE shipped in ``objectives/data/pretrained``), whose grammar codec parses each design
it encodes: what ``lsbo ask`` does on a run of ``lsbo run expression``.

    python benchmarks/reopen.py [--sizes 10000,50000] [--repeats 3] [--threads 2]

Prints a markdown table and writes it into benchmarks/RESULTS.md under "## Opening a
stored run" (replaced if present, other sections kept).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from _results import machine, publish  # benchmarks/ is on the path when run
from strategy_cost import strings  # random strings over 'abcd', as that benchmark's

import lsbo
from lsbo.latent_space import TRAINING_EXTREMES
from lsbo.models import TrainingOptions, fit_new_vae

HEADING = "## Opening a stored run"


def score(s: str) -> float:
    return float(s.count("ab") - 0.1 * len(s))


@dataclass(frozen=True)
class Task:
    label: str
    objective: Callable[[str], float]
    designs: list[str]
    scores: list[float | None] | None
    vae: lsbo.VAE
    maximize: bool = True

    def optimizer(self, storage: str, vae: lsbo.VAE | None = None) -> lsbo.Optimizer:
        return lsbo.Optimizer(
            self.objective, self.designs, scores=self.scores, model=vae,
            maximize=self.maximize, storage=storage, name="r", seed=0,
        )  # fmt: skip


def expression_task() -> Task:
    """The built-in expression task's data, objective and shipped VAE."""
    import objectives
    from lsbo.models.cache import cached_vae

    module, data = objectives.load("expression"), objectives.load("expression").dataset()
    options = module.default_options()
    with tempfile.TemporaryDirectory() as cache:  # the shipped VAE is found first
        vae, shipped = cached_vae(
            cache, data.designs, module.make_codec(data.designs), options.latent_dim,
            options.vae, 0, prefix="expression", pretrained=[objectives.PRETRAINED],
        )  # fmt: skip
    if not shipped:
        raise SystemExit("the expression task's shipped VAE was not found")
    return Task(
        "expression task: 50,000 designs, 5,000 scored", module.score, data.designs,
        data.scores, vae, maximize=False,
    )  # fmt: skip


def open_run(task: Task, storage: str) -> tuple[float, torch.Tensor]:
    """Seconds to open the stored run ``r`` again, and its search box."""
    start = time.perf_counter()
    optimizer = task.optimizer(storage)
    return time.perf_counter() - start, optimizer.latent.bounds


def store(optimizer: lsbo.Optimizer, model: lsbo.VAE, extremes: bool) -> None:
    """Store ``model`` as the run's VAE, with or without the kept extremes (without: as an
    older lsbo stored it)."""
    metadata = model.metadata
    if not extremes:
        model.metadata = {k: v for k, v in metadata.items() if k != TRAINING_EXTREMES}
    optimizer.run_storage.save_model(model, optimizer.seed, replace=True)
    model.metadata = metadata


def measure(task: Task, repeats: int, path: Path) -> tuple[list[float], list[float]]:
    storage = f"sqlite:///{path}"
    optimizer = task.optimizer(storage, task.vae)
    for proposal in optimizer.ask(2):
        optimizer.tell(proposal, task.objective(proposal.design))
    stored = optimizer.run_storage.load_model()
    if TRAINING_EXTREMES not in stored.metadata:
        raise SystemExit(f"{task.label}: the stored VAE keeps no extremes")
    kept, encoded = [], []
    for _ in range(repeats):
        store(optimizer, stored, extremes=True)
        seconds, box = open_run(task, storage)
        kept.append(seconds)
        store(optimizer, stored, extremes=False)
        seconds, again = open_run(task, storage)
        encoded.append(seconds)
        if not torch.equal(box, again):
            raise SystemExit(f"{task.label}: the kept extremes gave another box")
    return kept, encoded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,50000", help="comma-separated n")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-expression", action="store_true", help="random strings only")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    host = machine()
    vae, _ = fit_new_vae(strings(2000), latent_dim=16, options=TrainingOptions(epochs=5), seed=0)
    tasks = [
        Task(f"{n:,} random strings, unscored", score, strings(n, seed=1), None, vae)
        for n in (int(s) for s in args.sizes.split(","))
    ]
    rows = []
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")  # the VAE's quality warnings and BoTorch's notes
        if not args.no_expression:
            tasks.append(expression_task())
        for number, task in enumerate(tasks):
            kept, encoded = measure(task, args.repeats, Path(folder) / f"runs-{number}.db")
            fast, slow = statistics.median(kept), statistics.median(encoded)
            rows.append(f"| {task.label} | {fast:.2f} | {slow:.2f} | {slow / fast:.1f}x |")
    text = "\n".join(
        [
            HEADING,
            "",
            textwrap.fill(
                f"`python benchmarks/reopen.py --sizes {args.sizes} --repeats "
                f"{args.repeats} --threads {args.threads}`: seconds to open a stored run "
                "again (`lsbo.Optimizer` with its storage "
                "and name: what a resume, `lsbo worker`, `lsbo ask` and `lsbo tell` do), "
                "median of the repeats, one process, the two cases alternating. Kept: the "
                "stored VAE holds the extremes of the training designs' encodings; "
                "encoded: it does not (a run stored by an older lsbo), so every training "
                "design is encoded to find the search box. Both give the same box; the "
                "ratio is the figure to read, the seconds move with the machine's load. "
                f"{host}.",
                88,
            ),
            "",
            "| training designs | kept (s) | encoded (s) | encoded / kept |",
            "| --- | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
    publish(HEADING, text, write=not args.no_write)


if __name__ == "__main__":
    main()
