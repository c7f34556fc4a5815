"""A variational GP (BoTorch ``SingleTaskVariationalGP``) for many latent points.

An exact GP costs ``O(n^3)`` to fit and ``O(n)`` per prediction; a variational GP with
``m`` inducing points costs ``O(n m^2)`` per pass over the data and ``O(m^2)`` per
prediction, so the acquisition step no longer grows with ``n`` at all. The kernel,
mean and likelihood are BoTorch's defaults for ``SingleTaskGP``, so hyperparameters
carry over between the two kinds of model (see :func:`fit_surrogate`).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import torch
from botorch.exceptions.warnings import InputDataWarning, UserInputWarning
from botorch.models import SingleTaskGP, SingleTaskVariationalGP
from botorch.models.transforms import Normalize, Standardize
from botorch.models.utils.inducing_point_allocators import GreedyVarianceReduction
from gpytorch.mlls import VariationalELBO
from gpytorch.optim import NGD
from gpytorch.variational import CholeskyVariationalDistribution, NaturalVariationalDistribution
from linear_operator.utils.cholesky import psd_safe_cholesky
from torch import Tensor

from lsbo.exceptions import InvalidOptionError
from lsbo.surrogates.gp import fit_gp, gp_state

SurrogateKind = Literal["exact", "variational"]
State = Mapping[str, Mapping[str, Tensor]]
_PARTS = ("mean_module", "covar_module", "likelihood")
_POOL = 2000  # candidate points for placing inducing points (the allocator is O(pool^2))


def variational_state(model: SingleTaskVariationalGP) -> dict[str, dict[str, Tensor]]:
    """The hyperparameters of a fitted model, laid out as :func:`lsbo.surrogates.gp_state`
    (so the state warm-starts either kind of model)."""
    return {
        name: getattr(model if name == "likelihood" else model.model, name).state_dict()
        for name in _PARTS
    }


def fit_variational_gp(
    train_X: Tensor,
    train_Y: Tensor,
    bounds: Tensor,
    num_inducing: int = 128,
    warm_start: SingleTaskVariationalGP | SingleTaskGP | State | None = None,
    seed: int = 0,
    hyper_points: int = 500,
    num_steps: int = 0,
    batch_size: int = 1024,
    lr: float = 0.01,
) -> SingleTaskVariationalGP:
    """Fit a ``SingleTaskVariationalGP`` on all points at a cost nearly flat in ``n``.

    Inputs are normalized to ``bounds`` and outcomes standardized as the model's own
    transforms (as :func:`lsbo.surrogates.fit_gp` does). Three stages:

    1. Hyperparameters (kernel, constant mean, noise): an exact GP on a random sample
       of ``hyper_points`` points, warm-started (:func:`lsbo.surrogates.fit_gp`). The
       sample is drawn from per-point keys that stay fixed for a given ``seed``, so from
       one step to the next it changes by the new point at most and the warm start is
       close (keep ``seed`` fixed across the steps of a run to get this).
    2. Inducing points: BoTorch's ``GreedyVarianceReduction`` under that kernel, among
       the best 500 points and a random sample of the rest (2,000 in all).
    3. The variational distribution: one full-batch natural-gradient step of size 1 on
       the variational ELBO, which for a Gaussian likelihood is its exact optimum given
       the rest (``O(n m^2)``).

    Optionally ``num_steps`` minibatch steps then refine everything on the ELBO (natural
    gradient for the variational distribution, Adam for the rest), ending with another
    exact step. In benchmarks/surrogate_scaling.py they raised R^2 a little but made the
    proposals on Styblinski-Tang much worse and the steps slower (the ELBO buys its fit
    with a larger noise), hence 0. Cost: one exact GP on ``hyper_points`` points plus
    ``O(n m^2)``; at 10,000 points in 16 dimensions about 0.6 s warm on one core.

    Args:
        train_X: ``n x d`` latent points (float64 recommended).
        train_Y: ``n x 1`` values, larger is better.
        bounds: ``2 x d`` lower and upper latent bounds.
        num_inducing: Number of inducing points ``m`` (at most ``n`` are used).
        warm_start: A model fitted at the previous step on the same latent space (a
            variational or exact GP), or its :func:`variational_state` or
            :func:`lsbo.surrogates.gp_state`: the hyperparameter fit starts from it
            (a few L-BFGS iterations instead of dozens).
        seed: Seeds the samples of points of stages 1 and 2 and the minibatches.
        hyper_points: Size of the sample the hyperparameters are fitted on.
        num_steps: Minibatch refinement steps on the ELBO.
        batch_size: Points per minibatch (all ``n`` when ``n`` is smaller).
        lr: Adam learning rate of the refinement.

    Returns:
        The model in eval mode, in ``train_X``'s dtype and device.
    """
    _check_inputs(train_X, train_Y, bounds, num_inducing, hyper_points, batch_size)
    generator = torch.Generator().manual_seed(seed)
    # one random key per point, the same for a point at every call with this seed (a
    # prefix of the same stream), so the samples barely change as points are added and
    # the previous step's hyperparameters are a close warm start. Uniform, not biased to
    # the best points: the hyperparameters are in units of the sample's standardized
    # values and must fit the full data's standardization
    keys = torch.rand(len(train_X), generator=generator)
    sample = keys.argsort(descending=True)[:hyper_points]
    exact = fit_gp(train_X[sample], train_Y[sample], bounds, warm_start=_as_state(warm_start))
    normalize = Normalize(d=train_X.shape[-1], bounds=bounds.to(train_X))
    pool = _pool(train_Y, keys)
    points = GreedyVarianceReduction().allocate_inducing_points(
        inputs=normalize(train_X[pool]),
        covar_module=exact.covar_module,
        num_inducing=min(num_inducing, len(pool)),
        input_batch_shape=torch.Size(),
    )
    with warnings.catch_warnings():
        # the transforms see the full data set once, here; training then uses the
        # transformed data, so BoTorch's caveat about minibatches does not apply
        warnings.simplefilter("ignore", UserInputWarning)
        warnings.simplefilter("ignore", InputDataWarning)
        model = SingleTaskVariationalGP(
            train_X,
            train_Y,
            covar_module=copy.deepcopy(exact.covar_module),
            mean_module=copy.deepcopy(exact.mean_module),
            likelihood=copy.deepcopy(exact.likelihood),
            inducing_points=points,
            variational_distribution=NaturalVariationalDistribution(len(points), mean_init_std=0),
            input_transform=normalize,
            outcome_transform=Standardize(m=1),
        )
    _train(model, num_steps, batch_size, lr, generator)
    _to_cholesky(model)
    return model.eval()


def fit_surrogate(
    train_X: Tensor,
    train_Y: Tensor,
    bounds: Tensor,
    kind: SurrogateKind = "exact",
    warm_start: State | None = None,
    seed: int = 0,
    **kwargs: Any,
) -> tuple[SingleTaskGP | SingleTaskVariationalGP, dict[str, dict[str, Tensor]]]:
    """Fit the surrogate of the given kind and return it with the state for the next call.

    Either kind warm-starts from the other's state (they share kernel, mean and
    likelihood), so a run can switch to ``"variational"`` once it has many points.

    Args:
        train_X: ``n x d`` latent points.
        train_Y: ``n x 1`` values, larger is better.
        bounds: ``2 x d`` lower and upper latent bounds.
        kind: ``"exact"`` (:func:`lsbo.surrogates.fit_gp`) or ``"variational"``
            (:func:`fit_variational_gp`).
        warm_start: The state returned by the previous call, or ``None``.
        seed: Seeds the variational fit (the exact fit is deterministic).
        **kwargs: Passed to :func:`fit_variational_gp` (e.g. ``num_inducing``).

    Returns:
        ``(model, state)``: the fitted model in eval mode, and a nested dict of tensors
        (storable with ``torch.save``) to pass as ``warm_start`` next time.
    """
    if kind == "exact":
        if kwargs:
            raise InvalidOptionError(f"the exact GP takes no options, got {sorted(kwargs)}")
        gp = fit_gp(train_X, train_Y, bounds, warm_start=warm_start)
        return gp, gp_state(gp)
    if kind == "variational":
        model = fit_variational_gp(
            train_X, train_Y, bounds, warm_start=warm_start, seed=seed, **kwargs
        )
        return model, variational_state(model)
    raise InvalidOptionError(f"surrogate kind must be 'exact' or 'variational', got {kind!r}")


def _check_inputs(train_X: Tensor, train_Y: Tensor, bounds: Tensor, *sizes: int) -> None:
    if train_X.ndim != 2 or not train_X.is_floating_point():
        raise InvalidOptionError(f"train_X must be an n x d float tensor, got {train_X.shape}")
    n, d = train_X.shape
    if train_Y.shape != (n, 1):
        raise InvalidOptionError(
            f"train_Y must be an n x 1 tensor matching train_X (n={n}), got {train_Y.shape}"
        )
    if bounds.shape != (2, d):
        raise InvalidOptionError(f"bounds must be a 2 x {d} tensor, got {bounds.shape}")
    if n < 2:
        raise InvalidOptionError("a variational GP needs at least 2 training points")
    if not (train_X.isfinite().all() and train_Y.isfinite().all()):
        raise InvalidOptionError("train_X and train_Y must be finite: drop NaN or inf rows")
    if min(sizes) < 2:
        raise InvalidOptionError(
            f"num_inducing, hyper_points and batch_size must be at least 2, got {sizes}"
        )


def _as_state(warm_start: SingleTaskVariationalGP | SingleTaskGP | State | None) -> State | None:
    if isinstance(warm_start, SingleTaskVariationalGP):
        return variational_state(warm_start)
    if isinstance(warm_start, SingleTaskGP):
        return gp_state(warm_start)
    return warm_start


def _pool(Y: Tensor, keys: Tensor) -> Tensor:
    """Candidates for inducing points: the best quarter of the pool (where the search
    concentrates) and the rest in order of the random ``keys``."""
    if len(Y) <= _POOL:
        return torch.arange(len(Y))
    best = Y.squeeze(-1).argsort(descending=True)[: _POOL // 4]
    keys = keys.clone()
    keys[best] = -1.0  # chosen already
    return torch.cat([best, keys.argsort(descending=True)[: _POOL - len(best)]])


def _train(
    model: SingleTaskVariationalGP,
    num_steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
) -> None:
    inner = model.model
    X, Y = inner.train_inputs[0], inner.train_targets  # already transformed
    n = len(Y)
    mll = VariationalELBO(model.likelihood, inner, num_data=n)
    natural = NGD(inner.variational_parameters(), num_data=n, lr=1.0)
    others = [p for name, p in model.named_parameters() if "_variational_distribution" not in name]
    adam = torch.optim.Adam(others, lr=lr)
    model.train()
    _natural_step(mll, natural, X, Y, lr=1.0)
    batches: list[Tensor] = []
    for _ in range(num_steps):
        if not batches:
            batches = list(torch.randperm(n, generator=generator).split(batch_size))
            # a short last batch would give a noisy step
            if len(batches) > 1 and len(batches[-1]) < batch_size:
                batches.pop()
        index = batches.pop(0)
        natural.zero_grad()
        adam.zero_grad()
        loss = -mll(inner(X[index]), Y[index])
        loss.backward()
        natural.param_groups[0]["lr"] = 1.0 if len(index) == n else 0.1
        natural.step()
        adam.step()
    if num_steps:
        _natural_step(mll, natural, X, Y, lr=1.0)
    model.zero_grad(set_to_none=True)


def _natural_step(mll: VariationalELBO, natural: NGD, X: Tensor, Y: Tensor, lr: float) -> None:
    natural.param_groups[0]["lr"] = lr
    natural.zero_grad()
    (-mll(mll.model(X), Y)).backward()
    natural.step()


def _to_cholesky(model: SingleTaskVariationalGP) -> None:
    """Swap the natural parameters for the same Gaussian in mean / Cholesky form.

    Natural parameters suit training, but turning them into a mean and covariance costs
    ``O(m^3)`` per posterior call; the Cholesky form makes the acquisition step cheap.
    """
    strategy = model.model.variational_strategy
    # GPyTorch has no public setter; the strategy reads this attribute at every call
    with torch.no_grad():
        q = strategy._variational_distribution()
        chol = CholeskyVariationalDistribution(q.mean.shape[-1]).to(q.mean)
        chol.variational_mean.copy_(q.mean)
        chol.chol_variational_covar.copy_(psd_safe_cholesky(q.covariance_matrix))
    strategy._variational_distribution = chol
