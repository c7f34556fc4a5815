"""What a latent space is: a map of letter shapes and styles, and the optimizer's path on it.

A VAE learns a latent space from 1,302 glyph images (A-Z, a-z, 0-9 in 21 font faces
that matplotlib ships). Bayesian optimization then looks in that space for the image
closest to "A" in DejaVu Serif Bold Italic, a face the VAE never saw (score: minus the
mean squared pixel error, best 0). The latent space has 8 dimensions; the maps show
its first two principal components, so points close on the map may still be far apart
in the other six. Left: all training glyphs (some drawn where they lie), the target
and the search path. Right: a close-up of the search, with some of the designs the
optimizer evaluated drawn where they lie. Below: the target, the training glyph
closest to it, and each design that beat every earlier one.

It prints the best score in the training data and the best score found, and saves the
figure to ``glyphs_map.png`` in the current folder (with SMOKE=1, in the temporary
folder), or to the path in ``GLYPHS_PLOT``. A full run takes about 2 minutes on one core
(OMP_NUM_THREADS=1).

Run: python examples/glyphs.py      (SMOKE=1 for a seconds-long run)
"""

import dataclasses
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.offsetbox import AnnotationBbox, OffsetImage
from matplotlib.patches import Rectangle

import lsbo
from objectives import glyphs

SMOKE = os.environ.get("SMOKE") == "1"
KIND_COLORS = {"capitals": "tab:blue", "lowercase letters": "tab:green", "digits": "tab:orange"}


def main() -> None:
    data = glyphs.dataset()
    options = glyphs.default_options()
    if SMOKE:
        vae = dataclasses.replace(options.vae, epochs=3)
        options = dataclasses.replace(
            options, vae=vae, num_restarts=2, raw_samples=32, max_gp_points=64
        )
    result = lsbo.optimize(
        glyphs.OBJECTIVE(),
        data.designs,
        scores=data.scores,
        codec=glyphs.make_codec(data.designs),
        budget=5 if SMOKE else 100,
        options=options,
        seed=0,
    )
    face, character = glyphs.labels()[int(np.argmax(data.scores))]
    print(f"best training glyph: {character!r} in {face}, score {max(data.scores):.4f}")
    print(f"best design found:   score {result.best_value:.4f} (optimum {glyphs.OPTIMUM})")
    # a smoke run (CI) leaves nothing in the working tree
    default = os.path.join(tempfile.gettempdir(), "glyphs_map.png") if SMOKE else "glyphs_map.png"
    path = os.environ.get("GLYPHS_PLOT", default)
    plot(result, data, path)
    print(f"{len(result.history)} evaluations; latent maps saved to {path}")


# ------------------------------------------------------------------ prepare the data


@dataclasses.dataclass
class MapData:
    """Everything the figure draws, in 2-D map coordinates."""

    training: np.ndarray  # n x 2, the training glyphs' latent means
    images: list  # the training glyphs
    kinds: list  # a key of KIND_COLORS per training glyph
    path: np.ndarray  # m x 2, the evaluated designs in order
    values: np.ndarray  # m scores
    designs: list  # the m evaluated designs
    target: np.ndarray  # 2, the target's latent mean


def map_data(result: lsbo.OptimizationResult, data: lsbo.Dataset) -> MapData:
    """Encode the training glyphs and the target, and project them with the run's path."""
    assert result.model is not None  # optimize() returns the VAE it searched with
    records = [r for r in result.history if r.status == "complete"]
    points = result.model.encode(data.designs)[0].numpy()
    centre = points.mean(axis=0)
    axes = np.linalg.svd(points - centre, full_matrices=False)[2][:2]  # principal axes

    def project(z):
        return (np.asarray(z, dtype=float) - centre) @ axes.T

    kinds = [
        "capitals" if c.isupper() else "lowercase letters" if c.islower() else "digits"
        for _, c in glyphs.labels()
    ]
    # a record's latent point is its decoded design encoded again, as for training glyphs
    return MapData(
        training=project(points),
        images=data.designs,
        kinds=kinds,
        path=project(np.stack([r.latent.numpy() for r in records])),
        values=np.array([r.value for r in records]),
        designs=[r.design for r in records],
        target=project(result.model.encode([glyphs.target_image()])[0].numpy())[0],
    )


def improvements(values: np.ndarray) -> list[int]:
    """Indices of the evaluations that beat every earlier one."""
    best, steps = -np.inf, []
    for i, value in enumerate(values):
        if value > best:
            best, steps = value, [*steps, i]
    return steps


# ------------------------------------------------------------------ draw it


def plot(result: lsbo.OptimizationResult, data: lsbo.Dataset, path: str) -> None:
    """Save the two maps above a row of glyphs."""
    prepared = map_data(result, data)
    figure = plt.figure(figsize=(17, 10.5))
    grid = figure.add_gridspec(2, 10, height_ratios=[8, 1.7])
    overview, close_up = figure.add_subplot(grid[0, :5]), figure.add_subplot(grid[0, 5:])
    window = search_window(prepared)
    draw_overview(overview, prepared, window)
    dots = draw_close_up(close_up, prepared, window)
    figure.colorbar(dots, ax=close_up, shrink=0.7, pad=0.01, label="score of the evaluation")
    draw_glyph_row(figure, grid, data, prepared)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def search_window(prepared: MapData) -> tuple[float, float, float, float]:
    """``(x0, y0, width, height)`` around the target and most of the path, with a margin.

    The farthest 15% of the evaluations (exploration far from the target) are left out
    so that the close-up shows where the search spent its time.
    """
    distance = np.linalg.norm(prepared.path - prepared.target, axis=1)
    near = prepared.path[distance <= np.quantile(distance, 0.85)]
    points = np.vstack([near, prepared.target])
    low, high = points.min(axis=0), points.max(axis=0)
    side = (high - low).max() * 1.4 + 0.05 * np.ptp(prepared.training, axis=0).max()
    centre = (low + high) / 2
    return centre[0] - side / 2, centre[1] - side / 2, side, side


def inside(xy: np.ndarray, window, shrink: float = 0.0) -> np.ndarray:
    """Indices of the points in ``window``, shrunk by ``shrink`` of its size on each side."""
    x0, y0, width, height = window
    low = np.array([x0 + shrink * width, y0 + shrink * height])
    high = np.array([x0 + (1 - shrink) * width, y0 + (1 - shrink) * height])
    return np.flatnonzero(((xy >= low) & (xy <= high)).all(axis=1))


def draw_overview(ax, prepared: MapData, window) -> None:
    """All training glyphs, a spread-out few drawn, the target, and the close-up's frame."""
    colors = [KIND_COLORS[kind] for kind in prepared.kinds]
    ax.scatter(*prepared.training.T, s=6, c=colors, alpha=0.4, linewidths=0)
    for i in spread_out(prepared.training, 60):  # centres far apart: few overlaps
        thumbnail(ax, prepared.images[i], prepared.training[i], zoom=0.7)
    ax.plot(*prepared.path.T, color="k", lw=0.6, alpha=0.6, zorder=3)
    ax.add_patch(Rectangle(window[:2], *window[2:], fill=False, ec="k", ls="--", zorder=4))
    draw_target(ax, prepared.target, offset=(-40, 30))
    for kind, color in KIND_COLORS.items():
        ax.scatter([], [], c=color, s=20, label=f"training glyphs: {kind}")
    ax.plot([], [], color="k", lw=0.8, label="the optimizer's path (dashed: close-up)")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax.set_xlabel("first principal component of the latent means")
    ax.set_ylabel("second principal component")
    ax.set_title("Latent space of the glyph VAE: 1,302 training glyphs")


def draw_close_up(ax, prepared: MapData, window):
    """The search region: nearby training glyphs (grey), designs the optimizer evaluated
    (framed in the colour of their score), the numbered path and the target."""
    colors = [KIND_COLORS[kind] for kind in prepared.kinds]
    ax.scatter(*prepared.training.T, s=10, c=colors, alpha=0.4, linewidths=0)
    near = inside(prepared.training, window, shrink=0.04)
    for i in near[spread_out(prepared.training[near], 25)]:
        thumbnail(ax, prepared.images[i], prepared.training[i], zoom=0.8, alpha=0.45)
    dots = ax.scatter(
        *prepared.path.T,
        c=prepared.values,
        cmap="plasma",
        s=40,
        zorder=5,
        edgecolors="k",
        linewidths=0.5,
    )
    evaluated = inside(prepared.path, window, shrink=0.04)
    for i in evaluated[spread_out(prepared.path[evaluated], 10)]:
        color = dots.cmap(dots.norm(prepared.values[i]))
        thumbnail(ax, prepared.designs[i], prepared.path[i], zoom=0.8, frame=color)
    ax.plot(*prepared.path.T, color="0.3", lw=0.7, zorder=4)
    for a, b in zip(prepared.path[:8], prepared.path[1:9], strict=False):
        ax.annotate("", b, a, arrowprops={"arrowstyle": "->", "lw": 1.2}, zorder=4)
    for i in improvements(prepared.values):
        ax.annotate(
            str(i + 1),
            prepared.path[i],
            xytext=(6, -4),
            textcoords="offset points",
            fontsize=10,
            fontweight="bold",
            color="darkred",
            zorder=8,
        )
    draw_target(ax, prepared.target, offset=(60, -60))
    ax.set_xlim(window[0], window[0] + window[2])
    ax.set_ylim(window[1], window[1] + window[3])
    ax.set_title(
        "Close-up (dashed square): framed, the designs the optimizer evaluated;\n"
        "grey, training glyphs; numbers: evaluations that beat all earlier ones",
        fontsize=10,
    )
    return dots


def draw_target(ax, xy, offset) -> None:
    ax.scatter(
        *xy,
        marker="*",
        s=400,
        c="red",
        edgecolors="k",
        zorder=7,
        label=f'target: "A" in {glyphs.HELD_OUT_FACE} (held out)',
    )
    thumbnail(ax, glyphs.target_image(), xy, zoom=1.1, cmap="Reds", offset=offset, frame="red")


def draw_glyph_row(figure, grid, data: lsbo.Dataset, prepared: MapData) -> None:
    """The target, the closest training glyph and the designs that improved the best."""
    best_training = int(np.argmax(data.scores))
    face, character = glyphs.labels()[best_training]
    panels = [
        (glyphs.target_image(), "target\nscore 0"),
        (data.designs[best_training], f"best training glyph\n{data.scores[best_training]:.4f}"),
    ]
    steps = improvements(prepared.values)[-8:]
    panels += [
        (prepared.designs[i], f"evaluation {i + 1}\n{prepared.values[i]:.4f}") for i in steps
    ]
    for column, (image, title) in enumerate(panels):
        ax = figure.add_subplot(grid[1, column])
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        if column == 1:
            ax.set_xlabel(f"{character!r}, {face}", fontsize=7)


def spread_out(xy: np.ndarray, k: int) -> list[int]:
    """``k`` indices of points far from each other (greedy farthest-point order)."""
    if len(xy) == 0:
        return []
    chosen = [int(np.argmin(np.linalg.norm(xy - xy.mean(0), axis=1)))]
    distance = np.linalg.norm(xy - xy[chosen[0]], axis=1)
    while len(chosen) < min(k, len(xy)):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(xy - xy[chosen[-1]], axis=1))
    return chosen


def thumbnail(ax, image, xy, zoom, alpha=0.9, frame=None, offset=(0, 0), cmap="gray_r"):
    """Draw a glyph image centred on ``xy`` (or ``offset`` points away, with a line to it)."""
    box = OffsetImage(image, zoom=zoom, cmap=cmap, norm=Normalize(0, 1), alpha=alpha)
    moved = offset != (0, 0)
    artist = AnnotationBbox(
        box,
        xy,
        xybox=offset,
        boxcoords="offset points",
        pad=0.1,
        frameon=frame is not None or moved,
        zorder=7 if frame is not None or moved else 2,
        bboxprops={"edgecolor": frame or "red", "linewidth": 2},
        arrowprops={"arrowstyle": "-", "color": "red"} if moved else None,
    )
    ax.add_artist(artist)


if __name__ == "__main__":
    main()
