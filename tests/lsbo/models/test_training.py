import dataclasses

import pytest
import torch

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError
from lsbo.models import (
    TrainingOptions,
    TrainingReport,
    build_vae,
    fit_new_vae,
    reconstruction_accuracy,
    train_vae,
    training,
)
from lsbo.models.training import RESTARTS, distinct_decodes, is_collapsed, restart_seed
from lsbo.representations import ImageCodec, TokenCodec


def test_training_is_reproducible_for_a_seed(strings):
    options = TrainingOptions(epochs=2)
    a, report_a = fit_new_vae(strings[:300], latent_dim=2, options=options, seed=3)
    b, report_b = fit_new_vae(strings[:300], latent_dim=2, options=options, seed=3)
    c, _ = fit_new_vae(strings[:300], latent_dim=2, options=options, seed=4)
    assert report_a.train_loss == report_b.train_loss
    assert torch.equal(a.encode(strings[:10])[0], b.encode(strings[:10])[0])
    assert not torch.equal(a.encode(strings[:10])[0], c.encode(strings[:10])[0])


def test_validation_split_and_early_stopping(strings):
    # a learning rate this large makes the validation loss stop improving quickly
    options = TrainingOptions(epochs=200, patience=2, learning_rate=0.3, validation_fraction=0.2)
    _, report = fit_new_vae(strings[:400], latent_dim=2, options=options, seed=0)
    assert report.n_validation == 80 and report.n_train == 320
    assert len(report.train_loss) < 200
    assert len(report.train_loss) - 1 - report.best_epoch == 2
    assert report.validation_loss[report.best_epoch] == min(report.validation_loss)


def test_weights_focus_the_model_on_heavy_designs(strings):
    designs = strings[:400]
    weights = torch.zeros(len(designs))
    weights[:20] = 1.0
    codec = TokenCodec.from_designs(designs)
    torch.manual_seed(0)
    model = build_vae(codec, latent_dim=4)
    train_vae(model, designs, weights, TrainingOptions(epochs=40, validation_fraction=0), seed=0)
    heavy, _ = reconstruction_accuracy(model, designs[:20])
    light, _ = reconstruction_accuracy(model, designs[200:])
    assert heavy > light + 0.1


@pytest.mark.parametrize("weighting", ["loss", "sampling"])
def test_how_weights_act_on_what_an_epoch_sees(strings, weighting):
    designs = strings[:200]
    weights = torch.zeros(len(designs))
    weights[:5] = 1.0
    codec = TokenCodec.from_designs(designs)
    heavy = codec.encode(designs[:5])
    model = build_vae(codec, latent_dim=2)
    seen = []
    loss_terms = model.loss_terms

    def recording(x, generator=None):
        seen.append(x.clone())
        return loss_terms(x, generator)

    model.loss_terms = recording
    options = TrainingOptions(epochs=1, validation_fraction=0, weighting=weighting)
    train_vae(model, designs, weights, options, seed=0)
    rows = torch.cat(seen)
    assert len(rows) == len(designs)  # an epoch has as many draws as designs
    from_heavy = (rows[:, None, :] == heavy[None]).all(-1).any(-1)
    if weighting == "sampling":  # only designs with weight are drawn
        assert from_heavy.all()
    else:  # every design is seen once; the weights act on the loss
        assert int(from_heavy.sum()) == 5


def test_by_default_an_epoch_on_few_designs_passes_over_them_until_it_has_enough_steps(strings):
    from lsbo.models.training import AUTO_EPOCHS, epoch_plan

    assert epoch_plan(TrainingOptions(), 270) == (AUTO_EPOCHS, 24)  # 50 batches of 128
    assert epoch_plan(TrainingOptions(), 100_000) == (AUTO_EPOCHS, 1)
    assert epoch_plan(TrainingOptions(epochs=5), 270) == (5, 1)  # explicit: single passes
    designs = strings[:200]
    model = build_vae(TokenCodec.from_designs(designs), latent_dim=2)
    rows, loss_terms = [], model.loss_terms
    model.loss_terms = lambda x, generator=None: rows.append(len(x)) or loss_terms(x, generator)
    options = TrainingOptions(epoch_steps=10, validation_fraction=0, patience=100)
    report = train_vae(model, designs, options=options, seed=0)
    assert len(report.train_loss) == AUTO_EPOCHS
    assert sum(rows) == AUTO_EPOCHS * 7 * len(designs)  # 7 passes of 200 an epoch ...
    assert len(rows) == AUTO_EPOCHS * 11  # ... in 11 batches of at most 128


def test_settings_stored_before_epoch_steps_read_their_20_epochs_as_the_default():
    from lsbo.settings import normalized

    vae = {k: v for k, v in dataclasses.asdict(TrainingOptions()).items() if k != "epoch_steps"}
    old = normalized({"options": {"vae": {**vae, "epochs": 20}}})["options"]["vae"]
    assert old["epochs"] is None and old["epoch_steps"] == 50
    chosen = normalized({"options": {"vae": {**vae, "epochs": 30}}})["options"]["vae"]
    assert chosen["epochs"] == 30  # a choice of its own stays
    assert (
        normalized({"options": {"vae": {"epochs": 20, "epoch_steps": 50}}})["options"]["vae"][
            "epochs"
        ]
        == 20
    )  # stored by this version: 20 was chosen


@pytest.mark.parametrize("weights", [[1.0, -1.0], [0.0, 0.0], [1.0], [float("nan"), 1.0]])
def test_bad_weights(weights):
    model = build_vae(TokenCodec(["a"], max_length=2), latent_dim=2)
    with pytest.raises(InvalidOptionError, match="weights"):
        train_vae(model, ["a", "aa"], weights)


def test_no_designs():
    model = build_vae(TokenCodec(["a"], max_length=2), latent_dim=2)
    with pytest.raises(InvalidDesignsError):
        train_vae(model, [])


def test_bad_options():
    with pytest.raises(InvalidOptionError):
        TrainingOptions(epochs=0)
    with pytest.raises(InvalidOptionError, match="epoch_steps"):
        TrainingOptions(epoch_steps=0)
    with pytest.raises(InvalidOptionError):
        TrainingOptions(validation_fraction=1.0)
    with pytest.raises(InvalidOptionError, match="weighting"):
        TrainingOptions(weighting="importance")


def test_image_vae_reconstructs_squares(square_images):
    images = square_images
    options = TrainingOptions(epochs=200, batch_size=32, patience=20, beta=0.05)
    model, _ = fit_new_vae(images, latent_dim=4, options=options, seed=0)
    pixel, exact = reconstruction_accuracy(model, images)
    assert pixel > 0.99
    assert exact > 0.5


@pytest.mark.slow
def test_the_grammar_vae_decodes_valid_expressions_and_reconstructs_held_out_ones():
    from objectives.expression import dataset, default_options, is_valid_expression, make_codec

    designs = dataset(n=11_000).designs
    train, held_out = designs[:10_000], designs[10_000:]
    options = default_options()
    vae = dataclasses.replace(options.vae, epochs=8, max_designs=None)  # the default, shorter
    model, _ = fit_new_vae(train, make_codec(designs), options.latent_dim, vae, seed=0)
    token, exact = reconstruction_accuracy(model, held_out)
    print(f"expression VAE, held out: token accuracy {token:.3f}, exact match {exact:.3f}")
    assert token > 0.9 and exact > 0.6
    prior = model.decode(torch.randn(500, options.latent_dim))
    assert all(is_valid_expression(d) for d in prior)  # the grammar and the step mask
    assert len(set(prior)) > 400


def test_the_report_has_both_loss_terms_per_epoch_and_survives_a_dict(strings):
    options = TrainingOptions(epochs=3, patience=5, beta=0.5, validation_fraction=0.2)
    model, report = fit_new_vae(strings[:60], latent_dim=2, options=options, seed=0)
    assert len(report.reconstruction) == len(report.kl) == len(report.train_loss) == 3
    assert len(report.validation_reconstruction) == len(report.validation_kl) == 3
    for curves, loss in [
        ((report.reconstruction, report.kl), report.train_loss),
        ((report.validation_reconstruction, report.validation_kl), report.validation_loss),
    ]:
        total = [nll + 0.5 * kl for nll, kl in zip(*curves, strict=True)]
        assert total == pytest.approx(loss, rel=1e-5)
    assert model.metadata["report"] == report.to_dict()
    stored = {**report.to_dict(), "added_later": 1}
    del stored["kl"]  # a report saved by a version that lacked a field
    again = TrainingReport.from_dict(stored)
    assert again.reconstruction == report.reconstruction and again.kl == []


def test_without_a_validation_split_its_curves_are_empty(strings):
    options = TrainingOptions(epochs=2, validation_fraction=0.0)
    _, report = fit_new_vae(strings[:30], latent_dim=2, options=options, seed=0)
    assert len(report.kl) == 2
    assert report.validation_loss == report.validation_reconstruction == []
    assert report.validation_kl == []


ONE_DESIGN = TrainingOptions(epochs=10, learning_rate=3e-2)  # learns it in a second


def test_a_trained_vae_is_not_collapsed_and_one_that_writes_one_design_is(
    string_vae, square_images
):
    assert not is_collapsed(string_vae)
    model, report = fit_new_vae([square_images[5]] * 60, latent_dim=2, options=ONE_DESIGN)
    assert is_collapsed(model)  # data of one design: it writes that one wherever it is asked
    # restarts cannot help such data: bounded, and the report says how many there were
    assert report.restarts == RESTARTS == model.metadata["report"]["restarts"]


def test_a_collapsed_vae_is_trained_again_from_new_weights_and_a_seed_of_its_own(
    strings, monkeypatch
):
    designs, options = strings[:200], TrainingOptions(epochs=1)
    checks = []

    def collapsed_once(model):  # the first training stalled; what follows is real training
        checks.append(model)
        return 1 if len(checks) == 1 else distinct_decodes(model)

    monkeypatch.setattr(training, "distinct_decodes", collapsed_once)
    model, report = fit_new_vae(designs, latent_dim=2, options=options, seed=3)
    assert report.restarts == 1 and len(checks) == 2 and checks[1] is model
    monkeypatch.undo()
    seed = restart_seed(3, 1)
    again, again_report = fit_new_vae(designs, latent_dim=2, options=options, seed=seed)
    assert again_report.restarts == 0
    pairs = zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    first, _ = fit_new_vae(designs, latent_dim=2, options=options, seed=3)
    assert not torch.equal(first.encode(designs[:5])[0], model.encode(designs[:5])[0])
    seeds = {restart_seed(seed, k) for seed in range(50) for k in (1, 2)}
    assert len(seeds - set(range(50))) == 100  # none is another run's own seed


def test_where_every_training_collapses_the_one_that_decodes_most_variety_is_kept(square_images):
    # eight epochs on the squares: the seed's own training decodes its prior samples to 2
    # images, both restarts to the blank one alone
    options = TrainingOptions(epochs=8)
    model, report = fit_new_vae(square_images, latent_dim=2, options=options, seed=0)
    assert report.restarts == RESTARTS and distinct_decodes(model) == 2
    with torch.random.fork_rng():
        torch.manual_seed(0)
        own = build_vae(ImageCodec.from_designs(square_images), latent_dim=2)
    train_vae(own, square_images, options=options, seed=0)
    pairs = zip(model.state_dict().values(), own.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)  # seeded runs on it are as they were
