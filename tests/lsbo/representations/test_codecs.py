import json
import pickle

import numpy as np
import pytest
import torch

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError
from lsbo.representations import ImageCodec, TokenCodec, codec_for, codec_from_config


class CodecContract:
    """Every codec: encode -> one-hot logits -> decode gives the designs back; pickles;
    saves as plain data (what a model file keeps) that rebuilds it."""

    def make(self):
        raise NotImplementedError

    def designs(self):
        raise NotImplementedError

    def as_logits(self, codec, x):
        raise NotImplementedError

    def test_round_trip(self):
        codec, designs = self.make(), self.designs()
        decoded = codec.decode(self.as_logits(codec, codec.encode(designs)))
        assert [codec.key(d) for d in decoded] == [codec.key(d) for d in designs]
        assert all(codec.is_valid(d) for d in decoded)

    def test_shape(self):
        codec, designs = self.make(), self.designs()
        assert codec.encode(designs).shape == (len(designs), *codec.event_shape)

    def test_pickles(self):
        codec, designs = self.make(), self.designs()
        clone = pickle.loads(pickle.dumps(codec))
        assert torch.equal(clone.encode(designs), codec.encode(designs))

    def test_config_is_plain_data_that_rebuilds_the_codec(self):
        codec, designs = self.make(), self.designs()
        config = json.loads(json.dumps(codec.to_config()))  # JSON holds only plain data
        assert config["kind"] == type(codec).__name__
        clone = codec_from_config(config)
        assert type(clone) is type(codec) and clone.to_config() == codec.to_config()
        assert torch.equal(clone.encode(designs), codec.encode(designs))
        logits = self.as_logits(codec, codec.encode(designs))
        assert [clone.key(d) for d in clone.decode(logits)] == [codec.key(d) for d in designs]

    def test_children_are_reproducible_new_and_encodable(self):
        codec, designs = self.make(), self.designs()
        children = codec.vary(designs, 40, np.random.default_rng(0))
        again = codec.vary(designs, 40, np.random.default_rng(0))
        assert [codec.key(c) for c in children] == [codec.key(c) for c in again]
        assert {codec.key(c) for c in children} - {codec.key(d) for d in designs}
        valid = [c for c in children if codec.is_valid(c)]
        assert valid and codec.encode(valid).shape == (len(valid), *codec.event_shape)


class TestTokenCodec(CodecContract):
    def make(self):
        return TokenCodec.from_designs(self.designs(), tokenizer=r"sin\(|.")

    def designs(self):
        return ["x+1", "sin(x)*2", "3", "sin(sin(x))"]

    def as_logits(self, codec, x):
        return torch.nn.functional.one_hot(x, codec.vocab_size).float()

    def test_multi_character_tokens_and_padding(self):
        codec = self.make()
        assert codec.tokenize("sin(x)") == ["sin(", "x", ")"]
        assert codec.max_length == 5  # "sin(sin(x))" has 5 tokens
        assert codec.encode(["3"])[0, 1:].eq(0).all()

    def test_unknown_token_is_reported(self):
        with pytest.raises(
            InvalidDesignsError, match="the token 'y', which is not in the vocabulary"
        ):
            self.make().encode(["y+1"])

    def test_too_long_is_reported(self):
        with pytest.raises(InvalidDesignsError, match="more than max_length=5"):
            self.make().encode(["x+x+x+x+1"])

    def test_pattern_that_skips_characters_is_reported(self):
        with pytest.raises(InvalidDesignsError, match="does not cover"):
            TokenCodec.from_designs(["ab c"], tokenizer=r"[a-z]")

    def test_fixed_vocabulary_and_function_tokenizer(self):
        codec = TokenCodec(["a", "bb"], max_length=3, tokenizer=lambda s: s.split())
        assert codec.decode(codec.encode(["a bb"])) == ["abb"]

    def test_validity(self):
        codec = TokenCodec(["a", "b"], max_length=3, validator=lambda s: s.startswith("a"))
        assert codec.is_valid("ab") and not codec.is_valid("ba") and not codec.is_valid("")

    def test_bad_vocabulary(self):
        with pytest.raises(InvalidOptionError):
            TokenCodec(["a", "a"], max_length=2)


class TestImageCodec(CodecContract):
    def make(self):
        return ImageCodec.from_designs(self.designs())

    def designs(self):
        images = np.zeros((3, 5, 7), dtype=np.float32)
        images[0, 1:3, 2:4] = 1
        images[1, :, 0] = 1
        return list(images)

    def as_logits(self, codec, x):
        return (x * 2 - 1) * 10

    def test_binary_is_inferred(self):
        assert self.make().binary
        assert not ImageCodec.from_designs([np.full((4, 4), 0.3)]).binary

    def test_wrong_shape_and_range_are_reported(self):
        codec = self.make()
        with pytest.raises(InvalidDesignsError, match="shape"):
            codec.encode([np.zeros((4, 4))])
        with pytest.raises(InvalidDesignsError, match=r"outside \[0, 1\]"):
            codec.encode([np.full((5, 7), 2.0)])
        assert not codec.is_valid(np.zeros((4, 4)))


def test_codec_is_chosen_from_the_designs():
    assert isinstance(codec_for(["ab", "c"]), TokenCodec)
    assert isinstance(codec_for([np.zeros((3, 3))]), ImageCodec)


@pytest.mark.parametrize(
    ("designs", "fragment"),
    [([], "no designs"), (["ab", np.zeros((2, 2))], "mix"), ([np.zeros(3)], "2-D")],
)
def test_bad_design_lists(designs, fragment):
    with pytest.raises(InvalidDesignsError, match=fragment):
        codec_for(designs)
