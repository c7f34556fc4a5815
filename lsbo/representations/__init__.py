"""Codecs that turn designs into tensors and back, and check decoded designs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsbo.exceptions import InvalidDesignsError
from lsbo.representations.base import Codec
from lsbo.representations.grammar import GrammarCodec
from lsbo.representations.images import ImageCodec
from lsbo.representations.molecules import SelfiesCodec
from lsbo.representations.registry import (
    codec_from_config,
    codec_to_config,
    register_codec,
    register_function,
)
from lsbo.representations.tokens import PAD, TokenCodec

__all__ = [
    "PAD",
    "Codec",
    "GrammarCodec",
    "ImageCodec",
    "SelfiesCodec",
    "TokenCodec",
    "codec_for",
    "codec_from_config",
    "codec_to_config",
    "register_codec",
    "register_function",
]


def codec_for(designs: Sequence[Any]) -> Codec:
    """Choose a codec from the designs: strings -> tokens, 2-D arrays -> images.

    Raises:
        InvalidDesignsError: The list is empty or mixes strings and arrays.
    """
    if len(designs) == 0:
        raise InvalidDesignsError(
            "no designs given; pass a non-empty list of strings or of 2-D arrays"
        )
    n_strings = sum(isinstance(d, str) for d in designs)
    if n_strings == len(designs):
        return TokenCodec.from_designs(designs)
    if n_strings:
        raise InvalidDesignsError(
            f"designs mix {n_strings} strings with {len(designs) - n_strings} other "
            "objects; pass only strings or only 2-D arrays"
        )
    return ImageCodec.from_designs(designs)
