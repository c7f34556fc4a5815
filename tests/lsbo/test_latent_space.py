"""The latent space's box: the extremes of the training designs' encodings, kept with
the VAE so that a run opened again need not encode every training design."""

from __future__ import annotations

import copy

import torch

from lsbo.acquisition import latent_bounds
from lsbo.latent_space import TRAINING_EXTREMES, LatentSpace
from lsbo.observations import Observations
from lsbo.options import OptimizerOptions
from lsbo.records import Direction
from lsbo.run_storage import RunStorage
from lsbo.storage import get_storage

OPTIONS = OptimizerOptions()


def stored_run(path) -> RunStorage:
    storage = get_storage(f"sqlite:///{path}")
    return RunStorage(storage, storage.create_run("r", {}), torch.float64)


def box(latent: LatentSpace) -> torch.Tensor:
    latent.refresh(Observations(Direction.of(True), torch.float64))
    return latent.bounds


def test_the_vae_stored_with_a_run_keeps_the_extremes_of_its_training_designs(
    string_vae, strings, tmp_path
):
    run = stored_run(tmp_path / "runs.db")
    model = copy.deepcopy(string_vae)
    latent, _ = LatentSpace.of_run(run, strings, OPTIONS, seed=0, model=model)
    encoded = latent.encode(strings)
    expected = latent_bounds(encoded, OPTIONS.bounds_margin)
    assert torch.equal(box(latent), expected)

    stored = run.load_model()  # what a resume, a worker or `lsbo ask` opens
    kept = torch.tensor(stored.metadata[TRAINING_EXTREMES]["values"], dtype=torch.float64)
    assert torch.equal(kept, torch.stack([encoded.min(0).values, encoded.max(0).values]))
    again, _ = LatentSpace.of_run(run, strings, OPTIONS, seed=0)
    assert torch.equal(box(again), expected)


def test_the_kept_extremes_are_used_only_for_the_same_designs_and_weights(string_vae, strings):
    model = copy.deepcopy(string_vae)
    latent = LatentSpace(model, strings, 0.0, torch.float64)
    real = latent.training_extremes()
    entry = model.metadata[TRAINING_EXTREMES]
    marked = {"key": entry["key"], "values": (real + 5.0).tolist()}  # told apart from real
    model.metadata = {**model.metadata, TRAINING_EXTREMES: marked}
    assert torch.equal(box(LatentSpace(model, strings, 0.0, torch.float64)), real + 5.0)

    fewer = strings[: len(strings) // 2]  # other designs: encoded anew
    encoded = LatentSpace(model, fewer, 0.0, torch.float64).encode(fewer)
    assert torch.equal(
        box(LatentSpace(model, fewer, 0.0, torch.float64)),
        torch.stack([encoded.min(0).values, encoded.max(0).values]),
    )

    model.metadata = {**model.metadata, TRAINING_EXTREMES: marked}
    with torch.no_grad():  # a retrained VAE: other weights, encoded anew
        next(model.parameters()).add_(0.01)
    moved = LatentSpace(model, strings, 0.0, torch.float64)
    encoded = moved.encode(strings)
    assert torch.equal(box(moved), torch.stack([encoded.min(0).values, encoded.max(0).values]))
    assert not torch.equal(box(moved), real + 5.0)
