"""Ehrlich (small): lsbo's strategies against random search and a genetic algorithm.

Maximize the Ehrlich function of Stanton et al. 2024 (v=32, L=32, c=2 motifs of
length 4; optimum 1.0). The report gives, per strategy, how many seeds reach the
optimum and the median evaluations to reach it; the genetic algorithm
(``genetic.py``, after holo-bench's DiscreteEvolution) is strategy ``genetic``.

    python benchmarks/ehrlich.py [--strategies plain,random,genetic,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Runs go to benchmarks/runs/ehrlich/, the report into benchmarks/RESULTS.md and the
figure to benchmarks/figures/ehrlich.png (see harness/). ``--param
genetic.population=100`` sets the genetic algorithm's options.
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["ehrlich"], __doc__.splitlines()[0])
