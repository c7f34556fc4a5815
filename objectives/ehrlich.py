"""Ehrlich functions: closed-form, seeded test functions for biological sequence design.

Task:
    Find a sequence of length ``L`` over ``v`` states that is *feasible* under a
    random sparse Markov chain and contains ``c`` spaced motifs of length ``k``.
    The value is maximized; the known optimum is 1.0.

Alphabet:
    State ``i`` is written as the character :data:`ALPHABET` ``[i]``: the 20 amino-acid
    letters ``ACDEFGHIKLMNPQRSTVWY``, then ``a``-``z``, then ``0``-``9`` (56 states at
    most). A design is a string of exactly ``L`` such characters, one token each.

Definition (Stanton et al. 2024), all drawn from ``numpy.random.default_rng(seed)``:

    * Transition matrix ``A`` (``v x v``): softmax of random logits per row, with a
      wrapped band of about ``0.4 v`` transitions per row set to zero, in a random
      order of the states. The self-transition and the transition to the next state
      of that order are always allowed, so the chain is ergodic (irreducible through
      the cycle, aperiodic through the diagonal).
    * Motifs: one feasible chain of length ``c * k`` cut into ``c`` motifs, so the
      motifs (and their concatenation) are feasible.
    * Spacings: for each motif, ``k`` increasing offsets starting at 0 whose span is
      at most ``L // c``.
    * ``h_q(x, m, s) = floor(q * max_l (1/k) sum_j [x[l + s_j] == m_j]) / q``, the
      best fraction of the motif present at its spacing, rounded down to a multiple
      of ``1/q`` (``q = k``, the default, means no coarsening; any ``1 <= q <= k``).
    * ``f(x) = prod_i h_q(x, m_i, s_i)`` if every transition of ``x`` has non-zero
      probability under ``A``, else the lowest value.

Infeasible sequences:
    holo-bench scores them ``-inf``; lsbo would record a non-finite value as a failed
    evaluation, so here an infeasible sequence scores **0.0** (the lowest value a
    feasible sequence can also reach). :meth:`Ehrlich.is_valid` is ``True`` for every
    well-formed string (right length, known characters), feasible or not.

Configurations (:data:`CONFIGURATIONS`, keyword arguments of :class:`Ehrlich`):
    ``small`` (v=32, L=32, c=2, k=4; the default, :data:`OBJECTIVE`),
    ``medium`` (v=32, L=128, c=4, k=4) and ``paper`` (v=32, L=256, c=4, k=8).
    :func:`make` builds one by name.

Dataset (:func:`dataset`):
    Sequences sampled from the feasible Markov chain (uniform first state, then
    ``A``), every one scored; sequences that reach the optimum are dropped.

References:
    Stanton, Alberstein, Frey, Watkins and Cho. Closed-Form Test Functions for
    Biophysical Sequence Design. arXiv:2407.00236, 2024 (reference code: holo-bench).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from lsbo.exceptions import InvalidOptionError
from lsbo.models import TrainingOptions
from lsbo.objective import Dataset, Objective
from lsbo.options import OptimizerOptions
from lsbo.representations import TokenCodec, register_function
from lsbo.strategies import Plain, Strategy, get_strategy
from objectives._checks import check_int

__all__ = [
    "ALPHABET",
    "CONFIGURATIONS",
    "DATASET_SIZE",
    "N_DESIGNS",
    "OBJECTIVE",
    "Ehrlich",
    "EhrlichSmall",
    "dataset",
    "default_options",
    "default_strategy",
    "make",
    "make_codec",
]

ALPHABET = "ACDEFGHIKLMNPQRSTVWY" + "abcdefghijklmnopqrstuvwxyz" + "0123456789"
CONFIGURATIONS: dict[str, dict[str, int]] = {
    "small": {"num_states": 32, "dim": 32, "num_motifs": 2, "motif_length": 4},
    "medium": {"num_states": 32, "dim": 128, "num_motifs": 4, "motif_length": 4},
    "paper": {"num_states": 32, "dim": 256, "num_motifs": 4, "motif_length": 8},
}
N_DESIGNS = 3000
DATASET_SIZE = N_DESIGNS  # designs `dataset()` returns
_BAND_FRACTION = 0.4


class Ehrlich(Objective):
    """An Ehrlich function: spaced motifs in a feasible sequence; maximized, optimum 1.0.

    Args:
        num_states: ``v``, the number of states (2 to ``len(ALPHABET)``).
        dim: ``L``, the sequence length.
        num_motifs: ``c``, the number of motifs (``c * k <= L``).
        motif_length: ``k``, the length of each motif (at least 1, ``k <= L // c``).
        quantization: ``q``, levels of each motif's score (1 to ``k``; ``None``: ``k``).
        seed: Seed of the function; the same seed gives the same function.

    Attributes:
        transition_matrix: ``v x v`` array; row ``i`` is the distribution of the state
            after state ``i`` (zero where a transition is infeasible).
        motifs: ``c x k`` array of states.
        spacings: ``c x k`` array of offsets (first 0, increasing, last < ``L // c``).
    """

    name: ClassVar[str] = "ehrlich"
    maximize: ClassVar[bool] = True
    design_type: ClassVar[str] = "token sequence (string of length L over v states)"
    description: ClassVar[str] = "Ehrlich holo function"
    optimum: ClassVar[float | None] = 1.0
    reference: ClassVar[str] = (
        "Stanton, Alberstein, Frey, Watkins and Cho, Closed-Form Test Functions for "
        "Biophysical Sequence Design, 2024 (arXiv:2407.00236)"
    )
    batch_size: ClassVar[int | None] = None

    def __init__(
        self,
        num_states: int,
        dim: int,
        num_motifs: int,
        motif_length: int,
        quantization: int | None = None,
        seed: int = 0,
    ) -> None:
        v = check_int(num_states, "num_states", 2, len(ALPHABET))
        length = check_int(dim, "dim", 1)
        c = check_int(num_motifs, "num_motifs", 1, length)
        k = check_int(motif_length, "motif_length", 1, length // c)
        q = k if quantization is None else check_int(quantization, "quantization", 1, k)
        seed = check_int(seed, "seed", 0)
        self.num_states, self.dim, self.num_motifs, self.motif_length = v, length, c, k
        self.quantization, self.seed = q, seed
        self.alphabet = ALPHABET[:v]
        self._index = {char: i for i, char in enumerate(self.alphabet)}
        rng = np.random.default_rng(seed)
        self.transition_matrix = _transition_matrix(v, rng)
        chain = _sample_chains(self.transition_matrix, 1, c * k, rng)[0]
        self.motifs = chain.reshape(c, k)
        self.spacings = np.stack([_spacing(k, length // c, rng) for _ in range(c)])
        self.description = (  # type: ignore[misc]
            f"Ehrlich holo function (v={v}, L={length}, c={c}, k={k}, q={q}, seed={seed}); "
            f"configurations: {', '.join(CONFIGURATIONS)}"
        )

    # ------------------------------------------------------------------ scoring

    def _evaluate(self, designs: Sequence[Any]) -> list[float]:
        """Score designs; a malformed design makes the whole call fail with its reason."""
        for design in designs:
            problem = self.problem(design)
            if problem:
                raise ValueError(problem)
        return self.score_states(self.to_states(designs)).tolist()

    def is_valid(self, design: Any) -> bool:
        """Whether the design is a string of length ``L`` over :attr:`alphabet`."""
        return not self.problem(design)

    def problem(self, design: Any) -> str:
        """Why a design is malformed, or ``""`` when it is well formed."""
        if not isinstance(design, str):
            return f"an Ehrlich design is a str, got {type(design).__name__}"
        if len(design) != self.dim:
            return f"an Ehrlich design has {self.dim} characters, got {len(design)}"
        unknown = sorted(set(design) - set(self.alphabet))
        if unknown:
            return f"characters {''.join(unknown)!r} are not in the alphabet {self.alphabet!r}"
        return ""

    def to_states(self, designs: Sequence[str]) -> np.ndarray:
        """Well-formed strings as an ``n x L`` integer array of states."""
        return np.array([[self._index[c] for c in d] for d in designs], dtype=np.int64)

    def to_strings(self, states: np.ndarray) -> list[str]:
        """An ``n x L`` array of states as strings."""
        return ["".join(self.alphabet[i] for i in row) for row in np.asarray(states)]

    def is_feasible(self, states: np.ndarray) -> np.ndarray:
        """Whether each row of an ``n x L`` state array has only allowed transitions."""
        states = np.atleast_2d(states)
        allowed = self.transition_matrix[states[:, :-1], states[:, 1:]] > 0
        return allowed.all(axis=1)

    def motif_scores(self, states: np.ndarray) -> np.ndarray:
        """``n x c`` quantized motif presences ``h_q`` (multiples of ``1/q``)."""
        states = np.atleast_2d(states)
        k, q = self.motif_length, self.quantization
        out = np.empty((len(states), self.num_motifs))
        for i, (motif, spacing) in enumerate(zip(self.motifs, self.spacings, strict=True)):
            starts = np.arange(self.dim - spacing[-1])
            windows = states[:, starts[:, None] + spacing[None, :]]  # n x positions x k
            present = (windows == motif).sum(-1).max(-1)  # motif elements found, 0..k
            out[:, i] = (present * q // k) / q  # integer floor: no rounding error
        return out

    def score_states(self, states: np.ndarray) -> np.ndarray:
        """Values of an ``n x L`` state array: product of motif scores, 0 if infeasible."""
        states = np.atleast_2d(states)
        values = self.motif_scores(states).prod(axis=1)
        return np.where(self.is_feasible(states), values, 0.0)

    # -------------------------------------------------------------- generation

    def optimal_solution(self) -> str:
        """A feasible sequence that scores exactly 1.0.

        Motif ``i`` is placed at its spacing from position ``i * (L // c)``; every other
        position repeats the state before it. This is feasible because self-transitions
        are always allowed and consecutive motif elements (within a motif and from the
        end of one motif to the start of the next) come from one feasible chain.
        """
        region = self.dim // self.num_motifs
        placed = np.full(self.dim, -1)
        for i, (motif, spacing) in enumerate(zip(self.motifs, self.spacings, strict=True)):
            placed[i * region + spacing] = motif
        for position in range(1, self.dim):
            if placed[position] < 0:
                placed[position] = placed[position - 1]
        return self.to_strings(placed[None])[0]

    def sample(self, n: int, seed: int = 0) -> list[str]:
        """``n`` feasible sequences from the chain (uniform first state), seeded."""
        rng = np.random.default_rng([check_int(seed, "seed", 0), 1])
        return self.to_strings(_sample_chains(self.transition_matrix, n, self.dim, rng))


class EhrlichSmall(Ehrlich):
    """The ``small`` configuration (v=32, L=32, c=2, k=4), usable with no arguments."""

    description: ClassVar[str] = (
        "Ehrlich holo function (small: v=32, L=32, c=2, k=4), maximized, optimum 1.0; "
        f"configurations: {', '.join(CONFIGURATIONS)}"
    )

    def __init__(self, quantization: int | None = None, seed: int = 0) -> None:
        super().__init__(**CONFIGURATIONS["small"], quantization=quantization, seed=seed)
        self.description = type(self).description  # type: ignore[misc]


def make(configuration: str, quantization: int | None = None, seed: int = 0) -> Ehrlich:
    """An Ehrlich function from a named configuration of :data:`CONFIGURATIONS`.

    Raises:
        InvalidOptionError: Unknown configuration name.
    """
    if configuration not in CONFIGURATIONS:
        raise InvalidOptionError(
            f"no Ehrlich configuration {configuration!r}; choose one of "
            f"{', '.join(CONFIGURATIONS)} or call Ehrlich(...) with your own sizes"
        )
    return Ehrlich(**CONFIGURATIONS[configuration], quantization=quantization, seed=seed)


def _transition_matrix(v: int, rng: np.random.Generator) -> np.ndarray:
    """Random sparse ergodic ``v x v`` transition matrix (see the module docstring)."""
    order = rng.permutation(v)
    band = min(max(1, round(_BAND_FRACTION * v)), v - 2)  # keep self and next allowed
    banned = np.zeros((v, v), dtype=bool)
    for offset in range(2, 2 + band):
        # in the permuted order, position p may not go to p+2 .. p+1+band (wrapped)
        banned[order, np.roll(order, -offset)] = True
    logits = rng.normal(size=(v, v))
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights[banned] = 0.0
    return weights / weights.sum(axis=1, keepdims=True)


def _sample_chains(matrix: np.ndarray, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``n x length`` states of the chain ``matrix`` from a uniform first state."""
    cumulative = np.cumsum(matrix, axis=1)
    cumulative[:, -1] = 1.0  # guard against rounding below the last uniform draw
    states = np.empty((n, length), dtype=np.int64)
    states[:, 0] = rng.integers(len(matrix), size=n)
    for t in range(1, length):
        uniforms = rng.random(n)[:, None]
        states[:, t] = (cumulative[states[:, t - 1]] <= uniforms).sum(axis=1)
    return states


def _spacing(k: int, span: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` increasing offsets starting at 0, all below ``span``."""
    rest = np.sort(rng.choice(np.arange(1, span), size=k - 1, replace=False))
    return np.concatenate([[0], rest]).astype(np.int64)


# ------------------------------------------------------------------ task for the CLI

OBJECTIVE = EhrlichSmall


@functools.lru_cache(maxsize=1)
def _default_function() -> Ehrlich:
    return OBJECTIVE()


def dataset(n: int | None = None, seed: int = 0) -> Dataset:
    """Scored sequences sampled from the feasible chain of ``OBJECTIVE()`` (seed 0).

    Args:
        n: Number of designs (default :data:`N_DESIGNS`).
        seed: Seed of the sampling (the function itself is always ``OBJECTIVE()``).

    Returns:
        A :class:`Dataset` whose designs are feasible, below the optimum, with scores.
    """
    n = N_DESIGNS if n is None else check_int(n, "n", 1)
    function = _default_function()
    rng = np.random.default_rng([check_int(seed, "seed", 0), 1])
    designs: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    while sum(map(len, designs)) < n:  # drop the (rare) sequences at the optimum
        states = _sample_chains(function.transition_matrix, n, function.dim, rng)
        values = function.score_states(states)
        designs.append(states[values < 1.0])
        scores.append(values[values < 1.0])
    states, values = np.concatenate(designs)[:n], np.concatenate(scores)[:n]
    return Dataset(designs=function.to_strings(states), scores=values.tolist())


@register_function  # the codec's validator: a saved model calls it again when loaded
def _well_formed(alphabet: str, length: int, design: str) -> bool:
    return len(design) == length and set(design) <= set(alphabet)


def make_codec(designs: Sequence[str]) -> TokenCodec:
    """One token per character, over the fixed alphabet of ``OBJECTIVE()``; length L.

    Children made in design space keep to the pairs of adjacent states that occur in
    ``designs`` (:meth:`lsbo.TokenCodec.with_pairs_of`): sampled from the feasible
    chain, the training sequences hold its allowed transitions, so no child is
    infeasible, where a random substitution breaks one of its two transitions more
    often than not (60-90% of the genetic algorithm's and ``plain``'s evaluations
    scored 0 without it; ``benchmarks/RESULTS.md``).
    """
    function = _default_function()
    alphabet, length = function.alphabet, function.dim
    validator = functools.partial(_well_formed, alphabet, length)
    codec = TokenCodec(list(alphabet), max_length=length, validator=validator)
    return codec.with_pairs_of(designs)


def default_options() -> OptimizerOptions:
    """Search settings: a 32-dimensional latent space, an autoregressive GRU decoder and
    at most 20 VAE epochs (about a minute on 2 CPU cores).

    The autoregressive decoder learns the feasible chain: every one of 1,000 decoded
    prior samples was feasible, against 21% with the parallel decoder (which decodes
    each position on its own). Neither reconstructs held-out sequences (about 15% of
    tokens): 3,000 near-random sequences are too few to learn a code for them (see
    ``benchmarks/RESULTS.md``).
    """
    architecture = {"decoder": "autoregressive"}
    return OptimizerOptions(
        latent_dim=32, vae=TrainingOptions(epochs=20, architecture=architecture)
    )


def default_strategy(name: str) -> Strategy:
    """Strategies as they suit this task: ``plain`` gives half of each batch to
    children of the best sequences taken unranked, as the ``genetic`` strategy does
    (``Plain(explore=0.5, explore_from="children")``), the other half ranked by qLogEI.

    The VAE reconstructs no sequence exactly (13-18% of tokens), so the GP learns
    little through its codes; ranked by qLogEI, the children were mostly neutral
    variants of the best sequences (540 of seed 1's 1,000 evaluations scored its best,
    0.375), and the default ended at 0.375 after 500 on 3 of 3 seeds. With half of each
    batch unranked: 0.5625, 0.5625 and 0.75 after 500 (``benchmarks/ehrlich.py
    --strategies plain --param plain.explore=0.5 --param plain.explore_from=children
    --batch-size 10 --budget 500 --seeds 0-2``), level with the ``genetic`` strategy
    (0.6188 ± 0.029 over 10 seeds); after 1,000, 0.5625,
    0.5625 and 0.75 (ranked: 0.75, 0.375 and 0.5625).
    """
    if name == "plain":
        return Plain(explore=0.5, explore_from="children")
    return get_strategy(name)
