"""A stored run's next step as its optimizer would see it, rebuilt from the run alone.

Plots and diagnostics of a stored run (its trust region, its GP) use this instead of
their own copies of the optimizer's logic: the same latent space and search box
(:class:`lsbo.latent_space.LatentSpace`), the same observations and GP training subset
(:class:`lsbo.observations.Observations`), and the strategy's own methods on the
resulting :class:`lsbo.strategies.SearchContext` (e.g. ``TrustRegion.region``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botorch.models.model import Model

from lsbo.exceptions import NoDataError
from lsbo.latent_space import LatentSpace
from lsbo.models import VAE
from lsbo.observations import Observations
from lsbo.options import options_from_settings
from lsbo.records import Direction, OptimizationResult, Source
from lsbo.strategies import SearchContext


def replay_context(
    result: OptimizationResult,
    designs: Sequence[Any] | None = None,
    model: VAE | None = None,
) -> SearchContext:
    """The context the run's strategy would see at its next step.

    Two things a stored run does not hold make it an approximation: the GP starts from
    default hyperparameters (the run warm-starts from its last step's), and scores
    given with the training designs are not stored with the run, so they take no part.
    The batch size (not stored: it may change between sessions) is the largest batch
    of the history.

    Args:
        result: The run (from :func:`lsbo.load_run`, which holds its settings).
        designs: Its training designs, whose box the search stays in (default: the
            evaluated designs').
        model: Its VAE (default: ``result.model``).

    Raises:
        NoDataError: No VAE, or nothing evaluated and no designs.
    """
    model = model if model is not None else result.model
    designs = list(designs) if designs is not None else [r.design for r in result.history]
    if model is None or not designs:
        raise NoDataError(f"run {result.name!r}: its next step needs its VAE and designs")
    options = options_from_settings(result.settings.get("options") or {})
    seed = int(result.settings.get("seed", 0))
    latent = LatentSpace(model, designs, options.bounds_margin, options.dtype)
    observations = Observations(Direction.of(result.maximize), options.dtype)
    latent.refresh(observations)  # the box, as a new run's
    for record in result.history:
        observations.add_record(record, options.failure_value)
    if latent.retrainings:  # stored points may predate the retrained VAE
        latent.refresh(observations)

    def fit() -> Model:
        return observations.fit_surrogate(latent.bounds, options, seed)[0]

    sizes: dict[int, int] = {}
    for record in result.history:
        if record.source != Source.INITIAL:
            sizes[record.iteration] = sizes.get(record.iteration, 0) + 1
    return SearchContext(
        latent=latent,
        observations=observations,
        history=list(result.history),
        options=options,
        seed=seed * 1_000_003,
        run_seed=seed,
        batch_size=max(sizes.values(), default=1),
        fit=fit,
    )
