"""The report of a task: its markdown table, RESULTS.md section and best-so-far figure."""

from __future__ import annotations

import math
import os
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _results import RESULTS, machine, write_section  # benchmarks/ is on the path

from .runfiles import load_runs
from .stats import Curve, bounded_best, checkpoints, curves, evaluations_to_reach, mean_se, value_at
from .tasks import ORDER, Task, task_data


def number(value: float | None, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits; ``-`` for a missing value."""
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}g}"


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _mean_se_cell(values: Sequence[float | None], seeds: int) -> str:
    mean, se, n = mean_se(values)
    if n == 0:
        return "-"
    text = number(mean) + ("" if math.isnan(se) else f" ± {number(se, 2)}")
    return text if n == seeds else f"{text} ({n})"


def _reach_cell(runs: Sequence[Mapping[str, Any]], threshold: float) -> str:
    counts = [evaluations_to_reach(r, threshold) for r in runs]
    median = float(np.median(counts))
    reached = sum(math.isfinite(c) for c in counts)
    shown = (
        f"{median:.0f}" if math.isfinite(median) else f"> {min(r['n_evaluations'] for r in runs)}"
    )
    return f"{shown} ({reached}/{len(runs)})"


def _published_cell(task: Task, label: str) -> str:
    if label not in task.published:
        return "-"
    mean, se = task.published[label]
    return f"{mean:.4g} ± {se:.2g}"


def table(
    task: Task, runs: Mapping[str, list[dict[str, Any]]], size_limit: int | None = None
) -> str:
    """The markdown table: one row per strategy."""
    budgets = checkpoints(runs)
    reach = f"evaluations to reach {task.threshold:g}: median (seeds)"
    extras = [header for header, _ in task.extra_columns]
    if size_limit is not None:
        extras.append(f"best with <= {size_limit} {task.size_name}")
    headers = [
        "strategy",
        "seeds",
        *[f"best after {b}" for b in budgets],
        "published (500)",
        reach,
        *extras,
        "VAE s in run",
        "GP s",
        "objective s",
        "total s",
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| --- | " + " | ".join("---:" for _ in headers[1:]) + " |",
    ]
    for label, rs in runs.items():
        cells = [label, str(len(rs))]
        cells += [_mean_se_cell([value_at(r, b) for r in rs], len(rs)) for b in budgets]
        cells += [_published_cell(task, label), _reach_cell(rs, task.threshold)]
        for _, key in task.extra_columns:
            cells.append(", ".join(str(r["extras"].get(key, "-")) for r in rs))
        if size_limit is not None:
            cells.append(_mean_se_cell([bounded_best(r, size_limit) for r in rs], len(rs)))
        for part in ("vae", "gp", "objective", "total"):
            cells.append(_seconds(mean_se(r["seconds"].get(part) for r in rs)[0]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _color(label: str) -> str:
    """The same colour for a strategy in every figure."""
    palette = [f"C{i}" for i in range(10)]
    index = ORDER.index(label) if label in ORDER else len(ORDER) + sum(map(ord, label))
    return palette[index % len(palette)]


def draw(
    task: Task, data: list[Curve], maximize: bool, data_best: float | None, paths: Sequence[Path]
) -> None:
    """Draw the best-so-far curves, the published results at 500 and the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for curve in data:
        color = _color(curve.label)
        label = f"{curve.label} ({curve.seeds} seed{'s' if curve.seeds > 1 else ''})"
        axes.plot(curve.evaluations, curve.mean, color=color, label=label)
        axes.fill_between(
            curve.evaluations, curve.mean - curve.se, curve.mean + curve.se, color=color, alpha=0.2
        )
    for name, (mean, se) in task.published.items():
        published = f"{name}, published (500)"
        axes.errorbar([500], [mean], [se], fmt="o", color=_color(name), capsize=3, label=published)
    if data_best is not None:
        axes.axhline(data_best, color="grey", linestyle=":", label="best in training data")
    if task.target is not None:
        target = f"lsbo's target ({task.target[0]} {task.target[1]:g})"
        axes.axhline(task.target[1], color="black", linestyle="--", linewidth=0.8, label=target)
    axes.set_xlabel("evaluations")
    axes.set_ylabel(f"best value so far ({'higher' if maximize else 'lower'} is better)")
    axes.set_title(f"{task.name}: best so far, mean ± s.e. over seeds")
    axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    plt.close(figure)


def _seconds_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    by_seed = {  # keyed by the VAE's seed: seeds that share one VAE count it once
        r["settings"].get("vae_seed", r["seed"]): r["seconds"].get("vae_initial")
        for rs in runs.values()
        for r in rs
        if r["seconds"].get("vae_initial") is not None
    }
    if not by_seed:
        return "The shared VAE came from lsbo's cache (its training time is not known here)."
    mean = float(np.mean(list(by_seed.values())))
    if len(by_seed) == 1:
        return f"Training the VAE took {mean:.0f} s; it is not in the per-run times."
    return (
        f"Training the shared VAE took {mean:.0f} s per seed on average ({len(by_seed)} "
        "seeds); it is not in the per-run times."
    )


def _stopped_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    stopped = [
        f"{r['strategy']} seed {r['seed']} after {r['n_evaluations']} ({r['stopped']})"
        for rs in runs.values()
        for r in rs
        if r.get("stopped")
    ]
    return f"Runs that stopped before their budget: {'; '.join(stopped)}." if stopped else ""


def _options_note(runs: Mapping[str, list[dict[str, Any]]]) -> str:
    first = next(r for rs in runs.values() for r in rs if "options" in r["settings"])
    options = first["settings"]["options"]
    vae = options["vae"]
    return (
        f"Options (the first run file's): latent {options['latent_dim']}, VAE at most "
        f"{vae['epochs']} epochs, batch {options['batch_size']}, {options['n_initial']} "
        f"initial designs, num_restarts {options['num_restarts']}, raw_samples "
        f"{options['raw_samples']}, max_gp_points {options['max_gp_points']}; every run "
        "file holds its full options and strategy settings."
    )


def section(
    task: Task,
    runs: Mapping[str, list[dict[str, Any]]],
    command: str,
    figure: Path,
    heading: str,
    data_text: str,
    size_limit: int | None = None,
) -> str:
    """The RESULTS.md section of a task."""
    maximize = next(iter(runs.values()))[0]["maximize"]
    best = next(iter(runs.values()))[0]["data_best"]
    target = "" if task.target is None else f" lsbo's target: {task.target[0]} {task.target[1]:g}."
    setup = " ".join(
        [
            task.note,
            f"Best value so far, {'maximized' if maximize else 'minimized'}, counts only "
            "designs evaluated in the run (training scores cost no budget and are not "
            f"counted); the best score in the training data is {number(best)}.",
            f"Cells: mean ± standard error over seeds (a count in brackets when fewer "
            f"runs are that long). Evaluations to reach {task.threshold:g}: the median "
            "over seeds (a seed that never reaches it counts as never), and how many "
            "seeds reached it. Times are means per run, in seconds, without training "
            "the shared VAE; VAE in run is retraining; GP includes the acquisition.",
            _options_note(runs)
            if any("options" in r["settings"] for rs in runs.values() for r in rs)
            else "",
            _seconds_note(runs),
            _stopped_note(runs),
            data_text,
            f"Published: {task.source}.{target}" if task.source else target,
        ]
    )
    relative = os.path.relpath(figure, RESULTS.parent)
    return (
        "\n\n".join(
            [
                heading,
                f"`{command}` on {machine()}, {time.strftime('%Y-%m-%d')}. " + machines_note(runs),
                textwrap.fill(" ".join(setup.split()), 88),
                table(task, runs, size_limit),
                f"![{task.name}: best value so far]({relative})",
            ]
        )
        + "\n"
    )


def cpu_of(record: Mapping[str, Any]) -> str:
    """The cores and CPU a run record says it was made on (its ``machine`` up to the
    Python version), or ``"an unrecorded machine"``."""
    return str(record.get("machine") or "an unrecorded machine").split(", Python")[0]


def machines_note(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Which machines made the runs (each run file records its own), by row where they
    differ: the report may be written elsewhere and later."""
    rows_of: dict[str, list[str]] = {}
    for label, rs in runs.items():
        for cpu in sorted({cpu_of(r) for r in rs}):
            rows_of.setdefault(cpu, []).append(label)
    if len(rows_of) == 1:
        return f"The runs were made on {next(iter(rows_of))}."
    listed = "; ".join(f"{cpu}: {', '.join(labels)}" for cpu, labels in sorted(rows_of.items()))
    return f"The runs were made on several machines ({listed})."


def _best_rows(task: Task, runs: Mapping[str, list[dict[str, Any]]]) -> str:
    """Each seed's best design where the run stored it (strings only), for the console."""
    lines = []
    for label, rs in runs.items():
        for r in rs:
            shown = r["extras"].get("best_smiles") or r.get("best_design")
            if shown:
                lines.append(f"  {label} seed {r['seed']}: {number(r['best_value'])}  {shown[:80]}")
    return "\n".join(lines)


def report(
    task: Task,
    runs_dir: Path,
    figures_dir: Path,
    command: str,
    write: bool = True,
    heading: str | None = None,
) -> str | None:
    """Build the table, the figure and the RESULTS.md section from a task's run files."""
    runs = load_runs(task.name, runs_dir)
    if not runs:
        print(f"no run files in {runs_dir / task.name}")
        return None
    first = next(iter(runs.values()))[0]
    data_text, size_limit = "", None
    if task.data_note is not None or task.size_limit is not None:  # only they need the data
        data = task_data(task.name, first["settings"]["data"]["n"])
        data_text = "" if task.data_note is None else task.data_note(data)
        size_limit = None if task.size_limit is None else task.size_limit(data)
    figure = figures_dir / f"{task.name}.png"
    draw(
        task,
        curves(runs),
        first["maximize"],
        first["data_best"],
        [figure, figure.with_suffix(".svg")],
    )
    heading = heading or f"## {task.title}"
    text = section(task, runs, command, figure, heading, data_text, size_limit)
    print(text)
    print(_best_rows(task, runs))
    print(f"figure: {figure}")
    if write:
        write_section(heading, text)
        print(f"written to {RESULTS}")
    return text
