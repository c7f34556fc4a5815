"""The trust region of a stored run's next step, for the latent-space figure.

Nothing here repeats the optimizer: :func:`lsbo.replay.replay_context` rebuilds the
step's latent space, observations and GP from the run, and the strategy's own
:meth:`lsbo.TrustRegion.region` and :meth:`lsbo.TrustRegion.state` give the box and its
side, as at the run's next step.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lsbo.exceptions import LsboError

if TYPE_CHECKING:
    from lsbo.models.vae import VAE
    from lsbo.records import OptimizationResult


def _trust_region(
    result: OptimizationResult, training_designs: Sequence[Any] | None, model: VAE | None
) -> tuple[tuple[np.ndarray, np.ndarray] | None, float | None]:
    """The ``(low, high)`` box of the run's next trust region and its side, or ``None``s."""
    from linear_operator.utils.warnings import NumericalWarning

    from lsbo.replay import replay_context
    from lsbo.strategies import TrustRegion, strategy_from_settings

    try:
        strategy = strategy_from_settings(result.settings.get("strategy"))
        context = replay_context(result, training_designs, model)
    except (LsboError, KeyError, TypeError):
        return None, None
    if not isinstance(strategy, TrustRegion) or len(context.observations) < 2:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        box = strategy.region(context).cpu().numpy()
    return (box[0], box[1]), strategy.state(context).length
