"""Search strategies: how the optimizer picks latent points and when its VAE learns.

A strategy is a frozen dataclass of settings, chosen by name or passed as an object
(as Optuna passes a sampler)::

    lsbo.optimize(f, designs, strategy="weighted-retraining")
    lsbo.optimize(f, designs, strategy=lsbo.WeightedRetraining(period=5))

Built-in names (:data:`STRATEGIES`):

- ``"plain"``: the VAE is trained once; a GP with qLogEI searches a global latent box.
- ``"weighted-retraining"``: plain, and every ``period`` evaluations the VAE is
  fine-tuned on everything seen so far, good designs weighted up (Tripp et al. 2020).
- ``"trust-region"``: TuRBO in latent space (Eriksson et al. 2019; LOL-BO, Maus et al.
  2022): Thompson sampling in a box around the best point that grows and shrinks.
- ``"trust-region+weighted-retraining"``: both at once.
- ``"random"``: decoded samples from the VAE prior, the baseline every comparison needs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from lsbo.exceptions import InvalidOptionError


@dataclass(frozen=True)
class Strategy:
    """Base class: ``name`` is the strategy's registry name."""

    name: ClassVar[str] = ""

    def settings(self) -> dict[str, Any]:
        """The strategy's name and fields as JSON types (what a run stores)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for key, value in fields.items():
            if isinstance(value, Strategy):
                fields[key] = value.settings()
        return {"name": self.name, **fields}

    @property
    def retraining(self) -> WeightedRetraining | None:
        """The retraining schedule this strategy follows, if any."""
        return None


@dataclass(frozen=True)
class Plain(Strategy):
    """Train the VAE once, then GP + qLogEI over the latent box of the training data."""

    name: ClassVar[str] = "plain"


@dataclass(frozen=True)
class RandomSearch(Strategy):
    """Decode samples ``z ~ N(0, scale^2 I)`` of the VAE prior; no surrogate.

    Attributes:
        scale: Standard deviation of the samples (1.0 is the prior itself).
    """

    name: ClassVar[str] = "random"
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise InvalidOptionError(f"scale must be > 0, got {self.scale}")


@dataclass(frozen=True)
class WeightedRetraining(Strategy):
    """Fine-tune the VAE every ``period`` evaluations on designs weighted by rank.

    Tripp, Daxberger and Hernandez-Lobato, Sample-Efficient Optimization in the Latent
    Space of Deep Generative Models via Weighted Retraining, NeurIPS 2020. Each design
    seen so far (training designs and evaluated ones) gets the weight
    ``1 / (k N + rank)``, rank 0 for the best (see :func:`rank_weights`); the VAE
    continues from its current parameters (it is not trained from scratch), then
    every design is encoded again and the GP refitted in the new latent space.

    Attributes:
        k: Sharpness: small ``k`` puts most weight on the best few designs, large ``k``
            approaches uniform weights (the paper's default 1e-3).
        period: Evaluations between retrainings (the paper's r: 50; 5 on shapes).
        fraction: Length of each fine-tuning, as a fraction of an epoch over the
            weighted designs (the paper: a small fraction, e.g. 0.1).
        weighting: ``"sampling"`` draws the fine-tuning designs with replacement in
            proportion to their weights (the paper's choice for its PyTorch tasks);
            ``"loss"`` draws them uniformly and weights each one's loss.
        learning_rate: Adam step size of the fine-tuning (the paper's 1e-3). One Adam
            carries over from one fine-tuning to the next (and is stored with the VAE).
        batch_size: Designs per gradient step of the fine-tuning.
    """

    name: ClassVar[str] = "weighted-retraining"
    k: float = 1e-3
    period: int = 50
    fraction: float = 0.1
    weighting: str = "sampling"
    learning_rate: float = 1e-3
    batch_size: int = 32

    def __post_init__(self) -> None:
        if not self.learning_rate > 0 or self.batch_size < 1:
            raise InvalidOptionError("learning_rate must be > 0 and batch_size >= 1")
        if not self.k > 0:
            raise InvalidOptionError(f"k must be > 0, got {self.k}")
        if self.period < 1:
            raise InvalidOptionError(f"period must be >= 1 evaluation, got {self.period}")
        if not 0 < self.fraction <= 100:
            raise InvalidOptionError(f"fraction must be in (0, 100] epochs, got {self.fraction}")
        if self.weighting not in ("sampling", "loss"):
            raise InvalidOptionError(
                f"weighting must be 'sampling' or 'loss', got {self.weighting!r}"
            )

    @property
    def retraining(self) -> WeightedRetraining:
        """This strategy is its own retraining schedule."""
        return self


@dataclass(frozen=True)
class TrustRegion(Strategy):
    """TuRBO in latent space: Thompson sampling inside a box around the best point.

    The box is centred on the best latent point, its side ``length`` (in the latent
    box normalized to the unit cube) stretched per dimension by the GP's lengthscales.
    After ``success_tolerance`` improving batches in a row it doubles (at most
    ``length_max``); after ``failure_tolerance`` batches without improvement it halves;
    below ``length_min`` it restarts at ``length_init``. Defaults are those of
    BoTorch's TuRBO tutorial. Eriksson et al., Scalable Global Optimization via Local
    Bayesian Optimization, NeurIPS 2019; Maus et al., Local Latent Space Bayesian
    Optimization over Structured Inputs (LOL-BO), NeurIPS 2022.

    Attributes:
        length_init: Side of a new region.
        length_min: A region smaller than this restarts.
        length_max: Largest side.
        success_tolerance: Improving batches in a row before the region grows.
        failure_tolerance: Batches without improvement before it shrinks (``None``:
            ``ceil(max(4 / q, d / q))`` for batches of ``q`` in ``d`` dimensions).
        n_candidates: Sobol points in the region for Thompson sampling (``None``:
            ``min(5000, max(2000, 200 d))``).
        retraining: Also fine-tune the VAE on a weighted-retraining schedule.
    """

    name: ClassVar[str] = "trust-region"
    length_init: float = 0.8
    length_min: float = 0.5**7
    length_max: float = 1.6
    success_tolerance: int = 10
    failure_tolerance: int | None = None
    n_candidates: int | None = None
    retraining: WeightedRetraining | None = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not 0 < self.length_min <= self.length_init <= self.length_max:
            raise InvalidOptionError(
                "trust region lengths must satisfy 0 < length_min <= length_init <= "
                f"length_max, got {self.length_min}, {self.length_init}, {self.length_max}"
            )
        if self.success_tolerance < 1 or (self.failure_tolerance or 1) < 1:
            raise InvalidOptionError("success_tolerance and failure_tolerance must be >= 1")
        if self.n_candidates is not None and self.n_candidates < 1:
            raise InvalidOptionError("n_candidates must be >= 1 or None")

    def settings(self) -> dict[str, Any]:
        """The stored settings, with the retraining schedule's own settings nested."""
        settings = super().settings()
        if self.retraining is None:
            settings["retraining"] = None
        return settings


STRATEGIES: dict[str, type[Strategy]] = {
    "plain": Plain,
    "weighted-retraining": WeightedRetraining,
    "trust-region": TrustRegion,
    "trust-region+weighted-retraining": TrustRegion,
    "random": RandomSearch,
}


def get_strategy(strategy: str | Strategy | None, **overrides: Any) -> Strategy:
    """The strategy a name (or ``None``: plain) stands for, or the object itself.

    Args:
        strategy: A name from :data:`STRATEGIES`, a :class:`Strategy`, or ``None``.
        overrides: Fields to set on a strategy given by name (e.g. ``period=5``).

    Raises:
        InvalidOptionError: Unknown name or field.
    """
    if isinstance(strategy, Strategy):
        return dataclasses.replace(strategy, **overrides) if overrides else strategy
    name = strategy or "plain"
    if name not in STRATEGIES:
        raise InvalidOptionError(
            f"no strategy named {name!r}; choose one of: {', '.join(STRATEGIES)}"
        )
    cls = STRATEGIES[name]
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


def rank_weights(values: Tensor, k: float) -> Tensor:
    """Weighted-retraining weights ``w_i = 1 / (k N + rank_i)``, normalized to sum to 1.

    Ranks count from 0 for the largest value; ties are broken by position (earlier
    first), so the weights are a deterministic function of ``values``. NaN marks a
    design without a score (e.g. unscored training data): those all share the rank
    just below the last scored design.

    Args:
        values: ``N`` values, larger is better, NaN where unknown.
        k: Sharpness, > 0.

    Returns:
        ``N`` positive weights summing to 1, non-increasing in value.
    """
    values = values.to(torch.float64)
    n = values.shape[-1]
    scored = ~torch.isnan(values)
    order = torch.sort(-values.nan_to_num(-math.inf), stable=True).indices
    ranks = torch.empty(n, dtype=torch.float64)
    ranks[order] = torch.arange(n, dtype=torch.float64)
    ranks[~scored] = float(scored.sum())
    weights = 1.0 / (k * n + ranks)
    return weights / weights.sum()


def failure_tolerance(strategy: TrustRegion, dim: int, q: int) -> int:
    """Batches without improvement before the region shrinks."""
    if strategy.failure_tolerance is not None:
        return strategy.failure_tolerance
    return math.ceil(max(4.0 / q, dim / q))
