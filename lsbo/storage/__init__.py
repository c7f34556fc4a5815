"""Where runs live: chosen by URL, as in Optuna.

``None`` keeps a run in memory; a file path or ``sqlite:///runs.db`` stores it in an
SQLite file; ``postgresql://user:password@host/db`` in a PostgreSQL database, for runs
whose workers are on several machines.
"""

from __future__ import annotations

import os
from pathlib import Path

from lsbo.storage.rdb import SCHEMA_VERSION, STATES, BudgetReached, RDBStorage, RunInfo

__all__ = ["SCHEMA_VERSION", "STATES", "BudgetReached", "RDBStorage", "RunInfo", "get_storage"]


def get_storage(storage: str | os.PathLike[str] | RDBStorage | None) -> RDBStorage:
    """The storage a URL, a path or ``None`` (in memory) stands for.

    Raises:
        StorageError: The URL or file cannot be used (see :class:`RDBStorage`).
    """
    if isinstance(storage, RDBStorage):
        return storage
    if storage is None:
        return RDBStorage("sqlite://")
    text = os.fspath(storage)
    if "://" in text:
        return RDBStorage(text)
    return RDBStorage(f"sqlite:///{Path(text).expanduser().absolute()}")
