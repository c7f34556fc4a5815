"""The grammar codec: derivations in, valid sentences out, for any context-free grammar."""

from __future__ import annotations

import pickle

import pytest
import torch

import lsbo
from lsbo import OptimizerOptions
from lsbo.exceptions import InvalidDesignsError, InvalidOptionError
from lsbo.models import TrainingOptions, fit_new_vae, load_model
from lsbo.representations.grammar import EXPRESSION_GRAMMAR, GrammarCodec, Unfinished
from objectives.expression import generate_expressions, is_valid_expression
from tests.lsbo.representations.test_codecs import CodecContract

# a user's grammar, not arithmetic: nested lists of atoms, with spaces between words
LISTS = """
L -> '[' ']' | '[' I ']'
I -> E | E ',' I
E -> 'a' | 'b' | L
"""


class TestGrammarCodec(CodecContract):
    def make(self):
        return GrammarCodec.from_designs(self.designs(), grammar=EXPRESSION_GRAMMAR)

    def designs(self):
        return generate_expressions(300, seed=0)

    def as_logits(self, codec, x):
        return torch.nn.functional.one_hot(x, codec.vocab_size).float()

    def test_a_derivation_takes_one_rule_per_token_and_one_more(self):
        codec = self.make()
        for design in self.designs()[:50]:  # the expression grammar's own count
            assert len(codec.derivation(design)) == len(codec.tokenize(design)) + 1

    def test_every_decode_of_random_logits_finishes_as_a_sentence(self):
        codec = self.make()
        logits = torch.randn(
            500, codec.max_length, codec.vocab_size, generator=torch.Generator().manual_seed(0)
        )
        logits[..., 1:4] += 3  # favour the rules that make derivations longer (S -> S op T)
        decoded = codec.decode(logits)  # rules that leave no room to finish are skipped
        assert not any(isinstance(d, Unfinished) for d in decoded)
        assert all(is_valid_expression(d) and codec.is_valid(d) for d in decoded)
        assert max(len(codec.derivation(d)) for d in decoded) == codec.max_length
        # the step mask of an autoregressive decoder leaves the same room
        mask, chosen = codec.step_mask(len(logits)), []
        for step in range(codec.max_length):
            rules = logits[:, step].masked_fill(~mask.allowed(), -1e4).argmax(-1)
            mask.advance(rules)
            chosen.append(rules)
        assert codec.decode(torch.stack(chosen, dim=1)) == decoded

    def test_a_decode_too_short_for_any_sentence_is_unfinished(self):
        codec = GrammarCodec(EXPRESSION_GRAMMAR, max_length=1)  # S -> T -> 'x' takes two
        decoded = codec.decode(torch.randn(5, 1, codec.vocab_size))
        assert all(isinstance(d, Unfinished) and not codec.is_valid(d) for d in decoded)

    def test_a_string_the_grammar_cannot_parse_is_named_with_its_position(self):
        codec = self.make()
        with pytest.raises(InvalidDesignsError, match=r"'x\+\+1'.*token 2 \('\+'\)"):
            codec.encode(["x+1", "x++1"])
        with pytest.raises(InvalidDesignsError, match=r"'sin\(x'.*ends before"):
            codec.encode(["sin(x"])
        with pytest.raises(InvalidDesignsError, match=r"no terminal.*character 2 \('y\)'\)"):
            codec.encode(["x+y)"])
        with pytest.raises(InvalidDesignsError, match="more than max_length"):
            GrammarCodec(EXPRESSION_GRAMMAR, max_length=3).encode(["x+x+x"])
        assert not codec.is_valid("x++1") and not codec.is_valid("")

    def test_a_grammar_that_does_not_parse_is_refused(self):
        with pytest.raises(InvalidOptionError, match="grammar does not parse"):
            GrammarCodec("S = 'a'", max_length=5)
        with pytest.raises(InvalidOptionError, match="lists a rule twice: S -> 'a'"):
            GrammarCodec("S -> 'a' | 'a'", max_length=5)


def test_a_user_grammar_round_trips_and_decodes_only_its_sentences():
    designs = ["[]", "[a]", "[a, b]", "[[a], b, []]", "[b, [a, [b]]]"]
    codec = GrammarCodec.from_designs(designs, grammar=LISTS, separator=" ")
    x = codec.encode(designs)
    decoded = codec.decode(x)  # indices decode like their one-hot logits
    assert [d.replace(" ", "") for d in decoded] == [d.replace(" ", "") for d in designs]
    assert all(codec.is_valid(d) for d in decoded)
    random = codec.decode(torch.randn(200, codec.max_length, codec.vocab_size))
    finished = [d for d in random if not isinstance(d, Unfinished)]
    assert finished and all(d.count("[") == d.count("]") for d in finished)
    clone = pickle.loads(pickle.dumps(codec))
    assert torch.equal(clone.encode(designs), x) and clone.separator == " "


def test_the_expression_task_uses_the_grammar_codec():
    from objectives import expression

    designs = expression.dataset(n=500).designs
    codec = expression.make_codec(designs)
    assert isinstance(codec, lsbo.GrammarCodec) and lsbo.GrammarCodec is GrammarCodec
    assert codec.decode(codec.encode(designs)) == designs
    options = expression.default_options()  # the measured default (benchmarks/RESULTS.md)
    assert options.latent_dim == 25 and options.vae.architecture == {"decoder": "autoregressive"}


def test_the_fast_parser_finds_the_derivations_of_nltks_earley_parser():
    codec = GrammarCodec(EXPRESSION_GRAMMAR, max_length=40)
    assert codec._fast is not None  # the expression grammar is LALR(1)
    for design in generate_expressions(200, seed=3):
        chart = codec._parser.chart_parse(codec.tokenize(design))
        tree = next(iter(chart.parses(codec._cfg.start())))
        assert codec.derivation(design) == list(tree.productions())


def test_grammars_that_are_not_lalr_still_parse():
    # E -> E '+' E is ambiguous: lark resolves its shift/reduce conflicts, and any parse
    # is a derivation; an unparsable string falls to Earley, which says where it fails
    codec = GrammarCodec.from_designs(["x+x+x", "x"], grammar="E -> E '+' E | 'x'")
    assert codec.max_length == 5 and codec.decode(codec.encode(["x+x+x"])) == ["x+x+x"]
    with pytest.raises(InvalidDesignsError, match=r"'x\+\+x'.*token 2"):
        codec.encode(["x++x"])
    # a reduce/reduce conflict: no LALR parser, nltk's Earley parser does it all
    codec = GrammarCodec.from_designs(["xc"], grammar="S -> A 'c' | B 'c'\nA -> 'x'\nB -> 'x'")
    assert codec._fast is None and codec.decode(codec.encode(["xc"])) == ["xc"]


def test_a_grammar_vae_trains_saves_loads_and_decodes_valid_expressions(tmp_path):
    designs = generate_expressions(400, seed=1)
    codec = GrammarCodec.from_designs(designs, grammar=EXPRESSION_GRAMMAR)
    model, _ = fit_new_vae(designs, codec=codec, latent_dim=4, options=TrainingOptions(epochs=3))
    path = tmp_path / "gvae.pt"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded.codec, GrammarCodec) and loaded.codec.grammar == EXPRESSION_GRAMMAR
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    decoded = loaded.decode(z)
    assert decoded == model.decode(z)
    assert all(is_valid_expression(d) for d in decoded if not isinstance(d, Unfinished))


def test_optimize_with_a_grammar_codec_evaluates_only_sentences_of_the_grammar():
    designs = generate_expressions(300, seed=2)
    codec = GrammarCodec.from_designs(designs, grammar=EXPRESSION_GRAMMAR)
    options = OptimizerOptions(
        n_initial=4, num_restarts=2, raw_samples=32, mc_samples=32,
        latent_dim=3, vae=TrainingOptions(epochs=2),
    )  # fmt: skip
    result = lsbo.optimize(len, designs, budget=10, codec=codec, options=options)
    assert isinstance(result.model.codec, GrammarCodec)
    assert len(result.history) == 10 and all(is_valid_expression(r.design) for r in result.history)
    assert any(r.source != "initial" for r in result.history)
    assert result.stats.n_invalid == len(result.invalid)  # unfinished decodes, counted
