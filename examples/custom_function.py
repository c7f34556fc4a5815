"""Optimize your own black-box function over strings.

The "lab" here is a made-up assay that likes strings rich in 'G' and 'C' but punishes
long runs of the same letter. lsbo learns a latent space of the training strings,
then spends a budget of assay calls on the designs Bayesian optimization proposes.

Run: python examples/custom_function.py      (SMOKE=1 for a seconds-long run)
"""

import os
import random

import lsbo

SMOKE = os.environ.get("SMOKE") == "1"


def assay(sequence: str) -> float:
    """Score a DNA-like string: GC content minus a penalty for repeats."""
    gc = sum(base in "GC" for base in sequence) / len(sequence)
    longest = max(len(run) for run in _runs(sequence))
    return gc - 0.1 * max(0, longest - 2)


def _runs(sequence: str) -> list[str]:
    runs, current = [], sequence[0]
    for base in sequence[1:]:
        if base == current[-1]:
            current += base
        else:
            runs.append(current)
            current = base
    return [*runs, current]


def training_designs(n: int, seed: int = 0) -> list[str]:
    """AT-rich random strings of length 8-12 (so the best GC content lies outside)."""
    rng = random.Random(seed)
    return [
        "".join(rng.choices("ACGT", weights=[3, 1, 1, 3], k=rng.randint(8, 12))) for _ in range(n)
    ]


def main() -> None:
    designs = training_designs(300 if SMOKE else 3000)
    options = lsbo.OptimizerOptions(
        latent_dim=8, vae=lsbo.TrainingOptions(epochs=3 if SMOKE else 30)
    )
    result = lsbo.optimize(assay, designs, budget=8 if SMOKE else 60, seed=0, options=options)
    print(f"best training design: {max(map(assay, designs)):.3f}")
    print(f"best design found:    {result.best_design} scores {result.best_value:.3f}")
    print(f"{len(result.history)} evaluations, {result.n_failed} failed")


if __name__ == "__main__":
    main()
