"""Model files hold plain data and tensors only: nothing in one runs when it is loaded.

Files written by older lsbo versions (version 1, with the codec pickled) are refused
with a message that names :func:`lsbo.models.convert_model_file`, which converts a file
the user trusts.
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import lsbo.representations.registry as registry
from lsbo.exceptions import ModelFileError, OutdatedModelFileError
from lsbo.models import VAE, build_vae, convert_model_file, load_model
from lsbo.representations import (
    GrammarCodec,
    ImageCodec,
    SelfiesCodec,
    TokenCodec,
    register_codec,
    register_function,
)

ROOT = Path(__file__).parents[3]


def split_words(design: str) -> list[str]:
    """A user's tokenizer in a module lsbo does not know (this test module)."""
    return design.split(" ")


def short(max_length: int, design: str) -> bool:
    """A user's validator, saved in a functools.partial."""
    return len(design) <= max_length


class Trap:
    """Unpickling it makes the directory ``path``: proof that the file ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return os.makedirs, (str(self.path),)


def payload(model: VAE, **metadata) -> dict:
    """What ``model.save`` writes, as a dict to change before saving it again."""
    buffer = io.BytesIO()
    model.save(buffer, **metadata)
    return torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)


def old_payload(model: VAE, **metadata) -> dict:
    """A model file as lsbo 0.2.0 and before wrote it: version 1, the codec pickled."""
    return {**payload(model), "version": 1, "codec": model.codec, "metadata": metadata}


def saved(data: dict, path: Path) -> bytes:
    torch.save(data, path)
    return path.read_bytes()


def assert_same_model(loaded: VAE, model: VAE) -> None:
    assert type(loaded) is type(model) and type(loaded.codec) is type(model.codec)
    assert loaded.codec.to_config() == model.codec.to_config()
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    z = torch.randn(6, model.latent_dim, generator=torch.Generator().manual_seed(0))
    decoded, expected = loaded.decode(z), model.decode(z)
    assert [loaded.codec.key(d) for d in decoded] == [model.codec.key(d) for d in expected]
    assert [loaded.codec.is_valid(d) for d in decoded] == [
        model.codec.is_valid(d) for d in expected
    ]


# ------------------------------------------------------------ pickled objects are refused


def test_a_pickled_object_is_refused_without_running_it(string_vae, tmp_path):
    marker = tmp_path / "ran"
    evil = {**payload(string_vae), "metadata": {"note": Trap(marker)}}
    path = tmp_path / "evil.pt"
    data = saved(evil, path)
    for source in (path, data):
        with pytest.raises(OutdatedModelFileError, match=r"pickled Python object \(os.makedirs\)"):
            load_model(source)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the trap is real: unpickling it runs it
    assert marker.is_dir()


def test_a_pickled_codec_is_refused_without_running_it(string_vae, tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    data = saved({**payload(string_vae), "codec": Trap(marker)}, path)
    for source in (path, data):
        with pytest.raises(OutdatedModelFileError, match="convert_model_file"):
            load_model(source)
    assert not marker.exists()


# ------------------------------------------------------------ every codec round-trips


def _tokens_with_a_pattern():
    return TokenCodec.from_designs(["sin(x)+1", "x*2", "exp(x)"], tokenizer=r"sin\(|exp\(|.")


def _ehrlich():
    from objectives import ehrlich

    return ehrlich.make_codec(ehrlich.dataset(n=20).designs)


def _selfies():
    pytest.importorskip("selfies")
    pytest.importorskip("rdkit")
    return SelfiesCodec.from_designs(["[C][C][O]", "[C][=C][C][Branch1][C][O][N]"])


def _grammar():
    pytest.importorskip("nltk")
    from lsbo.representations.grammar import EXPRESSION_GRAMMAR

    return GrammarCodec.from_designs(["x+1", "sin(x)*2", "exp(x/3)"], grammar=EXPRESSION_GRAMMAR)


@pytest.mark.parametrize(
    "make",
    [_tokens_with_a_pattern, _ehrlich, _selfies, _grammar, lambda: ImageCodec((12, 10), False)],
    ids=["tokens-regex", "tokens-ehrlich-validator", "selfies", "grammar", "images"],
)
def test_every_codec_kind_saves_and_loads_from_a_path_and_from_bytes(make, tmp_path):
    codec = make()
    model = build_vae(codec, latent_dim=3)
    model.save(tmp_path / "vae.pt", report={"kl": [1.5, np.float64(0.25)]}, seed=7)
    assert torch.load(tmp_path / "vae.pt", weights_only=True)["version"] == 2
    for source in (tmp_path / "vae.pt", (tmp_path / "vae.pt").read_bytes()):
        loaded = load_model(source)
        assert_same_model(loaded, model)
        assert loaded.metadata == {"report": {"kl": [1.5, 0.25]}, "seed": 7}


def test_the_ehrlich_validator_loads_in_a_process_that_never_imported_it(tmp_path):
    build_vae(_ehrlich(), latent_dim=2).save(tmp_path / "vae.pt")
    good, bad = _ehrlich_design(), "x"
    code = (
        "import sys; from lsbo.models import load_model; "
        "assert 'objectives.ehrlich' not in sys.modules; "
        f"codec = load_model({str(tmp_path / 'vae.pt')!r}).codec; "
        f"print(codec.is_valid({good!r}), codec.is_valid({bad!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["True", "False"]


def _ehrlich_design() -> str:
    from objectives import ehrlich

    return ehrlich.dataset(n=1).designs[0]


# ------------------------------------------------------------ functions a file names


def test_a_users_function_loads_only_when_allowed_or_registered(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_FUNCTIONS", dict(registry._FUNCTIONS))
    codec = TokenCodec(["a", "b"], 3, tokenizer=split_words, validator=functools.partial(short, 3))
    build_vae(codec, latent_dim=2).save(tmp_path / "vae.pt")
    name = f"{__name__}:split_words"
    with pytest.raises(ModelFileError, match=rf"{name}.*allowed_modules=\['{__name__}'\]"):
        load_model(tmp_path / "vae.pt")
    loaded = load_model(tmp_path / "vae.pt", allowed_modules=["tests.lsbo.models"])
    assert loaded.codec.tokenize("a b") == ["a", "b"]
    assert loaded.codec.is_valid("a b") and not loaded.codec.is_valid("a b a")
    register_function(split_words)
    register_function(short)
    loaded = load_model(tmp_path / "vae.pt")
    assert loaded.codec.tokenizer is split_words and loaded.codec.validator.args == (3,)


@pytest.mark.parametrize(
    ("function", "allowed", "error"),
    [
        # a name the allowed module imported, not a function it defines
        (f"{__name__}:os.makedirs", ["tests"], "not a function defined in"),
        (f"{__name__}:Trap.__reduce__", [], "does not import"),
        # lsbo's own modules: only registered functions, whatever is allowed
        ("lsbo.models.vae:load_model", ["lsbo"], "not registered for model files"),
        ("os:makedirs", [], "does not import"),
        ("os.path:makedirs(", ["os"], "malformed"),
    ],
)
def test_a_function_a_file_names_runs_only_if_it_may(
    string_vae, tmp_path, function, allowed, error
):
    data = payload(string_vae)
    data["codec"]["validator"] = {"function": function, "args": [str(tmp_path / "ran")]}
    torch.save(data, tmp_path / "vae.pt")
    with pytest.raises(ModelFileError, match=error):
        model = load_model(tmp_path / "vae.pt", allowed_modules=allowed)
        model.codec.is_valid("abc")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("codec", "error"),
    [
        (TokenCodec(["a"], 2, validator=lambda s: True), "not a lambda"),
        (TokenCodec(["a"], 2, tokenizer=str.split), "module-level function"),
        (TokenCodec(["a"], 2, validator=functools.partial(short, Path("3"))), "PosixPath"),
    ],
)
def test_a_codec_that_is_not_plain_data_is_a_clear_error_at_save_time(codec, error, tmp_path):
    with pytest.raises(ModelFileError, match=error):
        build_vae(codec, latent_dim=2).save(tmp_path / "vae.pt")
    assert not (tmp_path / "vae.pt").exists()


class Reversed(TokenCodec):
    """A user's codec: decoded strings read backwards."""

    def decode(self, outputs: torch.Tensor) -> list[str]:
        return [design[::-1] for design in super().decode(outputs)]


def test_a_users_codec_class_saves_once_registered(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_CODECS", dict(registry._CODECS))
    model = build_vae(Reversed(["a", "b"], 4), latent_dim=2)
    with pytest.raises(ModelFileError, match=r"register_codec\(Reversed\)"):
        model.save(tmp_path / "vae.pt")
    register_codec(Reversed)
    model.save(tmp_path / "vae.pt")
    assert_same_model(load_model(tmp_path / "vae.pt"), model)
    assert payload(model)["codec"]["module"] == __name__  # named, but not lsbo's own:
    del registry._CODECS["Reversed"]  # another process, which did not register it
    with pytest.raises(ModelFileError, match="kind 'Reversed', which is not registered"):
        load_model(tmp_path / "vae.pt")


def test_metadata_that_is_not_plain_data_is_a_clear_error(string_vae, tmp_path):
    with pytest.raises(ModelFileError, match=r"metadata\['where'\] is a PosixPath"):
        string_vae.save(tmp_path / "vae.pt", where=tmp_path)
    state = {"step": torch.tensor(3.0), "betas": (0.9, 0.999), "ids": {0: [1, 2]}}
    string_vae.save(tmp_path / "vae.pt", adam=state)
    loaded = load_model(tmp_path / "vae.pt").metadata["adam"]
    assert torch.equal(loaded["step"], state["step"]) and loaded["betas"] == (0.9, 0.999)
    assert loaded["ids"] == {0: [1, 2]}


# ------------------------------------------------------------ files of older versions


def test_an_old_file_says_how_to_convert_it_and_converts(string_vae, tmp_path):
    old = tmp_path / "old.pt"
    data = saved(old_payload(string_vae, seed=3, report={"kl": [0.5]}), old)
    for source in (old, data):
        with pytest.raises(OutdatedModelFileError, match=r"older lsbo.*convert_model_file"):
            load_model(source)
    assert convert_model_file(old, tmp_path / "new.pt")
    loaded = load_model(tmp_path / "new.pt")
    assert_same_model(loaded, string_vae)
    assert loaded.metadata == {"seed": 3, "report": {"kl": [0.5]}}
    # from bytes (a run's stored VAE), and in place; a current file is only copied
    buffer = io.BytesIO()
    assert convert_model_file(data, buffer)
    assert_same_model(load_model(buffer.getvalue()), string_vae)
    assert convert_model_file(old, old)
    assert not convert_model_file(old, tmp_path / "copy.pt")
    assert_same_model(load_model(tmp_path / "copy.pt"), string_vae)


def test_version_one_in_plain_data_is_still_an_old_file(string_vae, tmp_path):
    path = tmp_path / "old.pt"
    saved({**payload(string_vae), "version": 1}, path)
    with pytest.raises(OutdatedModelFileError, match="version 1: it was written by an older"):
        load_model(path)


def test_a_codec_kind_is_imported_only_from_lsbos_own_modules():
    # (an own module that registers the kind loads: tests/objectives/test_expression.py)
    from lsbo.representations import codec_from_config

    config = {"kind": "Nowhere", "vocabulary": ["a"], "max_length": 2}
    for module in ("os", "json", "objectives.no_such_module", "lsbo;os", 3):
        with pytest.raises(ModelFileError, match="kind 'Nowhere', which is not registered"):
            codec_from_config({**config, "module": module})
