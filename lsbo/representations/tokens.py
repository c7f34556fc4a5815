"""Strings as padded token sequences."""

from __future__ import annotations

import copy
import itertools
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Self

import numpy as np
import torch

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, ModelFileError
from lsbo.representations.base import Codec
from lsbo.representations.registry import (
    codec_kind,
    function_from_config,
    function_to_config,
    register_codec,
    setting,
)
from lsbo.representations.variation import breed, vary_sequence

PAD = "<pad>"

Tokenizer = Callable[[str], list[str]]


@register_codec
class TokenCodec(Codec):
    """Strings <-> ``n x max_length`` tensors of token indices, padded with ``<pad>``.

    Index 0 is the padding token, which also marks the end of a string: decoding reads
    tokens up to the first pad.

    Args:
        vocabulary: The tokens (without the pad token), in index order.
        max_length: Longest token sequence a design may have.
        tokenizer: ``None`` for one token per character, a regular expression whose
            ``re.findall`` gives the tokens (e.g. ``r"Cl|Br|."``), or a function
            ``str -> list[str]``. A regular expression saves with the model; a function
            saves as its ``module:qualname`` reference, so it must be defined at the top
            of a module (see :func:`lsbo.representations.register_function` for what
            loading it again needs).
        validator: Optional ``str -> bool`` deciding whether a decoded string is a
            valid design (e.g. it parses); empty strings are always invalid. Saved as a
            function tokenizer is (a ``functools.partial`` with plain arguments works).
        pairs: The pairs of adjacent tokens that children made by :meth:`vary` may
            hold (``None``: any). A token a mutation writes next to one it would not
            pair with makes that neighbour be drawn again among the tokens that pair
            with both of its own neighbours; a child that cannot be mended is not
            made. :meth:`with_pairs_of` takes them from designs: children then keep to
            the local structure of the training data, e.g. the allowed transitions of
            a Markov chain, where a random substitution would mostly break one.
            Kept sorted in :attr:`pairs` (``None`` where not given).
    """

    pairs: tuple[tuple[str, str], ...] | None = None

    def __init__(
        self,
        vocabulary: Sequence[str],
        max_length: int,
        tokenizer: str | Tokenizer | None = None,
        validator: Callable[[str], bool] | None = None,
        pairs: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        if max_length < 1:
            raise InvalidOptionError(f"max_length must be >= 1, got {max_length}")
        if PAD in vocabulary or len(set(vocabulary)) != len(vocabulary):
            raise InvalidOptionError(
                f"the vocabulary must list distinct tokens and not include {PAD!r}"
            )
        self.tokens = [PAD, *vocabulary]
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.max_length = int(max_length)
        self.tokenizer = tokenizer
        self.validator = validator
        self._split = _make_split(tokenizer)
        if pairs is not None:  # an attribute only where given: the cache keys of the
            self._set_pairs(pairs)  # codecs without pairs stay as they were

    @classmethod
    def from_designs(
        cls,
        designs: Iterable[str],
        tokenizer: str | Tokenizer | None = None,
        max_length: int | None = None,
        validator: Callable[[str], bool] | None = None,
    ) -> TokenCodec:
        """Infer the vocabulary (most frequent first) and maximum length from strings.

        Args:
            designs: The training strings.
            tokenizer: As in the constructor.
            max_length: Defaults to the longest design's token count.
            validator: As in the constructor.
        """
        split = _make_split(tokenizer)
        counts: Counter[str] = Counter()
        longest = 0
        for design in designs:
            tokens = split(_check_string(design))
            counts.update(tokens)
            longest = max(longest, len(tokens))
        if longest == 0:
            raise InvalidDesignsError(
                "cannot build a token codec from no designs (or only empty strings); "
                "pass at least one non-empty string"
            )
        vocabulary = sorted(counts, key=lambda t: (-counts[t], t))
        return cls(vocabulary, max_length or longest, tokenizer, validator)

    def with_pairs_of(self, designs: Iterable[str]) -> Self:
        """A copy whose children (:meth:`vary`) hold only pairs of adjacent tokens that
        occur in ``designs`` (see ``pairs`` in the class docstring).

        Raises:
            InvalidDesignsError: A design that is not a string, or holds a token not in
                the vocabulary.
        """
        seen: set[tuple[str, str]] = set()
        for row, design in enumerate(designs):
            indices = self._indices(row, design)  # raises for a token not in the vocabulary
            seen.update(itertools.pairwise(self.tokens[i] for i in indices))
        codec = copy.copy(self)
        codec._set_pairs(seen)
        return codec

    def _set_pairs(self, pairs: Iterable[Any]) -> None:
        self._pair_set = _check_pairs(pairs, self.index)
        self.pairs = tuple(sorted(self._pair_set))  # in one order: part of the cache key

    @property
    def event_shape(self) -> tuple[int, ...]:
        """``(max_length,)``: one token index per position."""
        return (self.max_length,)

    @property
    def vocab_size(self) -> int:
        """Number of tokens including the pad token."""
        return len(self.tokens)

    def tokenize(self, design: str) -> list[str]:
        """Split one string into tokens."""
        return self._split(_check_string(design))

    def encode(self, designs: Sequence[str]) -> torch.Tensor:
        """Strings to a long ``n x max_length`` tensor of token indices, 0-padded
        (raises ``InvalidDesignsError`` for a design too long or with unknown tokens)."""
        out = torch.zeros(len(designs), self.max_length, dtype=torch.long)
        for row, design in enumerate(designs):
            indices = self._indices(row, design)
            if len(indices) > self.max_length:
                raise InvalidDesignsError(
                    f"design {row} ({design[:40]!r}) has {len(indices)} {self._unit}, more "
                    f"than max_length={self.max_length}; raise max_length or drop the design"
                )
            out[row, : len(indices)] = torch.tensor(indices, dtype=torch.long)
        return out

    _unit = "tokens"  # what one index of an encoded design stands for

    def _indices(self, row: int, design: str) -> list[int]:
        """The indices of one design's tokens."""
        try:
            return [self.index[t] for t in self.tokenize(design)]
        except KeyError as exc:
            raise InvalidDesignsError(
                f"design {row} ({design[:40]!r}) has the token {exc.args[0]!r}, which "
                "is not in the vocabulary; build the codec from data that includes it"
            ) from None

    def decode(self, outputs: torch.Tensor) -> list[str]:
        """``n x max_length x vocab_size`` logits (or ``n x max_length`` indices) to
        strings, each cut at its first pad."""
        indices = outputs.argmax(-1) if outputs.dim() == 3 else outputs
        return [self._join(row) for row in indices.tolist()]

    def _join(self, row: list[int]) -> str:
        end = row.index(0) if 0 in row else len(row)
        return "".join(self.tokens[i] for i in row[:end])

    def key(self, design: Any) -> Hashable:
        """The string itself."""
        return design

    def is_valid(self, design: Any) -> bool:
        """A non-empty string that the codec's validator (if any) accepts."""
        if not isinstance(design, str) or not design:
            return False
        return self.validator is None or bool(self.validator(design))

    def vary(
        self,
        parents: Sequence[str],
        n: int,
        rng: np.random.Generator,
        rate: float | None = None,
    ) -> list[str]:
        """Children of token sequences (see :meth:`Codec.vary`): the length is kept
        when all parents have one length, and a child is cut at ``max_length``."""
        tokens = [self.tokenize(parent) for parent in parents]
        fixed = len({len(t) for t in tokens}) == 1

        def cross(first: list[str], second: list[str]) -> str | None:
            child = vary_sequence(
                first, second, self.tokens[1:], rng, rate, fixed_length=fixed,
                pairs=None if self.pairs is None else self._pair_set,
            )  # fmt: skip
            return None if child is None else "".join(child[: self.max_length])

        return breed(tokens, n, rng, cross)

    def to_config(self) -> dict[str, Any]:
        """Vocabulary, ``max_length``, the tokenizer's pattern (or function reference),
        the validator's function reference and the pairs (where given), as plain data."""
        tokenizer = self.tokenizer
        pairs = {} if self.pairs is None else {"pairs": sorted(map(list, self.pairs))}
        return {
            "kind": codec_kind(self),
            "vocabulary": self.tokens[1:],
            "max_length": self.max_length,
            "tokenizer": (
                tokenizer
                if tokenizer is None or isinstance(tokenizer, str)
                else function_to_config(tokenizer)
            ),
            "validator": None if self.validator is None else function_to_config(self.validator),
            **pairs,  # only where given: the configs (and cache keys) of other codecs stay
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> Self:
        """The codec :meth:`to_config` described; a function tokenizer or validator is
        looked up as :func:`lsbo.representations.codec_from_config` says."""
        vocabulary = setting(config, "vocabulary", list)
        if not all(isinstance(token, str) for token in vocabulary):
            raise ModelFileError("the saved vocabulary holds tokens that are not strings")
        tokenizer = setting(config, "tokenizer", str, dict, type(None))
        validator = setting(config, "validator", dict, type(None))
        pairs = setting(config, "pairs", list) if "pairs" in config else None  # only if given
        try:  # each pair is checked as the constructor checks it
            return cls(
                vocabulary,
                setting(config, "max_length", int),
                function_from_config(tokenizer, allowed_modules)
                if isinstance(tokenizer, dict)
                else tokenizer,
                None if validator is None else function_from_config(validator, allowed_modules),
                pairs,
            )
        except InvalidOptionError as exc:
            raise ModelFileError(f"the saved codec is not valid: {exc}") from None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_split")  # rebuilt from `tokenizer`; a compiled closure cannot pickle
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._split = _make_split(self.tokenizer)

    def __repr__(self) -> str:
        return f"TokenCodec(vocab_size={self.vocab_size}, max_length={self.max_length})"


def _check_pairs(pairs: Iterable[Any], index: dict[str, int]) -> frozenset[tuple[str, str]]:
    checked = set()
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise InvalidOptionError(f"pairs must hold pairs of tokens, got {pair!r}")
        first, second = pair
        if not all(isinstance(t, str) and t in index and t != PAD for t in pair):
            raise InvalidOptionError(f"the pair {pair!r} holds a token not in the vocabulary")
        checked.add((first, second))
    return frozenset(checked)


def _check_string(design: Any) -> str:
    if not isinstance(design, str):
        raise InvalidDesignsError(
            f"a token codec needs strings, got {type(design).__name__}; pass a list of str"
        )
    return design


def _make_split(tokenizer: str | Tokenizer | None) -> Tokenizer:
    if tokenizer is None:
        return list
    if isinstance(tokenizer, str):
        pattern = re.compile(tokenizer)
        return lambda s: _regex_split(pattern, s)
    if callable(tokenizer):
        return tokenizer
    raise InvalidOptionError(
        "tokenizer must be None, a regular expression, or a function str -> list[str]"
    )


def _regex_split(pattern: re.Pattern[str], design: str) -> list[str]:
    tokens = pattern.findall(design)
    if sum(len(t) for t in tokens) != len(design):
        raise InvalidDesignsError(
            f"the tokenizer pattern {pattern.pattern!r} does not cover all of "
            f"{design[:40]!r}; extend the pattern so every character belongs to a token"
        )
    return tokens
