"""Grow the shaded area of an image beyond anything in the training data.

The VAE learns a 2-D latent space of single squares (area at most 400); Bayesian
optimization then looks in that space for decoded images with more shaded pixels
(the "shapes" task of the weighted-retraining paper; the best possible area is 4096).
It prints the best area found and saves the best images to ``shapes_best.png``
in the current folder (with SMOKE=1, in the temporary folder), or to the path in
``SHAPES_PLOT``.

Run: python examples/shapes.py      (SMOKE=1 for a seconds-long run)
"""

import dataclasses
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import lsbo
from objectives import shapes

SMOKE = os.environ.get("SMOKE") == "1"


def main() -> None:
    data = shapes.dataset()
    options = shapes.default_options()
    if SMOKE:
        vae = dataclasses.replace(options.vae, epochs=5)
        options = dataclasses.replace(options, vae=vae, n_initial=3, num_restarts=2, raw_samples=32)
    result = lsbo.optimize(
        shapes.OBJECTIVE(),
        data.designs,
        scores=data.scores,
        budget=5 if SMOKE else 100,
        options=options,
        seed=0,
    )
    print(f"best training area: {max(data.scores):.0f}")
    print(f"best area found:    {result.best_value:.0f} (optimum {shapes.OPTIMUM:.0f})")
    # a smoke run (CI) leaves nothing in the working tree
    default = os.path.join(tempfile.gettempdir(), "shapes_best.png") if SMOKE else "shapes_best.png"
    path = os.environ.get("SHAPES_PLOT", default)
    save_best(result, path)
    print(f"{len(result.history)} evaluations; best designs saved to {path}")


def save_best(result: lsbo.OptimizationResult, path: str, k: int = 8) -> None:
    """Save the ``k`` highest-scoring distinct images of a run, each titled by its area."""
    complete = [r for r in result.history if r.status == "complete"]
    best = sorted(complete, key=lambda r: r.value, reverse=True)[:k]
    fig, axes = plt.subplots(1, k, figsize=(2 * k, 2.3), squeeze=False)
    for ax in axes[0]:
        ax.axis("off")
    for ax, record in zip(axes[0], best, strict=False):
        ax.axis("on")  # keep the frame: it shows the 64x64 border
        ax.set_xticks([])
        ax.set_yticks([])
        ax.imshow(record.design, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"area {record.value:.0f}")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
