"""LOL-BO: the VAE and a deep-kernel GP learn together; Thompson sampling in a trust region.

Maus et al., Local Latent Space Bayesian Optimization over Structured Inputs, NeurIPS
2022. Three parts, each a plain piece of lsbo or BoTorch:

- the surrogate is a PPGPR with a deep kernel (:class:`lsbo.surrogates.DeepKernelGP`),
  trained once on every point, then after each batch for a couple of epochs on the new
  points only, so a step costs about the same at 100 points as at 10,000;
- the search is TuRBO's: a box around the best point that grows after successes and
  shrinks after failures (:class:`lsbo.TrustRegion`'s state), Thompson sampling of
  perturbed candidates in it (BoTorch's ``MaxPosteriorSampling``);
- after ``update_after`` batches in a row without a new best, the VAE and the GP are
  trained together (the VAE's ELBO plus the GP's loss on the encoder's samples) on the
  ``top_k`` best designs and the last batch, so that the latent space bends towards
  what the GP can model; then every design is encoded again.

CoBO's regularizers of that joint update (Lee et al., Advancing Bayesian Optimization
via Learning Correlated Latent Space, NeurIPS 2023) are options, off by default:
``lipschitz_weight`` (pairs of designs whose values change faster than the median rate
per latent distance are penalized), ``loss_weighting`` (each design's reconstruction
loss and its pairs weighted by the chance that its value lies in the top 5%) and
``distance_weight`` (the mean latent distance between designs held at that of two
prior samples).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from lsbo.acquisition.trust_region import (
    TrustRegionState,
    thompson_sample,
    trust_region_bounds,
)
from lsbo.exceptions import InvalidOptionError
from lsbo.models import VAE
from lsbo.strategies.base import Candidate, SearchContext, Strategy
from lsbo.strategies.retraining import adopt_stored_model
from lsbo.strategies.trust_region import (
    check_lengths,
    region_state,
    start_and_batches,
    thompson_candidates,
)
from lsbo.surrogates.deep_kernel import DeepKernelGP, fit_deep_kernel_gp, new_deep_kernel_gp

if TYPE_CHECKING:
    from lsbo.latent_space import LatentSpace
    from lsbo.observations import Observations
    from lsbo.options import OptimizerOptions
    from lsbo.run_storage import RunStorage


# points per posterior call of the fallback's ranking
UCB_CHUNK = 512


@dataclass(frozen=True)
class JointTraining(Strategy):
    """LOL-BO: a deep-kernel GP and the VAE trained together, searched in a trust region.

    Defaults are those of the paper and its code, except where noted. The GP is kept
    from step to step in the process (:attr:`SearchContext.state`); a resumed run
    trains a new one on every point first.

    Attributes:
        length_init, length_min, length_max, success_tolerance, failure_tolerance,
            n_candidates: The trust region, as :class:`lsbo.TrustRegion`'s, except
            that its box is not stretched by lengthscales (the deep kernel has none
            per latent dimension): its side is ``length`` times the latent box's.
        hidden_dims: Widths of the feature network's hidden layers.
        num_inducing: Inducing points (at most; the first points of the data).
        init_epochs: Passes over every point when a GP is trained anew.
        min_init_steps: At least this many Adam steps then (not in the paper, which
            starts from 10,000 points or more: with 100 points, 20 epochs are 20 steps).
        update_epochs: Passes over the new points after each batch, and over the
            joint update's designs.
        learning_rate: Adam's step size for the GP alone (the paper: 1e-3 on its much
            larger data; 1e-2 here, the usual step of a variational GP).
        update_after: Batches in a row without a new best before the VAE and the GP are
            trained together (``None``: never, a deep-kernel TuRBO).
        top_k: The best designs that joint update trains on (with the last batch).
        update_learning_rate: Adam's step size in the joint update.
        update_batch_size: Designs per step of the joint update.
        surrogate_weight: Weight of the GP's loss beside the VAE's in the joint update.
        mutants: Designs made in design space each step (crossover and mutation of the
            10 best designs known, :meth:`lsbo.representations.Codec.vary`), ranked by
            Thompson sampling at their encodings together with the decodes of the
            latent samples (not in the paper; as ``lsbo.Plain(mutants=...)``). 0: the
            latent samples only.
        lipschitz_weight: CoBO's Lipschitz regularization in the joint update: for
            each pair of a minibatch, how far ``|y_i - y_j| / |z_i - z_j|`` exceeds the
            minibatch's median, averaged over the pairs that exceed it, times this
            weight (CoBO: 100 on scores in [0, 1]; here the values are standardized
            first, so the weight does not depend on the objective's units). 0: off.
        loss_weighting: CoBO's loss weighting: each design's reconstruction loss (and
            its pairs in the Lipschitz term) weighted by ``P(y + e > y*)``, ``y*`` the
            minibatch's 95% quantile and ``e ~ N(0, 0.1^2)`` in standardized units,
            the weights scaled to mean 1 (DbAS weights, as CoBO's code).
        distance_weight: CoBO's latent-distance term: this weight times
            ``|mean pairwise distance of the minibatch's z - E|z - z'|`` for two prior
            samples (``2 Gamma((d+1)/2) / Gamma(d/2)``) (CoBO: 0.1). 0: off.
    """

    name: ClassVar[str] = "lol-bo"
    length_init: float = 0.8
    length_min: float = 0.5**7
    length_max: float = 1.6
    success_tolerance: int = 10
    failure_tolerance: int | None = None
    n_candidates: int | None = None
    hidden_dims: tuple[int, ...] = (256, 256)
    num_inducing: int = 1024
    init_epochs: int = 20
    min_init_steps: int = 300
    update_epochs: int = 2
    learning_rate: float = 0.01
    update_after: int | None = 10
    top_k: int = 1000
    update_learning_rate: float = 1e-3
    update_batch_size: int = 64
    surrogate_weight: float = 1.0
    mutants: int = 0
    lipschitz_weight: float = 0.0
    loss_weighting: bool = False
    distance_weight: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_dims", tuple(int(w) for w in self.hidden_dims))
        check_lengths(self.length_min, self.length_init, self.length_max)
        counts = {
            "success_tolerance": self.success_tolerance,
            "failure_tolerance": self.failure_tolerance,
            "n_candidates": self.n_candidates,
            "num_inducing": self.num_inducing,
            "update_after": self.update_after,
            "top_k": self.top_k,
            "update_batch_size": self.update_batch_size,
        }
        for key, value in counts.items():
            if value is not None and (not _is_int(value) or value < 1):
                raise InvalidOptionError(f"{key} must be an integer >= 1, got {value!r}")
        for key in ("init_epochs", "min_init_steps", "update_epochs", "mutants"):
            if not _is_int(getattr(self, key)) or getattr(self, key) < 0:
                raise InvalidOptionError(
                    f"{key} must be an integer >= 0, got {getattr(self, key)!r}"
                )
        if not self.hidden_dims or min(self.hidden_dims) < 1:
            raise InvalidOptionError(f"hidden_dims must be positive widths, got {self.hidden_dims}")
        if not (self.learning_rate > 0 and self.update_learning_rate > 0):
            raise InvalidOptionError("learning rates must be > 0")
        for key in ("surrogate_weight", "lipschitz_weight", "distance_weight"):
            if not getattr(self, key) >= 0:
                raise InvalidOptionError(f"{key} must be >= 0, got {getattr(self, key)}")
        if not isinstance(self.loss_weighting, bool):
            raise InvalidOptionError(
                f"loss_weighting must be True or False, got {self.loss_weighting!r}"
            )

    @property
    def _regularized(self) -> bool:
        """Whether the joint update needs the values (a CoBO regularizer on them is on)."""
        return bool(self.lipschitz_weight) or self.loss_weighting

    def settings(self) -> dict[str, Any]:
        """The stored settings (``hidden_dims`` as a list, as JSON keeps it)."""
        return {**super().settings(), "hidden_dims": list(self.hidden_dims)}

    @property
    def retraining(self) -> JointTraining | None:  # type: ignore[override]
        """Its own schedule of joint updates (``None`` when ``update_after`` is)."""
        return None if self.update_after is None else self

    # -- the search ----------------------------------------------------------------

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """``4 n + 16`` Thompson samples of the deep-kernel GP in the trust region, best
        first (the first ``n`` are the batch, the others stand in for unusable ones)."""
        model = self.surrogate(context)
        center = context.observations.best_point()
        region = self.region(context)
        context.notes["region"] = region
        return thompson_sample(
            model,
            center,
            region,
            n=4 * n + 16,
            n_candidates=self.n_candidates,
            seed=context.seed + context.round,
            validity=context.validity(),
        )

    def propose_designs(self, context: SearchContext, n: int) -> list[Candidate] | None:
        """With ``mutants``: the decodes of :meth:`propose`'s points and the new, valid
        design-space candidates, ranked together by Thompson sampling of the deep-kernel
        GP at their encodings (:func:`lsbo.strategies.trust_region.thompson_candidates`),
        after the unusable decodes (which the run records). Without: ``None``."""
        if not self.mutants:
            return None
        points = self.propose(context, n)
        return thompson_candidates(context, self.surrogate(context), points, self.mutants, n)

    def ranking(self, context: SearchContext) -> Callable[[Tensor], Tensor]:
        """The fallback ranks samples of the whole box by an upper confidence bound
        (``mean + 2 std``) of the deep-kernel GP, from marginals in chunks: qLogEI
        evaluates each point as its own batch, and a variational GP then builds one
        inducing-point covariance per point (gigabytes for a thousand points)."""
        model = self.surrogate(context)

        def upper_bound(points: Tensor) -> Tensor:
            values = []
            with torch.no_grad():
                for chunk in points.split(UCB_CHUNK):
                    posterior = model.posterior(chunk.to(context.latent.dtype))
                    mean = posterior.mean.squeeze(-1)
                    values.append(mean + 2.0 * posterior.variance.clamp_min(0).sqrt().squeeze(-1))
            return torch.cat(values)

        return upper_bound

    def region(self, context: SearchContext) -> Tensor:
        """The ``2 x d`` box of this step around the best point (side: :meth:`state`'s
        length times the latent box's)."""
        center = context.observations.best_point()
        ones = torch.ones_like(center)
        model = self.surrogate(context)
        return trust_region_bounds(
            model, center, self.state(context).length, context.latent.bounds, lengthscale=ones
        )

    def state(self, context: SearchContext) -> TrustRegionState:
        """The trust region's state now, rebuilt from the history."""
        return region_state(self, context)

    def surrogate(self, context: SearchContext) -> DeepKernelGP:
        """The step's GP: the one of the last step, trained on the points added since;
        a new one when there is none in this process or the latent space changed."""
        if not context.fitted:
            args = (context.latent, context.observations, context.seed, context.run_seed)
            context.use_surrogate(self._updated(context.state, *args))
        model = context.surrogate()
        assert isinstance(model, DeepKernelGP)
        return model

    def _updated(
        self,
        state: dict[str, Any],
        latent: LatentSpace,
        observations: Observations,
        seed: int,
        run_seed: int,
    ) -> DeepKernelGP:
        X, Y = observations.X, observations.Y.unsqueeze(-1)
        space = (id(latent.model), latent.retrainings)
        model, seen = state.get("gp"), state.get("seen", 0)
        if model is None or state.get("space") != space or seen > len(X):
            batches = math.ceil(len(X) / 128)
            epochs = max(self.init_epochs, math.ceil(self.min_init_steps / batches))
            model = new_deep_kernel_gp(
                X, Y, self.num_inducing, self.hidden_dims, epochs, self.learning_rate,
                seed=run_seed,
            )  # fmt: skip
        elif seen < len(X):
            generator = torch.Generator().manual_seed(seed)
            fit_deep_kernel_gp(
                model, X[seen:], Y[seen:], self.update_epochs, self.learning_rate,
                generator=generator, num_data=len(X),
            )  # fmt: skip
        state.update(gp=model, seen=len(X), space=space)
        return model

    # -- the joint updates, as a retraining schedule ------------------------------------

    def due(
        self,
        n_evaluated: int,
        done: int,
        force: bool = False,
        observations: Observations | None = None,
    ) -> int:
        """How many joint updates the run should have had: one each time
        ``update_after`` batches in a row brought no new best (the count starts again
        after each update and each new best); with ``force``, one more than ``done``."""
        count = 0
        if observations is not None and self.update_after is not None:
            start, batches = start_and_batches(observations.history, observations.direction.sign)
            best = max([*observations.given_values(), *start], default=-math.inf)
            fails = 0
            for batch in batches:
                top = max(batch, default=-math.inf)
                fails = 0 if top > best else fails + 1
                best = max(best, top)
                if fails >= self.update_after:
                    count, fails = count + 1, 0
        return max(count, done + 1) if force else count

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
        """Bring the run to joint update ``due``: take the VAE another process stored
        already (a new GP follows), else train the VAE and the GP together here
        (:meth:`update_end_to_end`), encode every design again, train the GP a little on
        the new encodings of the designs it was updated on, and store the VAE.

        Returns:
            Whether the VAE was updated here.
        """
        state = {} if state is None else state
        if adopt_stored_model(latent, observations, run, due, options):
            state.clear()
            return False
        step_seed = seed * 1_000_003 + due * 104_729
        model = self._updated(state, latent, observations, step_seed, seed)
        chosen = self._update_set(observations, options.batch_size)
        designs = [observations.designs[i] for i in chosen.tolist()]
        Y = observations.Y[chosen].unsqueeze(-1)
        self.update_end_to_end(latent.model, model, designs, Y, options.vae.beta, step_seed)
        latent.refresh(observations, extend_bounds=True)
        latent.model.metadata = {
            **latent.model.metadata, "retrainings": due, "bounds": latent.bounds.tolist(),
            "retrained_at": iteration,
        }  # fmt: skip
        X = observations.X[chosen]
        fit_deep_kernel_gp(
            model, X, Y, self.update_epochs, self.learning_rate,
            generator=torch.Generator().manual_seed(step_seed), num_data=len(observations),
        )  # fmt: skip
        state.update(gp=model, seen=len(observations), space=(id(latent.model), due))
        run.save_model(latent.model, seed)
        return True

    def _update_set(self, observations: Observations, batch_size: int) -> Tensor:
        """Indices of the ``top_k`` best observations and of the last batch's."""
        best = observations.Y.argsort(descending=True, stable=True)[: self.top_k]
        ran = torch.nonzero(observations.from_run).squeeze(-1)[-batch_size:]
        return torch.unique(torch.cat([best, ran]))

    def update_end_to_end(
        self,
        vae: VAE,
        model: DeepKernelGP,
        designs: list[Any],
        Y: Tensor,
        beta: float,
        seed: int,
    ) -> None:
        """Train ``vae`` and ``model`` together in place for ``update_epochs`` passes:
        each minibatch's loss is the VAE's (``nll + beta kl``, mean per design) plus
        ``surrogate_weight`` times the GP's loss at the encoder's samples, so the GP's
        gradient reaches the encoder."""
        generator = torch.Generator().manual_seed(seed)
        x = vae.codec.encode(designs).to(vae.device)
        params = [{"params": vae.parameters()}, {"params": model.parameters()}]
        adam = torch.optim.Adam(params, lr=self.update_learning_rate)
        vae.train()
        model.train()
        with torch.random.fork_rng():
            torch.manual_seed(seed)  # dropout, if the VAE has any
            self._joint_epochs(vae, model, x, Y, beta, generator, adam)
        vae.eval()
        model.eval()
        vae.zero_grad(set_to_none=True)
        model.zero_grad(set_to_none=True)

    def _joint_epochs(
        self,
        vae: VAE,
        model: DeepKernelGP,
        x: Tensor,
        Y: Tensor,
        beta: float,
        generator: torch.Generator,
        adam: torch.optim.Optimizer,
    ) -> None:
        for _ in range(self.update_epochs):
            for index in torch.randperm(len(Y), generator=generator).split(self.update_batch_size):
                nll, kl, z = vae.elbo_terms(x[index.to(x.device)], generator)
                y = model.standardize(Y[index]).detach() if self._regularized else None
                weights = dbas_weights(y) if self.loss_weighting and y is not None else None
                loss = (nll * (1.0 if weights is None else weights.to(nll)) + beta * kl).mean()
                if self.surrogate_weight:
                    surrogate = model.loss(z.to("cpu", Y.dtype), Y[index], len(Y))
                    loss = loss + self.surrogate_weight * surrogate
                if self.lipschitz_weight and y is not None and len(index) > 1:
                    pairs = torch.ones_like(y) if weights is None else weights
                    penalty = lipschitz_penalty(z, y.to(z), pairs.to(z))
                    loss = loss + self.lipschitz_weight * penalty
                if self.distance_weight and len(index) > 1:
                    gap = pairwise_distances(z).mean() - prior_distance(z.shape[-1])
                    loss = loss + self.distance_weight * gap.abs()
                adam.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(vae.parameters(), 10.0)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                adam.step()


def dbas_weights(y: Tensor, quantile: float = 0.95, noise: float = 0.1) -> Tensor:
    """CoBO's (DbAS) weights of values ``y`` (``n``): ``P(y + e > y*)``, ``y*`` their
    ``quantile`` and ``e ~ N(0, noise^2)``, scaled to mean 1."""
    threshold = torch.quantile(y, quantile)
    weights = torch.special.ndtr((y - threshold) / noise)
    return weights / weights.mean().clamp_min(torch.finfo(weights.dtype).tiny)


def pairwise_distances(z: Tensor) -> Tensor:
    """Euclidean distances between the rows of ``z`` (``n x n``; differentiable, also
    at 0)."""
    return ((z.unsqueeze(1) - z.unsqueeze(0)).pow(2).sum(-1) + 1e-10).sqrt()


def prior_distance(dim: int) -> float:
    """The mean distance between two independent standard normal points in ``dim``
    dimensions: ``2 Gamma((dim+1)/2) / Gamma(dim/2)``."""
    return 2.0 * math.exp(math.lgamma((dim + 1) / 2) - math.lgamma(dim / 2))


def lipschitz_penalty(z: Tensor, y: Tensor, weights: Tensor) -> Tensor:
    """CoBO's Lipschitz regularization of latent points ``z`` (``n x d``) with values
    ``y`` (``n``): the mean, over the pairs whose rate ``|y_i - y_j| / |z_i - z_j|``
    exceeds the median rate, of the excess times ``sqrt(w_i w_j)``."""
    rates = (y.unsqueeze(1) - y.unsqueeze(0)).abs() / (pairwise_distances(z) + 1e-10)
    excess = (rates - rates.median()) * (weights.unsqueeze(1) * weights.unsqueeze(0)).sqrt()
    above = excess[excess > 0]
    return above.mean() if len(above) else excess.sum() * 0.0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
