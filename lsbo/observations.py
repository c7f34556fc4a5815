"""What the surrogate learns from: designs with known values and their latent points."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from botorch.models.model import Model
from torch import Tensor

from lsbo.exceptions import LsboError
from lsbo.records import Direction, ProposalState, Record
from lsbo.surrogates import SurrogateKind, fit_surrogate, select_training_points

if TYPE_CHECKING:
    from lsbo.options import OptimizerOptions


class Observations:
    """Designs with known values, their latent points, and where each came from.

    Values are kept signed so that larger is better (``direction.sign * value``), which
    is what BoTorch's acquisition functions maximize. The given scores of training
    designs (``from_run=False``) come first, then the run's evaluations in the order
    they were told.

    With ``learn_points``, the GP also learns each value of the run at the latent point
    that decoded to the design (``Record.point``), beside the design's own encoding. A
    decoder maps a whole region of the latent space to one design; the encoding is one
    point of it, often far from where the acquisition found the design. Without the
    value at the chosen point, the GP stays uncertain there and the next step's
    acquisition returns to the same region and decodes the same design again.

    Args:
        direction: Whether the objective is maximized.
        dtype: Floating-point type of the latent points (the GP's).
        learn_points: Learn values at the points that decoded to the designs too.
    """

    def __init__(
        self, direction: Direction, dtype: torch.dtype = torch.float64, learn_points: bool = False
    ) -> None:
        self.direction = direction
        self.dtype = dtype
        self.learn_points = learn_points
        self.designs: list[Any] = []
        self._latents: list[Tensor] = []
        self._values: list[float] = []
        self._from_run: list[bool] = []
        self.history: list[Record] = []  # the run's evaluations, in the order they finished
        # (point, signed value, iteration) of decoded points, in the current latent space
        self._decoded: list[tuple[Tensor, float, int]] = []
        self._since = 0  # the iteration the current latent space begins at

    def __len__(self) -> int:
        return len(self._values)

    def add(self, design: Any, value: float, latent: Tensor, from_run: bool) -> None:
        """Take in one design, its value in the objective's own units, and its point."""
        self.designs.append(design)
        self._latents.append(latent.detach().to("cpu", self.dtype))
        self._values.append(self.direction.sign * value)
        self._from_run.append(from_run)

    def add_record(self, record: Record, failure_value: float | str | None = None) -> None:
        """Take in an evaluation of the run: every one joins the history; a complete one
        joins the GP's data, and so does a failed one when ``failure_value`` is a
        number or ``"worst"`` (the worst value so far; see ``OptimizerOptions``). A
        duplicate decode only gives its point (with ``learn_points``)."""
        if record.status == ProposalState.DUPLICATE:  # a point, not an evaluation
            self._add_point(record, self.direction.sign * record.value)  # type: ignore[operator]
            return
        self.history.append(record)
        value = record.value
        if record.status != ProposalState.COMPLETE:
            value = self.worst() if failure_value == "worst" else failure_value  # type: ignore[assignment]
        if value is not None:
            self.add(record.design, value, record.latent, from_run=True)
            self._add_point(record, self._values[-1])

    def _add_point(self, record: Record, signed_value: float) -> None:
        """Learn ``signed_value`` at the point that decoded to ``record``'s design."""
        if self.learn_points and record.point is not None and record.iteration >= self._since:
            point = record.point.detach().to("cpu", self.dtype)
            self._decoded.append((point, signed_value, record.iteration))

    @property
    def n_decoded_points(self) -> int:
        """Decoded points the GP learns values at, beside the designs' encodings."""
        return len(self._decoded)

    def reencode(self, encode: Callable[[Sequence[Any]], Tensor], since: int | None = None) -> None:
        """Move every point into a new latent space (after the VAE was retrained).

        Decoded points belong to the latent space they were found in and go, except
        those of iterations from ``since`` on (a resumed run's, found after its last
        retraining)."""
        if self.designs:
            self._latents = list(encode(self.designs).to("cpu", self.dtype))
        if since is None:  # a new latent space from the next iteration on
            since = 1 + max((record.iteration for record in self.history), default=-1)
        self._since = since
        self._decoded = [entry for entry in self._decoded if entry[2] >= since]

    @property
    def X(self) -> Tensor:
        """``n x d`` latent points."""
        return torch.stack(self._latents)

    @property
    def Y(self) -> Tensor:
        """``n`` signed values (larger is better)."""
        return torch.tensor(self._values, dtype=self.dtype)

    @property
    def from_run(self) -> Tensor:
        """``n`` booleans: evaluated in the run (``False``: a score given with the data)."""
        return torch.tensor(self._from_run)

    def given_values(self) -> list[float]:
        """Signed values of the scores given with the training designs."""
        return [y for y, run in zip(self._values, self._from_run, strict=True) if not run]

    def worst(self) -> float | None:
        """The worst value so far in the objective's own units (``None``: none yet)."""
        return self.direction.sign * min(self._values) if self._values else None

    def best_point(self) -> Tensor:
        """``d`` latent point of the best value (the first among equals)."""
        return self.X[int(self.Y.argmax())]

    def priority(self, seed: int) -> Tensor:
        """A pseudo-random key per observation that never changes as more arrive.

        An integer hash of (index, seed): a point keeps its key at every step, so the
        random part of the GP's training subset stays stable.
        """
        mask = 0xFFFFFFFF
        key = (torch.arange(len(self), dtype=torch.int64) + seed * 0x9E3779B9) & mask
        for _ in range(2):
            key = ((key ^ (key >> 16)) * 0x45D9F3B) & mask
        return key ^ (key >> 16)

    def training_data(self, max_points: int | None, seed: int = 0) -> tuple[Tensor, Tensor]:
        """What the GP learns from: ``m x d`` points and ``m x 1`` values.

        Args:
            max_points: At most this many, chosen by
                :func:`lsbo.surrogates.select_training_points` (``None``: all).
            seed: Seeds the random part of the choice.

        Raises:
            LsboError: Fewer than two values are known.
        """
        if len(self) < 2:
            raise LsboError(
                "fewer than 2 evaluations succeeded, so no surrogate can be fitted; "
                "check that the objective works on the training designs"
            )
        X, Y = self.X, self.Y
        if max_points is not None:
            keep = select_training_points(Y, self.from_run, max_points, self.priority(seed))
            X, Y = X[keep], Y[keep]
        if self._decoded:  # every one: few, and each keeps the search out of a known region
            X = torch.cat([X, torch.stack([point for point, _, _ in self._decoded])])
            decoded = torch.tensor([value for _, value, _ in self._decoded], dtype=self.dtype)
            Y = torch.cat([Y, decoded])
        return X, Y.unsqueeze(-1)

    def fit_surrogate(
        self,
        bounds: Tensor,
        options: OptimizerOptions,
        seed: int,
        warm_start: dict[str, Any] | None = None,
    ) -> tuple[Model, dict[str, Any]]:
        """The GP of a step: exact on a subset, or variational on every point.

        Above ``options.variational_above`` points the surrogate is a variational GP
        with ``options.num_inducing`` inducing points on all of them; otherwise an exact
        GP on at most ``options.max_gp_points``. The same ``seed`` at every step keeps
        the variational fit's subsample, so warm starts work.

        Returns:
            ``(model, state)``: the fitted GP and its hyperparameters for the next
            step's warm start.
        """
        limit = options.variational_above
        big = limit is not None and len(self) > limit
        X, Y = self.training_data(None if big else options.max_gp_points, seed)
        extra = {"num_inducing": options.num_inducing} if big else {}
        kind: SurrogateKind = "variational" if big else "exact"
        return fit_surrogate(X, Y, bounds, kind=kind, warm_start=warm_start, seed=seed, **extra)
