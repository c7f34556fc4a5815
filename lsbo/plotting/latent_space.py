"""The latent space of a run: training designs, evaluations and the trust region, in two
dimensions (the latent space itself, or its PCA)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lsbo.exceptions import LsboError, NoDataError
from lsbo.plotting._common import _figure, _value, _value_label
from lsbo.plotting._trust_region import _trust_region
from lsbo.records import Direction, ProposalState

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lsbo.models.vae import VAE
    from lsbo.records import OptimizationResult, Record

MAX_TRAINING_POINTS = 2000
"""At most this many training designs are encoded for :func:`latent_data` (a seeded subset)."""


@dataclass(frozen=True)
class LatentData:
    """A run's latent space projected to two dimensions.

    The projection is the identity when the latent space has two dimensions (a
    one-dimensional one gets a zero second coordinate) and otherwise PCA, fitted with
    an SVD on the training and evaluated latent points together.

    Attributes:
        name: The run's name.
        maximize: Direction of the objective.
        latent_dim: Dimension ``d`` of the latent space.
        projection: ``"identity"`` or ``"pca"``.
        explained: ``2`` shares of the variance (of the points the projection was
            fitted on) along the two plotted axes.
        training: ``m x 2`` training designs (their encodings' means), ``m`` at most
            :data:`MAX_TRAINING_POINTS`; ``0 x 2`` when none were given.
        points: ``n x 2`` evaluated designs (complete or failed), in order of proposal.
        number: ``n`` proposal numbers of the points.
        value: ``n`` values, NaN for failed evaluations.
        failed: ``n`` booleans, true for failed evaluations.
        invalid: ``k x 2`` proposals that decoded to invalid designs.
        best: Index in ``points`` of the best complete evaluation, or ``None``.
        region: ``p x 2`` vertices of the trust region of the run's next step (trust-
            region strategies only, else ``None``): the exact rectangle when ``d == 2``,
            otherwise the exact 2-D image of the ``d``-dimensional box under the
            projection (its "shadow", the convex hull of the projections of its
            ``2^d`` corners; ``p = 2 d``). See :func:`latent_data` for how it is rebuilt.
        region_length: The trust region's side in the unit latent box, or ``None``.
    """

    name: str
    maximize: bool
    latent_dim: int
    projection: str
    explained: np.ndarray
    training: np.ndarray
    points: np.ndarray
    number: np.ndarray
    value: np.ndarray
    failed: np.ndarray
    invalid: np.ndarray
    best: int | None
    region: np.ndarray | None
    region_length: float | None

    @property
    def axis_labels(self) -> tuple[str, str]:
        """Labels of the two plotted axes, with their share of the variance."""
        names = ("z1", "z2") if self.projection == "identity" else ("PC1", "PC2")
        return (
            f"{names[0]} ({self.explained[0]:.0%} of variance)",
            f"{names[1]} ({self.explained[1]:.0%} of variance)",
        )


# ----------------------------------------------------------------------------- data


def latent_data(
    result: OptimizationResult,
    training_designs: Sequence[Any] | None = None,
    model: VAE | None = None,
) -> LatentData:
    """Project a run's training designs, evaluations and trust region to two dimensions.

    Evaluated and invalid points are the latent points the run stored; in a run whose
    VAE was retrained they are re-encoded with the final VAE, so that every point lives
    in the same latent space as the training designs.

    For a trust-region strategy (``result.settings["strategy"]``), the region of the
    run's next step is the one the strategy itself computes from the run rebuilt by
    :func:`lsbo.replay.replay_context` (same search box, observations and GP training
    subset as the optimizer; see there for what a stored run cannot tell).

    Args:
        result: The run. ``result.settings`` is needed for the trust region (a result of
            :func:`lsbo.load_run` has it).
        training_designs: Designs the VAE was trained on, drawn in the background
            (a seeded subset of at most :data:`MAX_TRAINING_POINTS`).
        model: The VAE (default: ``result.model``); needed with ``training_designs``.

    Returns:
        A :class:`LatentData`.

    Raises:
        NoDataError: Nothing to show (no evaluation with a latent point and no training
            designs), or training designs without a VAE to encode them.
    """
    model = model if model is not None else result.model
    records, latents, invalid = _run_latents(result, model)
    training = _training_latents(training_designs, model)
    dim = model.latent_dim if model is not None else latents.shape[-1] if len(latents) else 0
    if not len(records) and not len(training):
        raise NoDataError(
            f"run {result.name!r} has no evaluated latent points to plot; pass the training "
            "designs to see the latent space"
        )
    latents, invalid, training = (_columns(a, dim) for a in (latents, invalid, training))
    center, axes, explained, kind = _projection(np.concatenate([training, latents]))
    value = np.array([_value(r) for r in records], dtype=float)
    region_box, length = _trust_region(result, training_designs, model)
    region = None if region_box is None else _projected_box(*region_box, center, axes)
    return LatentData(
        name=result.name,
        maximize=result.maximize,
        latent_dim=dim,
        projection=kind,
        explained=explained,
        training=(training - center) @ axes,
        points=(latents - center) @ axes,
        number=np.array([r.number for r in records], dtype=int),
        value=value,
        failed=np.array([r.status != ProposalState.COMPLETE for r in records], dtype=bool),
        invalid=(invalid - center) @ axes,
        best=_best_index(value, Direction.of(result.maximize)),
        region=region,
        region_length=length,
    )


def _run_latents(
    result: OptimizationResult, model: VAE | None
) -> tuple[list[Record], np.ndarray, np.ndarray]:
    """The run's evaluations with a latent point (in order of proposal), their ``n x d``
    latent points and the ``k x d`` ones of its invalid proposals (``0 x 0`` if none).

    The points are the stored ones, or re-encoded by ``model`` when it was retrained.
    """
    records = sorted((r for r in result.history if r.latent.numel()), key=lambda r: r.number)
    retrained = model is not None and int(model.metadata.get("retrainings", 0)) > 0
    latents = _latents(records, model if retrained else None)
    invalid_records = [r for r in result.invalid if r.latent.numel()]
    invalid = _latents(invalid_records, model if retrained else None, missing_ok=True)
    return records, latents, invalid


def _latents(records: Sequence[Record], model: VAE | None, missing_ok: bool = False) -> np.ndarray:
    """``n x d`` latent points of records: stored, or encoded by ``model`` when given
    (with ``missing_ok``, designs the codec cannot read give ``0 x 0`` instead)."""
    if not records:
        return np.zeros((0, 0))
    if model is not None:
        try:
            mean, _ = model.encode([r.design for r in records])
        except (LsboError, ValueError, TypeError):
            if missing_ok:  # invalid designs: drawn when they can be, never an error
                return np.zeros((0, 0))
            raise
        return mean.double().cpu().numpy()
    return torch.stack([r.latent.reshape(-1) for r in records]).double().cpu().numpy()


def _training_latents(designs: Sequence[Any] | None, model: VAE | None) -> np.ndarray:
    """``m x d`` encodings' means of (a seeded subset of) the training designs."""
    if designs is None or len(designs) == 0:
        return np.zeros((0, 0))
    if model is None:
        raise NoDataError(
            "the training designs can only be placed in the latent space with the run's "
            "VAE: load the run with its model (lsbo.load_run(..., with_model=True))"
        )
    designs = list(designs)
    if len(designs) > MAX_TRAINING_POINTS:
        keep = np.random.default_rng(0).choice(len(designs), MAX_TRAINING_POINTS, replace=False)
        designs = [designs[i] for i in np.sort(keep)]
    mean, _ = model.encode(designs)
    return mean.double().cpu().numpy()


def _columns(array: np.ndarray, dim: int) -> np.ndarray:
    """``array`` as ``n x dim`` (an empty one of any shape becomes ``0 x dim``)."""
    return array if len(array) else np.zeros((0, dim))


def _best_index(value: np.ndarray, direction: Direction) -> int | None:
    """Index of the best of ``value`` (the first among equals, NaN skipped), or ``None``."""
    if not np.isfinite(value).any():
        return None
    return int(np.nanargmax(direction.sign * value))


def _projection(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The affine map ``x -> (x - center) @ axes`` to two dimensions.

    Args:
        points: ``N x d`` points to fit PCA on (when ``d > 2``).

    Returns:
        ``(center, axes, explained, kind)``: ``d`` centre, ``d x 2`` axes, ``2``
        shares of variance and ``"identity"`` or ``"pca"``.
    """
    dim = points.shape[1]
    if dim <= 2:
        variance = points.var(0) if len(points) else np.ones(dim)
        explained = np.zeros(2)
        explained[:dim] = variance / variance.sum() if variance.sum() > 0 else 1.0 / dim
        return np.zeros(dim), np.eye(dim, 2), explained, "identity"
    center = points.mean(0)
    _, singular, vt = np.linalg.svd(points - center, full_matrices=False)
    axes = np.eye(dim, 2)
    axes[:, : min(2, len(vt))] = vt[:2].T
    signs = np.sign(axes[np.abs(axes).argmax(0), [0, 1]])  # largest loading positive
    axes = axes * np.where(signs == 0, 1.0, signs)
    power = singular**2
    explained = np.zeros(2)
    explained[: min(2, len(power))] = power[:2] / power.sum() if power.sum() > 0 else 0.0
    return center, axes, explained, "pca"


def _projected_box(
    low: np.ndarray, high: np.ndarray, center: np.ndarray, axes: np.ndarray
) -> np.ndarray:
    """The exact image of the box ``[low, high]`` under ``x -> (x - center) @ axes``.

    The image of a box under a linear map is a zonotope: its ``d`` edge directions are
    the images of the box's half sides. Sorted by angle and summed, they walk its
    boundary, so the polygon needs no enumeration of the ``2^d`` corners.

    Args:
        low, high: ``d`` corners of the box.
        center: ``d`` centre of the projection.
        axes: ``d x 2`` projection axes.

    Returns:
        ``2 d x 2`` vertices, counter-clockwise (a rectangle's 4 when ``d <= 2``).
    """
    mid = ((low + high) / 2 - center) @ axes
    generators = ((high - low) / 2)[:, None] * axes
    if len(low) <= 2 and np.allclose(axes, np.eye(len(low), 2)):
        (x0, y0), (x1, y1) = mid - generators.sum(0), mid + generators.sum(0)
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    down = (generators[:, 1] < 0) | ((generators[:, 1] == 0) & (generators[:, 0] < 0))
    generators[down] *= -1.0  # every edge direction in the upper half-plane
    generators = generators[np.argsort(np.arctan2(generators[:, 1], generators[:, 0]))]
    bottom = mid - generators.sum(0)
    right = bottom + np.cumsum(2 * generators, axis=0)
    left = right[-1] - np.cumsum(2 * generators, axis=0)
    return np.concatenate([bottom[None], right, left[:-1]])  # right ends at the top


# -------------------------------------------------------------------------- drawing


def plot_latent_space(
    result: OptimizationResult,
    training_designs: Sequence[Any] | None = None,
    model: VAE | None = None,
) -> Figure:
    """Where a run searched in the VAE's latent space (2-D, or PCA of it).

    Training designs as grey dots, evaluated designs coloured by value (with a
    colorbar) and joined in order of proposal by a thin line, failed ones as red
    crosses, invalid proposals as hollow squares, the best as a star, and for trust-
    region strategies the trust region of the next step (see :func:`latent_data`).

    Args:
        result: The run.
        training_designs: The VAE's training designs, for the background.
        model: The VAE (default: ``result.model``).

    Returns:
        The figure.
    """
    data = latent_data(result, training_designs, model)
    figure = _figure(7.0, 5.6)
    ax = figure.add_subplot()
    _draw_background(ax, data)
    _draw_evaluated(figure, ax, data)
    if len(data.invalid):
        ax.scatter(
            *_xy(data.invalid),
            s=22,
            marker="s",
            facecolors="none",
            edgecolors="tab:purple",
            label=f"invalid ({len(data.invalid)})",
        )
    if data.region is not None:
        _draw_region(ax, data)
    _label_axes(ax, data)
    figure.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    return figure


def _xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x and y columns of ``n x 2`` points."""
    return points[:, 0], points[:, 1]


def _draw_background(ax: Axes, data: LatentData) -> None:
    """The training designs as grey dots, and the path of the evaluations in order."""
    if len(data.training):
        ax.scatter(
            *_xy(data.training),
            s=7,
            color="0.78",
            lw=0,
            label=f"training designs ({len(data.training)})",
        )
    if len(data.points) > 1:
        ax.plot(*_xy(data.points), color="0.35", lw=0.6, alpha=0.7, label="order of proposal")


def _draw_evaluated(figure: Figure, ax: Axes, data: LatentData) -> None:
    """Complete evaluations coloured by value (with a colorbar), failed ones, the best."""
    ok = ~data.failed
    if ok.any():
        cmap = "viridis" if data.maximize else "viridis_r"  # bright is good either way
        dots = ax.scatter(
            *_xy(data.points[ok]),
            c=data.value[ok],
            cmap=cmap,
            s=30,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
            label=f"evaluated ({ok.sum()})",
        )
        figure.colorbar(dots, ax=ax, label=_value_label("value", data.maximize))
    if data.failed.any():
        ax.scatter(
            *_xy(data.points[data.failed]),
            s=30,
            marker="x",
            color="tab:red",
            zorder=3,
            label=f"failed ({data.failed.sum()})",
        )
    if data.best is not None:
        ax.scatter(
            *_xy(data.points[data.best : data.best + 1]),
            s=260,
            marker="*",
            color="gold",
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
            label=f"best ({data.value[data.best]:.4g})",
        )


def _draw_region(ax: Axes, data: LatentData) -> None:
    """The trust region as a dashed red polygon, labelled with its side."""
    from matplotlib.patches import Polygon

    assert data.region is not None
    label = "trust region" if data.latent_dim <= 2 else "trust region (shadow of the box)"
    ax.add_patch(
        Polygon(
            data.region,
            closed=True,
            fill=False,
            edgecolor="tab:red",
            lw=1.5,
            ls="--",
            zorder=2,
            label=f"{label}, side {data.region_length:.3g}",
        )
    )


def _label_axes(ax: Axes, data: LatentData) -> None:
    """The title, the axes' labels and, for PCA, a note of the latent dimension."""
    ax.set_title(f"Latent space: {data.name or 'run'}")
    ax.set_xlabel(data.axis_labels[0])
    ax.set_ylabel(data.axis_labels[1])
    if data.projection == "pca":
        ax.text(
            0.01,
            0.99,
            f"PCA of the {data.latent_dim}-D latent space",
            transform=ax.transAxes,
            va="top",
            fontsize="small",
            color="0.3",
        )
