"""The harness of the strategy benchmarks: one JSON per run, and a report over them.

``run_one`` (or ``run_spec``) runs one optimization (task, strategy, seed, budget) and
writes ``benchmarks/runs/<task>/<strategy>-seed<k>.json``; a file with the same settings
is not run again, so runs can be split across processes and resumed. ``report`` reads the
files of a task and writes a markdown section (best value at fixed budgets, evaluations
to reach a threshold, wall time, the published numbers) and a figure of the best-so-far
curves. The VAE of a (task, seed) is trained once, through lsbo's VAE cache, and shared
by every strategy of that seed.

The per-task scripts (``shapes.py``, ``expression.py``, ``molecules.py``, ``ehrlich.py``)
are thin shells over :func:`main`; ``genetic.py`` adds the genetic-algorithm baseline.
The package lives in ``benchmarks/``, which is on ``sys.path`` when a script there runs.

Modules:

- ``tasks``: the tasks (:class:`Task`, :data:`TASKS`), their data, options and
  published numbers;
- ``runfiles``: run paths, reading and writing run files (format in its docstring);
- ``runner``: :class:`RunSpec`, :func:`run_one`, :func:`run_many`, the shared VAEs;
- ``stats``: means and standard errors, best-so-far curves, evaluations to reach;
- ``reporting``: the table, the RESULTS.md section and the figure;
- ``cli``: the flags the task scripts share and :func:`main`.
"""

from .cli import main, parse_params, parse_seeds, parser, run_label, specs
from .reporting import draw, number, report, section, table
from .runfiles import (
    FORMAT,
    ROOT,
    is_done,
    load_runs,
    read_run,
    run_path,
    run_record,
    write_run,
)
from .runner import RunSpec, run_many, run_one, run_spec, task_vae
from .stats import (
    CHECKPOINTS,
    Curve,
    auc_top_k,
    best_so_far,
    bounded_best,
    checkpoints,
    curves,
    evaluations_to_reach,
    mean_se,
)
from .tasks import (
    ORDER,
    QUICK_BUDGET,
    QUICK_OPTIONS,
    QUICK_SEEDS,
    QUICK_STRATEGY_PARAMS,
    STRATEGIES,
    TASKS,
    Task,
    data_best,
    data_settings,
    make_options,
    make_strategy,
    quick_options,
    strategy_settings,
    task_data,
)

__all__ = [
    "CHECKPOINTS",
    "FORMAT",
    "ORDER",
    "QUICK_BUDGET",
    "QUICK_OPTIONS",
    "QUICK_SEEDS",
    "QUICK_STRATEGY_PARAMS",
    "ROOT",
    "STRATEGIES",
    "TASKS",
    "Curve",
    "RunSpec",
    "Task",
    "auc_top_k",
    "best_so_far",
    "bounded_best",
    "checkpoints",
    "curves",
    "data_best",
    "data_settings",
    "draw",
    "evaluations_to_reach",
    "is_done",
    "load_runs",
    "main",
    "make_options",
    "make_strategy",
    "mean_se",
    "number",
    "parse_params",
    "parse_seeds",
    "parser",
    "quick_options",
    "read_run",
    "report",
    "run_label",
    "run_many",
    "run_one",
    "run_path",
    "run_record",
    "run_spec",
    "section",
    "specs",
    "strategy_settings",
    "table",
    "task_data",
    "task_vae",
    "write_run",
]
