"""Find an arithmetic expression that matches a hidden curve (the Grammar-VAE task).

The target is 1/3 + x + sin(x*x) on [-10, 10]. The training expressions are random
derivations of a small grammar, with the better-fitting half removed (the
weighted-retraining benchmark setting), so the optimizer has to find fits better than
any it was shown. The score, log(1 + MSE) capped at 7, is minimized. The script prints
the best expression found and plots the best expressions against the target.

Run: python examples/expression.py      (SMOKE=1 for a seconds-long run)
The picture goes to $EXPRESSION_PLOT, or expression_best.png in the temporary folder.
"""

import dataclasses
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import lsbo
from objectives import expression

SMOKE = os.environ.get("SMOKE") == "1"


def main() -> None:
    data = expression.dataset(n=3000 if SMOKE else None)
    options = expression.default_options()
    if SMOKE:
        vae = dataclasses.replace(options.vae, epochs=2)
        options = dataclasses.replace(options, vae=vae, n_initial=3, num_restarts=2, raw_samples=32)
    result = lsbo.optimize(
        expression.OBJECTIVE(),
        data.designs,
        scores=data.scores,
        codec=expression.make_codec(data.designs),  # the Grammar VAE: every decode is valid
        budget=5 if SMOKE else 100,
        options=options,
        seed=0,
    )
    known = [s for s in data.scores if s is not None]
    print(f"best score in the scored data: {min(known):.3f}")
    print(f"best expression found: {result.best_design}  (score {result.best_value:.3f})")
    default = os.path.join(tempfile.gettempdir(), "expression_best.png")
    path = os.environ.get("EXPRESSION_PLOT", default)
    save_best(result, path)
    print(f"best expressions plotted in {path}")


def save_best(result: lsbo.OptimizationResult, path: str, k: int = 3) -> None:
    """Plot the target curve and the ``k`` best expressions of a run."""
    complete = sorted((r for r in result.history if r.status == "complete"), key=lambda r: r.value)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(
        expression.X,
        expression.evaluate_expression(expression.TARGET),
        "k",
        lw=2.5,
        label=f"target {expression.TARGET}",
    )
    for record in complete[:k]:
        values = expression.evaluate_expression(record.design)
        if values is not None:
            ax.plot(
                expression.X, values, lw=1.2, label=f"{record.design} (score {record.value:.2f})"
            )
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_ylim(-15, 15)
    ax.set_title("Best expressions found against the target")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
