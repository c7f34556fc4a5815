"""Expression: lsbo's strategies against the weighted-retraining paper (Tripp et al. 2020).

Minimize log(1 + MSE) of an arithmetic expression against 1/3+x+sin(x*x); the best 50%
of the 100,000 generated expressions are hidden from the optimizer. Published after 500
evaluations: plain LSBO 1.18 +- 0.28, weighted retraining 0.48 +- 0.12; lsbo's target
is <= 0.30. Evaluations to reach 0.3 are counted (the expression ``x`` alone
scores 0.49). ``--quick`` trains on 5,000 designs.

    python benchmarks/expression.py [--strategies plain,random,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Runs go to benchmarks/runs/expression/, the report into benchmarks/RESULTS.md and the
figure to benchmarks/figures/expression.png (see harness/).
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["expression"], __doc__.splitlines()[0])
