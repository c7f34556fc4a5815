"""Runs in a SQL database through SQLAlchemy: SQLite files (the default) and PostgreSQL.

Four tables, all prefixed ``lsbo_`` so that they never clash with another program's:

- ``lsbo_meta``: the schema version;
- ``lsbo_runs``: one row per named run (settings, budget, counters);
- ``lsbo_proposals``: one row per proposal (design, latent point, state, value,
  message, timestamps, the worker evaluating it). A unique index on the design's key
  lets the database, not the workers, decide who evaluates a design: a second worker
  that proposes the same design gets a conflict and proposes another;
- ``lsbo_checkpoints``: the VAE and the GP's hyperparameters, so a run continues
  without retraining.

Every write is its own transaction, committed before the call returns. SQLite runs in
WAL mode with a 30 s busy timeout, and each transaction takes the write lock up front
(``BEGIN IMMEDIATE``), so processes sharing a file wait for each other instead of
failing with "database is locked".
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from lsbo.exceptions import LsboError, RunNotFoundError, StorageError

SCHEMA_VERSION = 1
STATES = ("pending", "complete", "failed", "invalid", "duplicate")

_metadata = sa.MetaData()
_meta = sa.Table(
    "lsbo_meta",
    _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
_runs = sa.Table(
    "lsbo_runs",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("budget", sa.Integer),
    sa.Column("iterations", sa.Integer, nullable=False),
    sa.Column("next_number", sa.Integer, nullable=False),
    sa.Column("stats", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
_proposals = sa.Table(
    "lsbo_proposals",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("lsbo_runs.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("design", sa.Text, nullable=False),
    sa.Column("design_key", sa.String(64)),  # NULL for invalid designs
    sa.Column("latent", sa.Text),
    sa.Column("point", sa.Text),
    sa.Column("iteration", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("duration", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(255)),
    sa.Column("finish_order", sa.Integer),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.UniqueConstraint("run_id", "number"),
    sa.UniqueConstraint("run_id", "design_key"),
)
_checkpoints = sa.Table(
    "lsbo_checkpoints",
    _metadata,
    sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("lsbo_runs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class RunInfo:
    """A stored run's row: its id, name, settings and counters."""

    id: int
    name: str
    settings: dict[str, Any]
    budget: int | None
    iterations: int
    stats: dict[str, Any]
    created_at: float
    updated_at: float


class RDBStorage:
    """Runs in a relational database given by URL.

    Args:
        url: ``sqlite:///path.db``, ``postgresql://user:pass@host/db`` (through the
            ``psycopg`` driver), or ``sqlite://`` for an in-memory database that lives
            as long as this object.

    Raises:
        StorageError: The URL cannot be used: an unknown scheme, a missing folder, a
            file that is not an lsbo database, an incompatible schema version, an
            unreachable server.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()  # one in-memory connection is shared by threads
        self._where = _describe(url)
        self.engine = _create_engine(url, self._where)
        self._check_schema()

    @property
    def in_memory(self) -> bool:
        """Whether the runs vanish with this object (``sqlite://``)."""
        return self.engine.url.get_backend_name() == "sqlite" and not self.engine.url.database

    def __repr__(self) -> str:
        return f"RDBStorage({self._where!r})"

    def __str__(self) -> str:
        return self._where

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._lock:
            try:
                with self.engine.begin() as connection:
                    yield connection
            except sa.exc.DBAPIError as exc:
                raise _storage_error(exc, self._where) from None

    def _check_schema(self) -> None:
        with self._transaction() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            if "lsbo_meta" not in tables:
                if tables - set(_metadata.tables):
                    shown = ", ".join(sorted(tables)[:5])
                    raise StorageError(
                        f"{self._where} is a database of another program (tables: {shown}); "
                        "lsbo keeps its runs in a database of its own: choose another path or URL"
                    )
                _metadata.create_all(connection)
                connection.execute(
                    sa.insert(_meta).values(key="schema_version", value=str(SCHEMA_VERSION))
                )
                return
            found = connection.execute(
                sa.select(_meta.c.value).where(_meta.c.key == "schema_version")
            ).scalar()
        if found != str(SCHEMA_VERSION):
            newer = found is not None and found.isdigit() and int(found) > SCHEMA_VERSION
            advice = (
                "upgrade lsbo (pip install -U lsbo) to read it"
                if newer
                else "export its results with the lsbo that wrote it, or start a new file"
            )
            raise StorageError(
                f"{self._where} holds lsbo runs in storage schema version {found}, but this "
                f"lsbo reads version {SCHEMA_VERSION}; {advice}"
            )

    # -- runs -----------------------------------------------------------------------

    def get_run(self, name: str) -> RunInfo | None:
        """The run called ``name``, or ``None``."""
        with self._transaction() as connection:
            row = connection.execute(sa.select(_runs).where(_runs.c.name == name)).first()
        return None if row is None else _run_info(row)

    def create_run(self, name: str, settings: dict[str, Any]) -> RunInfo:
        """Create a run; if another process created it first, return that one.

        Raises:
            StorageError: The database refuses the write (e.g. a read-only file).
        """
        now = time.time()
        try:
            with self._transaction() as connection:
                connection.execute(
                    sa.insert(_runs).values(
                        name=name,
                        settings=json.dumps(settings, sort_keys=True),
                        iterations=0,
                        next_number=0,
                        stats="{}",
                        created_at=now,
                        updated_at=now,
                    )
                )
        except _IntegrityStorageError:
            pass  # created by a concurrent process an instant ago
        run = self.get_run(name)
        assert run is not None
        return run

    def list_runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        with self._transaction() as connection:
            rows = connection.execute(sa.select(_runs).order_by(_runs.c.id)).all()
        return [_run_info(row) for row in rows]

    def delete_run(self, name: str) -> None:
        """Delete a run with its proposals and checkpoints."""
        with self._transaction() as connection:
            run_id = connection.execute(sa.select(_runs.c.id).where(_runs.c.name == name)).scalar()
            if run_id is None:
                raise RunNotFoundError(f"no run named {name!r} in {self._where}")
            for table in (_proposals, _checkpoints):
                connection.execute(sa.delete(table).where(table.c.run_id == run_id))
            connection.execute(sa.delete(_runs).where(_runs.c.id == run_id))

    def update_run(self, run_id: int, **values: Any) -> None:
        """Set ``settings``, ``budget`` or ``stats`` of a run."""
        for key in ("settings", "stats"):
            if key in values:
                values[key] = json.dumps(values[key], sort_keys=True)
        with self._transaction() as connection:
            statement = sa.update(_runs).where(_runs.c.id == run_id)
            connection.execute(statement.values(updated_at=time.time(), **values))

    def add_to_stats(self, run_id: int, increments: dict[str, float]) -> None:
        """Add numbers to the run's stored stats, atomically."""
        with self._transaction() as connection:
            # the write first: it locks the row, so concurrent additions queue up
            touch = sa.update(_runs).where(_runs.c.id == run_id).values(updated_at=time.time())
            connection.execute(touch)
            text = connection.execute(sa.select(_runs.c.stats).where(_runs.c.id == run_id))
            stats = json.loads(text.scalar_one())
            for key, value in increments.items():
                stats[key] = stats.get(key, 0) + value
            connection.execute(
                sa.update(_runs).where(_runs.c.id == run_id).values(stats=json.dumps(stats))
            )

    def next_iteration(self, run_id: int) -> int:
        """Atomically increment and return the run's step counter."""
        return self._increment(run_id, _runs.c.iterations)

    def _increment(self, run_id: int, column: sa.Column[int], connection: Any = None) -> int:
        if connection is None:
            with self._transaction() as connection:
                return self._increment(run_id, column, connection)
        statement = (
            sa.update(_runs)
            .where(_runs.c.id == run_id)
            .values({column.name: column + 1})
            .returning(column)
        )
        return int(connection.execute(statement).scalar_one())

    # -- proposals ------------------------------------------------------------------

    def add_proposal(self, run_id: int, limit: int | None = None, **row: Any) -> int | None:
        """Insert a proposal and return its number, or ``None`` if its design key is
        already taken in this run (by a design proposed elsewhere).

        Args:
            run_id: The run.
            limit: With it, a pending proposal is only added while the run holds fewer
                than ``limit`` pending, complete and failed proposals: checked in the
                same transaction, so workers sharing a run never overshoot its budget.
            row: Column values.

        Raises:
            BudgetReached: ``limit`` is reached.
        """
        now = time.time()
        try:
            with self._transaction() as connection:
                # the counter update comes first: it locks the run until commit, so the
                # count below sees every proposal that concurrent workers committed
                number = self._increment(run_id, _runs.c.next_number, connection) - 1
                if limit is not None and self._n_active(connection, run_id) >= limit:
                    raise BudgetReached(f"the run already holds {limit} evaluations")
                values = {"message": "", "duration": 0.0, "attempts": 0, **row}
                connection.execute(
                    sa.insert(_proposals).values(
                        run_id=run_id, number=number, created_at=now, **values
                    )
                )
        except _IntegrityStorageError:
            return None
        return number

    @staticmethod
    def _n_active(connection: Connection, run_id: int) -> int:
        statement = sa.select(sa.func.count()).where(
            _proposals.c.run_id == run_id,
            _proposals.c.state.in_(("pending", "complete", "failed")),
        )
        return int(connection.execute(statement).scalar_one())

    def finish(self, run_id: int, number: int, **values: Any) -> bool:
        """Record a pending proposal's outcome (``state``, ``value``, ``message``,
        ``duration``); ``False`` if it was not pending (told already, elsewhere)."""
        order = (
            sa.select(sa.func.coalesce(sa.func.max(_proposals.c.finish_order), -1) + 1)
            .where(_proposals.c.run_id == run_id)
            .scalar_subquery()
        )
        with self._transaction() as connection:
            result = connection.execute(
                sa.update(_proposals)
                .where(*_pending(run_id, _proposals.c.number == number))
                .values(finish_order=order, finished_at=time.time(), **values)
            )
        return bool(result.rowcount)

    def claim(self, run_id: int, number: int, worker: str, previous: str | None) -> bool:
        """Take over a pending proposal from ``previous`` (compare-and-set)."""
        now = time.time()
        owner = (
            _proposals.c.worker.is_(None) if previous is None else _proposals.c.worker == previous
        )
        with self._transaction() as connection:
            result = connection.execute(
                sa.update(_proposals)
                .where(*_pending(run_id, _proposals.c.number == number, owner))
                .values(
                    worker=worker,
                    attempts=_proposals.c.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        return bool(result.rowcount)

    def heartbeat(self, run_id: int, worker: str) -> None:
        """Mark the pending proposals of ``worker`` as still being evaluated."""
        with self._transaction() as connection:
            connection.execute(
                sa.update(_proposals)
                .where(*_pending(run_id, _proposals.c.worker == worker))
                .values(heartbeat_at=time.time())
            )

    def release(self, run_id: int, worker: str, numbers: Sequence[int] | None = None) -> None:
        """Give up pending proposals of ``worker`` (all, or ``numbers``), so that the
        next worker that asks evaluates them instead of waiting for them to go stale."""
        conditions = _pending(run_id, _proposals.c.worker == worker)
        if numbers is not None:
            conditions.append(_proposals.c.number.in_(list(numbers)))
        with self._transaction() as connection:
            connection.execute(sa.update(_proposals).where(*conditions).values(worker=None))

    def summary(self, run_id: int, maximize: bool = True) -> tuple[dict[str, int], float | None]:
        """Proposals of a run counted by state, and the best complete value, without
        reading the designs (cheap for long runs).

        Returns:
            ``({state: count}, best value or None)``.
        """
        best = sa.func.max if maximize else sa.func.min
        with self._transaction() as connection:
            counts = connection.execute(
                sa.select(_proposals.c.state, sa.func.count())
                .where(_proposals.c.run_id == run_id)
                .group_by(_proposals.c.state)
            ).all()
            value = connection.execute(
                sa.select(best(_proposals.c.value)).where(
                    _proposals.c.run_id == run_id, _proposals.c.state == "complete"
                )
            ).scalar_one()
        return {state: int(n) for state, n in counts}, None if value is None else float(value)

    def proposals(
        self, run_id: int, after_id: int = 0, numbers: Sequence[int] = ()
    ) -> list[dict[str, Any]]:
        """Rows with ``id > after_id`` and rows of the given ``numbers``, by ``id``."""
        condition = _proposals.c.id > after_id
        if numbers:
            condition = sa.or_(condition, _proposals.c.number.in_(list(numbers)))
        with self._transaction() as connection:
            rows = connection.execute(
                sa.select(_proposals)
                .where(_proposals.c.run_id == run_id, condition)
                .order_by(_proposals.c.id)
            ).all()
        return [dict(row._mapping) for row in rows]

    # -- checkpoints ----------------------------------------------------------------

    def save_checkpoint(self, run_id: int, kind: str, data: bytes, replace: bool = True) -> bool:
        """Store bytes under ``kind``; with ``replace=False`` keep an existing one.

        Returns:
            Whether ``data`` was stored.
        """
        try:
            return self._save_checkpoint(run_id, kind, data, replace)
        except _IntegrityStorageError:  # another process inserted it between our steps
            return self._save_checkpoint(run_id, kind, data, replace)

    def _save_checkpoint(self, run_id: int, kind: str, data: bytes, replace: bool) -> bool:
        with self._transaction() as connection:
            exists = connection.execute(
                sa.select(_checkpoints.c.kind).where(
                    _checkpoints.c.run_id == run_id, _checkpoints.c.kind == kind
                )
            ).first()
            if exists and not replace:
                return False
            if exists:
                connection.execute(
                    sa.update(_checkpoints)
                    .where(_checkpoints.c.run_id == run_id, _checkpoints.c.kind == kind)
                    .values(data=data, created_at=time.time())
                )
            else:
                connection.execute(
                    sa.insert(_checkpoints).values(
                        run_id=run_id, kind=kind, data=data, created_at=time.time()
                    )
                )
        return True

    def load_checkpoint(self, run_id: int, kind: str) -> bytes | None:
        """The bytes stored under ``kind``, or ``None``."""
        with self._transaction() as connection:
            return connection.execute(
                sa.select(_checkpoints.c.data).where(
                    _checkpoints.c.run_id == run_id, _checkpoints.c.kind == kind
                )
            ).scalar()


class BudgetReached(LsboError):
    """No proposal was added: the run holds as many evaluations as its budget."""


class _IntegrityStorageError(StorageError):
    """A unique constraint said no: the caller decides what that means."""


def _pending(run_id: int, *more: Any) -> list[Any]:
    """Conditions selecting the pending proposals of a run that also meet ``more``."""
    return [_proposals.c.run_id == run_id, _proposals.c.state == "pending", *more]


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        name=row.name,
        settings=json.loads(row.settings),
        budget=row.budget,
        iterations=row.iterations,
        stats=json.loads(row.stats),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _describe(url: str) -> str:
    """The URL as shown in messages: a SQLite file as its path, a server without password."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database if parsed.database else "the in-memory storage"
    return parsed.render_as_string(hide_password=True)


def _create_engine(url: str, where: str) -> Engine:
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, where)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
            with engine.connect():
                pass
        except ModuleNotFoundError as exc:
            raise StorageError(
                f"PostgreSQL storage needs a driver ({exc.name} is not installed): "
                "pip install 'lsbo[postgresql]'"
            ) from None
        except sa.exc.DBAPIError as exc:
            raise StorageError(
                f"cannot connect to {where}: {_first_line(exc.orig)}; check that the server "
                "is running, the database exists and the user name and password are right"
            ) from None
        return engine
    raise StorageError(f"unknown storage URL {where!r}: {_URL_HELP}")


_URL_HELP = (
    "use a file path (runs.db), sqlite:///path/runs.db, or "
    "postgresql://user:password@host:port/database"
)


def _sqlite_engine(url: sa.URL, where: str) -> Engine:
    if url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.is_dir():
            raise StorageError(f"{where} is a folder; give a file path such as {path}/runs.db")
        if not path.parent.is_dir():
            raise StorageError(
                f"cannot create {path}: the folder {path.parent} does not exist; "
                "create it first or choose another path"
            )
        engine = sa.create_engine(url, connect_args={"timeout": 30})
    else:
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        # let SQLAlchemy's "begin" below decide when transactions start
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if url.database and url.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # take the write lock first: a read that later upgrades to a write can fail
        # at once with "database is locked", whatever the busy timeout
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        raise _storage_error(exc, where) from None
    return engine


def _storage_error(exc: sa.exc.DBAPIError, where: str) -> StorageError:
    message = _first_line(exc.orig)
    lowered = message.lower()
    if isinstance(exc, sa.exc.IntegrityError):
        return _IntegrityStorageError(message)
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return StorageError(
            f"{where} is read-only ({message}); lsbo writes every result as it arrives: "
            "make the file and its folder writable, or choose another path"
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return StorageError(
            f"{where} is not an SQLite database or is corrupt ({message}); move it away "
            "(a backup may still hold your results) or choose another path"
        )
    if "unable to open" in lowered:
        return StorageError(f"cannot open {where} ({message}); check the path and permissions")
    return StorageError(f"storage error in {where}: {message}")


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
