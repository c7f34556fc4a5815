"""Search strategies: how the optimizer picks latent points and when its VAE learns.

A strategy carries its own search (as an Optuna sampler does); choose one by name or
pass an object with its settings::

    lsbo.optimize(f, designs, strategy="weighted-retraining")
    lsbo.optimize(f, designs, strategy=lsbo.WeightedRetraining(period=5))

Built-in names (:data:`STRATEGIES`):

- ``"plain"`` (the default): the VAE is trained once; a GP with qLogEI ranks the decoded
  optima of a search of the latent box together with 256 children of the best designs
  made in design space (crossover and mutation by the codec), at their encodings.
- ``"weighted-retraining"``: plain, and every ``period`` evaluations the VAE is
  fine-tuned on everything seen so far, good designs weighted up (Tripp et al. 2020).
- ``"trust-region"``: TuRBO in latent space (Eriksson et al. 2019; LOL-BO, Maus et al.
  2022): Thompson sampling in a box around the best point that grows and shrinks.
- ``"trust-region+weighted-retraining"``: both at once.
- ``"random"``: decoded samples from the VAE prior, the baseline every comparison needs.
- ``"lol-bo"``: LOL-BO (Maus et al. 2022): a deep-kernel variational GP updated after
  each batch, Thompson sampling in a trust region, and the VAE and GP trained together
  after batches without progress.
- ``"genetic"``: a genetic algorithm on the designs themselves (crossover and mutation
  by the codec), the baseline a design-space search sets; no GP.
- ``"screening"``: the unscored training designs in random order (PMO's baseline): what
  scoring the library you have would find; no GP.

``Plain(mutants=N)`` sets how many designs made by crossover and mutation qLogEI ranks
beside the decoded latent optima (``0``: the latent optima only; weighted retraining
takes the same setting, 0 by default); ``JointTraining(mutants=N)`` and
``TrustRegion(mutants=N)`` rank them by Thompson sampling beside their latent samples
(0 by default).

Your own strategy is a subclass of :class:`Strategy` (see :mod:`lsbo.strategies.base`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lsbo.exceptions import InvalidOptionError
from lsbo.strategies.base import Candidate, SearchContext, Strategy
from lsbo.strategies.genetic import Genetic
from lsbo.strategies.joint import JointTraining
from lsbo.strategies.plain import Plain
from lsbo.strategies.random import RandomSearch
from lsbo.strategies.retraining import WeightedRetraining, rank_weights
from lsbo.strategies.screening import Screening
from lsbo.strategies.trust_region import TrustRegion, failure_tolerance

__all__ = [
    "STRATEGIES",
    "Candidate",
    "Genetic",
    "JointTraining",
    "Plain",
    "RandomSearch",
    "Screening",
    "SearchContext",
    "Strategy",
    "TrustRegion",
    "WeightedRetraining",
    "failure_tolerance",
    "get_strategy",
    "rank_weights",
    "strategy_from_settings",
]

STRATEGIES: dict[str, type[Strategy]] = {
    "plain": Plain,
    "weighted-retraining": WeightedRetraining,
    "trust-region": TrustRegion,
    "trust-region+weighted-retraining": TrustRegion,
    "random": RandomSearch,
    "genetic": Genetic,
    "lol-bo": JointTraining,
    "screening": Screening,
}


def get_strategy(strategy: str | Strategy | None, **overrides: Any) -> Strategy:
    """The strategy a name (or ``None``: plain) stands for, or the object itself.

    Args:
        strategy: A name from :data:`STRATEGIES` (or of a :class:`Strategy` subclass
            defined by the user and imported), a :class:`Strategy`, or ``None``.
        overrides: Fields to set on a strategy given by name (e.g. ``period=5``).

    Raises:
        InvalidOptionError: Unknown name or field.
    """
    if isinstance(strategy, Strategy):
        return dataclasses.replace(strategy, **overrides) if overrides else strategy
    name = strategy or "plain"
    cls = _by_name(name)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InvalidOptionError(
            f"strategy {name!r} has no setting {', '.join(unknown)}; its settings: "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    if name == "trust-region+weighted-retraining" and "retraining" not in overrides:
        overrides = {**overrides, "retraining": WeightedRetraining()}
    return cls(**overrides)


def strategy_from_settings(settings: dict[str, Any] | str | None) -> Strategy:
    """The strategy a run stored (:meth:`Strategy.settings`, or a bare name)."""
    if settings is None or isinstance(settings, str):
        return get_strategy(settings)
    fields = dict(settings)
    name = fields.pop("name")
    retraining = fields.get("retraining")
    if isinstance(retraining, dict):
        fields["retraining"] = strategy_from_settings(retraining)
    return get_strategy(name, **fields)


def _by_name(name: str) -> type[Strategy]:
    """The built-in strategy ``name``, else a user's subclass of that name."""
    if name in STRATEGIES:
        return STRATEGIES[name]
    for cls in _subclasses(Strategy):
        if name in (cls.name, cls.__name__) and dataclasses.is_dataclass(cls):
            return cls
    raise InvalidOptionError(
        f"no strategy named {name!r}; choose one of: {', '.join(STRATEGIES)} (or import "
        "the module that defines your own Strategy subclass first)"
    )


def _subclasses(cls: type[Strategy]) -> list[type[Strategy]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
