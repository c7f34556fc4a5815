"""The codec interface: designs <-> tensors, and which decoded designs are valid."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any

import torch


class Codec(ABC):
    """Turns designs into tensors a VAE reads, and decoder outputs back into designs.

    Subclasses give the shape of one encoded design (``event_shape``) and ``key`` (a
    hashable identity used to spot duplicate designs). The VAE built for a codec picks
    the matching likelihood (categorical for tokens, Bernoulli for pixels).
    """

    @property
    @abstractmethod
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one encoded design (without the batch dimension)."""

    @abstractmethod
    def encode(self, designs: Sequence[Any]) -> torch.Tensor:
        """Designs to a ``n x *event_shape`` tensor (raises ``InvalidDesignsError``)."""

    @abstractmethod
    def decode(self, outputs: torch.Tensor) -> list[Any]:
        """Decoder outputs (logits, ``n x *output_shape``) to designs, most likely first."""

    @abstractmethod
    def key(self, design: Any) -> Hashable:
        """A hashable identity of a design; equal keys mean the same design."""

    def is_valid(self, design: Any) -> bool:
        """Whether a decoded design is well formed (structure only, not the objective)."""
        return True
