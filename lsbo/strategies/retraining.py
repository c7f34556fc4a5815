"""Weighted retraining (Tripp et al. 2020): a retraining schedule, and a strategy.

As a strategy, ``WeightedRetraining`` is :class:`Plain` whose VAE is fine-tuned every
``period`` evaluations; as a schedule, it composes with other strategies
(``TrustRegion(retraining=WeightedRetraining())``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from lsbo.exceptions import InvalidOptionError
from lsbo.models import VAE, TrainingOptions, fine_tune_vae
from lsbo.strategies.plain import Plain

if TYPE_CHECKING:
    from lsbo.latent_space import LatentSpace
    from lsbo.observations import Observations
    from lsbo.options import OptimizerOptions
    from lsbo.run_storage import RunStorage


@dataclass(frozen=True)
class WeightedRetraining(Plain):
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
        mutants: As :class:`Plain`'s, but 0 by default: design-space candidates
            have not been measured with retraining yet.
    """

    name: ClassVar[str] = "weighted-retraining"
    mutants: int | None = 0
    k: float = 1e-3
    period: int = 50
    fraction: float = 0.1
    weighting: str = "sampling"
    learning_rate: float = 1e-3
    batch_size: int = 32

    def __post_init__(self) -> None:
        super().__post_init__()
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

    def due(
        self,
        n_evaluated: int,
        done: int,
        force: bool = False,
        observations: Observations | None = None,
    ) -> int:
        """How many retrainings the run should have had after ``n_evaluated``
        evaluations (with ``force``, at least one more than the ``done`` ones); a
        schedule that counts something else reads the ``observations``."""
        due = n_evaluated // self.period
        return max(due, done + 1) if force else due

    def apply(
        self,
        latent: LatentSpace,
        observations: Observations,
        run: RunStorage,
        due: int,
        seed: int,
        options: OptimizerOptions,
        iteration: int = 0,
        state: dict[str, Any] | None = None,
    ) -> bool:
        """Bring the run to retraining ``due``: take the VAE another process sharing the
        run retrained already, else fine-tune it here (:meth:`LatentSpace.retrain`) and
        store it; either way everything moves into the new latent space. The VAE keeps
        the ``iteration`` (the ``ask``) it was retrained in as ``"retrained_at"``: points
        decoded before it belong to another latent space. ``state`` is the strategy's
        :attr:`~lsbo.strategies.SearchContext.state` (unused here).

        Returns:
            Whether the VAE was fine-tuned here.
        """
        if adopt_stored_model(latent, observations, run, due, options):
            return False
        latent.retrain(self, observations, due, seed, options.vae)
        latent.model.metadata = {**latent.model.metadata, "retrained_at": iteration}
        run.save_model(latent.model, seed)
        return True

    def retrain(
        self,
        model: VAE,
        designs: Sequence[Any],
        values: Tensor,
        due: int,
        seed: int,
        vae: TrainingOptions,
    ) -> None:
        """Fine-tune ``model`` in place on the weighted designs: retraining ``due``.

        The Adam of the previous fine-tuning continues (a fresh Adam on a trained VAE
        moves every parameter by about the learning rate); it is kept, with ``due``, in
        the model's metadata.

        Args:
            model: The VAE.
            designs: Every design known so far, once each.
            values: Their signed values (larger is better), NaN where unscored.
            due: The number of this retraining (seeds it).
            seed: The run's seed.
            vae: The run's VAE training options (learning rate and batch size are
                this schedule's).
        """
        adam = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
        if "adam" in model.metadata:
            adam.load_state_dict(model.metadata["adam"])
        fine_tune_vae(
            model,
            designs,
            rank_weights(values, self.k),
            fraction=self.fraction,
            weighting=self.weighting,
            options=dataclasses.replace(
                vae, learning_rate=self.learning_rate, batch_size=self.batch_size
            ),
            seed=seed * 1_000_003 + due * 104_729,
            optimizer=adam,
        )
        model.metadata = {**model.metadata, "retrainings": due, "adam": adam.state_dict()}


def adopt_stored_model(
    latent: LatentSpace,
    observations: Observations,
    run: RunStorage,
    due: int,
    options: OptimizerOptions,
) -> bool:
    """Whether another process sharing the run stored a VAE retrained ``due`` times
    already; if so, the search moves into its latent space (nothing is retrained here)."""
    stored = None if run.in_memory else run.load_model()
    if stored is None or stored.metadata.get("retrainings", 0) < due:
        return False
    latent.set_model(stored.to(options.device).eval(), observations)
    return True


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
