"""Writing one section of benchmarks/RESULTS.md, keeping the others."""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import textwrap
from collections.abc import Sequence
from pathlib import Path

import torch

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading: str, text: str, path: Path = RESULTS) -> None:
    """Put ``text`` (which starts with ``heading``) in place of that section, or append it."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = old.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip() == heading]
    if not starts:
        path.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    begin = starts[0]
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].startswith("## ")), None)
    rest = "" if end is None else "\n" + "".join(lines[end:])
    path.write_text("".join(lines[:begin]) + text + rest)


def publish(heading: str, text: str, write: bool = True) -> None:
    """Print ``text`` and, with ``write``, put it in RESULTS.md as the section ``heading``."""
    print(text)
    if write:
        write_section(heading, text)
        print(f"written to {RESULTS}")


def ablation_parser(doc: str, seeds: int, budget: int) -> argparse.ArgumentParser:
    """The options every design-space ablation takes (``--seeds``, ``--budget``,
    ``--no-write``), its description the first line of ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=seeds, help=f"seeds 0..N-1 (default {seeds})")
    parser.add_argument("--budget", type=int, default=budget)
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


def mean_se(values: Sequence[float], digits: int = 3) -> str:
    """``mean ± standard error`` of ``values`` (the error 0 for a single value)."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def table_section(heading: str, paragraph: str, header: list[str], rows: list[list[str]]) -> str:
    """A section of RESULTS.md: ``heading``, ``paragraph`` wrapped at 88 columns, and a
    markdown table whose first column is left-aligned and the others right-aligned."""
    return "\n".join(
        [
            heading,
            "",
            textwrap.fill(paragraph, 88),
            "",
            "| " + " | ".join(header) + " |",
            "| --- | " + " | ".join("---:" for _ in header[1:]) + " |",
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        ]
    )


def machine() -> str:
    """CPU, Python, torch and load average, for the setup line of a table."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = names[0] if names else platform.processor() or platform.machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPU cores ({cpu}), Python "
        f"{platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads); load average {load:.1f} at start"
    )
