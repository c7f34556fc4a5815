import pytest
import torch

from lsbo.exceptions import InvalidOptionError, ModelFileError
from lsbo.models import ImageVAE, SequenceVAE, build_vae, load_model
from lsbo.representations import ImageCodec, TokenCodec


def test_shapes_of_the_sequence_vae(strings):
    codec = TokenCodec.from_designs(strings)
    model = build_vae(codec, latent_dim=3)
    assert isinstance(model, SequenceVAE)
    x = codec.encode(strings[:5])
    mean, log_var = model.encode_tensor(x)
    assert mean.shape == log_var.shape == (5, 3)
    assert model.decode_tensor(mean).shape == (5, codec.max_length, codec.vocab_size)
    nll, kl = model.loss_terms(x, torch.Generator().manual_seed(0))
    assert nll.shape == kl.shape == (5,) and (kl >= 0).all()


@pytest.mark.parametrize("shape", [(16, 16), (28, 20), (9, 9)])
def test_image_vae_outputs_the_image_shape(shape):
    model = build_vae(ImageCodec(shape))
    assert isinstance(model, ImageVAE) and model.latent_dim == 8  # the default for images
    assert model.decode_tensor(torch.zeros(3, 8)).shape == (3, 1, *shape)
    assert model.encode_tensor(torch.zeros(3, 1, *shape))[0].shape == (3, 8)


def test_batched_encode_and_decode_agree_with_one_batch(string_vae, strings):
    mean_a, std_a = string_vae.encode(strings[:50], batch_size=7)
    mean_b, std_b = string_vae.encode(strings[:50])
    assert torch.allclose(mean_a, mean_b, atol=1e-5) and torch.allclose(std_a, std_b, atol=1e-5)
    assert (std_a > 0).all()
    assert string_vae.decode(mean_a, batch_size=3) == string_vae.decode(mean_b)


def test_save_and_load_give_the_same_model(string_vae, strings, tmp_path):
    path = tmp_path / "vae.pt"
    string_vae.save(path, note="hello")
    loaded = load_model(path)
    assert loaded.metadata == {"note": "hello"}
    assert torch.equal(loaded.encode(strings[:20])[0], string_vae.encode(strings[:20])[0])
    z = torch.randn(10, string_vae.latent_dim)
    assert loaded.decode(z) == string_vae.decode(z)


def test_missing_and_corrupt_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelFileError, match="no model file"):
        load_model(tmp_path / "absent.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00not a model at all")
    with pytest.raises(ModelFileError, match="not a readable lsbo model"):
        load_model(corrupt)
    other = tmp_path / "other.pt"
    torch.save({"weights": 1}, other)
    with pytest.raises(ModelFileError, match="not an lsbo model file"):
        load_model(other)


def test_file_from_another_version_says_what_to_do(string_vae, tmp_path):
    path = tmp_path / "old.pt"
    string_vae.save(path)
    payload = torch.load(path, weights_only=True)
    payload["version"] = 999
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match=r"version 999.*update lsbo, or train the model"):
        load_model(path)


def test_unsavable_tokenizer_is_a_clear_error(tmp_path):
    codec = TokenCodec(["a", "b"], max_length=2, tokenizer=lambda s: list(s))
    with pytest.raises(ModelFileError, match="module-level function"):
        build_vae(codec, latent_dim=2).save(tmp_path / "x.pt")


def test_bad_latent_dim():
    with pytest.raises(InvalidOptionError):
        build_vae(TokenCodec(["a"], max_length=2), latent_dim=0)


def test_the_autoregressive_decoder_reads_the_previous_tokens(strings):
    codec = TokenCodec.from_designs(strings)
    model = build_vae(codec, latent_dim=3, decoder="autoregressive").eval()
    x = codec.encode(strings[:4])
    z = torch.randn(4, 3)
    teacher = model.reconstruction_logits(z, x)
    assert teacher.shape == (4, codec.max_length, codec.vocab_size)
    # step t of teacher forcing depends on token t-1 of the target, not on token t
    changed = x.clone()
    changed[:, 2] = (changed[:, 2] + 1) % codec.vocab_size
    again = model.reconstruction_logits(z, changed)
    assert torch.allclose(again[:, :3], teacher[:, :3]) and not torch.allclose(
        again[:, 3], teacher[:, 3]
    )
    # greedy decoding feeds back its own argmax: it equals teacher forcing on its output
    greedy = model.decode_tensor(z)
    assert torch.allclose(model.reconstruction_logits(z, greedy.argmax(-1)), greedy, atol=1e-5)


def test_an_autoregressive_vae_learns_saves_and_loads(strings, tmp_path):
    from lsbo.models import TrainingOptions, fit_new_vae, reconstruction_accuracy

    options = TrainingOptions(epochs=15, architecture={"decoder": "autoregressive"})
    model, _ = fit_new_vae(strings, latent_dim=8, options=options, seed=0)
    assert model.config()["decoder"] == "autoregressive"
    tokens, _ = reconstruction_accuracy(model, strings[:100])
    assert tokens > 0.8
    model.save(tmp_path / "ar.pt")
    loaded = load_model(tmp_path / "ar.pt")
    z = torch.randn(10, 8)
    assert loaded.decode(z) == model.decode(z)


def test_unknown_architecture_arguments_are_clear_errors():
    codec = TokenCodec(["a"], max_length=2)
    with pytest.raises(InvalidOptionError, match="decoder must be one of"):
        build_vae(codec, latent_dim=2, decoder="transformer")
    with pytest.raises(InvalidOptionError, match="SequenceVAE does not take"):
        build_vae(codec, latent_dim=2, layers=3)
