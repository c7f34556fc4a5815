"""Latent points that decode to given designs: the inversion of InvBO.

Chu et al., Inversion-Based Latent Bayesian Optimization, NeurIPS 2024. The encoder's
mean of a design often decodes to another design, so a GP that learns the design's
value there learns it at the wrong place. Inversion searches for a point the decoder
maps back to the design: Adam steps on ``-log p(x | z)`` from the encoder's mean, each
point frozen as soon as it decodes to its design, up to a bound on steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from lsbo.models.vae import VAE


def invert(
    model: VAE,
    designs: Sequence[Any],
    steps: int = 100,
    learning_rate: float = 0.1,
    check_every: int = 10,
) -> tuple[Tensor, Tensor]:
    """Latent points that decode to ``designs``, found by gradient steps.

    Args:
        model: The VAE (left unchanged).
        designs: Designs its codec can encode.
        steps: Most Adam steps per design (0: the encoder's means).
        learning_rate: Adam's step size.
        check_every: Steps between decodes that test which points are exact.

    Returns:
        ``(points, exact)``: ``n x d`` float32 points on the model's device (a design
        that was never decoded exactly keeps its last point) and ``n`` booleans, whether
        each point decodes to its design.
    """
    codec = model.codec
    x = codec.encode(list(designs)).to(model.device)
    keys = [codec.key(d) for d in designs]
    z = model.encode(list(designs))[0].detach().clone()
    exact = _exact(model, z, keys)
    if steps <= 0 or bool(exact.all()):
        return z, exact
    was_training = model.training
    model.eval()
    frozen = z.clone()
    z.requires_grad_(True)
    optimizer = torch.optim.Adam([z], lr=learning_rate)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        # cuDNN's recurrent kernels have no backward pass in eval mode (dropout off):
        # on a GPU, the gradient goes through PyTorch's own kernels instead
        with torch.backends.cudnn.flags(enabled=False):
            loss = model.negative_log_likelihood(model.reconstruction_logits(z, x), x)
            (z_grad,) = torch.autograd.grad(loss[~exact].sum(), z)
        z.grad = z_grad
        optimizer.step()
        with torch.no_grad():
            z[exact] = frozen[exact]  # a point that decodes exactly stays where it is
        if step % check_every == 0 or step == steps:
            now = _exact(model, z.detach(), keys)
            frozen[now & ~exact] = z.detach()[now & ~exact]
            exact = exact | now
            if bool(exact.all()):
                break
    model.train(was_training)
    return z.detach(), exact


def _exact(model: VAE, z: Tensor, keys: list[Any]) -> Tensor:
    """Which points decode to the design of their key."""
    decoded = model.decode(z)
    return torch.tensor(
        [model.codec.key(d) == k for d, k in zip(decoded, keys, strict=True)], device=z.device
    )
