"""Batch files of the lab loop: proposals out to a CSV file, measured values back in.

A lab evaluates designs outside Python and comes back later, perhaps days later:
:func:`write_batch` writes a batch of proposals (``Optimizer.ask(n, external=True)``,
or ``lsbo ask``) as a CSV file with the columns ``number,design``; the lab adds a
``value`` column; :func:`tell_batch` (``lsbo tell``) reads it back and records each
value in the stored run. The file is checked whole before anything is recorded, so a
malformed or foreign file records nothing, and whatever the run held stays.

A ``value`` cell holds a number, or is empty or the word ``failed`` for a measurement
that failed (it counts as an evaluation, never the best). A string design is written as
it is; an image is written beside the CSV file as ``<stem>-<number>.npy`` and its cell
names that file.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsbo.exceptions import BatchFileError
from lsbo.objective import Evaluation
from lsbo.records import Proposal, Record

COLUMNS = ("number", "design")
VALUE = "value"
FAILED = "failed"
FAILED_MESSAGE = "the measurement failed (told as 'failed' or empty)"


@dataclass(frozen=True)
class BatchRow:
    """One data row of a batch file.

    Attributes:
        row: Its row in the file as a spreadsheet numbers it (the header is row 1).
        number: The proposal's number in its run.
        design: The design cell as written (a string, or an image's file name).
        value: The measured value, or ``None`` for a failed measurement.
    """

    row: int
    number: int
    design: str
    value: float | None


@dataclass
class TellReport:
    """What :func:`tell_batch` recorded.

    Attributes:
        told: The records stored now, in the file's order.
        unchanged: Numbers of rows told before with the same outcome (a file told
            twice): nothing was stored for them.
    """

    told: list[Record] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def design_cell(design: Any, path: str | os.PathLike[str], number: int) -> str:
    """What the ``design`` cell of proposal ``number`` holds in the batch file ``path``:
    a string design itself, else the name of the ``.npy`` file beside ``path``."""
    if isinstance(design, str):
        return design
    path = Path(path)
    return f"{path.stem}-{number}.npy"


def write_batch(proposals: Sequence[Proposal], path: str | os.PathLike[str]) -> Path:
    """Write ``proposals`` as a batch file (``number,design``), atomically.

    Image designs go beside it, one ``.npy`` file each (see :func:`design_cell`).

    Returns:
        The path written.

    Raises:
        BatchFileError: The file cannot be written.
    """
    import numpy as np

    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    try:
        for proposal in proposals:
            cell = design_cell(proposal.design, path, proposal.number)
            if not isinstance(proposal.design, str):
                np.save(path.parent / cell, np.asarray(proposal.design), allow_pickle=False)
            writer.writerow([proposal.number, cell])
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise BatchFileError(f"cannot write the batch file {str(path)!r}: {exc}") from None
    return path


def read_batch(path: str | os.PathLike[str]) -> list[BatchRow]:
    """The rows of a batch file with its ``value`` column filled in.

    Raises:
        BatchFileError: The file is missing, not a batch file (no ``number``,
            ``design`` or ``value`` column), or a row is malformed: a number that is
            not a whole number, a number twice, a value that is not a finite number,
            ``failed`` or empty. The message names the row.
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet may write a BOM
    except FileNotFoundError:
        raise BatchFileError(f"no batch file {name!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchFileError(f"cannot read the batch file {name!r}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in (*COLUMNS, VALUE) if column not in header]
    if missing:
        what = "has no header row" if not header else f"has the columns {', '.join(header)}"
        raise BatchFileError(
            f"{name!r} is not a batch file of lsbo with measured values: it {what}, not "
            f"number, design and value (write one with `lsbo ask`, then add a 'value' "
            f"column)"
        )
    reader.fieldnames = header
    rows: list[BatchRow] = []
    seen: dict[int, int] = {}
    for index, raw in enumerate(reader, start=2):
        cells = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if not any(cells.values()):
            continue  # a blank line
        where = f"{name!r} row {index}"
        number = _number(cells["number"], where)
        if number in seen:
            raise BatchFileError(
                f"{where}: proposal {number} is in row {seen[number]} too; give each "
                "proposal one value"
            )
        seen[number] = index
        rows.append(BatchRow(index, number, cells["design"], _value(cells[VALUE], where)))
    if not rows:
        raise BatchFileError(f"{name!r} has no rows to tell")
    return rows


def _number(cell: str, where: str) -> int:
    try:
        number = float(cell)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number == int(number) and number >= 0):
        raise BatchFileError(
            f"{where}: number {cell!r} is not a proposal number (a whole number as "
            "`lsbo ask` wrote it)"
        )
    return int(number)


def _value(cell: str, where: str) -> float | None:
    if cell == "" or cell.lower() == FAILED:
        return None
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        hint = " (write decimals with a point, 1.5)" if "," in cell else ""
        raise BatchFileError(
            f"{where}: value {cell!r} is not a number{hint}; write the measured number, "
            f"'{FAILED}', or leave it empty for a failed measurement"
        )
    return value


def tell_batch(storage: Any, name: str, path: str | os.PathLike[str]) -> TellReport:
    """Record the values of a batch file in the stored run ``name``.

    Every row is checked first: its number must be a proposal of the run that is
    pending, with the design the file shows. A row told before with the same outcome
    is left as it is (telling a file twice is harmless); one told with another outcome
    is an error. Nothing is recorded unless every row passes, and every row that
    passes is in storage when this returns.

    Args:
        storage: The file path or URL of the run's storage, or an ``RDBStorage``.
        name: The run's name.
        path: The batch file (:func:`read_batch`).

    Raises:
        BatchFileError: The file is malformed or a row does not fit the run; the
            message names the row.
        RunNotFoundError: No run of that name is stored there.
    """
    import torch

    from lsbo.run_storage import RunStorage, get_run
    from lsbo.storage import get_storage
    from lsbo.storage.serialize import load_design

    rows = read_batch(path)
    store = get_storage(storage)
    run = get_run(store, name)
    run_storage = RunStorage(store, run, torch.float64)
    done = {record.number: record for record in run_storage.sync().records}
    report, todo = TellReport(), []
    for row in rows:
        where = f"{str(path)!r} row {row.row}"
        pending = run_storage.foreign.get(row.number)
        record = done.get(row.number)
        if pending is not None:
            design = load_design(pending["design"])
        elif record is not None:
            design = record.design
        else:
            raise BatchFileError(
                f"{where}: run {name!r} has no proposal {row.number}; is this file from "
                "another run?"
            )
        expected = design_cell(design, path, row.number)
        if row.design != expected.strip():
            raise BatchFileError(
                f"{where}: proposal {row.number} of run {name!r} is {_short(expected)}, "
                f"not {_short(row.design)}; is this file from another run?"
            )
        outcome = _outcome(row.value)
        if record is None:
            todo.append((row, outcome))
        elif _told_before(record, outcome, f"{where}: proposal {row.number}", name):
            report.unchanged.append(row.number)
    for row, outcome in todo:
        told_now = run_storage.finish(row.number, outcome)
        if told_now is not None:
            report.told.append(told_now)
    if report.told:
        store.update_run(run.id)  # the run's last change, as `lsbo runs` shows it
    return report


def _outcome(value: float | None) -> Evaluation:
    if value is None:
        return Evaluation(None, "failed", FAILED_MESSAGE)
    return Evaluation(value, "complete")


def _told_before(record: Record, outcome: Evaluation, which: str, name: str) -> bool:
    """Whether ``record`` (told already) holds ``outcome``.

    Raises:
        BatchFileError: It was never handed out for evaluation, or holds another outcome.
    """
    if not record.status.evaluated:
        raise BatchFileError(
            f"{which} of run {name!r} was never handed out for evaluation ({record.status}); "
            "is this file from another run?"
        )
    if record.status == outcome.status and record.value == outcome.value:
        return True
    told = "failed" if record.value is None else f"{record.value:g}"
    raise BatchFileError(
        f"{which} was told already ({record.status}, {told}); remove the row, or ask for a "
        "new batch"
    )


def _short(text: str, most: int = 60) -> str:
    return repr(text if len(text) <= most else text[: most - 3] + "...")
