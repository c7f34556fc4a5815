"""Train the VAEs shipped in ``objectives/data/pretrained/``, so that a run of a built-in
task with its defaults starts searching at once instead of training first.

The shipped files were made with::

    python objectives/data/pretrain.py expression qed

``qed``'s VAE serves every molecule task (qed, penalized-logp, rediscovery-celecoxib and
GuacaMol's tasks): they share their molecules, codec and settings, so their VAEs have
one fingerprint, and :func:`lsbo.models.cached_vae` finds a file by its fingerprint
under any task's name.

Each is what ``lsbo run TASK --seed 0`` would train and cache: the task's full default
dataset, its codec, its :func:`default_options` (latent dimension and training) and
seed 0, in a file named as lsbo's cache names it (``TASK-<fingerprint>.pt``), so that
:func:`lsbo.models.cached_vae` finds it by its data and settings. A change to any of
them (the dataset, the codec, the defaults, lsbo's model file format) gives another
fingerprint: the shipped file is then ignored, and ``tests/objectives/test_pretrained.py``
fails until this script is run again. Older files of the task are removed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import objectives
from lsbo.models import cached_vae, fingerprint

SEED = 0


def pretrain(task: str, directory: Path = objectives.PRETRAINED) -> Path:
    """Train (or keep) the shipped VAE of ``task``; returns its file."""
    module = objectives.load(task)
    data = module.dataset()
    codec = module.make_codec(data.designs)
    options = module.default_options()
    key = fingerprint(data.designs, codec, options.latent_dim, options.vae, SEED)
    path = directory / f"{task}-{key[:20]}.pt"
    for old in directory.glob(f"{task}-*.pt"):
        if old != path:
            old.unlink()
    cached_vae(directory, data.designs, codec, options.latent_dim, options.vae, SEED, task)
    return path


def main(tasks: list[str]) -> None:
    for task in tasks or ["expression"]:
        start = time.perf_counter()
        path = pretrain(task)
        size = path.stat().st_size / 1e6
        print(f"{task}: {path} ({size:.2f} MB, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
