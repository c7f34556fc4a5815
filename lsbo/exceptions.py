"""Errors a user can cause. Each message says what went wrong and what to do."""

from __future__ import annotations

import warnings
from typing import Any


class LsboError(Exception):
    """Base class of every error lsbo raises on purpose."""


class InvalidDesignsError(LsboError, ValueError):
    """Training designs or a dataset are empty, mixed, or do not fit the codec."""


class InvalidOptionError(LsboError, ValueError):
    """An option or argument is out of range or of the wrong type."""


class ObjectiveError(LsboError):
    """The objective is not usable (not callable, returns the wrong number of values)."""


class MissingDependencyError(LsboError, ImportError):
    """A feature needs an optional dependency that is not installed (the message names
    the extra to install)."""


class ModelFileError(LsboError):
    """A saved model file is missing, corrupt, or from an incompatible version, or a
    model cannot be saved as plain data."""


class OutdatedModelFileError(ModelFileError):
    """A model file written by an older lsbo, with pickled Python objects that lsbo no
    longer loads: convert it with :func:`lsbo.models.convert_model_file` if you trust it."""


class UnknownObjectiveError(LsboError, KeyError):
    """A built-in objective name that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StorageError(LsboError):
    """A storage URL or file cannot be used: unknown scheme, corrupt, read-only, foreign."""


class _RunExistsError(StorageError):
    """Deprecated name of the two errors below (its name said the opposite of one of
    them): ``except RunExistsError`` still catches both for one release."""


class SettingsMismatchError(_RunExistsError):
    """A run of that name exists with other settings (pass ``accept_changes=True`` to
    continue it with the new ones)."""


class RunNotFoundError(_RunExistsError, KeyError):
    """No run of that name exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BatchFileError(LsboError, ValueError):
    """A batch file of the lab loop (``lsbo ask`` / ``lsbo tell``) is missing, malformed,
    or does not fit its run; the message names the row."""


class SearchExhaustedError(LsboError):
    """Every latent point tried decodes to an invalid design or one already evaluated."""


class NoDataError(LsboError):
    """A plot or summary needs data that the run or model does not hold (no complete
    evaluation, no VAE, no training report)."""


class LsboWarning(UserWarning):
    """Base class of every warning lsbo gives on purpose."""


class PoorVAEWarning(LsboWarning):
    """A trained VAE is too poor for a search to work through it (it reconstructs few
    designs, or its prior decodes few valid or new ones): the message says what to do."""


def __getattr__(name: str) -> Any:
    if name == "RunExistsError":
        warnings.warn(
            "RunExistsError is deprecated: catch SettingsMismatchError (a run exists with "
            "other settings) or RunNotFoundError (no such run); both are StorageErrors",
            DeprecationWarning,
            stacklevel=2,
        )
        return _RunExistsError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
