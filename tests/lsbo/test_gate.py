"""The proposal gate: only new, valid designs become proposals; the rest is recorded."""

from __future__ import annotations

import pytest
import torch

from lsbo import Objective
from lsbo.exceptions import SearchExhaustedError
from lsbo.gate import Step, distinct_points
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


def test_a_point_that_decodes_to_a_scored_design_is_stored_and_learned_with_its_value(
    strings, string_vae
):
    latent, observations, run, gate = components(string_vae, strings, learn_points=True)
    points = torch.randn(40, latent.dim, generator=torch.Generator().manual_seed(0)) * 1.5
    decoded = latent.decode(points)
    scored, pending = decoded[0], next(d for d in decoded if d != decoded[0])
    gate.seen.update({latent.digest(scored), latent.digest(pending)})
    gate.values[latent.digest(scored)] = 7.0  # scored; ``pending`` is only proposed
    rejected: list[torch.Tensor] = []
    gate.accept(points, Source.BO, 40, Step(3, 0), rejected)
    rows = run.storage.proposals(run.id, 0, [])
    duplicates = [r for r in rows if r["state"] == ProposalState.DUPLICATE]
    n_scored = sum(d == scored for d in decoded)  # copies of one point count once
    assert 1 <= len(duplicates) <= n_scored
    assert all(r["value"] == 7.0 and r["iteration"] == 3 for r in duplicates)
    assert observations.n_decoded_points == len(duplicates)  # the GP learns 7.0 there
    assert gate.stats.n_duplicate >= len(duplicates) + 1  # the pending one too, unstored
    assert pending not in [r["design"] for r in duplicates]


def test_copies_of_a_candidate_count_as_one_point():
    bounds = torch.tensor([[0.0, 0.0], [10.0, 10.0]], dtype=torch.float64)  # 0.0141 apart
    points = [[1.0, 1.0], [1.001, 1.0], [5.0, 5.0], [1.0, 1.02], [5.0, 5.005]]
    points = torch.tensor(points, dtype=torch.float64)
    assert distinct_points(points, bounds).tolist() == [[1.0, 1.0], [5.0, 5.0], [1.0, 1.02]]
    assert distinct_points(points[:1], bounds).tolist() == [[1.0, 1.0]]


def test_designs_made_in_design_space_are_proposed_as_mutants_and_never_recorded_invalid(
    strings, string_vae
):
    from lsbo.strategies import Candidate

    latent, _, _, gate = components(string_vae, strings, NoDoubleA())
    gate.seen.add(latent.digest("bcd"))
    made = [Candidate(d) for d in ("bcd", "aab", "dcbd", "dcbd", "cc")]
    rejected: list[torch.Tensor] = []
    accepted = gate.accept_candidates(made, Source.BO, 5, Step(1, 0), rejected)
    # known, invalid and repeated designs are passed over: they were never decodes
    assert [p.design for p in accepted] == ["dcbd", "cc"]
    assert all(p.source == Source.MUTANT and p.acquisition_point is None for p in accepted)
    assert not gate.invalid and not rejected and gate.stats.n_decoded == 0
    assert torch.allclose(accepted[0].latent, latent.encode(["dcbd"])[0])
