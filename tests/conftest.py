"""Shared fixtures: small datasets and a small trained VAE, built once per session."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lsbo.models import TrainingOptions, fit_new_vae
from tests.postgres import postgres_url  # noqa: F401  (a fixture for every test module)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Keep trained VAEs and rendered glyphs out of the user's cache folder; the
    variable also reaches the subprocesses tests start."""
    previous = os.environ.get("LSBO_CACHE_DIR")
    os.environ["LSBO_CACHE_DIR"] = str(tmp_path_factory.mktemp("lsbo-cache"))
    yield
    if previous is None:
        del os.environ["LSBO_CACHE_DIR"]
    else:
        os.environ["LSBO_CACHE_DIR"] = previous


def toy_strings(n: int = 1500, seed: int = 0) -> list[str]:
    """Distinct random strings over 'abcd' of length 3-8 with at most two 'a's."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        s = "".join(rng.choice(list("abcd"), size=int(rng.integers(3, 9))))
        if s.count("a") <= 2:
            out.add(s)
    return sorted(out)


def squares(size: int = 16, seed: int = 0) -> list[np.ndarray]:
    """Binary images, each one filled axis-aligned square."""
    images = []
    for side in range(2, 9):
        for row in range(0, size - side + 1, 2):
            for col in range(0, size - side + 1, 3):
                image = np.zeros((size, size), dtype=np.float32)
                image[row : row + side, col : col + side] = 1.0
                images.append(image)
    return images


@pytest.fixture(scope="session")
def strings() -> list[str]:
    return toy_strings()


@pytest.fixture(scope="session")
def string_vae(strings):
    model, _ = fit_new_vae(strings, latent_dim=8, options=TrainingOptions(epochs=30), seed=0)
    return model


@pytest.fixture(scope="session")
def square_images() -> list[np.ndarray]:
    return squares()
