"""Tests for the glyph-matching task (objectives/glyphs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lsbo.exceptions import InvalidOptionError
from lsbo.representations import ImageCodec
from objectives import glyphs
from tests.objectives.contract import ObjectiveContract

TABLE_SHAPE = (len(glyphs.FACES), len(glyphs.CHARACTERS), 32, 32)


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Glyphs rendered by these tests are cached in a temporary folder, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSBO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


class TestGlyphsContract(ObjectiveContract):
    module = glyphs
    registry_name = "glyphs"

    def optimal_design(self):
        return glyphs.target_image()

    def bad_design(self):
        # the blank image misses every inked pixel of the target
        return np.zeros((32, 32), dtype=np.float32), -float(np.mean(glyphs.target_image() ** 2))

    def invalid_designs(self):
        nan = np.zeros((32, 32))
        nan[3, 4] = np.nan
        return [
            np.zeros((64, 64)),
            np.zeros((32, 31)),
            np.zeros((32, 32, 1)),
            nan,
            np.full((32, 32), np.inf),
            np.full((32, 32), 1.5),
            np.full((32, 32), -0.1),
            "A",
            None,
        ]


@pytest.fixture(scope="module")
def data():
    return glyphs.dataset()


def test_scores_are_minus_the_mean_squared_pixel_error():
    objective = glyphs.GlyphSimilarity()
    target = glyphs.target_image().astype(np.float64)
    half = np.full((32, 32), 0.5)
    values = [e.value for e in objective([target, 1 - target, half, np.ones((32, 32))])]
    assert values[0] == 0.0 == objective.optimum and objective.maximize
    assert values[1] == pytest.approx(-np.mean((1 - 2 * target) ** 2))
    assert values[2] == pytest.approx(-np.mean((target - 0.5) ** 2))
    assert values[3] == pytest.approx(-np.mean((1 - target) ** 2))
    assert all(-1.0 <= v < 0.0 for v in values[1:])


def test_the_dataset_is_every_character_in_every_training_face(data):
    assert len(data) == glyphs.N_GLYPHS == 21 * 62 == 1302
    faces = {face.name for face in glyphs.TRAINING_FACES}
    assert len(faces) == 21 and glyphs.HELD_OUT_FACE not in faces
    pairs = glyphs.labels()
    assert set(pairs) == {(f, c) for f in faces for c in glyphs.CHARACTERS}
    assert len(set(pairs)) == len(pairs)
    for image in data.designs:
        assert image.dtype == np.float32 and image.shape == (32, 32)
        assert image.min() == 0.0 and image.max() > 0.9  # background and ink
    values = [e.value for e in glyphs.GlyphSimilarity()(data.designs)]
    assert values == pytest.approx(data.scores)
    assert max(data.scores) < glyphs.OPTIMUM


def test_the_held_out_face_is_not_in_the_dataset(data):
    held_out = [glyphs.glyph(c, glyphs.HELD_OUT_FACE) for c in glyphs.CHARACTERS]
    stack = np.stack(data.designs)
    for image in held_out:
        assert np.abs(stack - image).max(axis=(1, 2)).min() > 0.1  # no glyph is this one
    assert np.array_equal(glyphs.target_image(), held_out[glyphs.CHARACTERS.index("A")])


def test_glyphs_are_centred_and_scaled_alike():
    def ink_box(image):
        rows, cols = np.nonzero(image > 0.5)
        return rows.min(), rows.max(), cols.min(), cols.max()

    for face in ("DejaVu Sans", "Computer Modern Roman", glyphs.HELD_OUT_FACE):
        top, bottom, left, right = ink_box(glyphs.glyph("H", face))
        assert abs((top + bottom) / 2 - 15.5) <= 1 and abs((left + right) / 2 - 15.5) <= 1
        x_top, x_bottom, _, _ = ink_box(glyphs.glyph("x", face))
        assert bottom - top > 1.25 * (x_bottom - x_top)  # a capital is taller than an x
    regular, bold = glyphs.glyph("H", "DejaVu Serif"), glyphs.glyph("H", "DejaVu Serif Bold")
    assert bold.sum() > 1.3 * regular.sum()


def test_rendering_is_deterministic_and_matches_the_cached_table():
    for character, face in [("A", glyphs.HELD_OUT_FACE), ("g", "Computer Modern Typewriter")]:
        first, again = glyphs.render_glyph(character, face), glyphs.render_glyph(character, face)
        assert first.dtype == np.uint8 and np.array_equal(first, again)
        assert np.array_equal(first / np.float32(255), glyphs.glyph(character, face))


def test_subsampling_is_seeded_and_a_subset(data):
    first, again = glyphs.dataset(n=100, seed=3), glyphs.dataset(n=100, seed=3)
    assert len(first) == 100
    assert all(np.array_equal(a, b) for a, b in zip(first.designs, again.designs, strict=True))
    assert first.scores == again.scores
    pairs = glyphs.labels(n=100, seed=3)
    for image, score, (face, character) in zip(first.designs, first.scores, pairs, strict=True):
        assert np.array_equal(image, glyphs.glyph(character, face))
        assert score == data.scores[glyphs.labels().index((face, character))]


def test_the_dataset_is_a_fresh_copy():
    glyphs.dataset(n=5).designs[0][:] = 1
    assert glyphs.dataset(n=5).designs[0].min() == 0.0


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (glyphs.dataset, {"n": 0}),
        (glyphs.dataset, {"n": 1303}),
        (glyphs.dataset, {"n": 2.5}),
        (glyphs.dataset, {"seed": -1}),
        (glyphs.labels, {"n": 0}),
        (glyphs.glyph, {"character": "AB", "face": "DejaVu Sans"}),
        (glyphs.glyph, {"character": "!", "face": "DejaVu Sans"}),
        (glyphs.glyph, {"character": "A", "face": "Comic Sans"}),
        (glyphs.render_glyph, {"character": "", "face": "DejaVu Sans"}),
    ],
)
def test_bad_arguments_raise(call, kwargs):
    with pytest.raises(InvalidOptionError):
        call(**kwargs)


@pytest.mark.parametrize(
    ("design", "words"),
    [
        (np.zeros((31, 32)), "shape"),
        (np.full((32, 32), np.nan), "NaN"),
        (np.full((32, 32), 2.0), "outside [0, 1]"),
        ("A", "not a numeric array"),
    ],
)
def test_an_invalid_design_fails_with_a_clear_message(design, words):
    objective = glyphs.GlyphSimilarity()
    assert not objective.is_valid(design)
    [evaluation] = objective([design])
    assert evaluation.status == "failed" and words in evaluation.message


# ------------------------------------------------------------------ the cache file


@pytest.fixture
def renders(monkeypatch):
    """Replace the (2 s) renderer by a fast fake one; the list counts its calls."""
    calls: list[np.ndarray] = []

    def fake():
        calls.append(np.random.default_rng(len(calls)).integers(0, 256, TABLE_SHAPE, np.uint8))
        return calls[-1]

    monkeypatch.setattr(glyphs, "render_glyphs", fake)
    return calls


def test_the_cache_folder_is_lsbos(monkeypatch, tmp_path):
    monkeypatch.setenv("LSBO_CACHE_DIR", str(tmp_path))
    assert glyphs.cache_path().parent == tmp_path
    assert glyphs.cache_path().name.startswith("glyphs-") and glyphs.cache_path().suffix == ".npz"


def test_the_cache_file_round_trips(renders, tmp_path):
    first = glyphs.load_glyphs(tmp_path)
    assert len(renders) == 1 and [p.name for p in tmp_path.iterdir()] == [
        glyphs.cache_path(tmp_path).name
    ]
    again = glyphs.load_glyphs(tmp_path)
    assert len(renders) == 1  # read back, not rendered again
    assert again.dtype == np.uint8 and np.array_equal(first, again)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other glyphs"])
def test_a_corrupt_cache_file_is_rendered_again(renders, tmp_path, damage):
    glyphs.load_glyphs(tmp_path)
    path = glyphs.cache_path(tmp_path)
    if damage == "garbage":
        path.write_bytes(b"not an npz file")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    else:
        with path.open("wb") as file:
            np.savez(file, images=np.zeros((2, 32, 32), np.uint8), key=np.array("x"))
    with pytest.warns(UserWarning, match="rendering the glyphs again"):
        images = glyphs.load_glyphs(tmp_path)
    assert len(renders) == 2 and np.array_equal(images, renders[1])
    assert np.array_equal(glyphs.load_glyphs(tmp_path), renders[1])  # the file is whole again
    assert len(renders) == 2 and len(list(tmp_path.iterdir())) == 1  # no temporary file left


def test_a_cache_folder_that_cannot_be_written_only_warns(renders, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="could not cache"):
        images = glyphs.load_glyphs(blocked)
    assert np.array_equal(images, renders[0])


def test_codec_and_options():
    codec = glyphs.make_codec([])
    assert isinstance(codec, ImageCodec) and codec.shape == (32, 32) and not codec.binary
    assert glyphs.default_options().latent_dim == 8
