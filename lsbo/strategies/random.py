"""Random search: decoded samples of the VAE prior, the baseline every comparison needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from lsbo.exceptions import InvalidOptionError
from lsbo.options import OptimizerOptions
from lsbo.records import Source
from lsbo.strategies.base import SearchContext, Strategy


@dataclass(frozen=True)
class RandomSearch(Strategy):
    """Decode samples ``z ~ N(0, scale^2 I)`` of the VAE prior; no surrogate.

    Attributes:
        scale: Standard deviation of the samples (1.0 is the prior itself).
    """

    name: ClassVar[str] = "random"
    source: ClassVar[Source] = Source.RANDOM
    exhausted: ClassVar[str] = (
        "random search found no valid design that has not been evaluated yet in "
        "1,000s of prior samples; the VAE decodes few valid designs"
    )
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise InvalidOptionError(f"scale must be > 0, got {self.scale}")

    def propose(self, context: SearchContext, n: int) -> Tensor:
        """``4 n + 16`` prior samples (the step's generator carries over its rounds)."""
        z = torch.randn(4 * n + 16, context.latent.dim, generator=context.generator)
        return z * self.scale

    def rounds(self, options: OptimizerOptions) -> int:
        """Twenty rounds of samples before taking training designs."""
        return 20
