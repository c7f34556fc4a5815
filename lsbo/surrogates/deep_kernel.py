"""A deep-kernel variational GP trained on the predictive log-likelihood (LOL-BO's PPGPR).

Maus et al., Local Latent Space Bayesian Optimization over Structured Inputs (LOL-BO),
NeurIPS 2022, and Jankowiak, Pleiss and Gardner, Parametric Gaussian Process
Regressors (PPGPR), ICML 2020. A small network (two hidden layers of 256 Swish units)
maps latent points to features; a sparse GP with learned inducing points (at most
1,024) and an RBF kernel models the objective on the features; everything is trained
together by Adam on minibatches of GPyTorch's ``PredictiveLogLikelihood``. Unlike an
exact GP, the model can be updated on a few new points at a time, and its loss is
differentiable in the latent points, so the VAE's encoder can be trained through it
(:class:`lsbo.strategies.JointTraining`).

The GPyTorch model sits inside BoTorch's ``ApproximateGPyTorchModel``, whose
``posterior`` serves BoTorch's samplers and acquisition functions; the values are
standardized with the first training data's mean and deviation (BoTorch's
``Standardize``, fixed afterwards so that later updates stay in the same units).
"""

from __future__ import annotations

from collections.abc import Sequence

import gpytorch
import torch
from botorch.models import ApproximateGPyTorchModel
from botorch.models.transforms import Standardize
from gpytorch.distributions import MultivariateNormal
from gpytorch.mlls import PredictiveLogLikelihood
from gpytorch.models import ApproximateGP
from gpytorch.variational import CholeskyVariationalDistribution, VariationalStrategy
from torch import Tensor, nn

from lsbo.exceptions import InvalidOptionError


def feature_network(dim: int, hidden_dims: Sequence[int]) -> nn.Sequential:
    """Linear layers with Swish (SiLU) activations: ``dim -> hidden_dims``."""
    layers: list[nn.Module] = []
    for width in hidden_dims:
        layers += [nn.Linear(dim, width), nn.SiLU()]
        dim = width
    return nn.Sequential(*layers)


class _FeatureGP(ApproximateGP):
    """A sparse variational GP on the features of a network (inducing points live in
    feature space and are learned)."""

    def __init__(self, inducing_points: Tensor, hidden_dims: Sequence[int]) -> None:
        extractor = feature_network(inducing_points.shape[-1], hidden_dims).to(inducing_points)
        with torch.no_grad():
            features = extractor(inducing_points)
        strategy = VariationalStrategy(
            self,
            features,
            CholeskyVariationalDistribution(len(features)).to(inducing_points),
            learn_inducing_locations=True,
        )
        super().__init__(strategy)
        self.mean_module = gpytorch.means.ConstantMean()
        self.covar_module = gpytorch.kernels.ScaleKernel(gpytorch.kernels.RBFKernel())
        self.feature_extractor = extractor

    def forward(self, x: Tensor) -> MultivariateNormal:
        return MultivariateNormal(self.mean_module(x), self.covar_module(x))

    def __call__(self, x: Tensor, *args: object, **kwargs: object) -> MultivariateNormal:
        return super().__call__(self.feature_extractor(x), *args, **kwargs)


class DeepKernelGP(ApproximateGPyTorchModel):
    """LOL-BO's surrogate: a PPGPR with a deep kernel, as a BoTorch model.

    Args:
        inducing_points: ``m x d`` latent points the inducing points start from (their
            features); LOL-BO takes the first 1,024 training points.
        train_Y: ``n x 1`` values whose mean and deviation standardize all later ones.
        hidden_dims: Widths of the feature network's hidden layers.
    """

    def __init__(
        self, inducing_points: Tensor, train_Y: Tensor, hidden_dims: Sequence[int] = (256, 256)
    ) -> None:
        if inducing_points.ndim != 2 or len(inducing_points) < 1:
            raise InvalidOptionError("inducing_points must be an m x d tensor with m >= 1")
        if not hidden_dims or min(hidden_dims) < 1:
            raise InvalidOptionError(f"hidden_dims must be positive widths, got {hidden_dims}")
        likelihood = gpytorch.likelihoods.GaussianLikelihood().to(inducing_points)
        super().__init__(model=_FeatureGP(inducing_points, hidden_dims), likelihood=likelihood)
        self.outcome_transform = Standardize(m=1).to(inducing_points)
        self.outcome_transform.train()
        self.outcome_transform(train_Y.to(inducing_points))
        self.outcome_transform.eval()

    def train(self, mode: bool = True) -> DeepKernelGP:
        """Train mode for the GP, never for the standardization: in train mode BoTorch's
        ``Standardize`` refits its mean and deviation to every minibatch it sees, and an
        update on a new batch would put those values in the batch's own units."""
        super().train(mode)
        self.outcome_transform.eval()
        return self

    def standardize(self, Y: Tensor) -> Tensor:
        """``n x 1`` values in the model's units (``n``)."""
        return self.outcome_transform(Y)[0].squeeze(-1)

    def loss(self, X: Tensor, Y: Tensor, num_data: int) -> Tensor:
        """Minus the predictive log-likelihood of a minibatch (``Y``: ``n x 1`` values),
        scaled for a data set of ``num_data`` points. Differentiable in ``X``."""
        mll = PredictiveLogLikelihood(self.likelihood, self.model, num_data=num_data)
        return -mll(self.model(X), self.standardize(Y))


def fit_deep_kernel_gp(
    model: DeepKernelGP,
    train_X: Tensor,
    train_Y: Tensor,
    epochs: int,
    learning_rate: float = 0.01,
    batch_size: int = 128,
    generator: torch.Generator | None = None,
    num_data: int | None = None,
) -> DeepKernelGP:
    """Train ``model`` in place by Adam on minibatches of the predictive log-likelihood.

    LOL-BO trains a new model this way on all points, then after each batch on the new
    points only, for a couple of epochs.

    Args:
        model: The model (its current parameters are the start).
        train_X: ``n x d`` latent points.
        train_Y: ``n x 1`` values, larger is better.
        epochs: Passes over the points.
        learning_rate: Adam's step size.
        batch_size: Points per step.
        generator: Shuffles the points; its seed seeds the rest (default: seed 0).
        num_data: The size of the data set the loss is scaled for (default ``n``).

    Returns:
        The model, in eval mode.
    """
    if train_X.ndim != 2 or train_Y.shape != (len(train_X), 1):
        raise InvalidOptionError("train_X must be n x d and train_Y n x 1")
    if not (train_X.isfinite().all() and train_Y.isfinite().all()):
        raise InvalidOptionError("train_X and train_Y must be finite: drop NaN or inf rows")
    n = len(train_X)
    generator = generator or torch.Generator().manual_seed(0)
    adam = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    with torch.random.fork_rng():
        # GPyTorch draws the variational mean's first values from the global generator
        torch.manual_seed(generator.initial_seed())
        for _ in range(epochs):
            for index in torch.randperm(n, generator=generator).split(batch_size):
                adam.zero_grad()
                model.loss(train_X[index], train_Y[index], num_data or n).backward()
                adam.step()
    model.zero_grad(set_to_none=True)
    return model.eval()


def new_deep_kernel_gp(
    train_X: Tensor,
    train_Y: Tensor,
    num_inducing: int = 1024,
    hidden_dims: Sequence[int] = (256, 256),
    epochs: int = 20,
    learning_rate: float = 0.01,
    batch_size: int = 128,
    seed: int = 0,
) -> DeepKernelGP:
    """A :class:`DeepKernelGP` trained on all points: inducing points start at the first
    ``num_inducing`` of them (as LOL-BO's), and ``epochs`` passes of Adam follow."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # the network's initial weights
        inducing = train_X[: max(1, min(num_inducing, len(train_X)))]
        model = DeepKernelGP(inducing, train_Y, hidden_dims)
    return fit_deep_kernel_gp(model, train_X, train_Y, epochs, learning_rate, batch_size, generator)
