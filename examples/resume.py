"""Persistent runs: stop a run part way, look at what it stored, and continue it.

With ``storage`` set to a file, lsbo stores every proposal, every score and the VAE in
SQLite as it goes. Here a callback raises ``KeyboardInterrupt`` after a few evaluations,
as pressing Ctrl-C would; the example catches it as a user at the prompt would see it,
reads the stored run back with ``lsbo.load_run``, then calls ``lsbo.optimize`` again
with the same storage and name and a larger budget. That call loads the stored VAE
(no new training) and evaluates only what is missing: the example checks that the
objective saw each design once and that the run ends with exactly the budget.

The same works from the command line: ``lsbo run ... --storage runs.db --name my-run``,
Ctrl-C, then the same command again.

The database goes to a temporary folder, removed at the end, or to the path in
``RESUME_DB`` (a file that does not exist yet), where it stays for you to look at.

Run: python examples/resume.py      (SMOKE=1 for a seconds-long run)
"""

import collections
import os
import random
import tempfile

import lsbo

SMOKE = os.environ.get("SMOKE") == "1"
STOP_AFTER = 4 if SMOKE else 15  # evaluations before the "Ctrl-C"
FIRST_BUDGET = 8 if SMOKE else 30  # what the first call asked for
BUDGET = 10 if SMOKE else 60  # the larger budget of the second call
calls = collections.Counter()  # how often the objective saw each design


def experiment(sequence: str) -> float:
    """A stand-in for an experiment too costly to repeat: rewards 'GC' pairs, length 10."""
    calls[sequence] += 1
    return sequence.count("GC") - 0.2 * abs(len(sequence) - 10)


def training_designs(n: int, seed: int = 0) -> list[str]:
    """Random strings of length 6-14 over ACGT."""
    rng = random.Random(seed)
    return ["".join(rng.choices("ACGT", k=rng.randint(6, 14))) for _ in range(n)]


def interrupt_after(k: int):
    """A callback that stops the run, like Ctrl-C, once it holds ``k`` evaluations."""

    def callback(optimizer: lsbo.Optimizer, record: lsbo.Record) -> None:
        if optimizer.n_evaluated >= k:
            raise KeyboardInterrupt

    return callback


def main() -> None:
    path = os.environ.get("RESUME_DB")
    if path is None:
        with tempfile.TemporaryDirectory() as folder:
            demo(os.path.join(folder, "runs.db"))
    elif os.path.exists(path):
        raise SystemExit(f"{path} exists already; remove it or set RESUME_DB to a new path")
    else:
        demo(path)


def demo(path: str) -> None:
    """Interrupt a run stored at ``path``, read it back, and continue it."""
    designs = training_designs(300 if SMOKE else 2000)
    options = lsbo.OptimizerOptions(
        latent_dim=8,
        vae=lsbo.TrainingOptions(epochs=3 if SMOKE else 30),
        n_initial=3 if SMOKE else 10,
        num_restarts=2 if SMOKE else 10,
        raw_samples=32 if SMOKE else 256,
    )
    run = {"storage": path, "name": "gc-pairs", "seed": 0, "options": options}
    try:
        stop = interrupt_after(STOP_AFTER)
        lsbo.optimize(experiment, designs, FIRST_BUDGET, callbacks=[stop], **run)
    except KeyboardInterrupt:
        print(f"interrupted after {sum(calls.values())} evaluations")
    stored = lsbo.load_run(path, "gc-pairs")
    print(f"lsbo.load_run: {len(stored.history)} evaluations stored, {stored.n_pending} pending")
    print(f"best so far: {stored.best_design!r} scores {stored.best_value:.2f}")

    result = lsbo.optimize(experiment, designs, BUDGET, **run)  # the same storage and name
    repeated = sorted(design for design, n in calls.items() if n > 1)
    print(
        f"continued to {len(result.history)} evaluations (budget {BUDGET}); the objective "
        f"ran {sum(calls.values())} times; repeated designs: {repeated or 'none'}"
    )
    if len(result.history) != BUDGET or sum(calls.values()) != BUDGET or repeated:
        raise SystemExit("the resumed run lost or repeated evaluations")
    print(f"best design found: {result.best_design!r} scores {result.best_value:.2f}")


if __name__ == "__main__":
    main()
