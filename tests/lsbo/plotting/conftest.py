"""Shared by the figures' tests: two small stored runs (built once for the package) and
synthetic runs without a VAE."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lsbo
from lsbo import Objective, OptimizerOptions, TrainingOptions
from lsbo.records import OptimizationResult, Record, RunStats
from tests.conftest import squares, toy_strings

EPOCHS = 2
SEARCH = {"n_initial": 4, "num_restarts": 2, "raw_samples": 32, "mc_samples": 32}
STRING_OPTIONS = OptimizerOptions(
    latent_dim=4, vae=TrainingOptions(epochs=EPOCHS, batch_size=16, patience=5), **SEARCH
)
IMAGE_OPTIONS = OptimizerOptions(
    latent_dim=2, vae=TrainingOptions(epochs=EPOCHS, batch_size=16, patience=5), **SEARCH
)


class EveryThirdFails(Objective):
    """Counts 'a's; every third call raises, so that a run has failed evaluations."""

    name = "count_a"
    batch_size = 1

    def __init__(self):
        self.calls = 0

    def _evaluate(self, designs):
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("simulated crash")
        return [float(designs[0].count("a"))]


def area(image):
    return float(np.asarray(image).sum())


@pytest.fixture(scope="package")
def storage(tmp_path_factory):
    return tmp_path_factory.mktemp("plots") / "runs.db"


@pytest.fixture(scope="package")
def strings():
    return toy_strings(40)


@pytest.fixture(scope="package")
def images():
    return squares()[::3][:50]


@pytest.fixture(scope="package")
def string_run(storage, strings):
    """A plain run of 8 evaluations in a 4-D latent space; evaluations 3 and 6 fail."""
    lsbo.optimize(
        EveryThirdFails(),
        strings,
        budget=8,
        options=STRING_OPTIONS,
        storage=storage,
        name="strings",
    )
    return lsbo.load_run(storage, "strings")


@pytest.fixture(scope="package")
def image_run(storage, images):
    """A trust-region run of 8 evaluations in a 2-D latent space."""
    lsbo.optimize(
        area,
        images,
        budget=8,
        options=IMAGE_OPTIONS,
        storage=storage,
        name="images",
        strategy="trust-region",
    )
    return lsbo.load_run(storage, "images")


def record(number, value, source="bo", design=None, iteration=None):
    status = "failed" if value is None else "complete"
    design = f"d{number}" if design is None else design
    iteration = number if iteration is None else iteration
    # no latent point, as a stored proposal without one: no latent plot for these runs
    return Record(number, design, value, status, "", iteration, source, torch.empty(0), 0.0)


def synthetic(values, maximize=True, designs=None, invalid=0, name="toy"):
    designs = designs or [None] * len(values)
    history = [record(i, v, design=d) for i, (v, d) in enumerate(zip(values, designs, strict=True))]
    return OptimizationResult(
        history=history,
        maximize=maximize,
        stats=RunStats(),
        model=None,
        name=name,
        invalid=[record(100 + i, None) for i in range(invalid)],
    )


def labels(figure):
    return [text for ax in figure.axes for text in ax.get_legend_handles_labels()[1]]
