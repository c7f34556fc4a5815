"""Inversion (InvBO): latent points that decode back to their designs."""

from __future__ import annotations

import torch

from lsbo.gate import Step
from lsbo.models import invert
from lsbo.records import Source
from tests.lsbo.components import components


def _missed(model, designs):
    """Designs whose encoder mean decodes to another design."""
    means = model.encode(designs)[0]
    return [d for d, back in zip(designs, model.decode(means), strict=True) if back != d]


def test_inversion_finds_points_that_decode_to_designs_the_encoder_misses(strings, string_vae):
    missed = _missed(string_vae, strings)[:40]
    assert len(missed) >= 10  # the toy VAE does not reconstruct everything
    points, exact = invert(string_vae, missed, steps=200)
    assert exact.sum() >= len(missed) // 2
    decoded = string_vae.decode(points)
    assert all((d == m) == bool(e) for d, m, e in zip(decoded, missed, exact, strict=True))


def test_points_that_decode_exactly_stay_at_the_encoder_mean(strings, string_vae):
    means = string_vae.encode(strings[:60])[0]
    hits = [d for d, back in zip(strings[:60], string_vae.decode(means), strict=True) if back == d]
    points, exact = invert(string_vae, hits, steps=50)
    assert bool(exact.all())
    assert torch.equal(points, string_vae.encode(hits)[0])
    same, _ = invert(string_vae, strings[:5], steps=0)
    assert torch.equal(same, string_vae.encode(strings[:5])[0])


def test_with_inversion_steps_a_proposal_is_learned_where_it_decodes(strings, string_vae):
    missed = _missed(string_vae, strings)
    _, exact = invert(string_vae, missed[:20], steps=200)
    design = missed[int(exact.float().argmax())]  # one the inversion reaches
    latent, _, _, gate = components(string_vae, strings)
    gate.inversion_steps = 200
    proposal = gate.propose(design, None, Source.INITIAL, Step(0, 0))
    assert proposal is not None
    assert latent.decode(proposal.latent.unsqueeze(0)) == [design]
    assert latent.decode(latent.encode([design])) != [design]
