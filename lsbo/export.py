"""A run's evaluations as plain rows, CSV or JSON, for spreadsheets and other tools."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsbo.records import OptimizationResult, Record

__all__ = ["COLUMNS", "export_rows", "write_csv", "write_json"]

COLUMNS = (
    "evaluation",
    "number",
    "state",
    "value",
    "best_so_far",
    "design",
    "message",
    "iteration",
    "source",
    "duration",
    "latent",
)


def export_rows(result: OptimizationResult) -> list[dict[str, Any]]:
    """One row per evaluation in the order they finished, then the invalid decodes.

    Each row holds the :data:`COLUMNS`: ``evaluation`` (1, 2, ... in finishing order;
    empty for invalid decodes), the proposal ``number``, ``state`` (``complete``,
    ``failed`` or ``invalid``), ``value``, ``best_so_far`` (in the run's direction),
    ``design`` (a string, or an image as nested lists), ``message``, ``iteration``,
    ``source``, ``duration`` (seconds) and ``latent`` (the ``d`` latent point).
    """
    running = result.direction.best_so_far(r.value for r in result.history)
    rows = [
        _row(record, i, record.status, best)
        for i, (record, best) in enumerate(zip(result.history, running, strict=True), start=1)
    ]
    rows += [_row(record, None, "invalid", None) for record in result.invalid]
    return rows


def _row(record: Record, evaluation: int | None, state: str, best: float | None) -> dict[str, Any]:
    design = record.design
    return {
        "evaluation": evaluation,
        "number": record.number,
        "state": state,
        "value": record.value,
        "best_so_far": best,
        "design": design.tolist() if hasattr(design, "tolist") else design,
        "message": record.message,
        "iteration": record.iteration,
        "source": record.source,
        "duration": record.duration,
        "latent": [float(v) for v in record.latent.tolist()],
    }


def write_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with a header row; lists (latents, images) are written as JSON."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v) if isinstance(v, list) else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    return buffer.getvalue()


def write_json(rows: list[dict[str, Any]]) -> str:
    """A JSON array of the rows (``null`` for missing values)."""
    return json.dumps(rows, indent=1) + "\n"
