"""How good a trained VAE is for a search: reconstructions, and what its prior decodes to.

A search can only find what the decoder can write, and the GP can only learn through a
latent space whose points map back to the designs they came from. :func:`assess_vae`
measures both; :meth:`VAEQuality.problems` names what is too poor for a search to work,
with what to do about it, and :func:`warn_if_poor` warns with :class:`PoorVAEWarning`.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from lsbo.exceptions import LsboError, PoorVAEWarning
from lsbo.models.training import (
    TrainingOptions,
    _split,
    collapse_limit,
    design_key,
    reconstruction_accuracy,
)
from lsbo.models.vae import VAE
from lsbo.representations import ImageCodec

# Below these a search through the VAE does not work (see VAEQuality.problems):
MIN_EXACT = 0.2  # exact reconstructions of held-out (else training) designs
MIN_NEW = 0.01  # prior samples that decode to a valid design not among the training ones
MIN_VALID = 0.5  # prior samples that decode to a valid design
MAX_DESIGNS = 1000  # designs per reconstruction figure


@dataclass(frozen=True)
class VAEQuality:
    """What :func:`assess_vae` measured of one VAE.

    Shares are in [0, 1]. Element accuracy is the share of tokens (or grammar rules,
    pixels) of ``decode(encode(x).mean)`` equal to those of ``x``, padding included;
    exact is the share of designs whose every element is right.

    Attributes:
        n_train: Training designs whose reconstruction was measured.
        train_accuracy: Element accuracy on them.
        train_exact: Exact reconstruction rate on them.
        n_held_out: Held-out designs measured (0: none known).
        held_out_accuracy: Element accuracy on them (``None`` without any).
        held_out_exact: Exact reconstruction rate on them (``None`` without any).
        n_prior: Samples drawn from the prior ``N(0, I)`` and decoded.
        prior_valid: Share of them that decode to a valid design (the codec's
            ``is_valid`` and, where given, the objective's).
        prior_distinct: Share of distinct designs among their decodes (by the codec's
            ``key``): 1 when every sample decodes to a design of its own.
        prior_new: Share of them that decode to a valid design which is not a
            training design (by the codec's ``key``).
        retrainings: Fine-tunings of the VAE before it was assessed (0: as trained).
        seconds: Time the assessment took.
        images: Whether the designs are images: every pixel of an image is rarely
            reconstructed exactly even by a VAE that serves the search well (the shapes
            task's: 99.9% of pixels, 1-12% of images), so low exact reconstruction is not
            a problem there; a collapsed one shows as few distinct prior decodes.
    """

    n_train: int
    train_accuracy: float
    train_exact: float
    n_held_out: int = 0
    held_out_accuracy: float | None = None
    held_out_exact: float | None = None
    n_prior: int = 0
    prior_valid: float = 0.0
    prior_distinct: float = 0.0
    prior_new: float = 0.0
    retrainings: int = 0
    seconds: float = 0.0
    images: bool = False

    @property
    def exact(self) -> float:
        """The exact reconstruction rate of held-out designs, else of training designs."""
        return self.train_exact if self.held_out_exact is None else self.held_out_exact

    def problems(self) -> dict[str, str]:
        """What is too poor for a search to work, each a kind (``"reconstruction"``,
        ``"collapsed"``, ``"new"``, ``"valid"``) and a message that says what to do."""
        found: dict[str, str] = {}
        which = "training" if self.held_out_exact is None else "held-out"
        if self.n_train and self.exact < MIN_EXACT and not self.images:
            found["reconstruction"] = (
                f"the VAE reconstructs only {self.exact:.1%} of {which} designs exactly "
                f"(below {MIN_EXACT:.0%}); the search cannot learn through it: train longer "
                "(TrainingOptions(epochs=...)), use a larger latent_dim, or another "
                "architecture (TrainingOptions(architecture=...)); or let design-space "
                "children do the work: Plain(explore=0.5, explore_from='children') takes "
                "half of each batch from them unranked, strategy='genetic' all of it"
            )
        distinct = round(self.prior_distinct * self.n_prior)
        if self.n_prior and distinct <= collapse_limit(self.n_prior):
            found["collapsed"] = (
                f"the VAE's {self.n_prior} prior samples decode to {distinct} distinct "
                f"design{'s' if distinct != 1 else ''}: its decoder ignores the latent point "
                "(training stalled on the mean design), so a latent search cannot move: "
                "train it with another seed or more patience (TrainingOptions(patience=...)), "
                "or let design-space children do the work (strategy='genetic')"
            )
        if self.n_prior and self.prior_valid < MIN_VALID:
            found["valid"] = (
                f"only {self.prior_valid:.1%} of {self.n_prior} prior samples decode to valid "
                f"designs (below {MIN_VALID:.0%}); most proposals will be re-proposed: train "
                "longer, use a codec that decodes only valid designs (a GrammarCodec, "
                "SELFIES), or keep OptimizerOptions(validity_constraint=...) on"
            )
        if self.n_prior and self.prior_new < MIN_NEW <= self.prior_valid:
            found["new"] = (
                f"only {self.prior_new:.1%} of {self.n_prior} prior samples decode to designs "
                f"that are not training designs (below {MIN_NEW:.0%}); the search can hardly "
                "propose anything new: use a larger latent_dim, a smaller beta "
                "(TrainingOptions(beta=...)), fewer epochs, or more varied training designs"
            )
        return found

    def summary(self) -> str:
        """One line for a run's summary."""
        parts = [f"{self.train_exact:.0%} of {self.n_train} training designs"]
        if self.held_out_exact is not None:
            parts.append(f"{self.held_out_exact:.0%} of {self.n_held_out} held-out")
        return (
            f"reconstructs {', '.join(parts)} exactly; of {self.n_prior} prior samples "
            f"{self.prior_valid:.0%} decode valid, {self.prior_distinct:.0%} distinct, "
            f"{self.prior_new:.0%} new"
        )

    def to_dict(self) -> dict[str, Any]:
        """The assessment as plain Python types (for storage)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> VAEQuality:
        """An assessment from :meth:`to_dict`; unknown keys are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def assess_vae(
    model: VAE,
    designs: Sequence[Any],
    held_out: Sequence[Any] | None = None,
    n_prior: int = 1000,
    seed: int = 0,
    is_valid: Callable[[Any], bool] | None = None,
) -> VAEQuality:
    """Measure a trained VAE: its reconstructions, and what samples of its prior decode to.

    Uses its own seeded generator, never the global one, so that assessing a VAE does
    not change what a seeded run does. Designs that do not fit the codec are left out;
    a decode that the codec cannot encode again counts as wrong. About a second for
    1,000 designs and samples with a small VAE on a CPU.

    Args:
        model: The VAE (its training mode is kept).
        designs: Its training designs (those of ``held_out`` among them are left out of
            the training figures): at most ``MAX_DESIGNS`` (a seeded random subset) are
            reconstructed; a prior decode equal to any of them is not new.
        held_out: Designs it was not trained on (e.g. its validation split, see
            :func:`held_out_designs`); at most ``MAX_DESIGNS`` are reconstructed; a
            prior decode equal to one of them is not new either.
        n_prior: Samples of ``N(0, I)`` to decode (0: none).
        seed: Seeds the subsets and the samples.
        is_valid: What a decode must also pass to be valid, e.g. an objective's
            ``is_valid`` (the codec's ``is_valid`` always applies).
    """
    start, generator = time.perf_counter(), torch.Generator().manual_seed(seed)
    held_out = list(held_out or [])
    keys = [design_key(model.codec, design) for design in designs]
    held_keys = {design_key(model.codec, design) for design in held_out}
    trained = [design for design, key in zip(designs, keys, strict=True) if key not in held_keys]
    train = _fitting(model, _subset(trained, generator))
    train_accuracy, train_exact = reconstruction_accuracy(model, train) if train else (0.0, 0.0)
    held = _fitting(model, _subset(held_out, generator))
    held_accuracy, held_exact = reconstruction_accuracy(model, held) if held else (None, None)
    valid, distinct, new = _prior(model, n_prior, generator, is_valid, {*keys, *held_keys})
    return VAEQuality(
        n_train=len(train), train_accuracy=train_accuracy, train_exact=train_exact,
        n_held_out=len(held), held_out_accuracy=held_accuracy, held_out_exact=held_exact,
        n_prior=n_prior, prior_valid=valid, prior_distinct=distinct, prior_new=new,
        retrainings=int(model.metadata.get("retrainings", 0)),
        seconds=time.perf_counter() - start, images=isinstance(model.codec, ImageCodec),
    )  # fmt: skip


def _prior(
    model: VAE,
    n: int,
    generator: torch.Generator,
    is_valid: Callable[[Any], bool] | None,
    known: set[Hashable],
) -> tuple[float, float, float]:
    """Of ``n`` decoded samples of the prior, the shares that are valid, distinct, and
    valid designs whose key is not ``known``."""
    if n == 0:
        return 0.0, 0.0, 0.0
    decoded = model.decode(torch.randn(n, model.latent_dim, generator=generator))
    valid = [_valid(model, design, is_valid) for design in decoded]
    keys = [design_key(model.codec, design) for design in decoded]
    new = sum(ok and key not in known for ok, key in zip(valid, keys, strict=True))
    return sum(valid) / n, len(set(keys)) / n, new / n


def warn_if_poor(quality: VAEQuality, known: Sequence[str] = (), stacklevel: int = 2) -> list[str]:
    """Warn (:class:`PoorVAEWarning`) of each of ``quality``'s problems not in ``known``.

    Args:
        quality: An assessment.
        known: Kinds of problem already reported (e.g. of the VAE before a retraining).
        stacklevel: As in :func:`warnings.warn`, counted from the caller.

    Returns:
        The kinds warned of.
    """
    problems = {k: v for k, v in quality.problems().items() if k not in known}
    for message in problems.values():
        warnings.warn(message, PoorVAEWarning, stacklevel=stacklevel + 1)
    return list(problems)


def split_designs(
    designs: Sequence[Any], options: TrainingOptions, seed: int
) -> tuple[list[Any], list[Any]]:
    """The training and validation splits that :func:`lsbo.models.train_vae` makes of
    ``designs`` with ``options`` and ``seed`` (the same draws of the same generator).

    Returns:
        ``(training designs, validation designs)``.
    """
    generator = torch.Generator().manual_seed(seed)
    if options.max_designs is not None and len(designs) > options.max_designs:
        keep = torch.randperm(len(designs), generator=generator)[: options.max_designs]
        designs = [designs[i] for i in keep.tolist()]
    train, held = _split(len(designs), options.validation_fraction, generator)
    return [designs[i] for i in train.tolist()], [designs[i] for i in held.tolist()]


def held_out_designs(model: VAE, designs: Sequence[Any]) -> list[Any] | None:
    """The validation split ``model`` was trained with, when its metadata says how (its
    training options, seed and report, as a cached VAE or a run's own VAE keeps them)
    and the split fits ``designs``, which must be the designs it was trained on;
    ``None`` otherwise, and for a fine-tuned VAE, which has learned from every design."""
    meta = model.metadata
    if not {"training", "seed", "report"} <= meta.keys() or meta.get("retrainings", 0):
        return None
    try:
        known = {f.name for f in dataclasses.fields(TrainingOptions)}
        options = TrainingOptions(**{k: v for k, v in meta["training"].items() if k in known})
        train, held = split_designs(designs, options, int(meta["seed"]))
        report = meta["report"]
        fits = (len(train), len(held)) == (report["n_train"], report["n_validation"])
    except (LsboError, TypeError, ValueError, AttributeError, KeyError):
        return None
    return held if fits and held else None


def _subset(designs: Sequence[Any], generator: torch.Generator) -> list[Any]:
    if len(designs) <= MAX_DESIGNS:
        return list(designs)
    keep = torch.randperm(len(designs), generator=generator)[:MAX_DESIGNS]
    return [designs[i] for i in sorted(keep.tolist())]


def _fitting(model: VAE, designs: list[Any]) -> list[Any]:
    """The designs the model's codec can encode (all of them, usually)."""
    try:
        model.codec.encode(designs)
        return designs
    except LsboError:
        return [design for design in designs if _encodes(model, design)]


def _encodes(model: VAE, design: Any) -> bool:
    try:
        model.codec.encode([design])
    except LsboError:
        return False
    return True


def _valid(model: VAE, design: Any, is_valid: Callable[[Any], bool] | None) -> bool:
    if not model.codec.is_valid(design):
        return False
    return is_valid is None or bool(is_valid(design))
