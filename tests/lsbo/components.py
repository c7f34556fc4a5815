"""The optimizer's components built by hand, for tests that target them directly."""

from __future__ import annotations

import torch

from lsbo.gate import ProposalGate
from lsbo.latent_space import LatentSpace
from lsbo.objective import as_objective
from lsbo.observations import Observations
from lsbo.options import OptimizerOptions
from lsbo.records import Direction, RunStats
from lsbo.run_storage import RunStorage
from lsbo.storage import get_storage
from lsbo.strategies import SearchContext

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)


def count_a(s: str) -> float:
    return float(s.count("a"))


def components(model, designs, objective=count_a, maximize=True, learn_points=False):
    """A latent space, empty observations, an in-memory run and a gate."""
    storage = get_storage(None)
    run = RunStorage(storage, storage.create_run("r", {}), torch.float64)
    latent = LatentSpace(model, designs, 0.1, torch.float64)
    observations = Observations(Direction.of(maximize), torch.float64, learn_points)
    latent.refresh(observations)
    objective = as_objective(objective, maximize)
    gate = ProposalGate(latent, objective, run, RunStats(), observations=observations)
    return latent, observations, run, gate


def observe(latent, observations, designs, objective=count_a):
    for design, latent_point in zip(designs, latent.encode(designs), strict=True):
        observations.add(design, objective(design), latent_point, from_run=True)


def context(
    latent, observations, run=None, history=(), seed=0, options=FAST, batch_size=1, validity=None
):
    def fit():
        return observations.fit_surrogate(latent.bounds, options, seed=0)[0]

    return SearchContext(
        latent=latent,
        observations=observations,
        history=list(history),
        options=options,
        seed=seed,
        run_seed=0,
        batch_size=batch_size,
        fit=fit,
        pending=run.pending_points if run is not None else list,
        fit_validity=lambda: validity,
    )
