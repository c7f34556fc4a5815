"""Fixed-seed runs whose full histories are kept as golden files.

The redesign of the optimizer (issue 14) must not change what a run does: these runs
were recorded before it and ``tests/test_golden.py`` checks that the code reproduces
them exactly. Regenerate only for a deliberate change of behaviour, and say why in the
commit that does::

    python -m tests.golden.runs

Floating point differs between CPU families (MKL and PyTorch choose their kernels by
the processor), and a seeded run follows the last bits of its GP fits, so the histories
are kept per CPU family (``tests/golden/<vendor_id>-<capability>/``: the vendor as
``/proc/cpuinfo`` names it and the instruction set PyTorch dispatches to,
``torch.backends.cpu.get_cpu_capability()``), each recorded on such a machine, and the
runs use :data:`THREADS` threads whatever the machine has. The command above records
the histories of the machine it runs on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsbo import Objective, Optimizer, OptimizerOptions
from lsbo.models import TrainingOptions, fit_new_vae
from lsbo.strategies import get_strategy
from tests.conftest import squares, toy_strings

HERE = Path(__file__).parent
# the thread count the histories were recorded with (a 2-core machine's default)
THREADS = 2
OPTIONS = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
# each golden run's strategy settings ("name" where the label is not the strategy's
# name); "plain" keeps the settings it was recorded with, before design-space
# candidates became its default ("plain-default")
STRATEGIES: dict[str, dict[str, Any]] = {
    "plain": {"mutants": 0},
    "plain-default": {"name": "plain"},
    "weighted-retraining": {"period": 5},
    "trust-region": {},
    "trust-region+weighted-retraining": {},
    "random": {},
}


def count_a(s: str) -> float:
    return float(s.count("a"))


def top_left_mass(image: np.ndarray) -> float:
    return float(np.asarray(image)[:8, :8].sum() - 0.5 * np.asarray(image)[8:, 8:].sum())


class Constrained(Objective):
    """Minimized; "dd" makes a string invalid, and the objective fails on long "ccc" ones."""

    name = "constrained"
    maximize = False
    batch_size = 1

    def is_valid(self, design: Any) -> bool:
        return "dd" not in design

    def _evaluate(self, designs: list[Any]) -> list[float]:
        if any("ccc" in d and len(d) >= 7 for d in designs):
            raise ValueError("ccc cannot be made")
        return [float(d.count("b")) - 0.1 * len(d) for d in designs]


def _fit(designs: list[Any], latent_dim: int, seed: int) -> Any:
    """A task's VAE, trained on :data:`THREADS` threads whichever test asks first (the
    tasks are cached, and their VAEs decide the runs' histories)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        options = TrainingOptions(epochs=8)
        return fit_new_vae(designs, latent_dim=latent_dim, options=options, seed=seed)[0]
    finally:
        torch.set_num_threads(previous)


@functools.cache
def _constrained_task() -> tuple[Objective, list[Any], Any, list[float | None]]:
    designs = toy_strings(400, seed=1)
    model = _fit(designs, latent_dim=4, seed=1)
    scores = [
        float(d.count("b")) - 0.1 * len(d) if i % 40 == 0 else None for i, d in enumerate(designs)
    ]
    return Constrained(), designs, model, scores


@functools.cache
def _strings_task() -> tuple[Callable[[Any], float], list[Any], Any, None]:
    designs = toy_strings(400)
    model = _fit(designs, latent_dim=4, seed=0)
    return count_a, designs, model, None


@functools.cache
def _squares_task() -> tuple[Callable[[Any], float], list[Any], Any, None]:
    designs = squares()
    model = _fit(designs, latent_dim=2, seed=0)
    return top_left_mass, designs, model, None


TASKS: dict[str, Callable[[], tuple[Any, list[Any], Any, Any]]] = {
    "strings": _strings_task,
    "squares": _squares_task,
    "constrained": _constrained_task,
}
BUDGET = 18


def _design_id(design: Any) -> str:
    if isinstance(design, str):
        return design
    array = np.asarray(design, dtype=np.float32)
    return "sha256:" + hashlib.sha256(array.tobytes()).hexdigest()[:16]


def run_history(task: str, strategy: str) -> dict[str, Any]:
    """One run's history and counters, as JSON types, on :data:`THREADS` threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        return _run_history(task, strategy)
    finally:
        torch.set_num_threads(previous)


def _run_history(task: str, strategy: str) -> dict[str, Any]:
    objective, designs, model, scores = TASKS[task]()
    settings = dict(STRATEGIES[strategy])
    name = settings.pop("name", strategy)
    if strategy == "trust-region+weighted-retraining":
        chosen = get_strategy(
            "trust-region", retraining=get_strategy("weighted-retraining", period=5)
        )
    else:
        chosen = get_strategy(name, **settings)
    batch = 2 if strategy.startswith("trust-region") else 1
    options = OPTIONS if batch == 1 else OptimizerOptions(**{**OPTIONS.__dict__, "batch_size": 2})
    optimizer = Optimizer(
        objective, designs, scores=scores, model=model, options=options, seed=3, strategy=chosen
    )
    result = optimizer.run(BUDGET)
    return {
        "history": [
            [r.number, _design_id(r.design), r.value, r.status, r.source, r.iteration]
            for r in result.history
        ],
        "invalid": [_design_id(r.design) for r in result.invalid],
        "counters": [
            result.stats.n_decoded,
            result.stats.n_invalid,
            result.stats.n_duplicate,
            result.stats.n_fallback,
            result.stats.n_retrainings,
        ],
    }


@functools.cache
def cpu_vendor() -> str:
    """This machine's CPU vendor (``GenuineIntel``, ``AuthenticAMD``, ...), else its
    architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine() or "unknown"


def cpu_family() -> str:
    """The CPU vendor and the instruction set PyTorch's kernels dispatch to here
    (``AuthenticAMD-AVX512``): two AMD EPYC machines, one with AVX-512 and one
    without, differ in the last bits of the same fits."""
    return f"{cpu_vendor()}-{torch.backends.cpu.get_cpu_capability()}"


def golden_path(task: str, strategy: str, family: str | None = None) -> Path:
    """The golden file of a run for CPUs of ``family`` (default: this machine's,
    :func:`cpu_family`)."""
    return HERE / (family or cpu_family()) / f"{task}-{strategy}.json"


def main() -> None:
    for task in TASKS:
        for strategy in STRATEGIES:
            history = run_history(task, strategy)
            path = golden_path(task, strategy)
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(history, indent=1) + "\n")
            print(task, strategy, len(history["history"]), "evaluations")


if __name__ == "__main__":
    main()
