"""Design molecules in the latent space of a SELFIES VAE: QED, penalized logP, celecoxib.

One VAE learns a latent space of 20,000 drug-like molecules (the vendored MOSES
subset, written as SELFIES so that every decoded string is a molecule). Each of the
three built-in molecule objectives then gets its own Bayesian-optimization run in that
space:

- ``qed``: drug-likeness, best known about 0.948;
- ``penalized-logp``: logP minus synthetic difficulty and large rings (no upper bound);
- ``rediscovery-celecoxib``: similarity to celecoxib, which the data does not contain.

It prints each task's best molecule as canonical SMILES and draws the best molecules
of every task, one row per task, with rdkit. Needs ``pip install 'lsbo[molecules]'``.

Run: python examples/molecules.py [qed penalized-logp rediscovery-celecoxib]
     (SMOKE=1 for a seconds-long run)
The picture goes to $MOLECULES_PLOT, or molecules_best.png in the temporary folder.
"""

import dataclasses
import os
import sys
import tempfile

from rdkit import Chem
from rdkit.Chem import Draw

import lsbo
import objectives
from lsbo.models import fit_new_vae
from lsbo.representations.molecules import selfies_to_smiles

SMOKE = os.environ.get("SMOKE") == "1"
TASKS = ["qed", "penalized-logp", "rediscovery-celecoxib"]
PER_ROW = 4


def main(tasks: list[str]) -> None:
    modules = [objectives.load(task) for task in tasks]
    options = modules[0].default_options()  # the three tasks share data, codec and settings
    n = 500 if SMOKE else None  # molecules: the three tasks score the same ones
    data = modules[0].dataset(n=n)
    if SMOKE:
        vae = dataclasses.replace(options.vae, epochs=2)
        options = dataclasses.replace(
            options, vae=vae, latent_dim=8, n_initial=3, num_restarts=2, raw_samples=32
        )
    codec = modules[0].make_codec(data.designs)
    print(f"training one VAE on {len(data.designs):,} molecules...")
    model, _ = fit_new_vae(data.designs, codec, options.latent_dim, options.vae, seed=0)

    rows = []
    for task, module in zip(tasks, modules, strict=True):
        scored = module.dataset(n=n)  # same molecules, this task's scores
        objective = module.OBJECTIVE()
        result = lsbo.optimize(
            objective,
            scored.designs,
            scores=scored.scores,
            budget=2 if SMOKE else 100,
            model=model,
            options=options,
            seed=0,
        )
        print(
            f"{task}: best in the data {max(scored.scores):.3f}, best found {result.best_value:.3f}"
        )
        print(f"  best molecule: {objective.describe(result.best_design)}")
        complete = [r for r in result.history if r.status == "complete"]
        best = sorted(complete, key=lambda r: r.value, reverse=True)[:PER_ROW]
        rows.append([(selfies_to_smiles(r.design), f"{task} {r.value:.3f}") for r in best])

    default = os.path.join(tempfile.gettempdir(), "molecules_best.png")
    path = os.environ.get("MOLECULES_PLOT", default)
    save_grid(rows, path)
    print(f"best molecules of each task drawn in {path}")


def save_grid(rows: list[list[tuple[str, str]]], path: str) -> None:
    """Draw one row of molecules per task (empty cells where a task found fewer)."""
    molecules, legends = [], []
    for row in rows:
        padded = row + [("", "")] * (PER_ROW - len(row))
        molecules += [Chem.MolFromSmiles(smiles) if smiles else Chem.Mol() for smiles, _ in padded]
        legends += [legend for _, legend in padded]
    png = Draw.MolsToGridImage(
        molecules, molsPerRow=PER_ROW, subImgSize=(260, 220), legends=legends, returnPNG=True
    )
    with open(path, "wb") as handle:
        handle.write(png)


if __name__ == "__main__":
    main(sys.argv[1:] or TASKS)
