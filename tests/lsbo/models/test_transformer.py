"""The transformer VAE, and decoders that stay within a grammar as they decode."""

import pytest
import torch

from lsbo.exceptions import InvalidOptionError
from lsbo.models import (
    TrainingOptions,
    TransformerVAE,
    build_vae,
    fit_new_vae,
    load_model,
    reconstruction_accuracy,
)
from lsbo.representations import TokenCodec
from lsbo.representations.grammar import EXPRESSION_GRAMMAR, GrammarCodec, Unfinished
from objectives.expression import generate_expressions, is_valid_expression


def test_the_architecture_type_chooses_the_transformer(strings):
    codec = TokenCodec.from_designs(strings)
    assert TrainingOptions(architecture="transformer").architecture == {"type": "transformer"}
    model = build_vae(codec, latent_dim=3, type="transformer", layers=1, model_dim=32)
    assert isinstance(model, TransformerVAE) and model.config()["layers"] == 1
    with pytest.raises(InvalidOptionError, match=r"'lstm' is not one for TokenCodec.*'gru'"):
        build_vae(codec, latent_dim=3, type="lstm")
    with pytest.raises(InvalidOptionError, match="heads must divide model_dim"):
        build_vae(codec, latent_dim=3, type="transformer", model_dim=30, heads=4)
    with pytest.raises(InvalidOptionError, match="architecture must be a dict"):
        TrainingOptions(architecture=3)  # type: ignore[arg-type]


def test_the_transformer_decoder_is_causal_and_greedy_decoding_matches_it(strings):
    codec = TokenCodec.from_designs(strings)
    model = build_vae(codec, latent_dim=3, type="transformer", model_dim=32, layers=1).eval()
    x, z = codec.encode(strings[:4]), torch.randn(4, 3)
    teacher = model.reconstruction_logits(z, x)
    assert teacher.shape == (4, codec.max_length, codec.vocab_size)
    changed = x.clone()
    changed[:, 2] = (changed[:, 2] + 1) % codec.vocab_size
    again = model.reconstruction_logits(z, changed)  # step t reads tokens before t only
    assert torch.allclose(again[:, :3], teacher[:, :3], atol=1e-5)
    assert not torch.allclose(again[:, 3], teacher[:, 3])
    greedy = model.decode_tensor(z)
    assert torch.allclose(model.reconstruction_logits(z, greedy.argmax(-1)), greedy, atol=1e-4)


def test_a_transformer_vae_learns_saves_and_loads(strings, tmp_path):
    architecture = {"type": "transformer", "model_dim": 64}
    options = TrainingOptions(epochs=30, patience=30, architecture=architecture)
    model, history = fit_new_vae(strings, latent_dim=8, options=options, seed=0)
    tokens, _ = reconstruction_accuracy(model, strings[:100])
    assert history.reconstruction[-1] < history.reconstruction[0] / 2
    assert tokens > 0.7  # an untrained one: 0.14 (the GRU: 0.95 in as many epochs)
    model.save(tmp_path / "transformer.pt")
    loaded = load_model(tmp_path / "transformer.pt")
    assert isinstance(loaded, TransformerVAE) and loaded.config() == model.config()
    z = torch.randn(10, 8)
    assert loaded.decode(z) == model.decode(z)


def test_the_step_mask_follows_the_derivation_of_a_sentence():
    codec = GrammarCodec(EXPRESSION_GRAMMAR, max_length=20)
    rules = codec.encode(["sin(x)+2"])[0]
    mask = codec.step_mask(1)
    for rule in rules.tolist():
        allowed = mask.allowed()[0]
        assert allowed[rule]  # every rule of a derivation is allowed in its turn
        assert allowed.sum() < codec.vocab_size
        mask.advance(torch.tensor([rule]))
    assert mask.allowed()[0].tolist() == [True] + [False] * (codec.vocab_size - 1)


@pytest.mark.parametrize("architecture", [{"decoder": "autoregressive"}, {"type": "transformer"}])
def test_autoregressive_decoders_choose_only_rules_the_grammar_allows(architecture):
    designs = generate_expressions(200, seed=4)
    codec = GrammarCodec.from_designs(designs, grammar=EXPRESSION_GRAMMAR)
    model = build_vae(codec, latent_dim=4, **architecture).eval()  # untrained: random choices
    z = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
    logits = model.decode_tensor(z)
    chosen = logits.argmax(-1)
    mask = codec.step_mask(len(z))
    for step in range(codec.max_length):  # the greedy choice is allowed at every step
        allowed = mask.allowed()
        assert allowed.gather(1, chosen[:, step : step + 1]).all()
        mask.advance(chosen[:, step])
    decoded = model.decode(z)
    assert all(is_valid_expression(d) for d in decoded if not isinstance(d, Unfinished))
