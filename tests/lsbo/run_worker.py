"""A run in its own process, for the kill, resume and several-workers tests.

    python -m tests.lsbo.run_worker STORAGE NAME BUDGET MODEL LOG SLEEP

Evaluates ``count_a`` on the toy strings, sleeping ``SLEEP`` seconds per design, and
appends each design to ``LOG`` once its evaluation is done (before lsbo stores it).
"""

from __future__ import annotations

import sys
import time

from lsbo import Optimizer, OptimizerOptions
from lsbo.models import load_model
from tests.conftest import toy_strings

OPTIONS = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)


class Logged:
    def __init__(self, log: str, sleep: float) -> None:
        self.log, self.sleep = log, sleep

    def __call__(self, design: str) -> float:
        time.sleep(self.sleep)
        with open(self.log, "a") as file:
            file.write(design + "\n")
        return float(design.count("a"))


def main(storage: str, name: str, budget: str, model: str, log: str, sleep: str) -> None:
    optimizer = Optimizer(
        Logged(log, float(sleep)),
        toy_strings(),
        model=load_model(model),
        options=OPTIONS,
        seed=0,
        storage=storage,
        name=name,
    )
    optimizer.run(int(budget))


if __name__ == "__main__":
    main(*sys.argv[1:])
