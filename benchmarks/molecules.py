"""Penalized logP: lsbo's strategies against the weighted-retraining paper (Tripp et al. 2020).

Maximize penalized logP of a SELFIES molecule (objective ``penalized-logp``; needs the
``[molecules]`` extra). Published after 500 evaluations with a JT-VAE: plain LSBO
5.71 +- 0.29, weighted retraining 19.66 +- 6; lsbo's target is >= 20 with molecules no
larger than the training data allows. The score is unbounded (long chains raise it),
so the report gives the heavy-atom count of each seed's best molecule next to the
largest in the training data. Evaluations to reach 10 are counted. ``--quick`` trains
on 2,000 molecules.

    python benchmarks/molecules.py [--strategies plain,random,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Runs go to benchmarks/runs/penalized-logp/, the report into benchmarks/RESULTS.md and
the figure to benchmarks/figures/penalized-logp.png (see harness/).
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["penalized-logp"], __doc__.splitlines()[0])
