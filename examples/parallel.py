"""Batch and parallel evaluation of a slow objective.

The objective stands for a simulation that takes a while (``time.sleep``). lsbo can keep
several of them busy at once, in two ways, both shown here on the same VAE:

- Synchronous batches: ``OptimizerOptions(batch_size=4)`` without an executor asks for
  4 designs at a time (qLogEI with q=4) and hands them to the objective in one call.
  A plain function is called once per design, in this thread; an ``lsbo.Objective``
  whose ``_evaluate`` takes the whole batch can score it in parallel, as the one below
  does on a thread pool. The next batch waits for the slowest design; the run is
  reproducible for a fixed seed.
- Asynchronous: ``executor=concurrent.futures.ThreadPoolExecutor(4)`` runs each design
  as its own task, and a new design is proposed as soon as any worker frees up, while
  the others keep running. ``batch_size`` is not used then: the executor's workers (or
  ``n_workers``) set how many designs are in flight. Which evaluation finishes first
  steers the next proposal, so two runs can differ.

It prints, for each way, the time spent in the objective summed over evaluations
against the time the run waited for them, and the best design found. With 4 workers
the batches wait about a quarter of the summed time; the asynchronous run waits less
still, since its workers simulate while the optimizer computes the next proposal.

Other executors: a ``ProcessPoolExecutor`` (the objective must be picklable), or a Dask
cluster: ``executor=dask.distributed.Client("tcp://scheduler:8786")``, with the
objective importable on the workers. From the command line, ``lsbo run ... --workers
4`` evaluates on 4 threads, ``--scheduler tcp://host:8786`` on a Dask cluster, and
``lsbo worker --storage URL --name my-run`` joins a run that ``lsbo run`` stored there,
from any process that reaches the storage (a PostgreSQL URL for other machines), the
database giving each design to one worker only.

Run: python examples/parallel.py      (SMOKE=1 for a seconds-long run)
"""

import concurrent.futures as cf
import os
import random
import threading
import time

import lsbo

SMOKE = os.environ.get("SMOKE") == "1"
SECONDS = 0.1 if SMOKE else 0.2  # how long one simulation takes
WORKERS = 4
_lock = threading.Lock()
simulated = [0.0]  # seconds spent in `simulate`, summed over evaluations


def simulate(sequence: str) -> float:
    """A slow, made-up simulation: rewards 'GC' pairs in strings of about 10 letters."""
    start = time.perf_counter()
    time.sleep(SECONDS)
    with _lock:
        simulated[0] += time.perf_counter() - start
    return sequence.count("GC") - 0.2 * abs(len(sequence) - 10)


class BatchSimulator(lsbo.Objective):
    """Scores a whole batch at once, each design on its own thread."""

    name = "batch-simulator"
    batch_size = None  # `_evaluate` receives every design of an ask at once

    def _evaluate(self, designs: list[str]) -> list[float]:
        with cf.ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(simulate, designs))


def training_designs(n: int, seed: int = 0) -> list[str]:
    """Random strings of length 6-14 over ACGT."""
    rng = random.Random(seed)
    return ["".join(rng.choices("ACGT", k=rng.randint(6, 14))) for _ in range(n)]


def timed_run(label: str, objective, designs: list[str], **kwargs) -> lsbo.OptimizationResult:
    """``lsbo.optimize`` with this example's settings; prints where the time went."""
    simulated[0] = 0.0
    start = time.perf_counter()
    result = lsbo.optimize(objective, designs, budget=12 if SMOKE else 60, seed=0, **kwargs)
    wall, waited = time.perf_counter() - start, result.stats.objective_seconds
    print(f"{label}: {len(result.history)} evaluations of {SECONDS:g} s")
    print(f"  in the objective, summed over evaluations: {simulated[0]:.1f} s")
    print(f"  waited for evaluations: {waited:.1f} s ({simulated[0] / waited:.1f}x less)")
    print(f"  whole run: {wall:.1f} s, {result.stats.vae_seconds:.1f} s of it training the VAE")
    print(f"  best design found: {result.best_design!r} scores {result.best_value:.2f}")
    return result


def main() -> None:
    designs = training_designs(300 if SMOKE else 2000)
    options = lsbo.OptimizerOptions(
        latent_dim=8,
        vae=lsbo.TrainingOptions(epochs=3 if SMOKE else 30),
        batch_size=WORKERS,
        n_initial=4 if SMOKE else 12,
        num_restarts=2 if SMOKE else 10,
        raw_samples=32 if SMOKE else 256,
    )
    first = timed_run("batches of 4, no executor", BatchSimulator(), designs, options=options)
    with cf.ThreadPoolExecutor(WORKERS) as executor:  # the VAE of the first run is reused
        timed_run(
            "asynchronous, 4 threads",
            simulate,
            designs,
            options=options,
            model=first.model,
            executor=executor,
        )


if __name__ == "__main__":
    main()
