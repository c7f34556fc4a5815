"""Strings of a context-free grammar as sequences of production rules (the Grammar VAE).

Kusner, Paige and Hernandez-Lobato, Grammar Variational Autoencoder, ICML 2017. A design
is parsed into its leftmost derivation; the VAE reads and writes the sequence of rules.
Decoding keeps a stack of symbols and, at every step, allows only the rules whose left
side is the non-terminal on top, so every finished decode is a sentence of the grammar.
A decode that runs out of steps with non-terminals left is unfinished: invalid.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, Self

import numpy as np
import torch

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, MissingDependencyError
from lsbo.representations.registry import codec_kind, register_codec, setting
from lsbo.representations.tokens import TokenCodec
from lsbo.representations.variation import breed, vary_derivation

# the most rules of a random subtree that a child's subtree mutation grows
GROW_RULES = 12


class Unfinished(str):
    """A decode whose steps ran out before its derivation finished (never valid)."""

    __slots__ = ()


@register_codec
class GrammarCodec(TokenCodec):
    """Sentences of a context-free grammar <-> ``n x max_length`` tensors of rule indices.

    Index 0 pads the end of a derivation; index ``i`` is the grammar's ``i``-th
    production. The sequence VAE built for a token codec reads and writes these rules.

    Args:
        grammar: The grammar in the notation of nltk's ``CFG.fromstring``, terminals
            quoted, the first rule's left side the start symbol, e.g.
            ``"S -> S '+' T | T\\nT -> 'x' | '1'"``.
        max_length: Most rules in a derivation (decoding stops there).
        separator: Put between terminals when a derivation is written out.

    Raises:
        InvalidOptionError: The grammar text does not parse.
        MissingDependencyError: nltk is not installed.
    """

    def __init__(self, grammar: str, max_length: int, separator: str = "") -> None:
        self.grammar = grammar
        self.separator = separator
        self._build()
        super().__init__([str(rule) for rule in self._rules], max_length)

    @classmethod
    def from_designs(  # type: ignore[override]
        cls,
        designs: Iterable[str],
        grammar: str,
        max_length: int | None = None,
        separator: str = "",
    ) -> Self:
        """A codec whose ``max_length`` fits the longest derivation of ``designs``.

        Raises:
            InvalidDesignsError: A design the grammar cannot parse (the message names it
                and the position), or no designs.
        """
        codec = cls(grammar, max_length or 1, separator)
        lengths = [len(codec.derivation(design)) for design in designs]
        if not lengths:
            raise InvalidDesignsError("cannot build a grammar codec from no designs")
        return codec if max_length else cls(grammar, max(lengths), separator)

    def _build(self) -> None:
        nltk = _require_nltk()
        try:
            cfg = nltk.CFG.fromstring(self.grammar)
        except ValueError as exc:
            raise InvalidOptionError(f"the grammar does not parse: {exc}") from None
        self._cfg = cfg
        self._rules = list(cfg.productions())
        repeated = sorted({str(r) for r in self._rules if self._rules.count(r) > 1})
        if repeated:
            raise InvalidOptionError(f"the grammar lists a rule twice: {repeated[0]}")
        self._rule_index = {rule: i + 1 for i, rule in enumerate(self._rules)}
        nonterminals = {rule.lhs() for rule in self._rules}
        self._allowed = {
            nt: torch.tensor([self._rule_index[r] for r in cfg.productions(lhs=nt)])
            for nt in nonterminals
        }
        self._min_steps = _min_steps(self._rules, nonterminals)
        costs = [0.0] + [  # a rule and the fewest rules its right side needs
            1 + sum(self._min_steps[s] for s in rule.rhs() if not isinstance(s, str))
            for rule in self._rules
        ]
        self._rule_steps = torch.tensor(costs)
        self._arity = [0] + [  # non-terminals on each rule's right side
            sum(not isinstance(s, str) for s in rule.rhs()) for rule in self._rules
        ]
        self._swaps = _swaps(self._rules, self._rule_index)
        terminals = {s for rule in self._rules for s in rule.rhs() if isinstance(s, str)}
        longest_first = sorted(terminals, key=lambda t: (-len(t), t))
        self._terminal = re.compile(r"\s*(" + "|".join(map(re.escape, longest_first)) + ")")
        self._parser = nltk.EarleyChartParser(cfg)
        self._fast = _lalr_parser(cfg, self._rule_index)

    # -- encoding ------------------------------------------------------------------

    def tokenize(self, design: str) -> list[str]:
        """The grammar's terminals in ``design`` (longest first, white space skipped).

        Raises:
            InvalidDesignsError: Characters no terminal matches, with their position.
        """
        if not isinstance(design, str):
            raise InvalidDesignsError(f"a grammar codec needs strings, got {type(design).__name__}")
        tokens, position, end = [], 0, len(design.rstrip())
        while position < end:
            match = self._terminal.match(design, position)
            if match is None:
                raise InvalidDesignsError(
                    f"design {design[:60]!r}: no terminal of the grammar matches at "
                    f"character {position} ({design[position : position + 10]!r})"
                )
            tokens.append(match.group(1))
            position = match.end()
        return tokens

    def derivation(self, design: str) -> list[Any]:
        """The productions of the leftmost derivation of ``design``.

        Raises:
            InvalidDesignsError: The grammar cannot parse ``design``; the message names
                the first token at which no parse can go on, or says it ends early.
        """
        return [self._rules[i - 1] for i in self._rule_indices(design)]

    @functools.lru_cache(maxsize=262144)  # noqa: B019  (one codec lives as long as its model)
    def _rule_indices(self, design: str) -> tuple[int, ...]:
        """Rule indices of the leftmost derivation: an LALR parse (lark) where the
        grammar allows one, nltk's Earley parser otherwise and to explain failures."""
        tokens = self.tokenize(design)
        if self._fast is not None:
            indices = self._fast(tokens)
            if indices is not None:
                return indices
        chart = self._parser.chart_parse(tokens)
        trees = chart.parses(self._cfg.start())
        tree = next(iter(trees), None)
        if tree is None:
            raise InvalidDesignsError(f"design {design[:60]!r}: {self._failure(chart, tokens)}")
        return tuple(self._rule_index[rule] for rule in tree.productions())

    def _failure(self, chart: Any, tokens: list[str]) -> str:
        from nltk.parse.chart import LeafEdge

        for k, token in enumerate(tokens):
            if not any(not isinstance(e, LeafEdge) for e in chart.select(end=k + 1)):
                return f"the grammar cannot parse it at token {k} ({token!r})"
        return "it ends before its derivation is complete"

    _unit = "rules"

    def _indices(self, row: int, design: str) -> list[int]:
        """The rule indices of the leftmost derivation of ``design`` (``encode`` pads
        them and checks ``max_length``; a design the grammar cannot parse raises)."""
        return list(self._rule_indices(design))

    # -- decoding ------------------------------------------------------------------

    def decode(self, outputs: torch.Tensor) -> list[str]:
        """``n x max_length x vocab_size`` logits (or ``n x max_length`` indices) to
        sentences: each step takes the most likely rule allowed for the non-terminal on
        top of the stack among those that leave enough steps to finish the derivation
        (so a decode of ``max_length`` steps always finishes when the start symbol's
        shortest derivation fits). An :class:`Unfinished` string marks a decode that ran
        out of steps (never valid)."""
        if outputs.dim() == 2:  # indices: one-hot logits that make them the choice
            outputs = torch.nn.functional.one_hot(outputs, self.vocab_size).float()
        logits = outputs.detach().cpu()
        mask, chosen = StackMask(self, len(logits), steps=logits.shape[1]), []
        for step in range(logits.shape[1]):  # the choices an autoregressive decoder makes
            rules = logits[:, step].masked_fill(~mask.allowed(), -torch.inf).argmax(-1)
            mask.advance(rules)
            chosen.append(rules.tolist())
        return [self._write_out(rules) for rules in zip(*chosen, strict=True)]

    def _write_out(self, rules: Iterable[int]) -> str:
        """The sentence a derivation's rule indices make (:class:`Unfinished` when they
        end before it does)."""
        stack: list[Any] = [self._cfg.start()]
        words: list[str] = []
        remaining = iter(rules)
        while stack:
            symbol = stack.pop()
            if isinstance(symbol, str):
                words.append(symbol)
                continue
            index = next(remaining, None)
            if index is None:
                return Unfinished(self.separator.join(words))
            stack.extend(reversed(self._rules[index - 1].rhs()))
        return self.separator.join(words)

    def vary(
        self,
        parents: Sequence[str],
        n: int,
        rng: np.random.Generator,
        rate: float | None = None,
    ) -> list[str]:
        """Children made on derivations (see :meth:`Codec.vary`): a subtree of one
        parent replaced by a subtree of the other that derives the same non-terminal,
        in half the children one subtree replaced by a random new one, then rules
        swapped for others of the same shape. Every child is a sentence of the
        grammar; one whose derivation is longer than ``max_length`` is left out."""
        derivations = [self._rule_indices(parent) for parent in parents]

        def cross(first: tuple[int, ...], second: tuple[int, ...]) -> str | None:
            rules = vary_derivation(
                first, second,
                lhs=lambda i: self._rules[i - 1].lhs(), arity=self._arity.__getitem__,
                swaps=self._swaps.__getitem__, rng=rng, rate=rate, grow=self._grow,
            )  # fmt: skip
            return self._write_out(rules) if len(rules) <= self.max_length else None

        return breed(derivations, n, rng, cross)

    def _grow(self, symbol: Any, rng: np.random.Generator) -> list[int]:
        """A random leftmost derivation of ``symbol`` of at most a random 1 to
        ``GROW_RULES`` rules: each step a rule of the non-terminal on top, uniformly
        among those that leave enough rules to finish."""
        budget = max(int(rng.integers(1, GROW_RULES + 1)), int(self._min_steps[symbol]))
        rules: list[int] = []
        stack = [symbol]
        while stack:
            top = stack.pop()
            if isinstance(top, str):
                continue
            rest = sum(self._min_steps[s] for s in stack if not isinstance(s, str))
            room = budget - len(rules) - rest
            allowed = [i for i in self._allowed[top].tolist() if self._rule_steps[i] <= room]
            index = allowed[int(rng.integers(len(allowed)))]
            rules.append(index)
            stack.extend(reversed(self._rules[index - 1].rhs()))
        return rules

    def step_mask(self, n: int) -> StackMask:
        """What an autoregressive decoder may choose at each step of ``n`` derivations
        (the rules of the non-terminal on top of each stack that leave enough steps to
        finish), as it chooses."""
        return StackMask(self, n)

    def key(self, design: Any) -> Hashable:
        """The string itself."""
        return str(design)

    def is_valid(self, design: Any) -> bool:
        """A finished sentence of the grammar."""
        if not isinstance(design, str) or isinstance(design, Unfinished) or not design:
            return False
        return self._parses(design)

    @functools.lru_cache(maxsize=65536)  # noqa: B019  (one codec lives as long as its model)
    def _parses(self, design: str) -> bool:
        try:
            self.derivation(design)
        except InvalidDesignsError:
            return False
        return True

    def to_config(self) -> dict[str, Any]:
        """The grammar's text, ``max_length`` and ``separator`` (the rules follow)."""
        return {
            "kind": codec_kind(self),
            "grammar": self.grammar,
            "max_length": self.max_length,
            "separator": self.separator,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> Self:
        """The codec :meth:`to_config` described (``allowed_modules`` is not needed)."""
        return cls(
            setting(config, "grammar", str),
            setting(config, "max_length", int),
            setting(config, "separator", str),
        )

    def __getstate__(self) -> dict[str, Any]:
        keep = ("grammar", "separator", "max_length")
        return {key: self.__dict__[key] for key in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["grammar"], state["max_length"], state["separator"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"GrammarCodec(rules={len(self._rules)}, max_length={self.max_length})"


class StackMask:
    """The stacks of ``n`` derivations that a decoder writes one rule at a time.

    Args:
        codec: The grammar.
        n: Derivations.
        steps: Rules each may take (default: the codec's ``max_length``).
    """

    def __init__(self, codec: GrammarCodec, n: int, steps: int | None = None) -> None:
        self.codec = codec
        self.steps = codec.max_length if steps is None else steps
        self.stacks: list[list[Any]] = [[codec._cfg.start()] for _ in range(n)]
        vocab = codec.vocab_size
        self._rows = {
            nt: torch.zeros(vocab, dtype=torch.bool).index_fill_(0, rules, True)
            for nt, rules in codec._allowed.items()
        }
        self._finished = torch.zeros(vocab, dtype=torch.bool)
        self._finished[0] = True  # a finished derivation only pads
        start = codec._cfg.start()
        self.pending = [codec._min_steps[start]] * n  # fewest rules left to finish
        self.step = 0

    def allowed(self) -> torch.Tensor:
        """``n x vocab_size`` booleans: the rules each derivation may take next, those
        of the non-terminal on top of its stack that leave room to finish it."""
        rows = []
        left = self.steps - self.step
        for stack, pending in zip(self.stacks, self.pending, strict=True):
            while stack and isinstance(stack[-1], str):
                stack.pop()  # terminals are written out, not chosen
            if not stack:
                rows.append(self._finished)
                continue
            top = stack[-1]
            room = left - (pending - self.codec._min_steps[top])
            row = self._rows[top] & (self.codec._rule_steps <= room)
            rows.append(row if row.any() else self._rows[top])
        return torch.stack(rows)

    def advance(self, rules: torch.Tensor) -> None:
        """Apply each derivation's chosen rule (index 0, padding, leaves it as it is)."""
        self.step += 1
        for k, (stack, index) in enumerate(zip(self.stacks, rules.tolist(), strict=True)):
            if stack and index:
                rule = self.codec._rules[index - 1]
                stack.pop()
                stack.extend(reversed(rule.rhs()))
                self.pending[k] += (
                    float(self.codec._rule_steps[index]) - 1 - (self.codec._min_steps[rule.lhs()])
                )


def _swaps(rules: list[Any], index: dict[Any, int]) -> list[list[int]]:
    """For each rule index, the rules it may be swapped for in a derivation (itself
    included): the same left side and the same non-terminals, in order, on the right."""
    shapes: dict[tuple[Any, ...], list[int]] = {}
    for rule in rules:
        shape = (rule.lhs(), *(s for s in rule.rhs() if not isinstance(s, str)))
        shapes.setdefault(shape, []).append(index[rule])
    by_rule = [[0]] + [[] for _ in rules]
    for group in shapes.values():
        for i in group:
            by_rule[i] = group
    return by_rule


def _min_steps(rules: list[Any], nonterminals: set[Any]) -> dict[Any, float]:
    """The fewest rules that derive a sentence from each non-terminal (infinite for
    one that derives none), by iterating to the fixed point."""
    steps = dict.fromkeys(nonterminals, math.inf)
    changed = True
    while changed:
        changed = False
        for rule in rules:
            cost = 1 + sum(steps[s] for s in rule.rhs() if not isinstance(s, str))
            if cost < steps[rule.lhs()]:
                steps[rule.lhs()], changed = cost, True
    return steps


def _lalr_parser(
    cfg: Any, rule_index: dict[Any, int]
) -> Callable[[list[str]], tuple[int, ...] | None] | None:
    """A fast parser for ``cfg`` (lark's LALR(1), over the codec's own tokens) that gives
    the rule indices of the leftmost derivation, or ``None`` when a sentence does not
    parse; ``None`` itself when lark is missing or the grammar is not LALR(1) (nltk's
    Earley parser then does all the parsing: slower, any context-free grammar)."""
    try:
        from lark import Lark, Token
        from lark.exceptions import LarkError
        from lark.lexer import Lexer
    except ImportError:
        return None
    names = {rule.lhs(): f"n{i}" for i, rule in enumerate(cfg.productions())}
    terminals: dict[str, str] = {}
    for rule in cfg.productions():
        for symbol in rule.rhs():
            if isinstance(symbol, str):
                terminals.setdefault(symbol, f"T{len(terminals)}")
    if any(not rule.rhs() for rule in cfg.productions()):
        return None  # empty rules: leave them to the Earley parser
    alternatives: dict[str, list[str]] = {}
    for rule in cfg.productions():
        body = " ".join(terminals[s] if isinstance(s, str) else names[s] for s in rule.rhs())
        alternatives.setdefault(names[rule.lhs()], []).append(f"{body} -> r{rule_index[rule]}")
    lines = [f"{name}: " + " | ".join(bodies) for name, bodies in alternatives.items()]
    lines += [f"{name}: {json.dumps(text)}" for text, name in terminals.items()]

    class _Tokens(Lexer):  # the codec has tokenized already: one lark token per terminal
        def __init__(self, conf: Any) -> None:
            pass

        def lex(self, data: Any) -> Iterator[Any]:  # type: ignore[override]  # lark calls it with the input, as its docs show
            for k, token in enumerate(data):
                yield Token(terminals[token], token, start_pos=k)

    try:
        parser = Lark("\n".join(lines), start=names[cfg.start()], parser="lalr", lexer=_Tokens)
    except LarkError:  # not LALR(1): conflicts
        return None

    def parse(tokens: list[str]) -> tuple[int, ...] | None:
        try:
            tree = parser.parse(tokens)  # type: ignore[arg-type]
        except LarkError:
            return None  # the Earley parser says why (or finds the parse LALR missed)
        return tuple(int(str(sub.data)[1:]) for sub in tree.iter_subtrees_topdown())

    return parse


def _require_nltk() -> Any:
    try:
        import nltk
    except ImportError:
        raise MissingDependencyError(
            "a grammar codec parses with nltk; install it with pip install 'lsbo[grammar]'"
        ) from None
    return nltk


EXPRESSION_GRAMMAR = """
S -> S '+' T | S '*' T | S '/' T | T
T -> '(' S ')' | 'sin(' S ')' | 'exp(' S ')' | 'x' | '1' | '2' | '3'
"""
"""The arithmetic grammar of the Grammar VAE and weighted-retraining expression tasks."""
