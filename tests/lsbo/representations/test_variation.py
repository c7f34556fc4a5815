"""Crossover and mutation in design space: what each codec's children keep and change."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, ModelFileError
from lsbo.representations import Codec, GrammarCodec, ImageCodec, TokenCodec
from lsbo.representations.grammar import EXPRESSION_GRAMMAR
from lsbo.representations.variation import (
    PATCH_SHARE,
    keep_pairs,
    subtree_spans,
    vary_derivation,
    vary_image,
    vary_sequence,
)
from objectives.expression import generate_expressions
from tests.lsbo.representations.test_grammar import LISTS


def test_parents_of_one_length_give_children_of_that_length_over_the_vocabulary():
    parents = ["abcdabcd", "ddccbbaa", "acacacac"]
    codec = TokenCodec.from_designs(parents)
    children = codec.vary(parents, 200, np.random.default_rng(0))
    assert {len(c) for c in children} == {8}
    assert set("".join(children)) <= set("abcd")

    # a stretch of one parent in the other and about one mutation: near a parent
    def edits(child):
        return min(sum(a != b for a, b in zip(child, p, strict=True)) for p in parents)

    distance = [edits(c) for c in children]
    assert np.median(distance) <= 2


def test_parents_of_different_lengths_give_children_no_longer_than_max_length():
    parents = ["ab", "abcdabcdab", "cd"]
    codec = TokenCodec.from_designs(parents)
    children = codec.vary(parents, 300, np.random.default_rng(1), rate=0.3)
    assert max(map(len, children)) <= codec.max_length
    assert len({len(c) for c in children}) > 3  # cut-and-join and insertions vary lengths


def test_a_rate_of_zero_recombines_without_mutation():
    rng = np.random.default_rng(0)
    child = vary_sequence(list("aaaa"), list("bbbb"), list("xyz"), rng, rate=0.0, fixed_length=True)
    assert set(child) <= {"a", "b"}  # every position from a parent, none mutated


def test_parents_of_one_length_pass_a_contiguous_stretch_of_the_second_to_the_child():
    rng = np.random.default_rng(0)
    first, second = list("a" * 12), list("b" * 12)
    stretches = set()
    for _ in range(200):
        child = "".join(vary_sequence(first, second, list("xyz"), rng, rate=0.0))
        stretch = child.strip("a")
        assert stretch == "b" * len(stretch) and len(stretch) >= 1  # one stretch, whole
        stretches.add((child.index("b"), len(stretch)))
    assert len(stretches) > 40  # its ends are drawn: many starts and lengths


def test_half_the_stretches_move_to_another_place_in_the_child():
    # a motif the second parent holds can move to where it does not clash with what the
    # first holds (on Ehrlich, two motifs built on shared positions block each other)
    rng = np.random.default_rng(0)
    first, second = list("a" * 12), list("bcdefghijklm")
    moved = 0
    for _ in range(400):
        child = "".join(vary_sequence(first, second, list("xyz"), rng, rate=0.0))
        stretch = child.strip("a")
        assert len(child) == 12 and len(stretch) >= 1 and stretch in "".join(second)
        moved += child.index(stretch) != "".join(second).index(stretch)
    assert 120 < moved < 200  # half are placed at a random offset, some of it their own


# sequences of a Markov chain over "abcd" that allows 12 of the 16 transitions
CHAIN = ["abcdabcdab", "aabbccddaa", "adcbadcbad", "bbbbcccdda"]


def pairs_of(text: str) -> set[tuple[str, str]]:
    return set(itertools.pairwise(text))


@pytest.mark.parametrize("fixed", [True, False])
def test_children_keep_to_the_pairs_of_the_training_designs(fixed):
    parents = CHAIN if fixed else [*CHAIN, "abcd", "dabcdab"]
    codec = TokenCodec.from_designs(CHAIN).with_pairs_of(CHAIN)
    allowed = set().union(*map(pairs_of, CHAIN))
    assert set(codec.pairs) == allowed and len(allowed) == 12
    children = codec.vary(parents, 300, np.random.default_rng(0), rate=0.2)
    assert all(pairs_of(child) <= allowed for child in children)
    assert len(set(children) - set(parents)) > 100  # still new designs
    free = TokenCodec.from_designs(CHAIN).vary(parents, 300, np.random.default_rng(0), rate=0.2)
    assert sum(not pairs_of(child) <= allowed for child in free) > 150  # what pairs prevent


def test_a_mutation_stays_and_its_neighbours_are_drawn_again():
    pairs = {("a", "b"), ("a", "c"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "a")}
    rng = np.random.default_rng(0)
    # "d" written at position 2 of "abab": (b, d) is not allowed, so that b becomes the
    # one token that follows a and precedes d (c), and (d, b) makes the last b an "a"
    mended = keep_pairs(list("abdb"), [False, False, True, False], pairs, list("abcd"), rng)
    assert mended is not None and mended[2] == "d"
    assert pairs_of("".join(mended)) <= pairs
    assert mended == list("acda")
    # two written tokens that cannot pair: no child
    assert keep_pairs(list("aa"), [True, True], pairs, list("abcd"), rng) is None


def test_pairs_are_saved_with_the_codec_and_checked():
    codec = TokenCodec.from_designs(CHAIN).with_pairs_of(CHAIN)
    again = TokenCodec.from_config(codec.to_config())
    assert again.pairs == codec.pairs and again.vary(CHAIN, 50, np.random.default_rng(0))
    none = TokenCodec.from_designs(CHAIN)
    assert "pairs" not in none.to_config() and "pairs" not in vars(none)  # cache keys as before
    with pytest.raises(InvalidOptionError, match="not in the vocabulary"):
        TokenCodec(list("ab"), 4, pairs=[("a", "z")])
    with pytest.raises(InvalidOptionError, match="pairs of tokens"):
        TokenCodec(list("ab"), 4, pairs=["ab"])
    with pytest.raises(InvalidDesignsError, match="'z'"):
        TokenCodec(list("ab"), 4).with_pairs_of(["abz"])
    broken = {**codec.to_config(), "pairs": [["a", "q"]]}
    with pytest.raises(ModelFileError, match="not in the vocabulary"):
        TokenCodec.from_config(broken)
    for pairs, message in [("ab", "should be list"), (["ab"], "pairs of tokens")]:
        with pytest.raises(ModelFileError, match=message):
            TokenCodec.from_config({**codec.to_config(), "pairs": pairs})
    with pytest.raises(ModelFileError, match="not in the vocabulary"):  # not even hashable
        TokenCodec.from_config({**codec.to_config(), "pairs": [["a", ["b"]]]})


def test_the_cache_key_of_a_codec_with_pairs_is_the_same_in_every_process():
    script = (
        "from lsbo.models import TrainingOptions\n"
        "from lsbo.models.cache import fingerprint\n"
        "from lsbo.representations import TokenCodec\n"
        f"designs = {CHAIN!r}\n"
        "codec = TokenCodec.from_designs(designs).with_pairs_of(designs)\n"
        "print(fingerprint(designs, codec, 2, TrainingOptions(), 0))\n"
    )

    def key(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-c", script]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout

    keys = {key("1"), key("2")}
    # the pairs are kept sorted, not in a set's order that changes with the hash seed
    assert len(keys) == 1 and len(keys.pop().strip()) == 64


@pytest.mark.parametrize("grammar", [EXPRESSION_GRAMMAR, LISTS])
def test_every_child_of_a_grammar_is_a_sentence_of_it(grammar):
    if grammar == LISTS:
        parents = ["[a,b]", "[[a],b,[]]", "[[[b]]]", "[a,[b,a]]"]
        codec = GrammarCodec.from_designs(parents, grammar=grammar, max_length=30)
    else:
        parents = generate_expressions(30, seed=0)
        codec = GrammarCodec.from_designs(parents, grammar=grammar)
    children = codec.vary(parents, 300, np.random.default_rng(0), rate=0.2)
    assert len(children) > 200  # only those longer than max_length are left out
    assert all(codec.is_valid(c) for c in children)
    assert len(set(children) - set(parents)) > 30


def test_rule_swaps_keep_the_shape_of_a_derivation():
    codec = GrammarCodec.from_designs(["x+1"], grammar=EXPRESSION_GRAMMAR)
    rules, rng = codec._rule_indices("x+1"), np.random.default_rng(0)
    children = set()
    for _ in range(200):  # crossover of a parent with itself, swaps only (no growth)
        child = vary_derivation(
            rules, rules, lhs=lambda i: codec._rules[i - 1].lhs(),
            arity=codec._arity.__getitem__, swaps=codec._swaps.__getitem__, rng=rng, rate=1.0,
        )  # fmt: skip
        children.add(codec._write_out(child))
    # every rule is swapped for one of the same shape: an operator stays an operator
    # and a leaf a leaf
    three = [c for c in children if len(codec.tokenize(c)) == 3]
    assert len(three) > 10
    for child in three:
        assert child[0] in "x123" and child[1] in "+*/" and child[2] in "x123"


def test_subtree_mutation_brings_in_structure_no_parent_has():
    codec = GrammarCodec.from_designs(["x+1", "2*x"], grammar=EXPRESSION_GRAMMAR, max_length=30)
    children = codec.vary(["x+1", "2*x"], 200, np.random.default_rng(0))
    assert all(codec.is_valid(c) for c in children)
    assert any("sin(" in c or "exp(" in c for c in children)
    assert max(len(codec.derivation(c)) for c in children) <= codec.max_length


def test_subtree_spans_of_a_derivation():
    # S -> S '+' T (two non-terminals), S -> T (one), T -> 'x' (none), T -> '1' (none)
    arity = {1: 2, 2: 1, 3: 0, 4: 0}
    assert subtree_spans([1, 2, 3, 4], arity.__getitem__) == [4, 3, 3, 4]


def test_image_children_keep_shape_and_stay_binary():
    parents = [np.zeros((8, 8), np.float32), np.ones((8, 8), np.float32)]
    codec = ImageCodec.from_designs(parents)
    children = codec.vary(parents, 50, np.random.default_rng(0))
    assert all(c.shape == (8, 8) and set(np.unique(c)) <= {0.0, 1.0} for c in children)
    assert any(0 < c.sum() < 64 for c in children)  # a rectangle of one in the other


def test_half_the_binary_image_children_get_a_small_rectangle_painted_0_or_1():
    blank = np.zeros((32, 32), np.float32)
    rng = np.random.default_rng(0)
    children = [vary_image(blank, blank, True, rng, rate=0.0) for _ in range(400)]
    painted = [c for c in children if c.any()]
    # a rectangle painted 0 leaves the blank image as it was: 1 child in 4 is painted 1
    assert 0.17 < len(painted) / len(children) < 0.33
    side = round(32 * PATCH_SHARE)
    for child in painted:
        rows, cols = np.nonzero(child)
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert height <= side and width <= side
        assert len(rows) == height * width  # one filled rectangle
    assert {np.count_nonzero(c) for c in painted} >= {1, side * side}
    # grayscale images keep their pixels: nothing painted, no noise at rate 0
    assert not any(vary_image(blank, blank, False, rng, rate=0.0).any() for _ in range(100))


def test_a_codec_without_operators_says_how_to_add_them():
    class Plain(Codec):
        event_shape = (1,)

        def encode(self, designs):
            raise NotImplementedError

        def decode(self, outputs):
            raise NotImplementedError

        def key(self, design):
            return design

    with pytest.raises(InvalidOptionError, match=r"override Codec\.vary"):
        Plain().vary(["a"], 1, np.random.default_rng(0))
