"""Variational auto-encoders over designs: the shared base and the two built-in kinds.

A :class:`VAE` owns its codec, so ``encode(designs)`` and ``decode(z)`` speak in
designs, not tensors. Encoders give the mean and log-variance of q(z|x); the prior is a
standard normal; decoders give logits of p(x|z) (categorical over tokens for
sequences, Bernoulli per pixel for images).

A model file (format version 2) holds only plain data and tensors: the model's class
name and constructor arguments, its codec's :meth:`~lsbo.representations.Codec.to_config`
with the codec class's module (:func:`~lsbo.representations.codec_to_config`), its
parameters and its metadata. :func:`load_model` reads it with
``torch.load(..., weights_only=True)``, so a file cannot run code when it is loaded.
Files of version 1 (lsbo 0.2.0 and before) pickled the codec object; they load only
after :func:`convert_model_file`, which is for files you trust.
"""

from __future__ import annotations

import io
import math
import pickle
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lsbo.exceptions import InvalidOptionError, ModelFileError, OutdatedModelFileError
from lsbo.representations import (
    Codec,
    ImageCodec,
    TokenCodec,
    codec_from_config,
    codec_to_config,
)
from lsbo.representations.registry import plain

FILE_FORMAT = "lsbo.vae"
FILE_VERSION = 2


class VAE(nn.Module):
    """Base class: subclasses build ``encoder`` (x -> 2*latent_dim) and ``decoder``.

    Args:
        codec: Turns designs into the tensors this VAE reads.
        latent_dim: Dimension d of the latent space.
    """

    def __init__(self, codec: Codec, latent_dim: int) -> None:
        super().__init__()
        if latent_dim < 1:
            raise InvalidOptionError(f"latent_dim must be >= 1, got {latent_dim}")
        self.codec = codec
        self.latent_dim = int(latent_dim)
        self.metadata: dict[str, Any] = {}  # e.g. training settings, filled by load_model
        self.encoder: nn.Module
        self.decoder: nn.Module

    def config(self) -> dict[str, Any]:
        """Constructor arguments other than the codec (saved with the model)."""
        return {"latent_dim": self.latent_dim}

    def encode_tensor(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Parameters of q(z|x). Returns ``(mean, log_var)``, each ``n x d``."""
        mean, log_var = self.encoder(x).chunk(2, dim=-1)
        return mean, log_var.clamp(-12.0, 8.0)

    def decode_tensor(self, z: Tensor) -> Tensor:
        """Logits of p(x|z): ``n x L x vocab`` (sequences) or ``n x 1 x H x W`` (images)."""
        return self.decoder(z)

    def loss_terms(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Per-example negative log-likelihood and KL(q(z|x) || N(0, I)), each ``n``.

        The latent sample uses the reparametrization trick, ``z = mean + std * eps``.
        """
        nll, kl, _ = self.elbo_terms(x, generator)
        return nll, kl

    def elbo_terms(
        self, x: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """:meth:`loss_terms` and the latent sample ``z`` (``n x d``) they used, so that a
        loss on ``z`` (e.g. a surrogate's) trains the encoder too."""
        mean, log_var = self.encode_tensor(x)
        # drawn on the CPU generator, then moved: the same noise on any device
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device)
        z = mean + torch.exp(0.5 * log_var) * eps
        nll = self.negative_log_likelihood(self.reconstruction_logits(z, x), x)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(-1)
        return nll, kl, z

    def reconstruction_logits(self, z: Tensor, x: Tensor) -> Tensor:
        """Logits of p(x|z) for the training loss; a decoder that reads its own earlier
        outputs reads those of ``x`` here (teacher forcing). Default: ``decode_tensor(z)``."""
        return self.decode_tensor(z)

    def negative_log_likelihood(self, logits: Tensor, x: Tensor) -> Tensor:
        """-log p(x|z) per example, ``n``."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters."""
        return next(self.parameters()).device

    @torch.no_grad()
    def encode(self, designs: Sequence[Any], batch_size: int = 1024) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of q(z|x) for each design, in batches.

        Returns:
            ``(mean, std)``, each an ``n x d`` float32 tensor on the model's device.
        """
        was_training = self.training
        self.eval()
        means, stds = [], []
        for start in range(0, len(designs), batch_size):
            x = self.codec.encode(designs[start : start + batch_size]).to(self.device)
            mean, log_var = self.encode_tensor(x)
            means.append(mean)
            stds.append(torch.exp(0.5 * log_var))
        self.train(was_training)
        if not means:
            empty = torch.zeros(0, self.latent_dim, device=self.device)
            return empty, empty.clone()
        return torch.cat(means), torch.cat(stds)

    @torch.no_grad()
    def decode(self, z: Tensor, batch_size: int = 1024) -> list[Any]:
        """The most likely design (argmax / threshold) for each latent point, in batches.

        Args:
            z: ``n x d`` latent points (any float dtype or device).
        """
        was_training = self.training
        self.eval()
        designs: list[Any] = []
        for start in range(0, len(z), batch_size):
            chunk = z[start : start + batch_size].to(self.device, torch.float32)
            designs.extend(self.codec.decode(self.decode_tensor(chunk)))
        self.train(was_training)
        return designs

    def save(self, path: str | Path | BinaryIO, **metadata: Any) -> None:
        """Write the model, its codec and ``metadata`` (e.g. training settings) to one file
        (or a binary file object), as plain data and tensors only.

        Args:
            path: The file, or a binary file object.
            **metadata: Plain data (str, int, float, bool, None, lists, tuples and dicts of
                them) or tensors; numpy scalars are stored as Python numbers.

        Raises:
            ModelFileError: The codec or the metadata cannot be saved as plain data: the
                message says what to change (e.g. register a codec class, or define a
                tokenizer function at the top of a module).
        """
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "class": type(self).__name__,
            "config": plain(self.config(), "the model's config()"),
            "codec": plain(codec_to_config(self.codec), "the codec's to_config()"),
            "state_dict": {k: v.cpu() for k, v in self.state_dict().items()},
            "metadata": plain(metadata, "the metadata", tensors=True),
        }
        _write(payload, path)


def _write(payload: dict[str, Any], path: str | Path | BinaryIO) -> None:
    torch.save(payload, path if hasattr(path, "write") else Path(path))  # type: ignore[arg-type]


class SequenceVAE(VAE):
    """Token sequences: bidirectional-GRU encoder and a GRU decoder fed z at every step.

    Two decoders:

    - ``"parallel"`` (default): not autoregressive, so decoding a batch is one pass and
      the argmax design is exactly the mode of the factorised p(x|z). Fast; suits short
      strings whose tokens depend little on each other.
    - ``"autoregressive"``: each step also reads the previous token (teacher forcing in
      training, greedy decoding after), as in the molecule VAEs of Gomez-Bombarelli et
      al. 2018. Much better reconstructions and samples of long, structured strings
      such as molecules, at the cost of ``max_length`` sequential steps per decode.
      With a :class:`lsbo.GrammarCodec` it chooses only the rules the grammar allows
      at each step (the expression task's default: 91% of held-out expressions
      reconstructed exactly against 71% with the parallel decoder, both trained 10
      epochs on 20,000 expressions).

    Args:
        codec: A :class:`TokenCodec`.
        latent_dim: Latent dimension.
        embedding_dim: Token embedding size.
        hidden_dim: GRU state size.
        decoder: ``"parallel"`` or ``"autoregressive"``.
    """

    def __init__(
        self,
        codec: TokenCodec,
        latent_dim: int = 16,
        embedding_dim: int = 32,
        hidden_dim: int = 128,
        decoder: str = "parallel",
    ) -> None:
        super().__init__(codec, latent_dim)
        if decoder not in DECODERS:
            raise InvalidOptionError(
                f"decoder must be one of {', '.join(map(repr, DECODERS))}, got {decoder!r}"
            )
        self.embedding_dim, self.hidden_dim, self.decoder_kind = embedding_dim, hidden_dim, decoder
        self.encoder = _GRUEncoder(codec.vocab_size, embedding_dim, hidden_dim, latent_dim)
        self.decoder: nn.Module
        if decoder == "parallel":
            self.decoder = _GRUDecoder(codec.vocab_size, codec.max_length, hidden_dim, latent_dim)
        else:
            self.decoder = _AutoregressiveDecoder(
                codec.vocab_size, codec.max_length, embedding_dim, hidden_dim, latent_dim
            )

    def config(self) -> dict[str, Any]:
        """Constructor arguments of this model (what :func:`load_model` rebuilds it from)."""
        return {
            **super().config(),
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "decoder": self.decoder_kind,
        }

    def decode_tensor(self, z: Tensor) -> Tensor:
        """``n x max_length x vocab_size`` logits; the autoregressive decoder feeds back
        its greedy choices, restricted to what the codec allows at each step where the
        codec says (a :class:`lsbo.representations.GrammarCodec`'s ``step_mask``)."""
        if self.decoder_kind == "autoregressive":
            step_mask = getattr(self.codec, "step_mask", None)
            return self.decoder(z, mask=None if step_mask is None else step_mask(len(z)))
        return self.decoder(z)

    def reconstruction_logits(self, z: Tensor, x: Tensor) -> Tensor:
        """``n x max_length x vocab_size`` logits of ``x`` given ``n x d`` latents ``z``
        (teacher-forced with ``x`` for the autoregressive decoder)."""
        if self.decoder_kind == "autoregressive":
            return self.decoder(z, x)  # teacher forcing
        return self.decoder(z)

    def negative_log_likelihood(self, logits: Tensor, x: Tensor) -> Tensor:
        """``n`` token cross-entropies summed over positions (pads included)."""
        nll = F.cross_entropy(logits.transpose(1, 2), x, reduction="none")
        return nll.sum(-1)


DECODERS = ("parallel", "autoregressive")


class _GRUEncoder(nn.Module):
    def __init__(
        self, vocab_size: int, embedding_dim: int, hidden_dim: int, latent_dim: int
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.gru = nn.GRU(embedding_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_dim, 2 * latent_dim)

    def forward(self, x: Tensor) -> Tensor:
        _, h = self.gru(self.embed(x))  # h: 2 x n x hidden
        return self.head(torch.cat([h[0], h[1]], dim=-1))


class _GRUDecoder(nn.Module):
    def __init__(self, vocab_size: int, length: int, hidden_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.length = length
        self.init = nn.Linear(latent_dim, hidden_dim)
        self.gru = nn.GRU(latent_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)

    def forward(self, z: Tensor) -> Tensor:
        h0 = torch.tanh(self.init(z)).unsqueeze(0)
        steps = z.unsqueeze(1).expand(-1, self.length, -1).contiguous()
        out, _ = self.gru(steps, h0)
        return self.head(out)


class _AutoregressiveDecoder(nn.Module):
    """GRU that reads z and the previous token at every step; token ``vocab_size`` is the
    start token. Greedy (argmax) decoding when no target is given, over the tokens that
    ``mask`` (``allowed() -> n x vocab`` booleans, ``advance(tokens)``) allows."""

    def __init__(
        self, vocab_size: int, length: int, embedding_dim: int, hidden_dim: int, latent_dim: int
    ) -> None:
        super().__init__()
        self.vocab_size, self.length = vocab_size, length
        self.init = nn.Linear(latent_dim, hidden_dim)
        self.embed = nn.Embedding(vocab_size + 1, embedding_dim)
        self.gru = nn.GRU(embedding_dim + latent_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)

    def forward(self, z: Tensor, x: Tensor | None = None, mask: Any = None) -> Tensor:
        n = z.shape[0]
        h = torch.tanh(self.init(z)).unsqueeze(0)
        start = torch.full((n, 1), self.vocab_size, dtype=torch.long, device=z.device)
        if x is not None:
            previous = torch.cat([start, x[:, :-1]], dim=1)
            steps = torch.cat(
                [self.embed(previous), z.unsqueeze(1).expand(-1, self.length, -1)], -1
            )
            out, _ = self.gru(steps, h)
            return self.head(out)
        token, logits = start[:, 0], []
        for _ in range(self.length):
            step = torch.cat([self.embed(token), z], dim=-1).unsqueeze(1)
            out, h = self.gru(step, h)
            logit = self.head(out[:, 0])
            if mask is not None:  # only what the codec allows next (e.g. grammar rules)
                logit = logit.masked_fill(~mask.allowed().to(logit.device), -1e4)
            logits.append(logit)
            token = logit.argmax(-1)
            if mask is not None:
                mask.advance(token)
        return torch.stack(logits, dim=1)


class ImageVAE(VAE):
    """Images: strided-convolution encoder and transposed-convolution decoder.

    Args:
        codec: An :class:`ImageCodec`.
        latent_dim: Latent dimension.
        channels: Channels of the first convolution (doubled at each halving).
    """

    def __init__(self, codec: ImageCodec, latent_dim: int = 2, channels: int = 16) -> None:
        super().__init__(codec, latent_dim)
        self.channels = channels
        height, width = codec.shape
        n_down = max(1, min(4, int(math.log2(max(min(height, width) // 4, 1)))))
        widths = [channels * 2**i for i in range(n_down)]
        small = (math.ceil(height / 2**n_down), math.ceil(width / 2**n_down))
        self.encoder = _conv_encoder(widths, small, latent_dim)
        self.decoder = _ConvDecoder(widths, small, latent_dim, codec.shape)

    def config(self) -> dict[str, Any]:
        """Constructor arguments of this model (what :func:`load_model` rebuilds it from)."""
        return {**super().config(), "channels": self.channels}

    def negative_log_likelihood(self, logits: Tensor, x: Tensor) -> Tensor:
        """``n`` Bernoulli negative log-likelihoods of the pixels, summed per image."""
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return nll.flatten(1).sum(-1)


def _conv_encoder(widths: list[int], small: tuple[int, int], latent_dim: int) -> nn.Module:
    layers: list[nn.Module] = []
    c_in = 1
    for c_out in widths:
        # padding keeps every size at ceil(size / 2), matching `small`
        layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU()]
        c_in = c_out
    flat = widths[-1] * small[0] * small[1]
    layers += [nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, 2 * latent_dim)]
    return nn.Sequential(*layers)


class _ConvDecoder(nn.Module):
    def __init__(
        self, widths: list[int], small: tuple[int, int], latent_dim: int, shape: tuple[int, int]
    ) -> None:
        super().__init__()
        self.small, self.shape, self.top = small, shape, widths[-1]
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, 256),
            nn.ReLU(),
            nn.Linear(256, widths[-1] * small[0] * small[1]),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths[::-1], [*widths[-2::-1], 1], strict=True):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.ReLU()]
        self.deconv = nn.Sequential(*layers[:-1])  # logits: no activation at the end

    def forward(self, z: Tensor) -> Tensor:
        h = self.fc(z).view(-1, self.top, *self.small)
        logits = self.deconv(h)
        return logits[..., : self.shape[0], : self.shape[1]]


def build_vae(codec: Codec, latent_dim: int | None = None, **kwargs: Any) -> VAE:
    """The built-in VAE for a codec: :class:`SequenceVAE`, ``TransformerVAE`` or :class:`ImageVAE`.

    Args:
        codec: The designs' codec.
        latent_dim: Default: 16 for sequences, 8 for images.
        **kwargs: Architecture arguments of that class (e.g. ``decoder``, ``hidden_dim``),
            and ``type``, which class: ``"gru"`` (:class:`SequenceVAE`, the default for
            token codecs) or ``"transformer"`` (:class:`lsbo.models.TransformerVAE`);
            ``"convolutional"`` (:class:`ImageVAE`) for images.

    Raises:
        InvalidOptionError: No built-in VAE for the codec, or an unknown argument.
    """
    if not isinstance(codec, (TokenCodec, ImageCodec)):
        raise InvalidOptionError(
            f"no built-in VAE for {type(codec).__name__}; pass a trained model instead"
        )
    token = isinstance(codec, TokenCodec)
    dim = (16 if token else 8) if latent_dim is None else latent_dim
    kind = kwargs.pop("type", "gru" if token else "convolutional")
    classes = SEQUENCE_VAES if token else {"convolutional": ImageVAE}
    if kind not in classes:
        raise InvalidOptionError(
            f"architecture type {kind!r} is not one for {type(codec).__name__}; "
            f"choose one of {', '.join(map(repr, classes))}"
        )
    cls = classes[kind]
    try:
        return cls(codec, dim, **kwargs)  # type: ignore[arg-type]
    except TypeError as exc:  # an argument the class does not take
        name = cls.__name__
        raise InvalidOptionError(
            f"{name} does not take {sorted(kwargs)}: {exc}; see its docstring for "
            "the architecture arguments"
        ) from None


_CLASSES: dict[str, type[VAE]] = {"SequenceVAE": SequenceVAE, "ImageVAE": ImageVAE}
# the built-in VAEs for token codecs, by ``TrainingOptions.architecture["type"]``
# (lsbo.models.transformer adds "transformer")
SEQUENCE_VAES: dict[str, type[VAE]] = {"gru": SequenceVAE}


def load_model(path: str | Path | bytes, allowed_modules: Iterable[str] = ()) -> VAE:
    """Load a VAE written by :meth:`VAE.save`; its training metadata is in ``.metadata``.

    The file is read as plain data and tensors (``torch.load(..., weights_only=True)``):
    loading it runs no code it names. A codec's tokenizer or validator function is
    called again only when it is registered (:func:`lsbo.representations.register_function`;
    lsbo's and the built-in objectives' own are) or its module is in ``allowed_modules``.

    Args:
        path: The file, or its contents as bytes (e.g. a checkpoint from storage).
        allowed_modules: Modules (or packages, e.g. ``["mypkg"]``) whose functions the
            codec may name; give them only for files you trust.

    Raises:
        OutdatedModelFileError: The file was written by an older lsbo, with pickled
            objects (or holds objects that are not plain data): the message says how to
            convert it with :func:`convert_model_file`.
        ModelFileError: The file is missing, corrupt, not an lsbo model, from a newer
            version, or names a function that is not allowed.
    """
    where = "the stored model" if isinstance(path, bytes) else str(path)
    payload = _read(path, where, weights_only=True)
    version = payload.get("version")
    if version != FILE_VERSION:
        if isinstance(version, int) and version < FILE_VERSION:
            raise OutdatedModelFileError(_outdated(where, version))
        raise ModelFileError(
            f"{where} has model format version {version}, this lsbo reads version "
            f"{FILE_VERSION}; update lsbo, or train the model again with this version"
        )
    cls = _CLASSES.get(payload.get("class"))  # type: ignore[arg-type]
    if cls is None:
        raise ModelFileError(f"{where} holds an unknown model class {payload.get('class')!r}")
    codec = codec_from_config(payload.get("codec"), allowed_modules)
    try:
        model = cls(codec, **payload["config"])  # type: ignore[arg-type]
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"{where} holds a {cls.__name__} whose settings or parameters do not fit "
            f"together ({type(exc).__name__}: {exc}); it may be corrupt: train it again"
        ) from None
    model.metadata = dict(payload.get("metadata") or {})
    return model.eval()


def convert_model_file(source: str | Path | bytes, destination: str | Path | BinaryIO) -> bool:
    """Rewrite a model file of an older lsbo (version 1, with a pickled codec) in the
    current format, which :func:`load_model` reads.

    Warning:
        Only for files you trust: an old file is read with ``weights_only=False``, which
        unpickles whatever objects it holds, and unpickling can run arbitrary code.

    A file in the current format is copied as it is, without unpickling anything.

    Args:
        source: The old file, or its contents as bytes (e.g. a run's stored VAE).
        destination: The file (or binary file object) to write; it may be ``source``.

    Returns:
        Whether ``source`` was in an older format.

    Raises:
        ModelFileError: ``source`` is not an lsbo model file, or its codec or metadata
            cannot be saved as plain data (e.g. a lambda validator: rebuild that codec).
    """
    where = "the stored model" if isinstance(source, bytes) else str(source)
    try:
        payload = _read(source, where, weights_only=True)
        outdated = payload.get("version") != FILE_VERSION
    except OutdatedModelFileError:
        payload, outdated = _read(source, where, weights_only=False), True
    if outdated:
        codec = payload.get("codec")
        if not isinstance(codec, Codec):
            raise ModelFileError(
                f"{where} is an lsbo model file of version {payload.get('version')}, which "
                "this lsbo cannot convert; train the model again"
            )
        payload = {
            **payload,
            "version": FILE_VERSION,
            "config": plain(payload["config"], "the model's config"),
            "codec": plain(codec_to_config(codec), "the codec's to_config()"),
            "metadata": plain(payload.get("metadata") or {}, "the metadata", tensors=True),
        }
    _write(payload, destination)
    return outdated


def _read(path: str | Path | bytes, where: str, weights_only: bool) -> dict[str, Any]:
    """The payload of a model file (an lsbo model's dict, not yet checked further)."""
    source: Path | io.BytesIO
    if isinstance(path, bytes):
        source = io.BytesIO(path)
    else:
        source = Path(path)
        if not source.is_file():
            raise ModelFileError(f"no model file at {path}; train one with `lsbo train`")
    try:
        payload = torch.load(source, map_location="cpu", weights_only=weights_only)
    except pickle.UnpicklingError as exc:
        refused = _refused_object(str(exc))
        if weights_only and refused:  # an object that plain data and tensors exclude
            raise OutdatedModelFileError(_outdated(where, None, refused)) from None
        raise _unreadable(where, exc) from None
    except Exception as exc:
        raise _unreadable(where, exc) from None
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{where} is not an lsbo model file (saved with VAE.save)")
    return payload


def _refused_object(message: str) -> str | None:
    """The object torch's weights-only unpickler refused (by its message), or ``None``
    when it failed otherwise (a corrupt file)."""
    named = re.search(r"GLOBAL (\S+)", message)
    if named:
        return named.group(1)
    if re.search(r"unrecognized function|Can only (create|build)", message):
        return "an object"
    return None


def _unreadable(where: str, exc: Exception) -> ModelFileError:
    return ModelFileError(
        f"{where} is not a readable lsbo model file ({type(exc).__name__}: {exc}); "
        "it may be corrupt or truncated: train it again"
    )


def _outdated(where: str, version: int | None, name: str = "") -> str:
    if version is not None:
        found = f"{where} has model format version {version}: it was written by an older lsbo"
    else:
        found = (
            f"{where} holds a pickled Python object ({name}): it was written by an older "
            "lsbo, which pickled codecs into model files, or made to run code when loaded"
        )
    return (
        f"{found}. lsbo now loads only model files of plain data and tensors, since "
        "unpickling a file can run any code. If you trust the file, convert it once with "
        "lsbo.models.convert_model_file(source, destination) (a run's stored VAE: "
        "`lsbo runs --storage STORAGE --upgrade-models NAME`) and load the converted "
        "file; never convert a file whose origin you do not know"
    )
