"""Fixed-size 2-D images with pixel values in [0, 1]."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Self

import numpy as np
import torch

from lsbo.exceptions import InvalidDesignsError, ModelFileError
from lsbo.representations.base import Codec
from lsbo.representations.registry import codec_kind, register_codec, setting
from lsbo.representations.variation import breed, vary_image


@register_codec
class ImageCodec(Codec):
    """2-D arrays <-> ``n x 1 x H x W`` float tensors (Bernoulli likelihood per pixel).

    Args:
        shape: ``(H, W)`` of every image.
        binary: Decode to 0/1 images (threshold 0.5) instead of grayscale
            probabilities.
    """

    def __init__(self, shape: tuple[int, int], binary: bool = True) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.binary = binary

    @classmethod
    def from_designs(cls, designs: Sequence[Any]) -> ImageCodec:
        """Infer the shape, and whether the images are binary, from training images."""
        if len(designs) == 0:
            raise InvalidDesignsError("cannot build an image codec from no designs")
        first = _as_array(designs[0], 0)
        binary = all(np.isin(_as_array(d, i), (0.0, 1.0)).all() for i, d in enumerate(designs))
        codec = cls(first.shape, binary=binary)  # type: ignore[arg-type]
        return codec

    def to_config(self) -> dict[str, Any]:
        """``shape`` (as a list) and ``binary``."""
        return {"kind": codec_kind(self), "shape": list(self.shape), "binary": self.binary}

    @classmethod
    def from_config(cls, config: dict[str, Any], allowed_modules: Iterable[str] = ()) -> Self:
        """The codec :meth:`to_config` described (``allowed_modules`` is not needed)."""
        shape = setting(config, "shape", list)
        if len(shape) != 2 or not all(isinstance(size, int) for size in shape):
            raise ModelFileError(f"the saved image shape {shape!r} is not two integers")
        return cls((shape[0], shape[1]), bool(setting(config, "binary", bool)))

    @property
    def event_shape(self) -> tuple[int, ...]:
        """``(1, height, width)``: one channel."""
        return (1, *self.shape)

    def encode(self, designs: Sequence[Any]) -> torch.Tensor:
        """Images to a float ``n x 1 x height x width`` tensor (raises
        ``InvalidDesignsError`` for a wrong shape or values outside [0, 1])."""
        arrays = [self._checked(design, i) for i, design in enumerate(designs)]
        if not arrays:
            return torch.zeros(0, *self.event_shape)
        return torch.from_numpy(np.stack(arrays)).float().unsqueeze(1)

    def _checked(self, design: Any, row: int) -> np.ndarray:
        array = _as_array(design, row)
        if array.shape != self.shape:
            raise InvalidDesignsError(
                f"image {row} has shape {array.shape}, expected {self.shape}; "
                "all images must have the same size"
            )
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InvalidDesignsError(
                f"image {row} has pixel values outside [0, 1]; scale images to [0, 1]"
            )
        return array

    def decode(self, outputs: torch.Tensor) -> list[np.ndarray]:
        """``n x 1 x height x width`` logits to ``n`` images of pixel probabilities
        (thresholded at 0.5 for a binary codec)."""
        probs = torch.sigmoid(outputs.detach().float()).reshape(-1, *self.shape).cpu()
        if self.binary:
            probs = (probs > 0.5).float()
        return list(probs.numpy())

    def key(self, design: Any) -> Hashable:
        """The image's shape and 8-bit pixels."""
        # 8-bit quantisation: grayscale designs that look identical count as the same
        array = np.asarray(design, dtype=np.float32)
        return array.shape, np.round(array * 255).astype(np.uint8).tobytes()

    def is_valid(self, design: Any) -> bool:
        """Whether the design is an image of this shape with values in [0, 1]."""
        try:
            self._checked(design, 0)
        except InvalidDesignsError:
            return False
        return True

    def vary(
        self,
        parents: Sequence[Any],
        n: int,
        rng: np.random.Generator,
        rate: float | None = None,
    ) -> list[np.ndarray]:
        """Children of images (see :meth:`Codec.vary`): a rectangle of one parent in
        the other, in half of the binary ones a small rectangle painted 0 or 1, then
        pixels flipped (binary) or moved by noise (grayscale)
        (:func:`lsbo.representations.variation.vary_image`)."""
        arrays = [_as_array(parent, row) for row, parent in enumerate(parents)]
        return breed(arrays, n, rng, lambda a, b: vary_image(a, b, self.binary, rng, rate))

    def __repr__(self) -> str:
        return f"ImageCodec(shape={self.shape}, binary={self.binary})"


def _as_array(design: Any, row: int) -> np.ndarray:
    try:
        array = np.asarray(design, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidDesignsError(
            f"image {row} is not a numeric array ({type(design).__name__})"
        ) from None
    if array.ndim != 2:
        raise InvalidDesignsError(
            f"image {row} has {array.ndim} dimensions; images must be 2-D arrays (H x W)"
        )
    return array
