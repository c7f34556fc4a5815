"""Glyphs: lsbo's strategies on its own image task.

Against random prior samples and a genetic algorithm. Maximize -mean((x - target)^2)
of a 32x32 grayscale image, where the target is the letter A in a font face the VAE
never saw (``objectives/glyphs.py``); the VAE trains on the 1,302 glyphs of the other
21 faces, all scored. No published numbers: lsbo's own task. Evaluations to reach
-0.015 (half the error of the best training glyph) are counted.

    python benchmarks/glyphs.py [--strategies plain,random,...] [--seeds 0-2]
        [--budget 500] [--batch-size Q] [--jobs N] [--quick] [--report-only]
        [--param S.FIELD=VALUE]

Each (strategy, seed) run goes to benchmarks/runs/glyphs/<strategy>-seed<k>.json and is
not run again while its settings hold; the report goes into benchmarks/RESULTS.md and
the figure to benchmarks/figures/glyphs.png (``--quick``: runs-quick/, figures-quick/,
RESULTS.md left alone unless ``--write``).
"""

from harness import TASKS, main  # benchmarks/ is on the path when run

if __name__ == "__main__":
    main(TASKS["glyphs"], __doc__.splitlines()[0])
