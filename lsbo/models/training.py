"""One training loop for every VAE: weighted ELBO, validation split, early stopping."""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, LsboError
from lsbo.models.vae import VAE, build_vae
from lsbo.representations import Codec, codec_for

AUTO_EPOCHS = 20  # epochs of TrainingOptions(epochs=None)
# A decoder that writes (almost) one design whatever the latent point has collapsed: its
# training stalled on the mean design and early stopping ended it there (the shapes
# task's VAE of seed 2 decoded every prior sample to the blank image). fit_new_vae
# trains such a VAE again from new initial weights, up to RESTARTS times.
COLLAPSE_SAMPLES = 256  # prior samples is_collapsed decodes
COLLAPSE_DISTINCT = 0.01  # at most this share of distinct decodes (at least 1) is collapsed
RESTARTS = 2


@dataclass(frozen=True)
class TrainingOptions:
    """Settings of :func:`train_vae`.

    Attributes:
        epochs: Maximum epochs, each one pass over the training split; ``None`` (the
            default): 20 epochs of at least ``epoch_steps`` gradient steps each, an
            epoch passing over a small training split as often as that takes (300
            designs in batches of 128: 24 passes). Twenty single passes give a few
            hundred designs about 60 steps in all, too few to learn anything: the VAE
            decodes almost every latent point to a handful of designs.
        epoch_steps: The fewest gradient steps of an epoch when ``epochs`` is ``None``.
        batch_size: Designs per gradient step.
        learning_rate: Adam step size.
        beta: Weight of the KL term in the ELBO (1.0 is the true ELBO; below 1 trades
            prior match for reconstructions that decode back to the same design).
        validation_fraction: Share of designs held out to decide early stopping.
        patience: Epochs without validation improvement before stopping (of the
            same length as ``epochs``').
        max_designs: Train on a seeded random subset of at most this many designs
            (``None``: all of them).
        weighting: How per-design weights act: ``"loss"`` weights each design's
            -ELBO term (every design is seen every epoch), ``"sampling"`` draws each
            epoch's designs with replacement in proportion to their weights, with an
            unweighted loss (what the weighted-retraining paper does for its PyTorch
            tasks: lower variance when a few designs carry most of the weight).
            Validation always uses the weighted loss.
        architecture: The built-in VAE that :func:`fit_new_vae` builds: its ``type``
            (token codecs: ``"gru"``, :class:`lsbo.models.SequenceVAE`, the default, or
            ``"transformer"``, :class:`lsbo.models.TransformerVAE`; images:
            ``"convolutional"``, :class:`lsbo.models.ImageVAE`) and that class's
            arguments, e.g. ``{"decoder": "autoregressive", "hidden_dim": 256}`` or
            ``{"type": "transformer", "layers": 3}``; a string is a type alone
            (``"transformer"``); empty for the defaults.
    """

    epochs: int | None = None
    epoch_steps: int = 50
    batch_size: int = 128
    learning_rate: float = 3e-3
    beta: float = 0.1
    validation_fraction: float = 0.1
    patience: int = 3
    max_designs: int | None = None
    weighting: str = "loss"
    architecture: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.architecture, str):  # a type alone
            object.__setattr__(self, "architecture", {"type": self.architecture})
        if not isinstance(self.architecture, dict):
            raise InvalidOptionError(
                f"architecture must be a dict or a type name, got {self.architecture!r}"
            )
        epochs = 1 if self.epochs is None else self.epochs
        counts = (epochs, self.epoch_steps, self.batch_size, self.patience)
        if min(counts) < 1:
            raise InvalidOptionError("epochs, epoch_steps, batch_size and patience must be >= 1")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise InvalidOptionError("validation_fraction must be in [0, 1)")
        if self.weighting not in ("loss", "sampling"):
            raise InvalidOptionError(
                f"weighting must be 'loss' or 'sampling', got {self.weighting!r}"
            )
        if self.beta < 0 or self.learning_rate <= 0:
            raise InvalidOptionError("beta must be >= 0 and learning_rate > 0")


@dataclass
class TrainingReport:
    """What happened during training: losses per epoch (per design, weighted means).

    Attributes:
        train_loss: Per epoch, the training loss ``nll + beta * kl``.
        validation_loss: Per epoch, the validation loss (empty without a split).
        reconstruction: Per epoch, the training negative log-likelihood, the first
            term of :meth:`lsbo.models.VAE.loss_terms`.
        kl: Per epoch, the training KL divergence to the prior (its second term).
        validation_reconstruction: As ``reconstruction``, on the validation split
            (empty without one).
        validation_kl: As ``kl``, on the validation split (empty without one).
        best_epoch: Index of the epoch whose parameters were kept.
        seconds: Training time.
        n_train: Designs in the training split.
        n_validation: Designs in the validation split.
        restarts: Times :func:`fit_new_vae` trained the VAE again from new initial
            weights because its decoder had collapsed (:func:`is_collapsed`); the
            losses are those of the training kept.
    """

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    n_train: int = 0
    n_validation: int = 0
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    validation_reconstruction: list[float] = field(default_factory=list)
    validation_kl: list[float] = field(default_factory=list)
    restarts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain Python types (what a saved model keeps in its metadata)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingReport:
        """A report from :meth:`to_dict`; unknown keys are ignored, missing ones default."""
        known = {f.name for f in dataclasses.fields(cls)}
        fields = {k: copy.deepcopy(v) for k, v in values.items() if k in known}
        return cls(**fields)


@dataclass(frozen=True)
class _Means:
    """Weighted means per design over one pass: the loss and its two terms."""

    loss: float
    reconstruction: float
    kl: float


def train_vae(
    model: VAE,
    designs: Sequence[Any],
    weights: Sequence[float] | Tensor | None = None,
    options: TrainingOptions | None = None,
    seed: int = 0,
    callback: Callable[[int, float, float | None], None] | None = None,
) -> TrainingReport:
    """Train (or fine-tune) ``model`` in place on designs, minimizing the weighted -ELBO.

    The loss of a batch is ``sum_i w_i (nll_i + beta * kl_i) / sum_i w_i`` (or, with
    ``options.weighting == "sampling"``, designs are drawn by weight); the weights
    let weighted retraining favour good designs. The parameters of the best
    validation epoch are kept.

    Args:
        model: The VAE; its current parameters are the starting point.
        designs: Training designs (encoded by the model's codec).
        weights: Optional non-negative weight per design (``n``).
        options: Training settings.
        seed: Seeds the split, the shuffling and the reparametrization noise.
        callback: Called as ``callback(epoch, train_loss, validation_loss)``.
    """
    options = options or TrainingOptions()
    generator = torch.Generator().manual_seed(seed)
    x, w = _prepare(model, designs, weights, options, generator)
    train_idx, val_idx = _split(len(x), options.validation_fraction, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.learning_rate)
    report = TrainingReport(n_train=len(train_idx), n_validation=len(val_idx))
    best, best_state, start = float("inf"), copy.deepcopy(model.state_dict()), time.perf_counter()
    epochs, passes = epoch_plan(options, len(train_idx))
    for epoch in range(epochs):
        model.train()
        if options.weighting == "sampling":
            probabilities = w[train_idx].cpu()
            if probabilities.sum() <= 0:  # the weighted designs all went to validation
                probabilities = torch.ones_like(probabilities)
            draws = torch.multinomial(
                probabilities, passes * len(train_idx), replacement=True, generator=generator
            )
            order, epoch_w = train_idx[draws], torch.ones_like(w)
        else:
            perms = [torch.randperm(len(train_idx), generator=generator) for _ in range(passes)]
            order, epoch_w = train_idx[torch.cat(perms)], w
        means = _epoch(model, x, epoch_w, order, options, generator, optimizer)
        report.train_loss.append(means.loss)
        report.reconstruction.append(means.reconstruction)
        report.kl.append(means.kl)
        val = None
        if len(val_idx):
            val_means = _evaluate(model, x, w, val_idx, options, generator)
            val = val_means.loss
            report.validation_loss.append(val)
            report.validation_reconstruction.append(val_means.reconstruction)
            report.validation_kl.append(val_means.kl)
        if callback is not None:
            callback(epoch, report.train_loss[-1], val)
        score = val if val is not None else report.train_loss[-1]
        if score < best:
            best, report.best_epoch = score, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - report.best_epoch >= options.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    report.seconds = time.perf_counter() - start
    return report


def restart_seed(seed: int, restart: int) -> int:
    """The seed of a VAE's ``restart``-th new training (:func:`fit_new_vae`), unlike any
    other run's own seed."""
    return int(np.random.SeedSequence([seed, restart]).generate_state(1)[0])


def is_collapsed(model: VAE, samples: int = COLLAPSE_SAMPLES) -> bool:
    """Whether the decoder ignores the latent point: ``samples`` draws of the prior (a
    fixed seed) decode to at most ``COLLAPSE_DISTINCT`` of as many distinct designs (by
    the codec's key), at least one."""
    return distinct_decodes(model, samples) <= collapse_limit(samples)


def collapse_limit(samples: int = COLLAPSE_SAMPLES) -> int:
    """The most distinct decodes of ``samples`` prior samples that count as collapsed."""
    return max(1, int(COLLAPSE_DISTINCT * samples))


@torch.no_grad()
def distinct_decodes(model: VAE, samples: int = COLLAPSE_SAMPLES) -> int:
    """How many distinct designs (by the codec's key) ``samples`` draws of the prior
    decode to, the draws seeded apart from everything else."""
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(samples, model.latent_dim, generator=generator)
    return len({design_key(model.codec, design) for design in model.decode(z)})


def design_key(codec: Codec, design: Any) -> Hashable:
    """The codec's key of a decoded design; a malformed decode is itself, as text."""
    try:
        return codec.key(design)
    except (LsboError, TypeError, ValueError):
        return ("invalid", repr(design))


def epoch_plan(options: TrainingOptions, n_train: int) -> tuple[int, int]:
    """How many epochs :func:`train_vae` runs at most, and passes over the ``n_train``
    training designs in each (see ``TrainingOptions.epochs``)."""
    if options.epochs is not None:
        return options.epochs, 1
    return AUTO_EPOCHS, max(1, math.ceil(options.epoch_steps * options.batch_size / n_train))


def fit_new_vae(
    designs: Sequence[Any],
    codec: Codec | None = None,
    latent_dim: int | None = None,
    options: TrainingOptions | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    callback: Callable[[int, float, float | None], None] | None = None,
) -> tuple[VAE, TrainingReport]:
    """Build the built-in VAE for the designs and train it from a seeded initialisation.

    Args:
        designs: Training designs.
        codec: Default: chosen from the designs (strings -> tokens, arrays -> images).
        latent_dim: Default: 16 for sequences, 8 for images.
        options: Training settings.
        seed: Seeds the initial weights and the training. A VAE whose decoder
            collapsed (:func:`is_collapsed`) is trained again, up to :data:`RESTARTS`
            times, from the seeds :func:`restart_seed` derives from it; where every
            training collapses, the one whose prior samples decode to the most
            distinct designs is kept (the first of equals).
        device: Where to train.
        callback: Called after each epoch, as in :func:`train_vae` (epochs count from
            0 again when a training restarts).

    Returns:
        ``(model, report)``; the report is also in ``model.metadata["report"]``
        (:meth:`TrainingReport.to_dict`), so a saved model keeps its training curves.
    """
    codec = codec or codec_for(designs)
    options = options or TrainingOptions()
    tried: list[tuple[int, VAE, TrainingReport]] = []
    for restarts in range(RESTARTS + 1):
        init = seed if not restarts else restart_seed(seed, restarts)
        with torch.random.fork_rng():
            torch.manual_seed(init)  # weight initialisation uses the global generator
            model = build_vae(codec, latent_dim, **options.architecture).to(device)
        report = train_vae(model, designs, options=options, seed=init, callback=callback)
        distinct = distinct_decodes(model)
        tried.append((distinct, model, report))
        if distinct > collapse_limit():
            break
    # collapsed every time: the training that decodes the most distinct designs, the
    # earliest of equals (the seed's own where restarts do not help)
    _, model, report = max(tried, key=lambda attempt: attempt[0])
    report.restarts = restarts
    model.metadata["report"] = report.to_dict()  # saved with the model, for plots
    return model, report


def fine_tune_vae(
    model: VAE,
    designs: Sequence[Any],
    weights: Sequence[float] | Tensor,
    fraction: float = 0.1,
    weighting: str = "sampling",
    options: TrainingOptions | None = None,
    seed: int = 0,
    optimizer: torch.optim.Optimizer | None = None,
) -> float:
    """Continue training ``model`` in place for a fraction of an epoch on weighted designs.

    What weighted retraining does between acquisitions: ``ceil(fraction * n)`` designs
    are drawn, with replacement in proportion to ``weights`` (``weighting="sampling"``,
    unweighted loss) or uniformly with each design's loss weighted
    (``weighting="loss"``), and the model takes one Adam pass over them. There is no
    validation split and no early stopping: the point is to move the latent space
    towards the heavy designs, a little at a time.

    Args:
        model: The VAE; its current parameters are the starting point.
        designs: ``n`` designs (encoded by the model's codec).
        weights: ``n`` non-negative weights, not all zero.
        fraction: Designs drawn, as a fraction of ``n`` (> 0; above 1 is more than an
            epoch).
        weighting: ``"sampling"`` or ``"loss"``.
        options: Batch size, learning rate and beta (``epochs`` is not used).
        seed: Seeds the draws and the reparametrization noise.
        optimizer: An optimizer over ``model``'s parameters to continue with (default:
            a new Adam). Keeping one Adam across fine-tunings matters: a new Adam's
            first steps move every parameter by about the learning rate whatever its
            gradient, which for a trained VAE is mostly noise.

    Returns:
        The mean training loss of the pass (per design, weighted).
    """
    if weighting not in ("sampling", "loss"):
        raise InvalidOptionError(f"weighting must be 'sampling' or 'loss', got {weighting!r}")
    options = dataclasses.replace(options or TrainingOptions(), max_designs=None)
    generator = torch.Generator().manual_seed(seed)
    x, w = _prepare(model, designs, weights, options, generator)
    n_draws = max(1, math.ceil(fraction * len(x)))
    if weighting == "sampling":
        order = torch.multinomial(w.cpu(), n_draws, replacement=True, generator=generator)
        w = torch.ones_like(w)
    else:
        order = torch.randint(len(x), (n_draws,), generator=generator)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=options.learning_rate)
    model.train()
    means = _epoch(model, x, w, order.to(x.device), options, generator, optimizer)
    model.eval()
    return means.loss


def _prepare(
    model: VAE,
    designs: Sequence[Any],
    weights: Sequence[float] | Tensor | None,
    options: TrainingOptions,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    if len(designs) == 0:
        raise InvalidDesignsError("no designs to train on; pass a non-empty list")
    w = (
        torch.ones(len(designs))
        if weights is None
        else torch.as_tensor(weights, dtype=torch.float32)
    )
    if w.shape != (len(designs),) or not torch.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InvalidOptionError(
            "weights must be one finite, non-negative number per design, not all zero"
        )
    if options.max_designs is not None and len(designs) > options.max_designs:
        keep = torch.randperm(len(designs), generator=generator)[: options.max_designs]
        designs, w = [designs[i] for i in keep.tolist()], w[keep]
    x = model.codec.encode(designs).to(model.device)
    return x, w.to(model.device)


def _split(n: int, fraction: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    perm = torch.randperm(n, generator=generator)
    n_val = int(n * fraction) if n >= 10 else 0
    return perm[n_val:], perm[:n_val]


def _batch_loss(
    model: VAE, x: Tensor, w: Tensor, idx: Tensor, beta: float, generator: torch.Generator
) -> tuple[Tensor, Tensor, Tensor]:
    """Weighted sum of the batch's loss, sum of its weights, and the weighted sums of
    its two loss terms (a detached tensor ``[nll, kl]``)."""
    nll, kl = model.loss_terms(x[idx], generator)
    weights = w[idx]
    terms = torch.stack([(weights * nll).sum(), (weights * kl).sum()]).detach()
    return (weights * (nll + beta * kl)).sum(), weights.sum(), terms


def _epoch(
    model: VAE,
    x: Tensor,
    w: Tensor,
    order: Tensor,
    options: TrainingOptions,
    generator: torch.Generator,
    optimizer: torch.optim.Optimizer,
) -> _Means:
    sums, weight = [0.0, 0.0, 0.0], 0.0
    for batch in order.split(options.batch_size):
        loss, batch_weight, terms = _batch_loss(model, x, w, batch, options.beta, generator)
        if batch_weight <= 0:
            continue
        optimizer.zero_grad()
        (loss / batch_weight).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        sums = _add(sums, loss, terms)
        weight += batch_weight.item()
    return _means(sums, weight)


@torch.no_grad()
def _evaluate(
    model: VAE,
    x: Tensor,
    w: Tensor,
    idx: Tensor,
    options: TrainingOptions,
    generator: torch.Generator,
) -> _Means:
    model.eval()
    sums, weight = [0.0, 0.0, 0.0], 0.0
    for batch in idx.split(max(options.batch_size, 1024)):
        loss, batch_weight, terms = _batch_loss(model, x, w, batch, options.beta, generator)
        sums = _add(sums, loss, terms)
        weight += batch_weight.item()
    return _means(sums, weight)


def _add(sums: list[float], loss: Tensor, terms: Tensor) -> list[float]:
    """Running ``[loss, nll, kl]`` sums plus one batch's."""
    return [s + t for s, t in zip(sums, [loss.item(), *terms.tolist()], strict=True)]


def _means(sums: list[float], weight: float) -> _Means:
    return _Means(*(s / max(weight, 1e-12) for s in sums))


@torch.no_grad()
def reconstruction_accuracy(model: VAE, designs: Sequence[Any]) -> tuple[float, float]:
    """Share of tokens/pixels and of whole designs that decode(encode(x).mean) gets right.

    A decode that the codec cannot encode again (e.g. a grammar derivation that ran out
    of steps, :class:`lsbo.representations.grammar.Unfinished`) has every element wrong.

    Args:
        designs: ``n`` designs that fit the model's codec.

    Returns:
        ``(element_accuracy, exact_match_rate)``.
    """
    mean, _ = model.encode(designs)
    x = model.codec.encode(designs)
    decoded, fits = _encode_each(model.codec, model.decode(mean), x)
    equal = (
        (decoded == x).flatten(1)
        if x.dtype == torch.long
        else (decoded.round() == x.round()).flatten(1)
    )
    equal &= fits.unsqueeze(1)
    return equal.float().mean().item(), equal.all(-1).float().mean().item()


def _encode_each(codec: Codec, designs: list[Any], like: Tensor) -> tuple[Tensor, Tensor]:
    """``designs`` encoded (zeros where one does not fit) and which ones fit, ``n``."""
    try:
        return codec.encode(designs), torch.ones(len(designs), dtype=torch.bool)
    except LsboError:
        pass
    out, fits = torch.zeros_like(like), torch.zeros(len(designs), dtype=torch.bool)
    for i, design in enumerate(designs):
        try:
            out[i] = codec.encode([design])[0]
        except LsboError:
            continue
        fits[i] = True
    return out, fits
