"""The settings of a run: :class:`OptimizerOptions`, and which of them a run stores."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from lsbo.exceptions import InvalidOptionError
from lsbo.models import TrainingOptions

# options that may change when a stored run is resumed: they change how, not what
OPERATIONAL = (
    "batch_size",
    "device",
    "evaluation_timeout",
    "max_consecutive_failures",
    "stale_after",
)


@dataclass(frozen=True)
class OptimizerOptions:
    """Settings of :class:`Optimizer`; the defaults suit a first run.

    Attributes:
        latent_dim: Latent dimension of a VAE lsbo trains (``None``: 16 for strings,
            8 for images; the shapes task of the weighted-retraining paper uses 2, but
            on 300 images of a task nobody tuned, ``benchmarks/own_tasks.py``'s heat
            sinks, a 2-D latent space kept the search below the best training image).
        vae: How the VAE is trained before the search.
        batch_size: Proposals per ``ask()`` in ``run`` without an executor (the q of
            qLogEI), scored by one objective call. With an executor, ``run`` keeps
            ``n_workers`` designs in flight and proposes one as each finishes.
        n_initial: Designs sampled at random from the training designs and scored
            before the GP takes over, when fewer scores than this are known.
        num_restarts: Starting points for optimizing the acquisition function.
        raw_samples: Quasi-random points for choosing those starting points.
        mc_samples: Quasi-Monte-Carlo samples in qLogEI.
        max_gp_points: Largest number of points the exact GP learns from (see
            :func:`lsbo.surrogates.select_training_points`).
        variational_above: With more scored designs than this, the surrogate is a
            variational GP (BoTorch ``SingleTaskVariationalGP``, ``num_inducing``
            inducing points) on all of them instead of an exact GP on a subset of
            ``max_gp_points``; ``None``: never. A proposal step then costs about the
            same at 10,000 points as at 500 (``benchmarks/RESULTS.md``).
        num_inducing: Inducing points of the variational GP.
        bounds_margin: How far the latent search box extends beyond the encoded
            training designs, as a fraction of their range.
        max_reproposals: Extra acquisition rounds (each a full ``optimize_acqf``) when
            the local optima of every restart decode to invalid or already seen designs,
            before falling back to sampling near the best points and ranking the samples
            by qLogEI (cheaper than a round, but blind to gradients).
        device: Where the VAE runs (``"cpu"``, ``"cuda"``, ...).
        dtype: Floating-point type of the GP (float64 is strongly advised).
        failure_value: What the GP learns from a failed evaluation: ``None`` leaves
            it out (the default), ``"worst"`` gives it the worst value seen so far, a
            number gives it that value (in the objective's own units).
        max_consecutive_failures: ``run`` stops with an :class:`ObjectiveError` after
            this many failed evaluations in a row (``None``: never), since an
            objective that always fails would otherwise spend the whole budget.
        evaluation_timeout: Seconds after which an evaluation counts as failed
            (``None``: wait for ever), counted from when it is handed to the executor.
            Without executor or with a :class:`lsbo.execution.DaemonThreadExecutor`,
            the hung thread is abandoned and its slot reused; a pool or Dask worker
            stays busy until the objective returns, and evaluations queued behind it
            may time out without having started. For objectives that may hang, use
            ``DaemonThreadExecutor(n)`` (what ``lsbo run --workers n`` does).
        stale_after: Seconds without a heartbeat after which a pending proposal in
            storage is taken to be lost (its worker died) and is evaluated again.
            Proposals of a process on this machine that no longer exists are taken
            at once.
        reencode: The GP learns from the latent point of the decoded design, encoded
            again (``True``, the default), instead of from the point the acquisition
            chose. The two differ whenever decoding is lossy; pairing a score with the
            point the design really sits at is the "inversion" of InvBO (Chu et al.,
            NeurIPS 2024). ``benchmarks/RESULTS.md`` measures both.
        inversion_steps: With ``reencode``, each proposal's encoding is moved by up
            to this many Adam steps on ``-log p(design | z)`` until it decodes to the
            design (InvBO's inversion proper, :func:`lsbo.models.inversion.invert`);
            0 (the default): the encoder's mean, which decodes back to the design for
            a VAE that reconstructs well.
        validity_constraint: Keep the search where latent points are likely to decode
            to valid designs, with ``P(valid | z)`` learned from the run's own valid
            and invalid decodes (Griffiths and Hernandez-Lobato, Chemical Science
            2020; :mod:`lsbo.surrogates.validity`): qLogEI is multiplied by it, the
            trust region's Thompson candidates are thinned by it. Used once the run
            has 5 invalid and 5 valid decodes; the random strategy never uses it.
            ``"auto"`` (the default) is on, except for runs stored by versions
            without this option, which resume as they ran; ``True`` and ``False``
            switch it on or off.
        learn_decoded_points: The GP learns each value of the run at the latent point
            that decoded to the design too, beside the design's own encoding. A
            decoder maps a whole region to one design; without the value at the point
            the acquisition chose, the GP stays uncertain there and the next step
            decodes the same design again (a duplicate). ``"auto"`` (the default) is
            on, except for runs stored by versions without this option.
    """

    latent_dim: int | None = None
    vae: TrainingOptions = field(default_factory=TrainingOptions)
    batch_size: int = 1
    n_initial: int = 10
    num_restarts: int = 10
    raw_samples: int = 256
    mc_samples: int = 256
    max_gp_points: int = 500
    variational_above: int | None = 500
    num_inducing: int = 128
    bounds_margin: float = 0.1
    max_reproposals: int = 1
    device: str | torch.device = "cpu"
    dtype: torch.dtype = torch.float64
    failure_value: float | Literal["worst"] | None = None
    max_consecutive_failures: int | None = 10
    evaluation_timeout: float | None = None
    stale_after: float = 300.0
    reencode: bool = True
    inversion_steps: int = 0
    validity_constraint: bool | Literal["auto"] = "auto"
    learn_decoded_points: bool | Literal["auto"] = "auto"

    def __post_init__(self) -> None:
        for name in ("batch_size", "n_initial", "num_restarts", "raw_samples", "mc_samples"):
            if getattr(self, name) < 1:
                raise InvalidOptionError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_consecutive_failures is not None and self.max_consecutive_failures < 1:
            raise InvalidOptionError("max_consecutive_failures must be >= 1 or None")
        if self.evaluation_timeout is not None and not self.evaluation_timeout > 0:
            raise InvalidOptionError("evaluation_timeout must be > 0 seconds or None")
        if not self.stale_after > 0:
            raise InvalidOptionError("stale_after must be > 0 seconds")
        failure = self.failure_value
        if not (failure is None or failure == "worst" or _is_finite_number(failure)):
            raise InvalidOptionError(
                f"failure_value must be None, 'worst' or a finite number, got {failure!r}"
            )
        if self.max_gp_points < 4:
            raise InvalidOptionError("max_gp_points must be >= 4")
        if self.num_inducing < 1 or (self.variational_above or 0) < 0:
            raise InvalidOptionError("num_inducing must be >= 1 and variational_above >= 0")
        if self.max_reproposals < 0 or self.bounds_margin < 0 or self.inversion_steps < 0:
            raise InvalidOptionError(
                "max_reproposals, bounds_margin and inversion_steps must be >= 0"
            )
        for name in ("validity_constraint", "learn_decoded_points"):
            if getattr(self, name) not in (True, False, "auto"):
                raise InvalidOptionError(
                    f"{name} must be True, False or 'auto', got {getattr(self, name)!r}"
                )


def options_settings(options: OptimizerOptions) -> dict[str, Any]:
    """The options a run stores and compares on resume (JSON types)."""
    kept = {k: v for k, v in dataclasses.asdict(options).items() if k not in OPERATIONAL}
    return dict(json.loads(json.dumps(kept, default=str)))


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def options_from_settings(settings: dict[str, Any]) -> OptimizerOptions:
    """The options a run stored (:func:`options_settings`), as far as they are plain
    numbers, flags or names; the VAE's training, the device and the dtype are the
    defaults, and the operational options (not stored) too."""
    known = {f.name: f for f in dataclasses.fields(OptimizerOptions)}
    kept: dict[str, Any] = {
        key: value
        for key, value in settings.items()
        if key in known
        and key not in ("vae", "device", "dtype")
        and (value is None or isinstance(value, (int, float, str, bool)))
    }
    return OptimizerOptions(**kept)
