"""One run's view of its storage: settings on open, syncing, pending proposals, heartbeats.

Several processes may share a run (``lsbo worker``, a cluster job array): each keeps a
:class:`RunStorage` that reads what the others stored since its last look, holds the
proposals it made and has not told yet, takes over those whose process died, and keeps
its own alive with a heartbeat thread while they are evaluated.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from lsbo.exceptions import (
    LsboError,
    OutdatedModelFileError,
    RunNotFoundError,
    SettingsMismatchError,
)
from lsbo.models import VAE, VAEQuality, convert_model_file, load_model
from lsbo.objective import Evaluation
from lsbo.options import OptimizerOptions
from lsbo.records import Proposal, ProposalState, Record, RunStats, Source
from lsbo.settings import differences, normalized
from lsbo.storage import RDBStorage, RunInfo
from lsbo.storage.serialize import (
    dump_design,
    dump_state,
    dump_tensor,
    load_design,
    load_state,
    load_tensor,
)

# a pending proposal whose worker died this many times is recorded as failed
MAX_ATTEMPTS = 3
# the worker of a proposal evaluated outside lsbo (a lab, another cluster) begins with
# this: it stays pending until told, however long that takes, and is never taken for lost
EXTERNAL = "external:"


@dataclass
class SyncResult:
    """What other processes (or earlier ones) stored since the last look.

    Attributes:
        records: Newly finished evaluations and invalid decodes, in storage order.
        keys: Design keys now taken (pending elsewhere, or evaluated).
    """

    records: list[Record] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


class RunStorage:
    """A named run in a storage, as one process sees it.

    Args:
        storage: Where the run lives.
        run: The run's stored row (see :func:`open_run`).
        dtype: Floating-point type of latent points read back.
        stale_after: Seconds without a heartbeat after which another process's pending
            proposal is taken to be lost.
    """

    def __init__(
        self, storage: RDBStorage, run: RunInfo, dtype: torch.dtype, stale_after: float = 300.0
    ) -> None:
        self.storage = storage
        self.run = run
        self.dtype = dtype
        self.stale_after = stale_after
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._adding_as = self.worker  # the worker that new proposals are stored under
        self.pending: dict[int, Proposal] = {}  # asked by this process, not yet told
        self.foreign: dict[int, dict[str, Any]] = {}  # pending rows of other processes
        self._done: set[int] = set()  # numbers of told and invalid proposals
        self._last_row = 0
        self._saved_stats: dict[str, Any] = {}

    @classmethod
    def open(
        cls,
        storage: RDBStorage,
        name: str,
        settings: dict[str, Any],
        accept_changes: bool,
        options: OptimizerOptions,
    ) -> RunStorage:
        """The run ``name`` (created when new; see :func:`open_run`), as this process
        sees it, with the options' dtype and ``stale_after``."""
        run = open_run(storage, name, settings, accept_changes)
        opened = cls(storage, run, options.dtype, options.stale_after)
        opened.mark_saved(RunStats.from_dict(run.stats))  # stored counters are not added again
        return opened

    @property
    def id(self) -> int:
        """The run's id in the storage."""
        return self.run.id

    @property
    def in_memory(self) -> bool:
        """Whether the storage lives only in this process."""
        return self.storage.in_memory

    # -- reading what others stored ------------------------------------------------

    def sync(self) -> SyncResult:
        """Take in what other processes (or earlier ones) stored since the last look."""
        result = SyncResult()
        rows = self.storage.proposals(self.id, self._last_row, list(self.foreign))
        for row in rows:
            self._last_row = max(self._last_row, row["id"])
            number, state = row["number"], row["state"]
            if number in self.pending or number in self._done:
                continue
            if state == ProposalState.PENDING:
                self.foreign[number] = row
                result.keys.append(row["design_key"])
                continue
            self.foreign.pop(number, None)
            self._done.add(number)
            if state not in (ProposalState.INVALID, ProposalState.DUPLICATE):
                result.keys.append(row["design_key"])
            result.records.append(record_from_row(row, self.dtype))
        return result

    def all_pending(self) -> list[Proposal]:
        """Proposals asked but not told, by this process or by others, by number."""
        foreign = [proposal_from_row(row, self.dtype) for row in self.foreign.values()]
        return sorted([*self.pending.values(), *foreign], key=lambda p: p.number)

    def pending_points(self) -> list[Tensor]:
        """Latent points of every pending proposal (this process's and others')."""
        points = [p.latent for p in self.pending.values()]
        return points + [_latent(row, self.dtype) for row in self.foreign.values()]

    def n_pending(self) -> int:
        """Proposals asked and not told, in every process."""
        return len(self.pending) + len(self.foreign)

    def n_live(self) -> int:
        """Pending proposals of other processes that are still alive."""
        return len(self.foreign) - len(self.stale())

    # -- lost proposals --------------------------------------------------------------

    def stale(self) -> list[dict[str, Any]]:
        """Pending rows whose worker is gone: released, dead on this host, or silent."""
        now, host = time.time(), socket.gethostname()
        stale = []
        for row in self.foreign.values():
            worker = row["worker"]
            if worker is not None and worker.startswith(EXTERNAL):
                continue  # evaluated outside lsbo: pending until told
            silent = now - (row["heartbeat_at"] or row["created_at"]) > self.stale_after
            if worker is None or silent or _is_dead(worker, host):
                stale.append(row)
        return stale

    def claim_stale(self, n: int) -> tuple[list[Proposal], list[tuple[Proposal, int]]]:
        """Take over up to ``n`` lost pending proposals.

        Returns:
            ``(claimed, abandoned)``: proposals to evaluate again, and proposals whose
            worker stopped :data:`MAX_ATTEMPTS` times, with that number, to be recorded
            as failed.
        """
        claimed: list[Proposal] = []
        abandoned: list[tuple[Proposal, int]] = []
        for row in self.stale():
            if len(claimed) == n:
                break
            if not self.storage.claim(self.id, row["number"], self.worker, row["worker"]):
                continue  # another process took it first
            proposal = proposal_from_row(row, self.dtype)
            self.foreign.pop(proposal.number)
            self.pending[proposal.number] = proposal
            if row["attempts"] >= MAX_ATTEMPTS:
                abandoned.append((proposal, row["attempts"]))
            else:
                claimed.append(proposal)
        return claimed, abandoned

    def adopt(self, number: int) -> bool:
        """Make another process's pending proposal this one's (to tell it here)."""
        if number not in self.pending and number in self.foreign:
            self.pending[number] = proposal_from_row(self.foreign.pop(number), self.dtype)
        return number in self.pending

    def release(self) -> None:
        """Give back every proposal of this process: a resumed run evaluates them at once.

        They belong to no worker then, like a dead process's proposals, so a later
        ``run`` of this process takes them up too (:meth:`sync` reads only new rows).
        """
        released = list(self.pending)
        self.storage.release(self.id, self.worker, released)
        self.pending.clear()
        rows = self.storage.proposals(self.id, self._last_row, released)
        self.foreign.update((r["number"], r) for r in rows if r["number"] in released)

    @contextmanager
    def external(self) -> Iterator[None]:
        """Proposals stored inside are evaluated outside lsbo: they stay pending until
        told, from any process, and no other process takes them for lost."""
        self._adding_as, before = EXTERNAL + self.worker, set(self.pending)
        try:
            yield
        finally:
            self._adding_as = self.worker
            # held as another process's: sync() then sees them told from anywhere
            added = [number for number in self.pending if number not in before]
            rows = self.storage.proposals(self.id, self._last_row, added) if added else []
            for row in rows:
                if row["number"] in added:
                    self.foreign[row["number"]] = row
                    del self.pending[row["number"]]

    # -- writing ----------------------------------------------------------------------

    def next_iteration(self) -> int:
        """A new step number, unique in the run across processes."""
        return self.storage.next_iteration(self.id)

    def add_pending(
        self,
        design: Any,
        key: str,
        latent: Tensor,
        point: Tensor | None,
        iteration: int,
        source: Source,
        budget: int | None,
    ) -> Proposal | None:
        """Store a new pending proposal; ``None`` if another process has the design.

        Raises:
            BudgetReached: The run holds ``budget`` evaluations (done or running).
        """
        now = time.time()
        number = self.storage.add_proposal(
            self.id,
            limit=budget,
            state=ProposalState.PENDING.value,
            design=dump_design(design),
            design_key=key,
            latent=dump_tensor(latent),
            point=dump_tensor(point),
            iteration=iteration,
            source=source.value,
            attempts=1,
            worker=self._adding_as,
            started_at=now,
            heartbeat_at=now,
        )
        if number is None:
            return None
        proposal = Proposal(number, design, latent, point, iteration, source)
        self.pending[number] = proposal
        return proposal

    def add_invalid(self, design: Any, point: Tensor, iteration: int, source: Source) -> Record:
        """Store a decoded design that cannot be evaluated; it never reaches the objective."""
        message = "the decoded design is not valid"
        return self._add_decode(design, point, None, iteration, source, message)

    def add_duplicate(
        self, design: Any, point: Tensor, value: float, iteration: int, source: Source
    ) -> Record:
        """Store a point that decoded to ``design``, scored already at ``value``: the GP
        learns the value there too; the design is not evaluated again."""
        message = "the decoded design was scored already"
        return self._add_decode(design, point, value, iteration, source, message)

    def _add_decode(
        self,
        design: Any,
        point: Tensor,
        value: float | None,
        iteration: int,
        source: Source,
        message: str,
    ) -> Record:
        """Store a decode that is never evaluated: invalid (``value`` ``None``) or a
        duplicate of a design scored at ``value``."""
        state = ProposalState.INVALID if value is None else ProposalState.DUPLICATE
        number = self.storage.add_proposal(
            self.id,
            state=state.value,
            design=dump_design(design),
            point=dump_tensor(point),
            value=value,
            iteration=iteration,
            source=source.value,
            message=message,
        )
        assert number is not None  # these rows have no design key to conflict on
        self._done.add(number)
        latent = point.detach().to("cpu", self.dtype)
        return Record(
            number, design, value, state, message, iteration, source, latent, 0.0,
            point=None if value is None else latent,
        )  # fmt: skip

    def finish(self, number: int, outcome: Evaluation) -> Record | None:
        """Store the outcome of pending proposal ``number`` (another process's too).

        Returns:
            Its record, or ``None`` when another process finished it first (it had been
            taken for lost).

        Raises:
            LsboError: ``number`` is not pending (told already, or not of this run).
        """
        if not self.adopt(number):
            raise LsboError(
                f"proposal {number} is not pending in run {self.run.name!r}: it was "
                "already told, or comes from another run"
            )
        proposal = self.pending.pop(number)
        if not self.storage.finish(
            self.id,
            number,
            state=outcome.status,
            value=outcome.value,
            message=outcome.message,
            duration=outcome.duration,
        ):
            return None
        self._done.add(number)
        return Record(
            number=number,
            design=proposal.design,
            value=outcome.value,
            status=ProposalState(outcome.status),
            message=outcome.message,
            iteration=proposal.iteration,
            source=proposal.source,
            latent=proposal.latent,
            duration=outcome.duration,
            point=proposal.acquisition_point,
        )

    def mark_saved(self, stats: RunStats) -> None:
        """Take ``stats`` as stored already (the counters a run was loaded with)."""
        self._saved_stats = stats.counters()

    def save_stats(self, stats: RunStats) -> None:
        """Add this process's counters since the last save to the run's stored ones
        (increments, so that processes sharing a run do not overwrite each other)."""
        now = stats.counters()  # the VAE's assessments are stored with save_quality
        increments = {k: v - self._saved_stats.get(k, 0) for k, v in now.items()}
        if any(increments.values()):
            self.storage.add_to_stats(self.id, increments)
        self._saved_stats = now

    # -- checkpoints ------------------------------------------------------------------

    def load_model(self) -> VAE | None:
        """The run's stored VAE (the latest retrained one), or ``None``.

        Raises:
            OutdatedModelFileError: It was stored by an older lsbo (see
                :func:`load_stored_model`).
        """
        return load_stored_model(self.storage, self.run)

    def save_model(self, model: VAE, seed: int, replace: bool = True) -> bool:
        """Store the run's VAE (no-op in memory); with ``replace=False`` keep one stored
        by another process first and return ``False``."""
        if self.in_memory:
            return True
        buffer = io.BytesIO()
        model.save(buffer, **{**model.metadata, "seed": seed})
        return self.storage.save_checkpoint(self.id, "vae", buffer.getvalue(), replace=replace)

    def load_quality(self) -> list[VAEQuality]:
        """The assessments of the run's VAEs, oldest first (empty: none stored)."""
        return load_stored_quality(self.storage, self.run)

    def save_quality(self, quality: list[VAEQuality]) -> None:
        """Store the assessments of the run's VAEs (no-op in memory): they describe the
        stored VAE, so the process that trains or retrains it stores them."""
        if not self.in_memory:
            data = json.dumps([q.to_dict() for q in quality]).encode()
            self.storage.save_checkpoint(self.id, "vae_quality", data)

    def load_gp_state(self) -> dict[str, Any] | None:
        """The GP hyperparameters of the last step, for a warm start."""
        data = self.storage.load_checkpoint(self.id, "gp")
        return None if data is None else load_state(data)

    def save_gp_state(self, state: dict[str, Any] | None) -> None:
        """Store the GP hyperparameters (no-op in memory)."""
        if not self.in_memory:
            self.storage.save_checkpoint(self.id, "gp", dump_state(state))

    # -- heartbeats -------------------------------------------------------------------

    def heartbeat_interval(self) -> float:
        """Seconds between heartbeats: often enough that none goes stale by mistake."""
        return min(10.0, self.stale_after / 3)

    @contextmanager
    def heartbeats(self) -> Iterator[None]:
        """While evaluations run, tell the storage every few seconds that they are alive."""
        if self.in_memory:
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.heartbeat_interval()):
                with suppress(LsboError):  # a busy database: the next beat will do
                    self.storage.heartbeat(self.id, self.worker)

        thread = threading.Thread(target=beat, name="lsbo-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def open_run(
    storage: RDBStorage, name: str, settings: dict[str, Any], accept_changes: bool
) -> RunInfo:
    """The run ``name``, created with ``settings`` when it is new.

    Args:
        storage: Where the run lives.
        name: The run's name.
        settings: The settings of this session (JSON types, see
            :func:`lsbo.settings.run_settings`).
        accept_changes: Store changed settings instead of raising.

    Raises:
        SettingsMismatchError: The stored run has other settings and ``accept_changes``
            is false, or its VAE settings changed while it keeps its trained VAE.
    """
    run = storage.get_run(name)
    if run is None:
        return storage.create_run(name, settings)
    changes = differences(normalized(run.settings), settings, skip=("metadata",))
    if changes and not accept_changes:
        raise SettingsMismatchError(
            f"a run named {name!r} in {storage} was made with other settings "
            f"({'; '.join(changes[:4])}); choose another name, or resume it with the new "
            "settings (accept_changes=True, --accept-changes)"
        )
    fixed = [c for c in changes if c.startswith(("options.vae.", "options.latent_dim"))]
    if fixed and storage.load_checkpoint(run.id, "vae") is not None:
        raise SettingsMismatchError(
            f"run {name!r} keeps the VAE it was trained with, so its VAE settings "
            f"cannot change on resume ({'; '.join(fixed[:4])}); start a new run under "
            "another name to train a VAE with the new settings"
        )
    if changes:
        warnings.warn(
            f"resuming run {name!r} with changed settings: {'; '.join(changes)}", stacklevel=4
        )
        storage.update_run(run.id, settings=settings)
        run = dataclasses.replace(run, settings=settings)
    return run


def load_stored_model(storage: RDBStorage, run: RunInfo) -> VAE | None:
    """A run's stored VAE, read as plain data and tensors only, or ``None``.

    Raises:
        OutdatedModelFileError: The VAE was stored by an older lsbo, with pickled
            objects; the message says how to upgrade it (:func:`upgrade_stored_model`).
        ModelFileError: The stored VAE cannot be read.
    """
    data = storage.load_checkpoint(run.id, "vae")
    if data is None:
        return None
    try:
        return load_model(data)
    except OutdatedModelFileError:
        raise OutdatedModelFileError(
            f"the VAE stored with run {run.name!r} in {storage} was written by an older "
            "lsbo, with pickled Python objects, which lsbo no longer loads since unpickling "
            "can run any code. If you trust this storage, upgrade the run's VAE once: "
            f"lsbo runs --storage {storage} --upgrade-models {run.name}, or in Python "
            f"lsbo.upgrade_run_models(storage, {run.name!r})"
        ) from None


def load_stored_quality(storage: RDBStorage, run: RunInfo) -> list[VAEQuality]:
    """The stored assessments of a run's VAEs (:func:`lsbo.models.assess_vae`), oldest
    first; empty for a run stored before lsbo assessed its VAEs."""
    data = storage.load_checkpoint(run.id, "vae_quality")
    return [] if data is None else [VAEQuality.from_dict(q) for q in json.loads(data)]


def upgrade_stored_model(storage: RDBStorage, run: RunInfo) -> bool:
    """Rewrite a run's stored VAE of an older lsbo in the current model file format.

    Warning:
        Only for a storage you trust: the old VAE is unpickled (see
        :func:`lsbo.models.convert_model_file`), and unpickling can run arbitrary code.

    Returns:
        Whether a VAE was rewritten (``False``: none stored, or already current).
    """
    data = storage.load_checkpoint(run.id, "vae")
    if data is None:
        return False
    buffer = io.BytesIO()
    if not convert_model_file(data, buffer):
        return False
    storage.save_checkpoint(run.id, "vae", buffer.getvalue())
    return True


def get_run(storage: RDBStorage, name: str, where: str | None = None) -> RunInfo:
    """The stored run ``name`` (``where`` names the storage in the error, if given).

    Raises:
        RunNotFoundError: No run of that name, with the names that exist.
    """
    run = storage.get_run(name)
    if run is None:
        names = ", ".join(r.name for r in storage.list_runs()[:10]) or "none"
        raise RunNotFoundError(f"no run named {name!r} in {where or storage} (runs there: {names})")
    return run


def record_from_row(row: dict[str, Any], dtype: torch.dtype = torch.float64) -> Record:
    """A :class:`Record` from a stored proposal row."""
    latent = load_tensor(row["latent"] or row["point"], dtype)
    return Record(
        number=row["number"],
        design=load_design(row["design"]),
        value=row["value"],
        status=ProposalState(row["state"]),
        message=row["message"],
        iteration=row["iteration"],
        source=Source(row["source"]),
        latent=torch.empty(0, dtype=dtype) if latent is None else latent,
        duration=row["duration"],
        point=load_tensor(row["point"], dtype),
    )


def proposal_from_row(row: dict[str, Any], dtype: torch.dtype) -> Proposal:
    """A :class:`Proposal` from a stored pending row."""
    return Proposal(
        number=row["number"],
        design=load_design(row["design"]),
        latent=_latent(row, dtype),
        acquisition_point=load_tensor(row["point"], torch.float32),
        iteration=row["iteration"],
        source=Source(row["source"]),
    )


def _latent(row: dict[str, Any], dtype: torch.dtype) -> Tensor:
    latent = load_tensor(row["latent"], dtype)
    assert latent is not None  # pending rows always have one
    return latent


def _is_dead(worker: str, host: str) -> bool:
    """Whether ``worker`` ("host:pid:token") was a process on this host that has ended."""
    worker_host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if worker_host != host or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this process: a proposal of an optimizer that was let go
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
