"""Molecules as SELFIES token sequences (needs the ``[molecules]`` extra: selfies, rdkit).

SELFIES (Krenn et al. 2020) writes a molecule as a sequence of bracketed tokens such
that every sequence of tokens decodes to a molecule, so a VAE's decoded strings are
almost always valid designs. A decoded sequence can still be useless: it may decode to
nothing (e.g. only ring or branch tokens) or to a molecule rdkit cannot sanitize; such
designs are invalid here and never reach an objective.

Two SELFIES strings can spell the same molecule; the codec's ``key`` is the canonical
SMILES, so the optimizer treats them as one design.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Self

import numpy as np

from lsbo.exceptions import InvalidDesignsError, MissingDependencyError
from lsbo.representations.registry import codec_kind, register_codec, setting
from lsbo.representations.tokens import TokenCodec
from lsbo.representations.variation import breed

MUTATION_RATE = 0.067
"""Probability that a child of :meth:`SelfiesCodec.vary` is mutated after crossover
(Jensen's and PMO's setting of Graph GA)."""

__all__ = [
    "SELFIES_TOKEN",
    "SelfiesCodec",
    "canonical_smiles",
    "require_molecules",
    "selfies_to_smiles",
    "smiles_to_selfies",
    "written_selfies",
]

SELFIES_TOKEN = r"\[[^\]]*\]"
"""Regular expression of one SELFIES token, e.g. ``[C]``, ``[=Branch1]``, ``[NH1+1]``."""

_TOKEN = re.compile(SELFIES_TOKEN)


def require_molecules() -> tuple[Any, Any]:
    """Import and return ``(selfies, rdkit.Chem)``.

    Raises:
        MissingDependencyError: selfies or rdkit is not installed.
    """
    try:
        import selfies
        from rdkit import Chem
    except ImportError as exc:
        raise MissingDependencyError(
            f"molecules need rdkit and selfies ({exc}); install them with "
            "pip install 'lsbo[molecules]'"
        ) from None
    return selfies, Chem


def canonical_smiles(smiles: str) -> str | None:
    """rdkit's canonical SMILES of a SMILES string, or ``None`` if rdkit cannot parse and
    sanitize it or it has no atoms."""
    if not isinstance(smiles, str) or not smiles:
        return None
    return _canonical(smiles)


@functools.lru_cache(maxsize=65536)
def _canonical(smiles: str) -> str | None:
    _, chem = require_molecules()
    from rdkit import rdBase

    with rdBase.BlockLogs():  # rdkit prints parse errors to stderr; we report them
        molecule = chem.MolFromSmiles(smiles)
    if molecule is None or molecule.GetNumAtoms() == 0:
        return None
    return str(chem.MolToSmiles(molecule))


def selfies_to_smiles(design: str) -> str | None:
    """The canonical SMILES a SELFIES string decodes to, or ``None`` if it decodes to no
    valid molecule (not SELFIES, empty, or not sanitizable by rdkit)."""
    if not isinstance(design, str) or not design:
        return None
    return _selfies_to_smiles(design)


@functools.lru_cache(maxsize=65536)
def _selfies_to_smiles(design: str) -> str | None:
    if "".join(_TOKEN.findall(design)) != design:
        return None
    selfies, _ = require_molecules()
    try:
        smiles = selfies.decoder(design)
    except Exception:  # selfies raises DecoderError and, on odd tokens, other errors
        return None
    return canonical_smiles(smiles) if smiles else None


def smiles_to_selfies(smiles: str) -> str:
    """The SELFIES of a SMILES string (written from its canonical SMILES).

    Raises:
        InvalidDesignsError: rdkit cannot parse the SMILES, or SELFIES cannot write it.
    """
    canonical = canonical_smiles(smiles)
    if canonical is None:
        raise InvalidDesignsError(
            f"{smiles!r} is not a molecule rdkit can parse and sanitize; check the SMILES"
        )
    selfies, _ = require_molecules()
    try:
        return str(selfies.encoder(canonical))
    except Exception as exc:  # EncoderError for atoms beyond SELFIES's bonding rules
        raise InvalidDesignsError(f"SELFIES cannot write {smiles!r}: {exc}") from None


def written_selfies(smiles: str | None) -> str | None:
    """The SELFIES of a molecule when SELFIES writes it and reads it back as the same
    canonical SMILES; ``None`` for ``None``, a SMILES rdkit cannot parse, a molecule
    beyond SELFIES's bonding rules, or one that comes back as another molecule."""
    canonical = None if smiles is None else canonical_smiles(smiles)
    if canonical is None:
        return None
    try:
        design = smiles_to_selfies(canonical)
    except InvalidDesignsError:
        return None
    return design if selfies_to_smiles(design) == canonical else None


def _smiles(chem: Any, molecule: Any) -> str | None:
    try:
        return str(chem.MolToSmiles(molecule))
    except Exception:  # rdkit raises on some unsanitized reaction products
        return None


@register_codec
class SelfiesCodec(TokenCodec):
    """SELFIES strings <-> token index tensors; validity and identity come from rdkit.

    A decoded design is valid when it decodes to a non-empty molecule that rdkit
    sanitizes. ``key`` is the canonical SMILES, so two spellings of one molecule are one
    design.

    Args:
        vocabulary: The SELFIES tokens (without the pad token), in index order.
        max_length: Largest number of tokens of a design; it also bounds the size of
            the molecules the decoder can write.

    Raises:
        MissingDependencyError: selfies or rdkit is not installed.
    """

    def __init__(self, vocabulary: Sequence[str], max_length: int) -> None:
        require_molecules()
        super().__init__(vocabulary, max_length, tokenizer=SELFIES_TOKEN)

    @classmethod
    def from_designs(  # type: ignore[override]
        cls, designs: Iterable[str], max_length: int | None = None
    ) -> SelfiesCodec:
        """Vocabulary (most frequent first) and maximum length from SELFIES strings.

        Raises:
            InvalidDesignsError: A design is not a string of SELFIES tokens, or there
                are no tokens at all.
        """
        base = TokenCodec.from_designs(designs, tokenizer=SELFIES_TOKEN, max_length=max_length)
        return cls(base.tokens[1:], base.max_length)

    def to_config(self) -> dict[str, Any]:
        """Vocabulary and ``max_length`` (the tokenizer and validity are SELFIES's own)."""
        return {
            "kind": codec_kind(self),
            "vocabulary": self.tokens[1:],
            "max_length": self.max_length,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> Self:
        """The codec :meth:`to_config` described (``allowed_modules`` is not needed)."""
        vocabulary = setting(config, "vocabulary", list)
        return cls([str(token) for token in vocabulary], setting(config, "max_length", int))

    def is_valid(self, design: Any) -> bool:
        """Whether the SELFIES string decodes to a molecule rdkit can sanitize."""
        return selfies_to_smiles(design) is not None

    def key(self, design: Any) -> Hashable:
        """The canonical SMILES: two SELFIES of one molecule are the same design."""
        return selfies_to_smiles(design) or design

    def vary(
        self,
        parents: Sequence[str],
        n: int,
        rng: np.random.Generator,
        rate: float | None = None,
    ) -> list[str]:
        """Children made on molecular graphs (see :meth:`Codec.vary`): Jensen's Graph GA
        crossover of two parents, then one of its mutations with probability ``rate``
        (``None``: :data:`MUTATION_RATE`); see :mod:`lsbo.representations.molecule_graphs`.

        Every child is a sanitizable molecule, written as a SELFIES string the codec can
        encode (its tokens in the vocabulary, at most ``max_length``); a draw that
        gives none is left out, so fewer than ``n`` may come back.
        """
        from rdkit import Chem, rdBase

        from lsbo.representations.molecule_graphs import GraphOperators

        operators = GraphOperators(rng)
        mols = [Chem.MolFromSmiles(selfies_to_smiles(p) or "") for p in parents]
        mols = [m for m in mols if m is not None and m.GetNumAtoms()]
        rate = MUTATION_RATE if rate is None else rate

        def cross(first: Any, second: Any) -> str | None:
            child = operators.crossover(first, second)
            child = None if child is None else operators.mutate(child, rate)
            design = None if child is None else written_selfies(_smiles(Chem, child))
            return design if design is not None and self._encodes(design) else None

        with rdBase.BlockLogs():  # most attempts fail sanitization, as Jensen's do
            return breed(mols, n, rng, cross) if mols else []

    def _encodes(self, design: str) -> bool:
        """Whether :meth:`encode` takes the design (tokens known, not too long)."""
        try:
            self.encode([design])
        except InvalidDesignsError:
            return False
        return True

    def __repr__(self) -> str:
        return f"SelfiesCodec(vocab_size={self.vocab_size}, max_length={self.max_length})"
