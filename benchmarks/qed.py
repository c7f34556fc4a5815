"""QED: lsbo's strategies on the drug-likeness task.

Maximize rdkit's QED of a SELFIES molecule (objective ``qed``; needs the ``[molecules]``
extra), against random prior samples and the genetic strategy. The best QED known is
about 0.948 and the vendored training data already holds a molecule at 0.9481, every
one of them scored: the task measures how quickly a method's own evaluations reach the
top. Evaluations to reach 0.94 are counted. Every seed searches one VAE, the one the
penalized-logP benchmark (``benchmarks/molecules.py``) trains. ``--quick`` trains on
2,000 molecules.

    python benchmarks/qed.py [--strategies plain,random,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Runs go to benchmarks/runs/qed/, the report into benchmarks/RESULTS.md and the figure
to benchmarks/figures/qed.png (see harness/).
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["qed"], __doc__.splitlines()[0])
