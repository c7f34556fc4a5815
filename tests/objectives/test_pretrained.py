"""The VAEs shipped in objectives/data/pretrained: what objectives/data/pretrain.py makes."""

import dataclasses

import pytest

import objectives
from lsbo.models import TrainingOptions, cached_vae, fingerprint, load_model
from lsbo.representations import codec_for
from tests.conftest import toy_strings

SHIPPED = sorted(objectives.PRETRAINED.glob("*.pt"))


def test_the_demo_task_and_the_molecule_tasks_ship_their_vaes():
    # the molecule tasks share their molecules and settings, so one VAE (made for qed)
    # serves all eleven: cached_vae finds it by fingerprint under any task's name
    assert [path.name.split("-")[0] for path in SHIPPED] == ["expression", "qed"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_vae_matches_the_data_and_settings_its_script_trains_with(path):
    task = path.name.rsplit("-", 1)[0]
    module = objectives.load(task)
    data = module.dataset()
    codec = module.make_codec(data.designs)
    options = module.default_options()
    key = fingerprint(data.designs, codec, options.latent_dim, options.vae, seed=0)
    assert path.name == f"{task}-{key[:20]}.pt", (
        "the shipped VAE no longer matches its task's data or defaults: run "
        f"`python objectives/data/pretrain.py {task}` and commit the new file"
    )
    model = load_model(path)
    assert model.metadata["fingerprint"] == key and model.metadata["seed"] == 0
    assert model.metadata["training"] == dataclasses.asdict(options.vae)
    assert model.latent_dim == options.latent_dim
    # small enough to ship in the repository: the molecule VAE (GRU of 256 units) is
    # 3.0 MB and saves every molecule task 5 minutes of training on 2 cores
    assert path.stat().st_size < 4_000_000


def test_a_pretrained_vae_is_used_before_training_and_nothing_is_written(tmp_path):
    designs, options = toy_strings(200), TrainingOptions(epochs=1)
    codec = codec_for(designs)
    shipped, cache = tmp_path / "shipped", tmp_path / "cache"
    _, hit = cached_vae(shipped, designs, codec, 4, options, seed=3, prefix="toy")
    assert not hit
    (file,) = shipped.glob("toy-*.pt")
    model, hit = cached_vae(cache, designs, codec, 4, options, seed=3, pretrained=[shipped])
    assert hit and not cache.exists()
    assert model.metadata["fingerprint"] == load_model(file).metadata["fingerprint"]
    # other settings: trained and cached as before, the shipped folder left alone
    _, hit = cached_vae(cache, designs, codec, 4, options, seed=4, pretrained=[shipped])
    assert not hit and len(list(cache.glob("*.pt"))) == 1 and len(list(shipped.glob("*"))) == 1
