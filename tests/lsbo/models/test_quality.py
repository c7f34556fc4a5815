"""Assessing a trained VAE: reconstructions, prior decodes, and warnings when poor."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch

import lsbo
from lsbo.models import (
    TrainingOptions,
    VAEQuality,
    assess_vae,
    build_vae,
    fit_new_vae,
    held_out_designs,
    reconstruction_accuracy,
    training,
    warn_if_poor,
)
from lsbo.models.quality import split_designs
from lsbo.representations import ImageCodec
from lsbo.strategies import WeightedRetraining
from tests.lsbo.components import FAST, count_a


def blank_decoder(images: list[np.ndarray]) -> lsbo.models.VAE:
    """An image VAE whose every weight is zero: each latent point decodes to the blank
    image, whatever it is (sigmoid(0) = 0.5 is not above the threshold)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = build_vae(ImageCodec.from_designs(images), latent_dim=2)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model.eval()


def without_seconds(quality: VAEQuality) -> VAEQuality:
    return dataclasses.replace(quality, seconds=0.0)


def test_a_good_vae_reconstructs_and_decodes_new_valid_designs_and_warns_of_nothing(
    strings, string_vae
):
    quality = assess_vae(string_vae, strings, n_prior=500, seed=0)
    assert quality.n_train == 1000 and quality.n_prior == 500
    assert quality.train_exact > 0.4 and quality.train_accuracy > 0.85
    assert quality.prior_valid > 0.9 and quality.prior_new > 0.5 and quality.prior_distinct > 0.5
    assert quality.problems() == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", lsbo.PoorVAEWarning)
        assert warn_if_poor(quality) == []
    # the figures are what they say: the training figure is reconstruction_accuracy's
    assert quality.train_accuracy == pytest.approx(
        reconstruction_accuracy(string_vae, strings)[0], abs=0.02
    )


def test_a_vae_that_decodes_only_training_designs_warns_with_what_to_do(square_images):
    blank = np.zeros_like(square_images[0])
    model = blank_decoder([blank, *square_images])
    quality = assess_vae(model, [blank, *square_images[:20]], n_prior=200, seed=0)
    assert quality.prior_valid == 1.0 and quality.prior_new == 0.0
    assert quality.prior_distinct == pytest.approx(1 / 200)
    assert quality.train_exact == pytest.approx(1 / 21)  # only the blank image comes back
    with pytest.warns(lsbo.PoorVAEWarning) as caught:
        kinds = warn_if_poor(quality)
    # images are seldom exact to the pixel even from a good VAE: that is not a problem,
    # a decoder that writes one image wherever it is asked and nothing new is
    assert quality.images and kinds == ["collapsed", "new"]
    messages = [str(w.message) for w in caught]
    assert any("200 prior samples decode to 1 distinct design:" in m
               and "strategy='genetic'" in m for m in messages)  # fmt: skip
    assert any("only 0.0% of 200 prior samples decode to designs that are not training" in m
               and "latent_dim" in m for m in messages)  # fmt: skip
    as_strings = dataclasses.replace(quality, images=False)
    assert "reconstructs only 4.8% of training designs" in as_strings.problems()["reconstruction"]
    assert "explore_from='children'" in as_strings.problems()["reconstruction"]
    # the same images are new to a VAE trained on others, and it is still collapsed (the
    # shapes task's VAE of seed 2 decoded every prior sample to the blank image, which
    # no training square is)
    other = assess_vae(model, square_images[:20], n_prior=200, seed=0)
    assert other.prior_new == 1.0 and set(other.problems()) == {"collapsed"}


def test_few_valid_prior_decodes_warn_and_an_objectives_validity_counts(strings, string_vae):
    quality = assess_vae(string_vae, strings, n_prior=300, is_valid=lambda s: "d" not in s[:1])
    plain = assess_vae(string_vae, strings, n_prior=300)
    assert quality.prior_valid < plain.prior_valid and quality.prior_new < plain.prior_new
    strict = assess_vae(string_vae, strings, n_prior=300, is_valid=lambda s: False)
    assert strict.prior_valid == 0.0 and set(strict.problems()) == {"valid"}  # new is implied
    assert "keep OptimizerOptions(validity_constraint" in strict.problems()["valid"]


def test_an_assessment_is_reproducible_and_leaves_the_global_generator_alone(strings, string_vae):
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    first = assess_vae(string_vae, strings[:1200], strings[1200:], n_prior=300, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = assess_vae(string_vae, strings[:1200], strings[1200:], n_prior=300, seed=5)
    assert without_seconds(first) == without_seconds(second)
    other = assess_vae(string_vae, strings[:1200], strings[1200:], n_prior=300, seed=6)
    assert without_seconds(other) != without_seconds(first)
    assert VAEQuality.from_dict(first.to_dict()) == first


def test_held_out_designs_are_reconstructed_apart_and_count_as_known(strings, string_vae):
    quality = assess_vae(string_vae, strings, strings[:100], n_prior=300)
    assert quality.n_held_out == 100 and quality.n_train == 1000
    assert quality.held_out_exact is not None and quality.exact == quality.held_out_exact
    # a decode equal to a held-out design is not new
    alone = assess_vae(string_vae, strings[100:], n_prior=300)
    assert quality.prior_new < alone.prior_new


def test_designs_that_do_not_fit_and_decodes_that_cannot_be_encoded_do_not_crash(
    strings, string_vae, monkeypatch
):
    too_long = "abcd" * 20  # more tokens than max_length
    quality = assess_vae(string_vae, [*strings[:50], too_long, "xyz"], n_prior=10)
    assert quality.n_train == 50
    # a decode the codec cannot encode again (as a grammar's unfinished derivation) is wrong
    designs = strings[:10]
    decodes = [*designs[:9], "zz"]  # 'z' is not in the vocabulary
    monkeypatch.setattr(string_vae, "decode", lambda z, batch_size=1024: list(decodes))
    element, exact = reconstruction_accuracy(string_vae, designs)
    assert exact == pytest.approx(0.9) and element <= 0.9 + 1e-6


def test_the_validation_split_is_the_one_training_held_out(strings, monkeypatch):
    splits = []
    original = training._split

    def spy(n, fraction, generator):
        splits.append(original(n, fraction, generator))
        return splits[-1]

    monkeypatch.setattr(training, "_split", spy)
    options = TrainingOptions(epochs=1, max_designs=300, validation_fraction=0.2)
    model, report = fit_new_vae(strings[:400], latent_dim=2, options=options, seed=3)
    train, held = split_designs(strings[:400], options, seed=3)
    assert (len(train), len(held)) == (report.n_train, report.n_validation) == (240, 60)
    assert held_out_designs(model, strings[:400]) is None  # its metadata does not say how
    model.metadata.update(training=dataclasses.asdict(options), seed=3)
    assert held_out_designs(model, strings[:400]) == held
    assert held_out_designs(model, strings[:100]) is None  # not the designs it learned
    # the spy saw the same indices: held are exactly the designs that training validated on
    generator = torch.Generator().manual_seed(3)
    subset = torch.randperm(400, generator=generator)[:300].tolist()
    assert held == [strings[:400][subset[i]] for i in splits[0][1].tolist()]


def test_a_run_keeps_its_vaes_assessment_in_its_stats(strings, string_vae):
    result = lsbo.optimize(count_a, strings, budget=3, model=string_vae, options=FAST, seed=4)
    assert len(result.stats.vae_quality) == 1
    expected = assess_vae(string_vae, strings, seed=4)
    assert without_seconds(result.stats.vae) == without_seconds(expected)


def test_a_stored_run_keeps_its_assessment_and_a_retraining_adds_one(tmp_path, strings, string_vae):
    path = tmp_path / "runs.db"
    strategy, options = WeightedRetraining(period=3), dataclasses.replace(FAST, n_initial=2)
    designs = strings[:300]  # fewer to fine-tune on and assess: faster
    run = lsbo.Optimizer(count_a, designs, model=string_vae, options=options, storage=path,
                         name="wr", strategy=strategy)  # fmt: skip
    result = run.run(5)
    assert result.stats.n_retrainings >= 1
    assert [q.retrainings for q in result.stats.vae_quality] == [0, 1]
    assert result.stats.vae_quality[1].n_held_out == 0
    resumed = lsbo.Optimizer(count_a, designs, model=string_vae, options=options, storage=path,
                             name="wr", strategy=strategy)  # fmt: skip
    assert resumed.stats.vae_quality == result.stats.vae_quality  # read back, not redone
    stored = lsbo.load_run(path, "wr", with_model=False)  # without the objective too
    assert stored.stats.vae_quality == result.stats.vae_quality


def test_a_run_warns_when_its_vae_decodes_nothing_new(square_images):
    blank = np.zeros_like(square_images[0])
    model = blank_decoder([blank, *square_images])
    with pytest.warns(lsbo.PoorVAEWarning) as caught:
        optimizer = lsbo.Optimizer(lambda image: float(image.sum()), [blank, *square_images],
                                   model=model, options=FAST)  # fmt: skip
    assert sum("not training designs" in str(w.message) for w in caught) == 1
    assert all(w.filename == __file__ for w in caught)  # points at the caller's line
    assert optimizer.stats.vae.prior_new == 0.0
    assert "new" in optimizer.stats.vae.problems()
