"""The proposal gate: only new, valid designs become proposals; the rest is recorded."""

from __future__ import annotations

import pytest
import torch

from lsbo import Objective
from lsbo.exceptions import SearchExhaustedError
from lsbo.gate import Step
from lsbo.records import ProposalState, Source
from tests.lsbo.components import components


class NoDoubleA(Objective):
    def is_valid(self, design):
        return "aa" not in design

    def _evaluate(self, designs):
        return [float(d.count("a")) for d in designs]


def test_accept_skips_seen_and_invalid_designs_and_records_the_invalid(strings, string_vae):
    latent, _, run, gate = components(string_vae, strings, NoDoubleA())
    points = torch.randn(40, latent.dim, generator=torch.Generator().manual_seed(0)) * 1.5
    decoded = latent.decode(points)
    gate.seen.add(latent.digest(decoded[0]))  # proposed before, e.g. by another process
    rejected: list[torch.Tensor] = []
    accepted = gate.accept(points, Source.BO, 40, Step(1, 0), rejected)
    designs = [p.design for p in accepted]
    assert decoded[0] not in designs
    assert all("aa" not in d for d in designs) and len(set(designs)) == len(designs)
    invalid = [d for d in decoded if "aa" in d]
    assert [r.design for r in gate.invalid] == invalid
    assert all(r.status == ProposalState.INVALID for r in gate.invalid)
    assert len(accepted) + len(rejected) == 40  # every point is one or the other
    assert sorted(run.pending) == sorted(p.number for p in accepted)
    assert all(p.source == Source.BO and p.iteration == 1 for p in accepted)
    # the GP learns from each design's own encoding, not from the point that decoded to it
    assert torch.allclose(accepted[0].latent, latent.encode([accepted[0].design])[0])


def test_accept_stops_at_n_and_initial_draws_unseen_training_designs(strings, string_vae):
    _, _, _, gate = components(string_vae, strings)
    first = gate.initial(5, Step(1, seed=7))
    again = gate.initial(5, Step(2, seed=7))  # same seed: the next unseen designs
    assert len(first) == len(again) == 5
    assert {p.design for p in first}.isdisjoint(p.design for p in again)
    assert all(p.design in strings and p.source == Source.INITIAL for p in first + again)


def test_the_fallback_takes_the_best_ranked_new_designs(strings, string_vae):
    latent, observations, _, gate = components(string_vae, strings)
    for design in strings[:5]:
        observations.add(design, design.count("a"), latent.encode([design])[0], from_run=True)
    ranking = lambda points: points[:, 0]  # noqa: E731  (larger first coordinate is better)
    proposals = gate.fallback(ranking, observations, 3, Step(1, seed=0))
    firsts = [p.acquisition_point[0].item() for p in proposals]
    assert len(proposals) == 3 and firsts == sorted(firsts, reverse=True)
    assert all(p.source == Source.FALLBACK for p in proposals)
    assert gate.stats.n_fallback == 3


def test_with_nothing_new_anywhere_the_last_resort_gives_up(strings, string_vae):
    _, _, _, gate = components(string_vae, strings[:3])
    assert len(gate.last_resort([], 3, Step(1, 0), "nothing")) == 3  # the training designs
    with pytest.raises(SearchExhaustedError, match="nothing left"):
        gate.last_resort([], 1, Step(2, 0), "nothing left")
