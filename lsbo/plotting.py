"""Figures of a run, with the data preparation kept apart from the drawing (as in Optuna).

Each ``*_data`` function turns a run (an :class:`lsbo.OptimizationResult`, e.g. from
:func:`lsbo.load_run`) or a VAE into a small frozen dataclass of numpy arrays, which can
be checked without drawing anything. Each ``plot_*`` function draws one of them on a new
:class:`matplotlib.figure.Figure` and returns it; no pyplot state is used, so the
functions work headless (the Agg backend) and in threads. :func:`plot_run` saves every
figure of a run, as PNG and SVG.

matplotlib is imported on first use, so importing lsbo stays fast.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lsbo.exceptions import InvalidOptionError, LsboError, NoDataError
from lsbo.models.cache import design_bytes
from lsbo.objective import Objective

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lsbo.loop import OptimizationResult, Record
    from lsbo.models.vae import VAE

__all__ = [
    "BestDesigns",
    "HistoryData",
    "Interpolation",
    "LatentData",
    "TrainingCurves",
    "best_designs_data",
    "history_data",
    "interpolation_data",
    "latent_data",
    "plot_best_designs",
    "plot_history",
    "plot_interpolation",
    "plot_latent_space",
    "plot_run",
    "plot_training",
    "save_figure",
    "training_data",
]

MAX_TRAINING_POINTS = 2000
"""At most this many training designs are encoded for :func:`latent_data` (a seeded subset)."""

# how each source of a proposal is drawn in the history: colour and legend label
_SOURCES = {
    "initial": ("tab:gray", "initial (training designs)"),
    "random": ("tab:green", "random (prior samples)"),
    "bo": ("tab:blue", "Bayesian optimization"),
    "fallback": ("tab:orange", "fallback (sampled near the best)"),
}


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class HistoryData:
    """The evaluations of one run, in the order they finished.

    Attributes:
        name: The run's name.
        objective: The objective's name (empty when the run's settings are unknown).
        maximize: Direction of the objective.
        number: ``n`` evaluation indices, ``1..n``.
        value: ``n`` values, NaN for failed evaluations.
        status: ``n`` statuses, ``"complete"`` or ``"failed"``.
        source: ``n`` sources (``"initial"``, ``"random"``, ``"bo"``, ``"fallback"``).
        best: ``n`` best values so far (largest when maximizing, smallest otherwise),
            NaN before the first complete evaluation.
        n_invalid: Decoded proposals that were not valid designs (never evaluated).
    """

    name: str
    objective: str
    maximize: bool
    number: np.ndarray
    value: np.ndarray
    status: np.ndarray
    source: np.ndarray
    best: np.ndarray
    n_invalid: int


def history_data(result: OptimizationResult) -> HistoryData:
    """The values and the best value so far of each evaluation of a run.

    Args:
        result: A run, e.g. from :func:`lsbo.optimize` or :func:`lsbo.load_run`.

    Returns:
        A :class:`HistoryData` with ``n = len(result.history)``.
    """
    records = result.history
    value = np.array([_value(r) for r in records], dtype=float)
    accumulate = np.fmax if result.maximize else np.fmin  # the f-versions skip NaN
    return HistoryData(
        name=result.name,
        objective=str(result.settings.get("objective", "")),
        maximize=result.maximize,
        number=np.arange(1, len(records) + 1),
        value=value,
        status=np.array([r.status for r in records], dtype=str),
        source=np.array([r.source for r in records], dtype=str),
        best=accumulate.accumulate(value),
        n_invalid=len(result.invalid),
    )


def _value(record: Record) -> float:
    if record.status != "complete" or record.value is None:
        return math.nan
    return float(record.value)


@dataclass(frozen=True)
class _BestSummary:
    """Best so far of several runs, aligned by evaluation index ``1..n``, ``n`` the length
    of the shortest run (so that every index averages the same runs); each array is
    ``n``. ``n_runs`` counts the runs with a complete value by then (the mean and error
    are NaN where none has, the error also where only one has)."""

    number: np.ndarray
    mean: np.ndarray
    standard_error: np.ndarray
    n_runs: np.ndarray


def _best_summary(histories: Sequence[HistoryData]) -> _BestSummary:
    """Mean and standard error over runs of the best value so far at each evaluation."""
    length = min((len(h.best) for h in histories), default=0)
    table = np.array([h.best[:length] for h in histories], dtype=float).reshape(-1, length)
    counts = np.isfinite(table).sum(0)
    with warnings.catch_warnings():  # columns without any value are NaN on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(table, axis=0)
        spread = np.nanstd(table, axis=0, ddof=1)
    error = np.where(counts > 1, spread / np.sqrt(np.maximum(counts, 1)), np.nan)
    return _BestSummary(np.arange(1, length + 1), mean, error, counts)


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
    run's next step is rebuilt as the optimizer does: its side from replaying the
    batches' values (:func:`lsbo.acquisition.trust_region.replay`; the number of
    evaluations per batch is read from the history), its centre at the best evaluated
    point and its per-dimension stretch from the lengthscales of a GP fitted on the
    evaluated points (:func:`lsbo.acquisition.trust_region.trust_region_bounds`). It is
    an approximation in two ways: scores known before the run (given with the training
    designs) are not stored with it and do not take part, and the search box is the
    one stored with a retrained VAE, else the box of ``training_designs`` (else of the
    evaluated points), widened by the run's ``bounds_margin``.

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
    records = sorted((r for r in result.history if r.latent.numel()), key=lambda r: r.number)
    retrained = model is not None and int(model.metadata.get("retrainings", 0)) > 0
    latents = _latents(records, model if retrained else None)
    invalid_records = [r for r in result.invalid if r.latent.numel()]
    invalid = _latents(invalid_records, model if retrained else None, missing_ok=True)
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
    region_box, length = _trust_region(result, records, latents, value, training, model)
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
        failed=np.array([r.status != "complete" for r in records], dtype=bool),
        invalid=(invalid - center) @ axes,
        best=_best_index(value, result.maximize),
        region=region,
        region_length=length,
    )


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


def _best_index(value: np.ndarray, maximize: bool) -> int | None:
    if not np.isfinite(value).any():
        return None
    return int(np.nanargmax(value) if maximize else np.nanargmin(value))


def _trust_region(
    result: OptimizationResult,
    records: Sequence[Record],
    latents: np.ndarray,
    value: np.ndarray,
    training: np.ndarray,
    model: VAE | None,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, float | None]:
    """The ``(low, high)`` box of the run's next trust region and its side, or ``None``s."""
    from lsbo.strategies import TrustRegion, strategy_from_settings

    try:
        strategy = strategy_from_settings(result.settings.get("strategy"))
    except (LsboError, KeyError, TypeError):
        return None, None
    complete = np.isfinite(value)
    if not isinstance(strategy, TrustRegion) or complete.sum() < 2:
        return None, None
    sign = 1.0 if result.maximize else -1.0
    X = torch.as_tensor(latents[complete], dtype=torch.float64)
    Y = torch.as_tensor(sign * value[complete], dtype=torch.float64)
    length = _replayed_length(result, strategy, X.shape[-1], sign)
    bounds = _search_box(result, model, training, latents[complete])
    box = _trust_region_box(X, Y, length, bounds)
    return (box[0].numpy(), box[1].numpy()), length


def _replayed_length(result: OptimizationResult, strategy: Any, dim: int, sign: float) -> float:
    """The trust region's side after the run's batches, as ``Optimizer.trust_region``."""
    from lsbo.acquisition.trust_region import TrustRegionState, replay
    from lsbo.strategies import failure_tolerance

    start: list[float] = []
    batches: dict[int, list[float]] = {}
    for record in result.history:
        values = [] if record.value is None else [sign * record.value]
        if record.source == "initial":
            start += values
        else:
            batches.setdefault(record.iteration, []).extend(values)
    sizes = [sum(r.iteration == i for r in result.history) for i in batches]
    state = TrustRegionState(
        length_init=strategy.length_init,
        length_min=strategy.length_min,
        length_max=strategy.length_max,
        success_tolerance=strategy.success_tolerance,
        failure_tolerance=failure_tolerance(strategy, dim, max(sizes, default=1)),
        length=strategy.length_init,
    )
    return replay(state, start, batches.values()).length


def _search_box(
    result: OptimizationResult, model: VAE | None, training: np.ndarray, evaluated: np.ndarray
) -> torch.Tensor:
    """The run's ``2 x d`` latent search box (see :func:`latent_data`)."""
    from lsbo.acquisition import latent_bounds

    stored = None if model is None else model.metadata.get("bounds")
    if stored is not None:
        return torch.tensor(stored, dtype=torch.float64)
    margin = float(result.settings.get("options", {}).get("bounds_margin", 0.1))
    points = training if len(training) else evaluated
    return latent_bounds(torch.as_tensor(points, dtype=torch.float64), margin)


def _trust_region_box(X: torch.Tensor, Y: torch.Tensor, length: float, bounds: torch.Tensor):
    """The region around the best of ``X`` (``n x d``, values ``Y``, larger is better)."""
    from linear_operator.utils.warnings import NumericalWarning

    from lsbo.acquisition.trust_region import trust_region_bounds
    from lsbo.surrogates import fit_gp, select_training_points

    keep = select_training_points(
        Y, torch.ones(len(Y), dtype=torch.bool), 500, torch.linspace(1, 0, len(Y))
    )
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(0)
        warnings.simplefilter("ignore", NumericalWarning)
        gp = fit_gp(X[keep], Y[keep].unsqueeze(-1), bounds)
    return trust_region_bounds(gp, X[Y.argmax()], length, bounds)


@dataclass(frozen=True)
class BestDesigns:
    """The best distinct designs of a run, best first.

    Attributes:
        name: The run's name.
        maximize: Direction of the objective.
        designs: ``k`` designs.
        values: ``k`` values.
        numbers: ``k`` proposal numbers.
        evaluations: ``k`` positions in the history (1 for the first evaluation), as
            the history plot and `lsbo show` count.
    """

    name: str
    maximize: bool
    designs: list[Any]
    values: np.ndarray
    numbers: np.ndarray
    evaluations: np.ndarray


def best_designs_data(result: OptimizationResult, n: int = 9) -> BestDesigns:
    """The ``n`` best distinct complete designs of a run, best first.

    Designs are distinct by the VAE codec's key when the run has its VAE (so two
    SELFIES of one molecule count once), else by their bytes. Ties keep the earlier
    proposal first.

    Args:
        result: The run.
        n: How many designs at most (``k = min(n, distinct complete designs)``).

    Returns:
        A :class:`BestDesigns`; empty when no evaluation completed.
    """
    if n < 1:
        raise InvalidOptionError(f"n must be >= 1, got {n}")
    key: Callable[[Any], Any] = design_bytes
    if result.model is not None:
        key = result.model.codec.key
    sign = 1.0 if result.maximize else -1.0
    complete = [r for r in result.history if not math.isnan(_value(r))]
    ranked = sorted(complete, key=lambda r: (-sign * _value(r), r.number))
    order = {r.number: i for i, r in enumerate(result.history, start=1)}
    chosen: list[Record] = []
    seen: set[Any] = set()
    for record in ranked:
        design_key = key(record.design)
        if design_key not in seen:
            seen.add(design_key)
            chosen.append(record)
        if len(chosen) == n:
            break
    return BestDesigns(
        name=result.name,
        maximize=result.maximize,
        designs=[r.design for r in chosen],
        values=np.array([_value(r) for r in chosen], dtype=float),
        numbers=np.array([r.number for r in chosen], dtype=int),
        evaluations=np.array([order[r.number] for r in chosen], dtype=int),
    )


@dataclass(frozen=True)
class Interpolation:
    """Designs decoded along a straight line in latent space.

    Attributes:
        t: ``steps`` positions on the line, from 0 (start) to 1 (end).
        latents: ``steps x d`` latent points.
        designs: ``steps`` decoded designs.
        start: The design whose latent mean is at ``t = 0``.
        end: The design whose latent mean is at ``t = 1``.
    """

    t: np.ndarray
    latents: np.ndarray
    designs: list[Any]
    start: Any
    end: Any


def interpolation_data(
    model: VAE, start_design: Any, end_design: Any, steps: int = 8
) -> Interpolation:
    """Decode ``steps`` points on the line between two designs' latent means.

    Args:
        model: The VAE.
        start_design: The design at ``t = 0``.
        end_design: The design at ``t = 1``.
        steps: Number of points, both ends included (>= 2).

    Returns:
        An :class:`Interpolation`.
    """
    if steps < 2:
        raise InvalidOptionError(f"steps must be >= 2 (both ends), got {steps}")
    mean, _ = model.encode([start_design, end_design])
    mean = mean.double().cpu()
    t = np.linspace(0.0, 1.0, steps)
    z = mean[0] + torch.as_tensor(t)[:, None] * (mean[1] - mean[0])
    return Interpolation(
        t=t, latents=z.numpy(), designs=model.decode(z), start=start_design, end=end_design
    )


@dataclass(frozen=True)
class TrainingCurves:
    """The VAE's training losses per epoch (weighted means per design).

    Attributes:
        epoch: ``E`` epochs, ``1..E``.
        train_loss: ``E`` training losses (``reconstruction + beta * kl``).
        reconstruction: ``E`` training negative log-likelihoods.
        kl: ``E`` training KL divergences to the prior.
        validation_loss: ``E`` validation losses, or empty without a validation split.
        validation_reconstruction: ``E`` or ``0``, as ``reconstruction``.
        validation_kl: ``E`` or ``0``, as ``kl``.
        best_epoch: The epoch whose parameters were kept (``1..E``).
        n_train: Designs in the training split.
        n_validation: Designs in the validation split.
    """

    epoch: np.ndarray
    train_loss: np.ndarray
    reconstruction: np.ndarray
    kl: np.ndarray
    validation_loss: np.ndarray
    validation_reconstruction: np.ndarray
    validation_kl: np.ndarray
    best_epoch: int
    n_train: int
    n_validation: int


def training_data(model_or_result: VAE | OptimizationResult) -> TrainingCurves:
    """The training curves stored with a VAE (``model.metadata["report"]``).

    Args:
        model_or_result: A VAE, or a run whose ``model`` is one.

    Returns:
        A :class:`TrainingCurves`.

    Raises:
        NoDataError: No VAE, or a VAE without a training report (one trained before lsbo
            stored reports, or by :func:`lsbo.train_vae` directly).
    """
    from lsbo.models.training import TrainingReport

    model = getattr(model_or_result, "model", model_or_result)
    stored = None if model is None else getattr(model, "metadata", {}).get("report")
    report = None if stored is None else TrainingReport.from_dict(stored)
    if report is None or not report.reconstruction:
        raise NoDataError(
            "the VAE has no stored training report (per-epoch reconstruction and KL); "
            "it was trained before lsbo kept one, or without lsbo.models.fit_new_vae: "
            "train it again (e.g. a new run) to plot its training"
        )
    return TrainingCurves(
        epoch=np.arange(1, len(report.reconstruction) + 1),
        train_loss=np.array(report.train_loss, dtype=float),
        reconstruction=np.array(report.reconstruction, dtype=float),
        kl=np.array(report.kl, dtype=float),
        validation_loss=np.array(report.validation_loss, dtype=float),
        validation_reconstruction=np.array(report.validation_reconstruction, dtype=float),
        validation_kl=np.array(report.validation_kl, dtype=float),
        best_epoch=report.best_epoch + 1,
        n_train=report.n_train,
        n_validation=report.n_validation,
    )


# -------------------------------------------------------------------------- drawing


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _value_label(objective: str, maximize: bool) -> str:
    better = "higher" if maximize else "lower"
    return f"{objective or 'value'} ({better} is better)"


def plot_history(results: OptimizationResult | Sequence[OptimizationResult]) -> Figure:
    """The values found over the evaluations of one run, or the best so far of several.

    One run: each evaluation's value as a dot coloured by where its design came from,
    failed evaluations as red crosses along the bottom, the best so far as a step line;
    the legend counts failed evaluations and invalid proposals. Several runs (e.g. seeds
    or strategies): each run's best so far as a thin line labelled by its name, and
    their mean with a band of one standard error, up to the length of the shortest run.

    Args:
        results: One run or a sequence of runs (all maximized or all minimized).

    Returns:
        The figure.
    """
    runs: list[OptimizationResult] = (
        [results] if hasattr(results, "history") else list(results)  # type: ignore[list-item]
    )
    if not runs:
        raise InvalidOptionError("no runs to plot; pass one result or a list of them")
    histories = [history_data(run) for run in runs]
    if len({h.maximize for h in histories}) > 1:
        raise InvalidOptionError(
            "the runs mix maximized and minimized objectives; plot them separately"
        )
    if len(histories) == 1:
        return _draw_history(histories[0])
    return _draw_histories(histories)


def _draw_history(history: HistoryData) -> Figure:
    figure = _figure(7.0, 4.2)
    ax = figure.add_subplot()
    complete = history.status == "complete"
    for source, (color, label) in _SOURCES.items():
        mask = complete & (history.source == source)
        if mask.any():
            ax.scatter(history.number[mask], history.value[mask], s=20, color=color, label=label)
    if np.isfinite(history.best).any():
        ax.step(
            history.number, history.best, where="post", color="black", lw=1.4, label="best so far"
        )
    failed = ~complete
    if failed.any():
        # y in axes coordinates: along the bottom, whatever the values' range
        ax.plot(
            history.number[failed],
            np.full(failed.sum(), 0.03),
            "x",
            color="tab:red",
            ms=7,
            mew=1.5,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            label=f"failed ({failed.sum()})",
        )
        ax.set_ymargin(0.12)  # keep values clear of the marks along the bottom
    if history.n_invalid:
        ax.plot([], [], " ", label=f"invalid proposals, not evaluated: {history.n_invalid}")
    if not len(history.number):
        ax.text(0.5, 0.5, "no evaluations yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Optimization history: {history.name or 'run'}")
    ax.set_xlabel("evaluation")
    ax.set_ylabel(_value_label(history.objective, history.maximize))
    _integer_ticks(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best")
    return figure


def _draw_histories(histories: Sequence[HistoryData]) -> Figure:
    figure = _figure(7.0, 4.2)
    ax = figure.add_subplot()
    few = len(histories) <= 8
    for i, history in enumerate(histories):
        label = (history.name or f"run {i + 1}") if few else ("individual runs" if i == 0 else None)
        ax.step(history.number, history.best, where="post", lw=0.8, alpha=0.6, label=label)
    summary = _best_summary(histories)
    low, high = summary.mean - summary.standard_error, summary.mean + summary.standard_error
    ax.fill_between(
        summary.number,
        low,
        high,
        step="post",
        color="black",
        alpha=0.15,
        lw=0,
        label="± 1 standard error",
    )
    ax.step(
        summary.number,
        summary.mean,
        where="post",
        color="black",
        lw=2,
        label=f"mean of {len(histories)} runs",
    )
    objectives = {h.objective for h in histories}
    ax.set_title(f"Best so far over {len(histories)} runs")
    ax.set_xlabel("evaluation")
    ylabel = objectives.pop() if len(objectives) == 1 else ""
    ax.set_ylabel("best " + _value_label(ylabel, histories[0].maximize))
    _integer_ticks(ax)
    ax.legend(fontsize="small", loc="best")
    return figure


def _integer_ticks(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


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
    figure.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    return figure


def _xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x and y columns of ``n x 2`` points."""
    return points[:, 0], points[:, 1]


def _draw_evaluated(figure: Figure, ax: Axes, data: LatentData) -> None:
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


def _render_cell(ax: Axes, rendered: Any) -> None:
    """Draw what :meth:`Objective.render` returned: an image, or wrapped text."""
    ax.set_xticks([])
    ax.set_yticks([])
    if isinstance(rendered, str):
        lines = textwrap.wrap(rendered, width=22, break_long_words=True) or [""]
        if len(lines) > 8:
            lines = [*lines[:7], lines[7][:19] + "..."]
        size = 13 if len(rendered) <= 12 else 8
        ax.text(
            0.5,
            0.5,
            "\n".join(lines),
            ha="center",
            va="center",
            family="monospace",
            fontsize=size,
            transform=ax.transAxes,
        )
        for spine in ax.spines.values():
            spine.set_color("0.8")
        return
    image = np.clip(np.asarray(rendered, dtype=float), 0.0, 1.0)
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(image)


def plot_best_designs(
    result: OptimizationResult, objective: Objective | None = None, n: int = 9
) -> Figure:
    """A grid of a run's best distinct designs, best first, each titled with its value.

    Each cell shows ``objective.render(design)``: 2-D arrays as grey images, RGB(A)
    arrays as they are, text wrapped.

    Args:
        result: The run.
        objective: How to show a design (default: :meth:`lsbo.Objective.render`'s
            default: arrays as images, anything else as text).
        n: How many designs at most.

    Returns:
        The figure.

    Raises:
        NoDataError: No evaluation of the run completed.
    """
    data = best_designs_data(result, n)
    if not data.designs:
        raise NoDataError(f"run {result.name!r} has no complete evaluation to show")
    renderer = objective if objective is not None else Objective()
    rendered = [renderer.render(design) for design in data.designs]
    count = len(data.designs)
    columns = min(count, 3 if n <= 9 else 5)
    rows = math.ceil(count / columns)
    # an image cell is as tall as wide, plus its title and label
    height = 1.3 if all(isinstance(r, str) for r in rendered) else 2.95
    figure = _figure(2.3 * columns, height * rows + 0.5)
    cells = figure.subplots(rows, columns, squeeze=False).flat
    for i, ax in enumerate(cells):
        if i >= count:
            ax.set_axis_off()
            continue
        _render_cell(ax, rendered[i])
        ax.set_title(f"{i + 1}. value {data.values[i]:.4g}", fontsize="medium")
        ax.set_xlabel(f"evaluation {data.evaluations[i]}", fontsize="small")
    figure.suptitle(f"Best designs: {data.name or 'run'}")
    return figure


def plot_interpolation(
    model: VAE,
    start_design: Any,
    end_design: Any,
    steps: int = 8,
    objective: Objective | None = None,
) -> Figure:
    """The designs decoded on the straight latent line between two designs.

    Images (as ``objective.render`` returns them) are drawn as a strip; texts as a
    list, one line per step. The two given designs frame the decoded ones, so that a
    poor reconstruction at ``t = 0`` or ``t = 1`` shows.

    Args:
        model: The VAE.
        start_design: The design at ``t = 0``.
        end_design: The design at ``t = 1``.
        steps: Number of points, both ends included.
        objective: How to show a design (default: :meth:`lsbo.Objective.render`'s
            default).

    Returns:
        The figure.
    """
    data = interpolation_data(model, start_design, end_design, steps)
    renderer = objective if objective is not None else Objective()
    designs = [data.start, *data.designs, data.end]
    rendered = [renderer.render(design) for design in designs]
    titles = ["start design", *(f"t = {t:.2f}" for t in data.t), "end design"]
    if all(isinstance(r, str) for r in rendered):
        return _draw_text_interpolation(titles, rendered)
    figure = _figure(1.35 * len(rendered), 2.3)
    cells = figure.subplots(1, len(rendered))
    for i, (ax, shown, title) in enumerate(zip(cells, rendered, titles, strict=True)):
        _render_cell(ax, shown)
        ax.set_title(title, fontsize="small")
        if i in (0, len(rendered) - 1):  # the given designs, not decoded ones
            for spine in ax.spines.values():
                spine.set(color="tab:blue", linewidth=2.5)
    cells[1].set_xlabel("decoded from the start's latent mean", fontsize="x-small")
    cells[-2].set_xlabel("... to the end's", fontsize="x-small")
    figure.suptitle("Interpolation in latent space")
    return figure


def _draw_text_interpolation(titles: Sequence[str], rendered: Sequence[str]) -> Figure:
    """One row per design, top to bottom: the start design, the decoded ones, the end."""
    longest = max(len(text) for text in rendered)
    figure = _figure(min(12.0, 2.6 + 0.1 * min(longest, 100)), 1.0 + 0.32 * len(rendered))
    ax = figure.add_subplot()
    rows = list(range(len(rendered)))
    for row, text in zip(rows, rendered, strict=True):
        shown = text if len(text) <= 100 else text[:97] + "..."
        given = row in (0, len(rendered) - 1)
        ax.text(
            0.02,
            row,
            shown,
            va="center",
            family="monospace",
            fontsize="small",
            color="tab:blue" if given else "black",
            weight="bold" if given else "normal",
        )
    ax.set_ylim(len(rendered) - 0.4, -0.6)  # the start at the top
    ax.set_yticks(rows, titles)
    ax.set_xticks([])
    ax.set_title("Interpolation in latent space")
    ax.set_xlabel("decoded designs (blue: the two given ones)")
    ax.set_ylabel("position on the line (t)")
    return figure


def plot_training(model_or_result: VAE | OptimizationResult) -> Figure:
    """The VAE's reconstruction and KL terms per epoch, training and validation.

    Args:
        model_or_result: A VAE, or a run whose ``model`` is one.

    Returns:
        The figure (two panels).

    Raises:
        NoDataError: No stored training report (see :func:`training_data`).
    """
    curves = training_data(model_or_result)
    figure = _figure(9.0, 3.8)
    panels = [
        ("Reconstruction: -log p(x|z)", curves.reconstruction, curves.validation_reconstruction),
        ("KL(q(z|x) || prior)", curves.kl, curves.validation_kl),
    ]
    for ax, (title, train, validation) in zip(figure.subplots(1, 2), panels, strict=True):
        ax.plot(curves.epoch, train, "o-", ms=3, label=f"training ({curves.n_train} designs)")
        if len(validation):
            ax.plot(
                curves.epoch[: len(validation)],
                validation,
                "s--",
                ms=3,
                label=f"validation ({curves.n_validation} designs)",
            )
        ax.axvline(curves.best_epoch, color="0.5", ls=":", lw=1, label="kept (best epoch)")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("per design (nats)")
        _integer_ticks(ax)
        ax.legend(fontsize="small")
    figure.suptitle("VAE training")
    return figure


def save_figure(figure: Figure, path_without_suffix: str | Path) -> list[Path]:
    """Write a figure as PNG (150 dpi) and SVG, creating the folder.

    Args:
        figure: The figure.
        path_without_suffix: E.g. ``plots/history``; ``.png`` and ``.svg`` are added.

    Returns:
        The two paths written, PNG first.
    """
    path = Path(path_without_suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_name(path.name + suffix)
        metadata = {"Date": None} if suffix == ".svg" else None  # same plot, same file
        figure.savefig(target, dpi=150, metadata=metadata)
        written.append(target)
    return written


def plot_run(
    result: OptimizationResult,
    out_dir: str | Path,
    objective: Objective | None = None,
    training_designs: Sequence[Any] | None = None,
) -> list[Path]:
    """Save every figure of a run into a folder, as PNG and SVG.

    ``history`` always; ``latent`` (:func:`plot_latent_space`) when there are points to
    show; ``best`` (:func:`plot_best_designs`) when an evaluation completed;
    ``interpolation`` (:func:`plot_interpolation`) from the best initial design to the
    best design found (or between the two best designs, when the best is an initial
    one) when the run has its VAE; ``training`` (:func:`plot_training`) when the VAE has
    a training report. A figure without data is skipped.

    Args:
        result: The run (e.g. from :func:`lsbo.load_run`).
        out_dir: The folder (created if missing).
        objective: How to show designs (see :meth:`lsbo.Objective.render`).
        training_designs: The VAE's training designs, for the latent space's background.

    Returns:
        The files written.
    """
    out = Path(out_dir)
    figures: list[tuple[str, Callable[[], Figure]]] = [
        ("history", lambda: plot_history(result)),
        ("latent", lambda: plot_latent_space(result, training_designs)),
        ("best", lambda: plot_best_designs(result, objective)),
        ("interpolation", lambda: _run_interpolation(result, objective)),
        ("training", lambda: plot_training(result)),
    ]
    written: list[Path] = []
    for name, draw in figures:
        try:
            figure = draw()
        except NoDataError:
            continue
        written += save_figure(figure, out / name)
    return written


def _run_interpolation(result: OptimizationResult, objective: Objective | None) -> Figure:
    best = best_designs_data(result, n=2)
    if result.model is None or len(best.designs) < 2:
        raise NoDataError("an interpolation needs the run's VAE and two distinct designs")
    initial = [r for r in result.history if r.source == "initial" and not math.isnan(_value(r))]
    sign = 1.0 if result.maximize else -1.0
    start = max(initial, key=lambda r: (sign * _value(r), -r.number), default=None)
    if start is None or start.number == best.numbers[0]:
        return plot_interpolation(result.model, best.designs[1], best.designs[0], 8, objective)
    return plot_interpolation(result.model, start.design, best.designs[0], 8, objective)
