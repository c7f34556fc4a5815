"""The one-call entry points: :func:`optimize`, and the stored runs (load, list, delete)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lsbo.models import VAE
from lsbo.objective import Objective
from lsbo.optimizer import Callback, Optimizer
from lsbo.options import OptimizerOptions
from lsbo.records import Direction, OptimizationResult, ProposalState, RunStats
from lsbo.representations import Codec
from lsbo.run_storage import (
    get_run,
    load_stored_model,
    load_stored_quality,
    record_from_row,
    upgrade_stored_model,
)
from lsbo.settings import strategy_name
from lsbo.storage import RDBStorage, get_storage
from lsbo.strategies import Strategy

Storage = str | os.PathLike[str] | RDBStorage


def optimize(
    objective: Objective | Callable[[Any], Any],
    designs: Sequence[Any],
    budget: int = 100,
    *,
    maximize: bool | None = None,
    seed: int = 0,
    scores: Sequence[float | None] | None = None,
    model: VAE | None = None,
    codec: Codec | None = None,
    options: OptimizerOptions | None = None,
    callbacks: Sequence[Callback] = (),
    storage: str | os.PathLike[str] | RDBStorage | None = None,
    name: str | None = None,
    accept_changes: bool = False,
    executor: Any = None,
    n_workers: int | None = None,
    strategy: str | Strategy | None = None,
) -> OptimizationResult:
    """Optimize a black-box function over designs like ``designs``.

    Trains a VAE on the designs (unless ``model`` is given), then spends ``budget``
    evaluations of ``objective`` on designs proposed by Bayesian optimization in the
    VAE's latent space.

    Args:
        objective: A callable ``design -> float`` or an :class:`lsbo.Objective`.
        designs: Unlabeled training designs: a list of strings, or of 2-D arrays with
            values in [0, 1].
        budget: Number of objective evaluations in the run, counting those a stored
            run already holds.
        maximize: ``True`` to maximize, ``False`` to minimize; ``None`` takes the
            objective's own direction (maximize for a plain function).
        seed: Makes the run reproducible on CPU.
        scores: Known values, one per design (``None`` where unknown); those designs
            are not evaluated again and cost no budget.
        model: A pretrained VAE (see :func:`lsbo.models.load_model`).
        codec: Codec for the VAE lsbo trains (default: chosen from the designs).
        options: Search and training settings.
        callbacks: Called as ``callback(optimizer, record)`` after each evaluation.
        storage: Where the run is stored: ``None`` (in memory), a file path,
            ``sqlite:///runs.db`` or ``postgresql://...``. A stored run with the same
            ``name`` is continued.
        name: The run's name in ``storage``.
        accept_changes: Continue a stored run whose settings differ from these (a
            stored run with the same settings continues without it).
        executor: Evaluate on a ``concurrent.futures.Executor`` or a
            ``dask.distributed.Client``, several designs at once.
        n_workers: Evaluations in flight at once (default: the executor's workers).
        strategy: ``"plain"`` (default: qLogEI ranks decoded latent optima and 256
            design-space children of the best designs), ``"weighted-retraining"``,
            ``"trust-region"``, ``"trust-region+weighted-retraining"``, ``"lol-bo"``,
            ``"random"``, ``"genetic"``, ``"screening"``, or a :class:`lsbo.Strategy`
            with its own settings, built in or your own subclass (see
            :mod:`lsbo.strategies`).

    Returns:
        The history of evaluations with ``best_design`` and ``best_value``.

    Example:
        >>> result = lsbo.optimize(lambda s: s.count("a"), ["ab", "bb", "ba"], budget=20)
        >>> result.best_design, result.best_value
    """
    optimizer = Optimizer(
        objective,
        designs,
        scores=scores,
        model=model,
        codec=codec,
        maximize=maximize,
        options=options,
        seed=seed,
        storage=storage,
        name=name,
        accept_changes=accept_changes,
        strategy=strategy,
    )
    return optimizer.run(budget, callbacks=callbacks, executor=executor, n_workers=n_workers)


def load_run(storage: Storage, name: str, with_model: bool = True) -> OptimizationResult:
    """A stored run's history, best design and settings, without its objective.

    Args:
        storage: The file path or URL the run was stored in.
        name: The run's name.
        with_model: Also load the run's VAE (``result.model``).

    Raises:
        RunNotFoundError: No run of that name is stored there.
        StorageError: The storage cannot be read.
    """
    store = get_storage(storage)
    run = get_run(store, name)
    rows = store.proposals(run.id)
    records = [record_from_row(row) for row in rows]
    order = {row["number"]: row["finish_order"] for row in rows}
    evaluated = sorted((r for r in records if r.status.evaluated), key=lambda r: order[r.number])
    stats = RunStats.from_dict(run.stats)
    stats.vae_quality = load_stored_quality(store, run)
    return OptimizationResult(
        history=evaluated,
        maximize=bool(run.settings.get("maximize", True)),
        stats=stats,
        model=load_stored_model(store, run) if with_model else None,
        name=name,
        invalid=[r for r in records if r.status == ProposalState.INVALID],
        n_pending=sum(r.status == ProposalState.PENDING for r in records),
        settings=run.settings,
    )


@dataclass(frozen=True)
class RunSummary:
    """A stored run at a glance, read without its designs.

    Attributes:
        name: The run's name.
        objective: Its objective's name.
        strategy: Its strategy's name.
        maximize: Direction of the objective.
        budget: The budget of its last ``run`` (``None``: ask/tell only).
        counts: Proposals by state (``"complete"``, ``"failed"``, ``"pending"``,
            ``"invalid"``).
        best_value: The best complete value, or ``None``.
        created_at, updated_at: Unix times.
        settings: Its stored settings.
    """

    name: str
    objective: str
    strategy: str
    maximize: bool
    budget: int | None
    counts: dict[str, int]
    best_value: float | None
    created_at: float
    updated_at: float
    settings: dict[str, Any]

    @property
    def n_evaluated(self) -> int:
        """Evaluations made (complete or failed)."""
        return sum(self.counts.get(s, 0) for s in ProposalState if s.evaluated)


def list_runs(storage: Storage) -> list[RunSummary]:
    """Every run in a storage, oldest first, with its progress and best value.

    Raises:
        StorageError: The storage cannot be read.
    """
    store = get_storage(storage)
    summaries = []
    for info in store.list_runs():
        direction = Direction.of(bool(info.settings.get("maximize", True)))
        counts, best = store.summary(info.id, direction.maximize)
        summaries.append(
            RunSummary(
                name=info.name,
                objective=str(info.settings.get("objective", "?")),
                strategy=strategy_name(info.settings),
                maximize=direction.maximize,
                budget=info.budget,
                counts=counts,
                best_value=best,
                created_at=info.created_at,
                updated_at=info.updated_at,
                settings=info.settings,
            )
        )
    return summaries


def delete_run(storage: Storage, name: str) -> None:
    """Delete a stored run with its evaluations and its VAE.

    Raises:
        RunNotFoundError: No run of that name is stored there.
        StorageError: The storage cannot be written.
    """
    store = get_storage(storage)
    get_run(store, name)
    store.delete_run(name)


def upgrade_run_models(storage: Storage, name: str) -> bool:
    """Rewrite the VAE a run stored with an older lsbo (pickled, model file version 1)
    in the current format, which loads without unpickling; a run's later processes
    (``lsbo worker``, a resumed run) need this once before they can load it.

    Warning:
        Only for a storage you trust: the old VAE is unpickled to convert it, and
        unpickling can run arbitrary code (see :func:`lsbo.models.convert_model_file`).

    Args:
        storage: The file path or URL the run is stored in.
        name: The run's name.

    Returns:
        Whether its VAE was rewritten (``False``: it has none, or one in the current
        format already).

    Raises:
        RunNotFoundError: No run of that name is stored there.
        ModelFileError: The stored VAE is not an lsbo model, or cannot be converted.
    """
    store = get_storage(storage)
    return upgrade_stored_model(store, get_run(store, name))
