"""A learned validity constraint: the probability that a latent point decodes validly.

Griffiths and Hernandez-Lobato (Constrained Bayesian optimization for automatic chemical
design using variational autoencoders, Chemical Science 2020) keep the acquisition
inside the region of the latent space that decodes to valid designs with a classifier
of ``P(valid | z)``. This is that classifier, learned from the decodes of the run
itself: the latent points of valid designs against the points that decoded to invalid
ones.

The classifier is a small MLP (two tanh layers of 32) on points normalized to the
latent box, fitted by full-batch L-BFGS on a class-balanced logistic loss with weight
decay. A GP classifier would extrapolate more cautiously but needs an approximate
inference loop that costs seconds at a few thousand points; a linear logistic
regression cannot describe a bounded valid region around the data. The MLP fits in
tens of milliseconds, is a smooth function of ``z`` (so qLogEI's gradient optimizer
can use it), and is reproducible on CPU for a fixed seed.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

# both classes need at least this many examples before the classifier is used
MIN_EXAMPLES = 5


class ValidityClassifier(nn.Module):
    """``P(valid | z)`` of latent points, in raw latent coordinates.

    Args:
        bounds: ``2 x d`` latent box the inputs are normalized to.
        hidden: Width of the two hidden layers.
        generator: Seeds the initial weights.
    """

    low: Tensor
    width: Tensor

    def __init__(self, bounds: Tensor, hidden: int = 32, generator: torch.Generator | None = None):
        super().__init__()
        dim = bounds.shape[-1]
        self.register_buffer("low", bounds[0].detach().clone())
        self.register_buffer("width", (bounds[1] - bounds[0]).detach().clamp_min(1e-6))
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, 1),
        )  # fmt: skip
        with torch.no_grad():
            for layer in self.net:
                if isinstance(layer, nn.Linear):
                    bound = layer.in_features**-0.5
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.zero_()
        self.to(bounds.dtype)

    def logit(self, X: Tensor) -> Tensor:
        """Log-odds of validity of ``... x d`` points; returns a ``...`` tensor."""
        unit = (X - self.low.to(X)) / self.width.to(X)
        return self.net.to(X.dtype)(2.0 * unit - 1.0).squeeze(-1)

    def log_prob(self, X: Tensor) -> Tensor:
        """``log P(valid | z)`` of ``... x d`` points; returns a ``...`` tensor."""
        return nn.functional.logsigmoid(self.logit(X))

    def forward(self, X: Tensor) -> Tensor:
        """``P(valid | z)`` of ``... x d`` points; returns a ``...`` tensor."""
        return torch.sigmoid(self.logit(X))


def fit_validity_classifier(
    valid: Tensor,
    invalid: Tensor,
    bounds: Tensor,
    seed: int = 0,
    weight_decay: float = 1e-3,
    max_iter: int = 60,
) -> ValidityClassifier:
    """Fit ``P(valid | z)`` on points that decoded to valid and to invalid designs.

    The two classes count equally whatever their sizes (each example is weighted by the
    inverse of its class's size), so a run with few invalid decodes still learns where
    they are, and the probability between them is about one half.

    Args:
        valid: ``n x d`` points of valid designs.
        invalid: ``m x d`` points that decoded to invalid designs.
        bounds: ``2 x d`` latent box (inputs are normalized to it).
        seed: Seeds the initial weights.
        weight_decay: L2 penalty on the weights, which keeps the boundary smooth.
        max_iter: L-BFGS iterations.

    Returns:
        The fitted classifier (in eval mode, without gradients of its parameters).
    """
    generator = torch.Generator().manual_seed(seed)
    dtype = valid.dtype
    model = ValidityClassifier(bounds.to(dtype), generator=generator)
    X = torch.cat([valid, invalid.to(valid)])
    y = torch.cat([valid.new_ones(len(valid)), valid.new_zeros(len(invalid))])
    weights = torch.cat(
        [valid.new_full((len(valid),), 0.5 / len(valid)),
         valid.new_full((len(invalid),), 0.5 / len(invalid))]
    )  # fmt: skip
    params = [p for name, p in model.named_parameters() if name.endswith("weight")]
    optimizer = torch.optim.LBFGS(
        model.parameters(), max_iter=max_iter, line_search_fn="strong_wolfe"
    )

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(
            model.logit(X), y, weight=weights, reduction="sum"
        )
        loss = loss + weight_decay * sum(p.pow(2).sum() for p in params)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return model.eval().requires_grad_(False)
