import pytest
import torch

from lsbo.models import TrainingOptions, cached_vae, fingerprint, load_model
from lsbo.models.training import RESTARTS
from lsbo.representations import ImageCodec, TokenCodec
from tests.lsbo.models.test_training import ONE_DESIGN

OPTIONS = TrainingOptions(epochs=1)


def test_second_call_loads_the_same_model(strings, tmp_path):
    codec = TokenCodec.from_designs(strings)
    first, hit_first = cached_vae(tmp_path, strings, codec, 2, OPTIONS, seed=0, prefix="toy")
    second, hit_second = cached_vae(tmp_path, strings, codec, 2, OPTIONS, seed=0, prefix="toy")
    assert (hit_first, hit_second) == (False, True)
    assert [p.name.startswith("toy-") for p in tmp_path.iterdir()] == [True]
    assert torch.equal(first.encode(strings[:5])[0], second.encode(strings[:5])[0])


def test_a_model_cached_under_another_prefix_is_shared(strings, tmp_path):
    codec = TokenCodec.from_designs(strings)
    first, _ = cached_vae(tmp_path, strings, codec, 2, OPTIONS, seed=0, prefix="qed")
    second, hit = cached_vae(tmp_path, strings, codec, 2, OPTIONS, seed=0, prefix="penalized-logp")
    assert hit and len(list(tmp_path.iterdir())) == 1
    assert torch.equal(first.encode(strings[:5])[0], second.encode(strings[:5])[0])
    _, hit = cached_vae(tmp_path, strings, codec, 2, OPTIONS, seed=1, prefix="penalized-logp")
    assert not hit  # other settings: trained anew


def test_key_changes_with_data_settings_and_seed(strings):
    codec = TokenCodec.from_designs(strings)
    base = fingerprint(strings, codec, 2, OPTIONS, 0)
    assert fingerprint(list(strings), codec, 2, OPTIONS, 0) == base
    assert fingerprint(strings[1:], codec, 2, OPTIONS, 0) != base
    assert fingerprint(strings, codec, 3, OPTIONS, 0) != base
    assert fingerprint(strings, codec, 2, TrainingOptions(epochs=2), 0) != base
    assert fingerprint(strings, codec, 2, OPTIONS, 1) != base
    autoregressive = TrainingOptions(epochs=1, architecture={"decoder": "autoregressive"})
    assert fingerprint(strings, codec, 2, autoregressive, 0) != base
    other = TokenCodec.from_designs(strings, max_length=20)
    assert fingerprint(strings, other, 2, OPTIONS, 0) != base


def test_a_corrupt_cache_file_is_replaced(strings, tmp_path):
    codec = TokenCodec.from_designs(strings)
    cached_vae(tmp_path, strings, codec, 2, OPTIONS)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="ignoring the cached model"):
        _, hit = cached_vae(tmp_path, strings, codec, 2, OPTIONS)
    assert not hit
    _, hit = cached_vae(tmp_path, strings, codec, 2, OPTIONS)
    assert hit


def test_a_cached_model_keeps_its_training_report(strings, tmp_path):
    codec = TokenCodec.from_designs(strings[:50])
    trained, _ = cached_vae(tmp_path, strings[:50], codec, 2, OPTIONS)
    loaded, hit = cached_vae(tmp_path, strings[:50], codec, 2, OPTIONS)
    assert hit
    assert loaded.metadata["report"] == trained.metadata["report"]
    assert len(loaded.metadata["report"]["kl"]) == OPTIONS.epochs


def test_a_cache_file_of_an_older_lsbo_is_trained_again_without_unpickling_it(strings, tmp_path):
    from tests.lsbo.models.test_model_files import Trap, old_payload

    codec = TokenCodec.from_designs(strings[:50])
    trained, _ = cached_vae(tmp_path, strings[:50], codec, 2, OPTIONS)
    (path,) = tmp_path.iterdir()
    marker = tmp_path / "ran"
    torch.save(old_payload(trained, note=Trap(marker)), path)
    with pytest.warns(UserWarning, match="an older lsbo wrote it.*training it again"):
        _, hit = cached_vae(tmp_path, strings[:50], codec, 2, OPTIONS)
    assert not hit and not marker.exists()
    assert load_model(path).metadata["report"]  # replaced by a file of this version
    _, hit = cached_vae(tmp_path, strings[:50], codec, 2, OPTIONS)
    assert hit


def test_a_collapsed_cached_model_of_an_older_lsbo_is_trained_again(tmp_path, square_images):
    one_design = [square_images[5]] * 60  # every training of it collapses, restarts too
    codec, options = ImageCodec.from_designs(one_design), ONE_DESIGN
    trained, _ = cached_vae(tmp_path, one_design, codec, 2, options)
    assert trained.metadata["report"]["restarts"] == RESTARTS
    _, hit = cached_vae(tmp_path, one_design, codec, 2, options)
    assert hit  # this lsbo tried its restarts already: kept
    (path,) = tmp_path.iterdir()
    older = load_model(path)  # as an lsbo that did not restart collapsed VAEs stored it
    metadata = dict(older.metadata)
    metadata["report"] = {k: v for k, v in metadata["report"].items() if k != "restarts"}
    older.save(path, **metadata)
    with pytest.warns(UserWarning, match="its decoder collapsed.*training it again"):
        _, hit = cached_vae(tmp_path, one_design, codec, 2, options)
    assert not hit and load_model(path).metadata["report"]["restarts"] == RESTARTS
