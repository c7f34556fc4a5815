"""Shapes: lsbo's strategies against the weighted-retraining paper (Tripp et al. 2020).

Maximize the shaded area of a 64x64 binary image; the VAE trains on the 1,090 single
squares of area at most 400. Published after 500 evaluations: plain LSBO 464 +- 3,
weighted retraining 883 +- 27; lsbo's target is >= 950. Evaluations to reach 800 are
counted. Weighted retraining fine-tunes every 5 evaluations, as the paper does here.

    python benchmarks/shapes.py [--strategies plain,random,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Each (strategy, seed) run goes to benchmarks/runs/shapes/<strategy>-seed<k>.json and is
not run again while its settings hold; the report goes into benchmarks/RESULTS.md and
the figure to benchmarks/figures/shapes.png (``--quick``: runs-quick/, figures-quick/,
RESULTS.md left alone unless ``--write``).
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["shapes"], __doc__.splitlines()[0])
