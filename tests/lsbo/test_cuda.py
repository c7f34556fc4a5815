"""The VAE on a GPU (``OptimizerOptions(device="cuda")``): skipped where none is present.

CI has no GPU, so these run only on a machine with one; they check that every strategy
and the training, encoding, decoding and inversion paths keep their tensors on the
devices they belong to (the VAE on the GPU, the GP on the CPU in float64).
"""

from __future__ import annotations

import math

import pytest
import torch

import lsbo
from lsbo.models import TrainingOptions, fit_new_vae
from lsbo.models.inversion import invert

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def _score(design: str) -> float:
    return design.count("b") - 0.5 * design.count("d")


@pytest.fixture(scope="module")
def cuda_vae(strings):
    model, _ = fit_new_vae(
        strings, latent_dim=8, options=TrainingOptions(epochs=30), seed=0, device="cuda"
    )
    return model


def test_a_vae_trains_encodes_and_decodes_on_the_gpu(strings, cuda_vae):
    assert cuda_vae.device.type == "cuda"
    mean, std = cuda_vae.encode(strings[:64])
    assert mean.device.type == "cuda" and std.device.type == "cuda"
    decoded = cuda_vae.decode(mean)
    # the same model learns the toy strings on either device
    assert sum(d == s for d, s in zip(decoded, strings[:64], strict=True)) >= 32
    # points from the CPU (the GP's side, float64) decode too
    assert len(cuda_vae.decode(mean.cpu().double())) == 64


def test_inversion_takes_gradient_steps_on_the_gpu(strings, cuda_vae):
    # designs whose encoder mean decodes to another design, so that steps are taken
    mean, _ = cuda_vae.encode(strings)
    missed = [s for s, d in zip(strings, cuda_vae.decode(mean), strict=True) if s != d][:16]
    assert missed
    points, exact = invert(cuda_vae, missed, steps=50)
    assert points.device.type == "cuda"
    assert exact.shape == (len(missed),)
    assert bool(exact.any())  # the steps moved some points onto their designs


@pytest.mark.parametrize("strategy", sorted(lsbo.STRATEGIES))
def test_every_strategy_runs_with_its_vae_on_the_gpu(strings, cuda_vae, strategy):
    options = lsbo.OptimizerOptions(
        device="cuda", n_initial=6, batch_size=2, num_restarts=2, raw_samples=32
    )
    result = lsbo.optimize(
        _score,
        strings[:300],
        budget=14,
        seed=0,
        model=cuda_vae,
        options=options,
        strategy=strategy,
    )
    values = [r.value for r in result.history if r.value is not None]
    assert len(result.history) == 14
    assert values and all(math.isfinite(v) for v in values)


def test_inversion_option_runs_with_the_vae_on_the_gpu(strings, cuda_vae):
    options = lsbo.OptimizerOptions(
        device="cuda", n_initial=6, num_restarts=2, raw_samples=32, inversion_steps=20
    )
    result = lsbo.optimize(
        _score, strings[:300], budget=10, seed=0, model=cuda_vae, options=options
    )
    assert len(result.history) == 10
