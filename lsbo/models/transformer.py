"""A transformer VAE for token sequences (the kind LOL-BO uses for molecules).

Maus et al., Local Latent Space Bayesian Optimization over Structured Inputs, NeurIPS
2022, train a transformer encoder and an autoregressive transformer decoder. Here: the
encoder reads token and position embeddings through ``layers`` self-attention blocks
and averages them into the mean and log-variance of q(z|x); the decoder reads the
previous tokens (causal self-attention, teacher forcing in training, greedy decoding
after) and attends to ``memory`` vectors made from z. Choose it with
``TrainingOptions(architecture="transformer")`` or
``architecture={"type": "transformer", "layers": 3}``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lsbo.exceptions import InvalidOptionError
from lsbo.models.vae import _CLASSES, SEQUENCE_VAES, VAE
from lsbo.representations import TokenCodec


class TransformerVAE(VAE):
    """Token sequences: transformer encoder, autoregressive transformer decoder.

    Args:
        codec: A :class:`TokenCodec` (or a subclass: SELFIES, grammar rules).
        latent_dim: Latent dimension.
        model_dim: Width of the embeddings and attention blocks.
        heads: Attention heads (must divide ``model_dim``).
        layers: Blocks in the encoder and in the decoder.
        memory: Vectors made from z that the decoder attends to.
        dropout: Dropout in the blocks while training.
    """

    def __init__(
        self,
        codec: TokenCodec,
        latent_dim: int = 16,
        model_dim: int = 128,
        heads: int = 4,
        layers: int = 2,
        memory: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(codec, latent_dim)
        if model_dim % heads or min(model_dim, heads, layers, memory) < 1:
            raise InvalidOptionError(
                "model_dim, heads, layers and memory must be >= 1 and heads must divide "
                f"model_dim; got {model_dim}, {heads}, {layers}, {memory}"
            )
        self.model_dim, self.heads, self.layers = model_dim, heads, layers
        self.memory, self.dropout = memory, dropout
        vocab, length = codec.vocab_size, codec.max_length
        self.encoder = _Encoder(vocab, length, model_dim, heads, layers, dropout, latent_dim)
        self.decoder = _Decoder(
            vocab, length, model_dim, heads, layers, dropout, latent_dim, memory
        )

    def config(self) -> dict[str, Any]:
        """Constructor arguments of this model (what :func:`load_model` rebuilds it from)."""
        return {
            **super().config(),
            "model_dim": self.model_dim,
            "heads": self.heads,
            "layers": self.layers,
            "memory": self.memory,
            "dropout": self.dropout,
        }

    def decode_tensor(self, z: Tensor) -> Tensor:
        """Greedy decoding, step by step, within the codec's ``step_mask`` if it has one."""
        step_mask = getattr(self.codec, "step_mask", None)
        return self.decoder(z, mask=None if step_mask is None else step_mask(len(z)))

    def reconstruction_logits(self, z: Tensor, x: Tensor) -> Tensor:
        """Teacher-forced logits of ``x`` (``n x max_length x vocab_size``)."""
        return self.decoder(z, x)

    def negative_log_likelihood(self, logits: Tensor, x: Tensor) -> Tensor:
        """``n`` token cross-entropies summed over positions (pads included)."""
        return F.cross_entropy(logits.transpose(1, 2), x, reduction="none").sum(-1)


def _blocks(model_dim: int, heads: int, dropout: float) -> dict[str, Any]:
    return {
        "d_model": model_dim,
        "nhead": heads,
        "dim_feedforward": 4 * model_dim,
        "dropout": dropout,
        "batch_first": True,
        "norm_first": True,
    }


class _Encoder(nn.Module):
    def __init__(
        self,
        vocab: int,
        length: int,
        model_dim: int,
        heads: int,
        layers: int,
        dropout: float,
        latent_dim: int,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, model_dim)
        self.position = nn.Parameter(torch.randn(length, model_dim) * 0.02)
        block = nn.TransformerEncoderLayer(**_blocks(model_dim, heads, dropout))
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(model_dim), nn.Linear(model_dim, 2 * latent_dim))

    def forward(self, x: Tensor) -> Tensor:
        h = self.blocks(self.embed(x) + self.position[: x.shape[1]])
        return self.head(h.mean(1))


class _Decoder(nn.Module):
    """Token ``vocab`` is the start token; without a target, greedy decoding over the
    tokens ``mask`` (``allowed() -> n x vocab`` booleans, ``advance(tokens)``) allows."""

    def __init__(
        self,
        vocab: int,
        length: int,
        model_dim: int,
        heads: int,
        layers: int,
        dropout: float,
        latent_dim: int,
        memory: int,
    ) -> None:
        super().__init__()
        self.vocab, self.length, self.n_memory = vocab, length, memory
        self.causal: Tensor
        self.embed = nn.Embedding(vocab + 1, model_dim)
        self.position = nn.Parameter(torch.randn(length, model_dim) * 0.02)
        self.latent = nn.Linear(latent_dim, model_dim * (memory + 1))
        block = nn.TransformerDecoderLayer(**_blocks(model_dim, heads, dropout))
        self.blocks = nn.TransformerDecoder(block, layers)
        self.head = nn.Sequential(nn.LayerNorm(model_dim), nn.Linear(model_dim, vocab))
        causal = nn.Transformer.generate_square_subsequent_mask(length)
        self.register_buffer("causal", causal, persistent=False)

    def _logits(self, z_parts: tuple[Tensor, Tensor], previous: Tensor) -> Tensor:
        memory, shift = z_parts
        k = previous.shape[1]
        h = self.embed(previous) + self.position[:k] + shift.unsqueeze(1)
        out = self.blocks(h, memory, tgt_mask=self.causal[:k, :k], tgt_is_causal=True)
        return self.head(out)

    def _split(self, z: Tensor) -> tuple[Tensor, Tensor]:
        parts = self.latent(z).view(len(z), self.n_memory + 1, -1)
        return parts[:, 1:], parts[:, 0]  # memory vectors, and a shift of every input

    def forward(self, z: Tensor, x: Tensor | None = None, mask: Any = None) -> Tensor:
        parts = self._split(z)
        start = torch.full((len(z), 1), self.vocab, dtype=torch.long, device=z.device)
        if x is not None:
            return self._logits(parts, torch.cat([start, x[:, :-1]], dim=1))
        previous, logits = start, []
        for _ in range(self.length):
            logit = self._logits(parts, previous)[:, -1]
            if mask is not None:  # only what the codec allows next (e.g. grammar rules)
                logit = logit.masked_fill(~mask.allowed().to(logit.device), -1e4)
            token = logit.argmax(-1)
            if mask is not None:
                mask.advance(token)
            logits.append(logit)
            previous = torch.cat([previous, token.unsqueeze(1)], dim=1)
        return torch.stack(logits, dim=1)


_CLASSES["TransformerVAE"] = SEQUENCE_VAES["transformer"] = TransformerVAE
