"""Latent-space BO on an Ehrlich function, a closed-form stand-in for protein design.

The small Ehrlich function (32 states, length 32, two spaced motifs of length 4) scores
a sequence by how much of each motif it holds, and scores 0 when the sequence uses a
transition its hidden Markov chain forbids. lsbo trains a VAE on sequences sampled from
that chain, then spends a budget of evaluations on designs proposed in latent space,
and draws the best designs found as a heatmap of their states.

Run: python examples/ehrlich.py      (SMOKE=1 for a seconds-long run)
The picture goes to $EHRLICH_PLOT, or ehrlich_best.png in the temporary folder.
"""

import dataclasses
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import lsbo
from objectives import ehrlich

SMOKE = os.environ.get("SMOKE") == "1"


def main() -> None:
    function = ehrlich.EhrlichSmall()
    data = ehrlich.dataset(n=200 if SMOKE else None, seed=0)
    options = ehrlich.default_options()
    if SMOKE:
        vae = dataclasses.replace(options.vae, epochs=2)
        options = dataclasses.replace(
            options, vae=vae, num_restarts=2, raw_samples=32, max_gp_points=64
        )
    result = lsbo.optimize(
        function,
        data.designs,
        scores=data.scores,
        codec=ehrlich.make_codec(data.designs),
        budget=5 if SMOKE else 100,
        options=options,
        seed=0,
    )
    print(f"best training value: {max(data.scores):.4f} (optimum {function.optimum})")
    print(f"best design found:   {result.best_design} scores {result.best_value:.4f}")
    print(f"{len(result.history)} evaluations, {result.n_failed} failed")
    path = os.environ.get("EHRLICH_PLOT") or os.path.join(tempfile.gettempdir(), "ehrlich_best.png")
    plot_best(function, result.history, path)
    print(f"heatmap of the best designs saved to {path}")


def plot_best(function: ehrlich.Ehrlich, history: list, path: str, top: int = 10) -> None:
    """Heatmap of the states of the ``top`` best designs (one row each, best on top)."""
    complete = sorted(
        (r for r in history if r.status == "complete"), key=lambda r: r.value, reverse=True
    )[:top]
    states = function.to_states([r.design for r in complete]).reshape(len(complete), -1)
    figure, axes = plt.subplots(figsize=(8, 0.4 * max(len(complete), 2) + 1))
    image = axes.imshow(states, cmap="viridis", aspect="auto", vmin=0, vmax=function.num_states)
    axes.set_yticks(np.arange(len(complete)), [f"{r.value:.3f}" for r in complete])
    axes.set_xlabel("position")
    axes.set_ylabel("value")
    figure.colorbar(image, ax=axes, label="state")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    main()
