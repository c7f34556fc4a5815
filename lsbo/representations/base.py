"""The codec interface: designs <-> tensors, and which decoded designs are valid."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Self

import numpy as np
import torch

from lsbo.exceptions import InvalidOptionError, ModelFileError


class Codec(ABC):
    """Turns designs into tensors a VAE reads, and decoder outputs back into designs.

    Subclasses give the shape of one encoded design (``event_shape``) and ``key`` (a
    hashable identity used to spot duplicate designs). The VAE built for a codec picks
    the matching likelihood (categorical for tokens, Bernoulli for pixels).

    A codec saves with a model as plain data: :meth:`to_config` and :meth:`from_config`,
    under a kind registered with :func:`lsbo.representations.register_codec` (see
    :mod:`lsbo.representations.registry`).
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

    @property
    def varies(self) -> bool:
        """Whether :meth:`vary` makes designs: every built-in codec, and a codec of your
        own once it overrides :meth:`vary`."""
        return type(self).vary is not Codec.vary

    def vary(
        self,
        parents: Sequence[Any],
        n: int,
        rng: np.random.Generator,
        rate: float | None = None,
    ) -> list[Any]:
        """``n`` children of ``parents`` made in design space: crossover of two parents
        drawn at random, then mutation (see :mod:`lsbo.representations.variation`).

        What the ``genetic`` strategy evolves with, and where the candidates come from
        that an acquisition function ranks beside decoded latent points. A child may
        repeat a design or be invalid: filter with :meth:`is_valid`.

        Args:
            parents: Valid designs (at least one).
            n: Children wanted.
            rng: Source of randomness.
            rate: Probability of a change per token or pixel (``None``: about one
                change per child).

        Raises:
            InvalidOptionError: The codec has no variation operators (override this).
        """
        raise InvalidOptionError(
            f"{type(self).__qualname__} cannot make designs by crossover and mutation; "
            "override Codec.vary to search in design space with it"
        )

    def to_config(self) -> dict[str, Any]:
        """The codec as plain data (str, int, float, bool, None, lists, dicts), with its
        registered ``"kind"``: what a model file keeps of it.

        Raises:
            ModelFileError: The codec cannot be saved (the message says why).
        """
        raise ModelFileError(
            f"{type(self).__qualname__} has no to_config(): give it one (and from_config) "
            "and register it with lsbo.representations.register_codec to save its models"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> Self:
        """The codec :meth:`to_config` described. The default passes every key but
        ``"kind"`` to the constructor.

        Args:
            config: The saved dict.
            allowed_modules: Modules whose functions the config may name (see
                :func:`lsbo.representations.codec_from_config`).
        """
        return cls(**{key: value for key, value in config.items() if key != "kind"})
