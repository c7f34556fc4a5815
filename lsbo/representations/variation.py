"""New designs from old ones in design space: crossover and mutation.

What a genetic algorithm does, and what lets an acquisition function rank designs that
no latent point decodes to (PMO's GP-BO optimizes its acquisition this way). Each
codec says how its designs vary (:meth:`lsbo.representations.Codec.vary`); these are
the operators the built-in codecs use:

- token sequences (strings, SELFIES): two parents of one length are recombined by
  two-point crossover (the first parent with one contiguous stretch, of random ends,
  from the second), so that what a parent holds in a few neighbouring positions (a
  motif) passes whole to the child (holo-bench's ``DiscreteEvolution`` takes each
  position from either parent: behind on Ehrlich after 500 and 1,000 evaluations,
  ``benchmarks/crossover.py``); in half the children the stretch goes to a random
  place instead of its own (a translocation), so that a motif can move away from
  positions another motif holds (on Ehrlich two motifs that each lack one element
  often share positions, and no change of one token or of two adjacent ones completes
  either: the genetic algorithm alone reached the optimum within 1,000 evaluations in
  12 of 100 seeds with translocations, 6 without, and 25 with the newest parents among
  equals as well, ``benchmarks/crossover.py``); parents of different lengths are cut once each
  and joined; then each token is replaced by a random one of the vocabulary
  with probability ``rate`` and, where lengths vary, a token is inserted or deleted
  with probability ``rate`` each; where the codec has ``pairs`` (pairs of adjacent
  tokens the training designs hold), a neighbour of a written token that does not pair
  with it is drawn again among the tokens that pair with both of its neighbours
  (:func:`keep_pairs`), and a child that cannot be mended is not made;
- derivations of a grammar: a subtree of the first parent is replaced by a subtree of
  the second that derives the same non-terminal; half the children then have one
  subtree replaced by a random new one (of at most 12 rules); then each rule is swapped with
  probability ``rate`` for another of the same left side and the same non-terminals on
  its right (``S -> S '+' T`` for ``S -> S '*' T``): every child is a sentence;
- images: a random rectangle of the second parent is pasted into the first; where
  images are binary, half the children then have a small rectangle (sides up to
  :data:`PATCH_SHARE` of the image's) painted 0 or 1, the images' subtree mutation: a
  change of area or shape that flipping one pixel at a time would take hundreds of
  children to make (on shapes it took the genetic algorithm from 595 to 1,400 after
  500 evaluations; a uniform gray painted on grayscale glyphs did worse in 2 of 3
  seeds, so grayscale images go without); then each pixel is flipped (binary) or moved
  by noise (grayscale) with probability ``rate``;
- molecules (SELFIES) vary on their graphs instead, by Jensen's Graph GA crossover and
  mutation (:mod:`lsbo.representations.molecule_graphs`), which make chemically sensible
  molecules where token edits of a SELFIES string make valid but odd ones.

``rate`` defaults to ``1.1 / length`` (holo-bench's default: about one change per child).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

# the largest rectangle an image mutation paints, as a share of each side
PATCH_SHARE = 1 / 8
# the share of children of two sequences of one length whose stretch moves
TRANSLOCATE = 0.5


def pick_parents(n_parents: int, rng: np.random.Generator) -> tuple[int, int]:
    """Two parent indices drawn uniformly (the same one twice only with one parent)."""
    if n_parents < 2:
        return 0, 0
    first, second = rng.choice(n_parents, size=2, replace=False)
    return int(first), int(second)


def breed(
    parents: Sequence[T], n: int, rng: np.random.Generator, cross: Callable[[T, T], Any]
) -> list[Any]:
    """``n`` draws of ``cross(first, second)`` on two parents picked by
    :func:`pick_parents`; a draw that gives ``None`` is left out."""
    children = []
    for _ in range(n):
        first, second = pick_parents(len(parents), rng)
        child = cross(parents[first], parents[second])
        if child is not None:
            children.append(child)
    return children


def vary_sequence(
    first: Sequence[Any],
    second: Sequence[Any],
    vocabulary: Sequence[Any],
    rng: np.random.Generator,
    rate: float | None = None,
    fixed_length: bool = False,
    pairs: Collection[tuple[Any, Any]] | None = None,
    translocate: float = TRANSLOCATE,
) -> list[Any] | None:
    """A child of two token sequences (see the module docstring).

    Args:
        first, second: The parents' tokens.
        vocabulary: Tokens a mutation may write.
        rng: Source of randomness.
        rate: Probability of a change per position (``None``: ``1.1 / length``).
        fixed_length: Keep the length of the parents (no insertions or deletions).
        pairs: The adjacent pairs the child may hold (``None``: any); see
            :func:`keep_pairs`.
        translocate: Probability that the stretch of the second parent goes to a random
            place of the child rather than its own (parents of one length); 0: never.

    Returns:
        The child's tokens; ``None`` where ``pairs`` are given and it cannot keep to them.
    """
    rate = 1.1 / max(1, len(first)) if rate is None else rate
    if len(first) == len(second) > 0:
        start, end = sorted(rng.choice(len(first) + 1, size=2, replace=False).tolist())
        at = start
        if translocate and rng.random() >= 1.0 - translocate:  # the stretch moves
            at = int(rng.integers(len(first) - (end - start) + 1))
        child = [*first[:at], *second[start:end], *first[at + end - start :]]
    else:
        cuts = int(rng.integers(len(first) + 1)), int(rng.integers(len(second) + 1))
        child = [*first[: cuts[0]], *second[cuts[1] :]]
    out: list[Any] = []
    written: list[bool] = []  # whether a mutation wrote the token
    for token in child:
        if not fixed_length and rng.random() < rate:
            continue  # deleted
        mutated = rng.random() < rate
        out.append(vocabulary[int(rng.integers(len(vocabulary)))] if mutated else token)
        written.append(mutated)
        if not fixed_length and rng.random() < rate:
            out.append(vocabulary[int(rng.integers(len(vocabulary)))])  # inserted
            written.append(True)
    return out if pairs is None else keep_pairs(out, written, pairs, vocabulary, rng)


def keep_pairs(
    tokens: Sequence[Any],
    written: Sequence[bool],
    pairs: Collection[tuple[Any, Any]],
    vocabulary: Sequence[Any],
    rng: np.random.Generator,
) -> list[Any] | None:
    """``tokens`` mended so that every adjacent pair is one of ``pairs``.

    Left to right, a pair outside them has one of its tokens drawn again, uniformly
    among the tokens of ``vocabulary`` that pair with both of that token's neighbours:
    the right one, unless a mutation wrote it (``written``), else the left one, so that
    what a mutation wrote stays and its neighbours make room for it.

    Returns:
        The mended tokens, or ``None`` where a pair cannot be mended.
    """
    out = list(tokens)
    for i in range(len(out) - 1):
        if (out[i], out[i + 1]) in pairs:
            continue
        for j in (i + 1, i):
            if written[j]:
                continue
            left = out[j - 1] if j > 0 else None
            right = out[j + 1] if j + 1 < len(out) else None
            options = [
                t for t in vocabulary
                if (left is None or (left, t) in pairs) and (right is None or (t, right) in pairs)
            ]  # fmt: skip
            if options:
                out[j] = options[int(rng.integers(len(options)))]
                break
        else:
            return None
    return out


def subtree_spans(rules: Sequence[int], arity: Callable[[int], int]) -> list[int]:
    """Where the subtree rooted at each rule of a leftmost derivation ends.

    Args:
        rules: Rule indices in leftmost-derivation order.
        arity: The number of non-terminals on the right side of a rule.

    Returns:
        ``ends[i]``: the subtree of rule ``i`` is ``rules[i:ends[i]]``.
    """
    ends = [0] * len(rules)
    open_: list[tuple[int, int]] = []  # (start, children still to derive)
    for i, rule in enumerate(rules):
        open_.append((i, arity(rule)))
        while open_ and open_[-1][1] == 0:
            start, _ = open_.pop()
            ends[start] = i + 1
            if open_:
                parent, missing = open_[-1]
                open_[-1] = (parent, missing - 1)
    for start, _ in open_:  # an unfinished derivation: its open subtrees run to the end
        ends[start] = len(rules)
    return ends


def vary_derivation(
    first: Sequence[int],
    second: Sequence[int],
    lhs: Callable[[int], Any],
    arity: Callable[[int], int],
    swaps: Callable[[int], Sequence[int]],
    rng: np.random.Generator,
    rate: float | None = None,
    grow: Callable[[Any, np.random.Generator], list[int]] | None = None,
) -> list[int]:
    """A child of two leftmost derivations (rule indices): subtree crossover, then
    rule swaps (see the module docstring). The child derives a sentence whenever both
    parents do.

    Args:
        first, second: The parents' rule indices.
        lhs: The left side of a rule.
        arity: The number of non-terminals on a rule's right side.
        swaps: The rules a rule may be swapped for (same left side and non-terminals).
        rng: Source of randomness.
        rate: Probability of a swap per rule (``None``: ``1.1 / length``).
        grow: A random derivation of a non-terminal; given, half the children have
            one subtree replaced by a new one (subtree mutation, as in genetic
            programming), which brings in structure no parent has.
    """
    child = list(first)
    ends_first, ends_second = subtree_spans(first, arity), subtree_spans(second, arity)
    if child:
        i = int(rng.integers(len(child)))
        matches = [j for j, rule in enumerate(second) if lhs(rule) == lhs(child[i])]
        if matches:
            j = matches[int(rng.integers(len(matches)))]
            child = [*child[:i], *second[j : ends_second[j]], *child[ends_first[i] :]]
    if grow is not None and child and rng.random() < 0.5:
        ends, i = subtree_spans(child, arity), int(rng.integers(len(child)))
        child = [*child[:i], *grow(lhs(child[i]), rng), *child[ends[i] :]]
    rate = 1.1 / max(1, len(child)) if rate is None else rate
    for k, rule in enumerate(child):
        options = swaps(rule)
        if len(options) > 1 and rng.random() < rate:
            child[k] = options[int(rng.integers(len(options)))]
    return child


def vary_image(
    first: np.ndarray,
    second: np.ndarray,
    binary: bool,
    rng: np.random.Generator,
    rate: float | None = None,
) -> np.ndarray:
    """A child of two images: a rectangle of ``second`` pasted into ``first``; for
    ``binary`` images, with probability 1/2, a rectangle of 1 to ``PATCH_SHARE`` of each
    side painted 0 or 1; then pixels flipped (binary) or moved by noise of scale 0.25
    (grayscale), each with probability ``rate`` (``None``: ``1.1 / pixels``)."""
    child = np.array(first, dtype=np.float32, copy=True)
    height, width = child.shape
    top, bottom = sorted(rng.integers(height + 1, size=2))
    left, right = sorted(rng.integers(width + 1, size=2))
    child[top:bottom, left:right] = np.asarray(second, dtype=np.float32)[top:bottom, left:right]
    if binary and rng.random() < 0.5:  # half the children: a small rectangle of 0 or 1
        rows = int(rng.integers(1, max(1, round(height * PATCH_SHARE)) + 1))
        cols = int(rng.integers(1, max(1, round(width * PATCH_SHARE)) + 1))
        top = int(rng.integers(height - rows + 1))
        left = int(rng.integers(width - cols + 1))
        child[top : top + rows, left : left + cols] = float(rng.integers(2))
    rate = 1.1 / child.size if rate is None else rate
    change = rng.random(child.shape) < rate
    if binary:
        child[change] = 1.0 - child[change]
    else:
        noise = rng.normal(0.0, 0.25, size=child.shape).astype(np.float32)
        child[change] = np.clip(child[change] + noise[change], 0.0, 1.0)
    return child
