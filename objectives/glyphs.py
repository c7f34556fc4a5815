"""Glyph-matching task: find the image of a letter in a font face the VAE never saw.

Task:
    Find a 32x32 grayscale image as close as possible to the target glyph: the letter
    :data:`TARGET_CHARACTER` ``= "A"`` in :data:`HELD_OUT_FACE` ``= "DejaVu Serif Bold
    Italic"``, a face left out of the training data. The VAE sees the same letters in
    other faces (among them DejaVu Serif Bold, DejaVu Serif Italic and STIX Bold
    Italic), so the target's letter shape and its style are both in its latent space,
    but never together. This is lsbo's demo of what a latent space is: the example
    (``examples/glyphs.py``) draws a 2-D map of the glyphs and the optimizer's path.

Score (maximized, optimum :data:`OPTIMUM` ``= 0.0``)::

    score(x) = -mean((x - target) ** 2)      # over the 32 x 32 pixels

    The negative mean squared pixel error. It is 0.0 only for the exact target image
    and never below -1.0. It is chosen over an intersection-over-union of thresholded
    pixels because the VAE decodes grayscale images: the squared error changes with
    every pixel value, so nearby latent points get different scores and the GP sees
    a slope instead of plateaus, and it rewards the anti-aliased edges of the target
    as well as its strokes.

Designs:
    2-D arrays of shape ``(32, 32)`` with values in ``[0, 1]``, ink 1 and background 0
    (the optimizer decodes grayscale images). Anything else -- not an array, another
    shape, a NaN or infinity, or a value outside ``[0, 1]`` -- is not a valid design:
    ``is_valid`` is false, and if such a design reaches the objective anyway the
    evaluation fails with a message that says why. Scoring is vectorized over the
    whole batch.

Glyphs (rendered from the fonts matplotlib ships, no downloads):
    Each of :data:`CHARACTERS` (``A-Z``, ``a-z``, ``0-9``, 62 in all) in each of the 22
    :data:`FACES`: DejaVu Sans, DejaVu Serif, DejaVu Sans Mono and STIX General in
    regular, bold, italic (oblique) and bold italic, and the Computer Modern faces
    cmr10 (roman), cmb10 (bold), cmss10 (sans), cmtt10 (typewriter), cmti10 (text
    italic) and cmmi10 (math italic, with old-style digits). The symbol faces cmsy10
    and cmex10 are left out: at these code points they hold math symbols (cmsy10 has
    calligraphic capitals, but no lowercase letters or digits). A glyph's outline
    (``matplotlib.textpath.TextPath``) is scaled by :data:`PIXELS_PER_EM` ``= 26``
    pixels per em, the same for every glyph, so that lowercase letters stay smaller
    than capitals and bold strokes wider than regular ones; only a glyph larger than
    :data:`MAX_EXTENT` ``= 31`` pixels would be shrunk to fit (none is with matplotlib
    3.11: the largest, "M" in DejaVu Serif Bold Italic, is 30.2 pixels wide). Its
    bounding box is centred in the image and it is filled with
    anti-aliasing by matplotlib's Agg renderer: a pixel's value is the share of it
    the glyph covers, a multiple of 1/255. The same matplotlib version gives the same
    images. All glyphs are rendered at first use (about 2 s), kept for the rest of the
    process and stored in the lsbo cache folder (``$LSBO_CACHE_DIR``, else
    ``~/.cache/lsbo``) as ``glyphs-<key>.npz``, where the key hashes the matplotlib
    version and the rendering settings; an unreadable cache file is rendered again.

Dataset (:func:`dataset`):
    Every glyph of the 21 :data:`TRAINING_FACES` (all faces but the held-out one):
    :data:`N_GLYPHS` ``= 21 * 62 = 1,302`` float32 images, ordered by face (in
    :data:`FACES` order), then by character (in :data:`CHARACTERS` order). Every image
    carries its score, its similarity to the target; :func:`labels` gives the face
    and character of each.

References:
    lsbo's own demo task. The model is the variational autoencoder of Kingma and
    Welling, Auto-Encoding Variational Bayes, ICLR 2014, arXiv:1312.6114. Learning a
    space of font styles from glyph outlines: Campbell and Kautz, Learning a Manifold
    of Fonts, ACM Transactions on Graphics (SIGGRAPH) 2014.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import string
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np

from lsbo.exceptions import InvalidOptionError
from lsbo.models import TrainingOptions, default_cache_dir
from lsbo.objective import Dataset
from lsbo.options import OptimizerOptions
from lsbo.representations import ImageCodec
from objectives._checks import ImageObjective, check_int

__all__ = [
    "CHARACTERS",
    "DATASET_SIZE",
    "FACES",
    "HELD_OUT_FACE",
    "MAX_EXTENT",
    "N_GLYPHS",
    "OPTIMUM",
    "PIXELS_PER_EM",
    "SIZE",
    "TARGET_CHARACTER",
    "TRAINING_FACES",
    "Face",
    "GlyphSimilarity",
    "cache_path",
    "dataset",
    "glyph",
    "labels",
    "load_glyphs",
    "render_glyph",
    "render_glyphs",
    "target_image",
]


class Face(NamedTuple):
    """A font face: its name, and its file in matplotlib's ``fonts/ttf`` folder."""

    name: str
    file: str


FACES: tuple[Face, ...] = (
    Face("DejaVu Sans", "DejaVuSans.ttf"),
    Face("DejaVu Sans Bold", "DejaVuSans-Bold.ttf"),
    Face("DejaVu Sans Oblique", "DejaVuSans-Oblique.ttf"),
    Face("DejaVu Sans Bold Oblique", "DejaVuSans-BoldOblique.ttf"),
    Face("DejaVu Serif", "DejaVuSerif.ttf"),
    Face("DejaVu Serif Bold", "DejaVuSerif-Bold.ttf"),
    Face("DejaVu Serif Italic", "DejaVuSerif-Italic.ttf"),
    Face("DejaVu Serif Bold Italic", "DejaVuSerif-BoldItalic.ttf"),
    Face("DejaVu Sans Mono", "DejaVuSansMono.ttf"),
    Face("DejaVu Sans Mono Bold", "DejaVuSansMono-Bold.ttf"),
    Face("DejaVu Sans Mono Oblique", "DejaVuSansMono-Oblique.ttf"),
    Face("DejaVu Sans Mono Bold Oblique", "DejaVuSansMono-BoldOblique.ttf"),
    Face("STIX General", "STIXGeneral.ttf"),
    Face("STIX General Bold", "STIXGeneralBol.ttf"),
    Face("STIX General Italic", "STIXGeneralItalic.ttf"),
    Face("STIX General Bold Italic", "STIXGeneralBolIta.ttf"),
    Face("Computer Modern Roman", "cmr10.ttf"),
    Face("Computer Modern Bold", "cmb10.ttf"),
    Face("Computer Modern Sans", "cmss10.ttf"),
    Face("Computer Modern Typewriter", "cmtt10.ttf"),
    Face("Computer Modern Text Italic", "cmti10.ttf"),
    Face("Computer Modern Math Italic", "cmmi10.ttf"),
)
HELD_OUT_FACE = "DejaVu Serif Bold Italic"
TRAINING_FACES: tuple[Face, ...] = tuple(face for face in FACES if face.name != HELD_OUT_FACE)
CHARACTERS = string.ascii_uppercase + string.ascii_lowercase + string.digits
TARGET_CHARACTER = "A"
N_GLYPHS = len(TRAINING_FACES) * len(CHARACTERS)  # 1,302
SIZE = 32
DATASET_SIZE = N_GLYPHS  # designs `dataset()` returns
PIXELS_PER_EM = 26.0
MAX_EXTENT = 31.0
OPTIMUM = 0.0
RENDER_VERSION = 1  # part of the cache key: raise it whenever rendering changes

_FACE_INDEX = {face.name: i for i, face in enumerate(FACES)}


# ------------------------------------------------------------------ rendering


def render_glyph(character: str, face: str) -> np.ndarray:
    """Render one character in one face, without any cache (see the module docstring).

    Args:
        character: A single character the face has a glyph for.
        face: The name of a face in :data:`FACES`.

    Returns:
        A ``(32, 32)`` uint8 array of ink coverage (0: background, 255: fully inked).

    Raises:
        InvalidOptionError: Not a single character, or an unknown face.
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    if not isinstance(character, str) or len(character) != 1:
        raise InvalidOptionError(f"character must be a single character, got {character!r}")
    path = TextPath((0, 0), character, size=1, prop=FontProperties(fname=_font_file(face)))
    box = path.get_extents()
    scale = min(PIXELS_PER_EM, MAX_EXTENT / max(box.width, box.height, 1e-9))
    centred = (
        Affine2D()
        .translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2)
        .scale(scale)
        .translate(SIZE / 2, SIZE / 2)
    )
    renderer = RendererAgg(SIZE, SIZE, 72)
    gc = renderer.new_gc()
    gc.set_antialiased(True)
    gc.set_linewidth(0)
    renderer.draw_path(gc, path, centred, (0.0, 0.0, 0.0, 1.0))
    gc.restore()
    return np.asarray(renderer.buffer_rgba())[..., 3].copy()  # alpha = coverage


def render_glyphs() -> np.ndarray:
    """Every glyph of :data:`FACES` x :data:`CHARACTERS`, rendered now (about 2 s).

    Returns:
        A ``len(FACES) x len(CHARACTERS) x 32 x 32`` uint8 array of ink coverage.
    """
    return np.stack([np.stack([render_glyph(c, face.name) for c in CHARACTERS]) for face in FACES])


def _font_file(face: str) -> str:
    import matplotlib

    if face not in _FACE_INDEX:
        raise InvalidOptionError(
            f"unknown face {face!r}; choose one of: {', '.join(f.name for f in FACES)}"
        )
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(fonts / FACES[_FACE_INDEX[face]].file)


# ------------------------------------------------------------------ cache


def _cache_key() -> str:
    import matplotlib

    settings = {
        "version": RENDER_VERSION,
        "matplotlib": matplotlib.__version__,
        "faces": [tuple(face) for face in FACES],
        "characters": CHARACTERS,
        "size": SIZE,
        "pixels_per_em": PIXELS_PER_EM,
        "max_extent": MAX_EXTENT,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def cache_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """The file the glyphs are cached in.

    Args:
        directory: The cache folder (default: lsbo's, ``$LSBO_CACHE_DIR`` or
            ``~/.cache/lsbo``, as for trained VAEs).
    """
    if directory is None:
        directory = default_cache_dir()
    return Path(directory) / f"glyphs-{_cache_key()[:20]}.npz"


def load_glyphs(directory: str | os.PathLike[str] | None = None) -> np.ndarray:
    """Every glyph, read from the cache file, or rendered and stored there.

    An unreadable or outdated cache file is rendered again and replaced (with a
    warning); a cache folder that cannot be written only costs the rendering.

    Args:
        directory: The cache folder (default: lsbo's, see :func:`cache_path`).

    Returns:
        A ``len(FACES) x len(CHARACTERS) x 32 x 32`` uint8 array of ink coverage.
    """
    path = cache_path(directory)
    if path.is_file():
        try:
            return _read(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            warnings.warn(f"rendering the glyphs again: cache file {path}: {exc}", stacklevel=2)
    images = render_glyphs()
    try:
        _write(path, images)
    except OSError as exc:
        warnings.warn(f"could not cache the glyphs in {path}: {exc}", stacklevel=2)
    return images


def _read(path: Path) -> np.ndarray:
    expected = (len(FACES), len(CHARACTERS), SIZE, SIZE)
    with np.load(path, allow_pickle=False) as stored:
        key, images = str(stored["key"]), stored["images"]
    if key != _cache_key() or images.shape != expected or images.dtype != np.uint8:
        raise ValueError(f"it holds other glyphs ({images.dtype} {images.shape})")
    return images


def _write(path: Path, images: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name of its own per writer (processes, threads), created with the umask's mode
    partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(partial, "xb") as file:
            np.savez_compressed(file, images=images, key=np.array(_cache_key()))
        os.replace(partial, path)  # atomic: a killed process never leaves half a file
    finally:
        partial.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def _glyphs() -> np.ndarray:
    """Every glyph as float32 in [0, 1], once per process (read-only)."""
    images = load_glyphs().astype(np.float32) / np.float32(255)
    images.flags.writeable = False
    return images


def glyph(character: str, face: str) -> np.ndarray:
    """The ``(32, 32)`` float32 image of a character of :data:`CHARACTERS` in a face.

    Raises:
        InvalidOptionError: Unknown character or face.
    """
    if not isinstance(character, str) or len(character) != 1 or character not in CHARACTERS:
        raise InvalidOptionError(f"character must be one of {CHARACTERS}, got {character!r}")
    _font_file(face)  # checks the name
    return _glyphs()[_FACE_INDEX[face], CHARACTERS.index(character)].copy()


def target_image() -> np.ndarray:
    """The target: :data:`TARGET_CHARACTER` in :data:`HELD_OUT_FACE`, ``(32, 32)`` float32."""
    return glyph(TARGET_CHARACTER, HELD_OUT_FACE)


# ------------------------------------------------------------------ dataset


def _chosen(n: int | None, seed: int) -> np.ndarray:
    """Indices into the training glyphs of a seeded subsample, in dataset order."""
    seed = check_int(seed, "seed", 0, None)
    if n is None:
        return np.arange(N_GLYPHS)
    n = check_int(n, "n", 1, N_GLYPHS)
    return np.sort(np.random.default_rng(seed).choice(N_GLYPHS, size=n, replace=False))


def labels(n: int | None = None, seed: int = 0) -> list[tuple[str, str]]:
    """``(face, character)`` of every design :func:`dataset` returns for ``n`` and ``seed``."""
    pairs = [(face.name, c) for face in TRAINING_FACES for c in CHARACTERS]
    return [pairs[i] for i in _chosen(n, seed)]


def dataset(n: int | None = None, seed: int = 0) -> Dataset:
    """The glyphs of the training faces, scored by similarity to the target.

    Args:
        n: Number of glyphs to return (1 to :data:`N_GLYPHS`), picked at random without
            replacement with ``numpy.random.default_rng(seed)`` and kept in dataset
            order; ``None`` returns all 1,302 in order (face, then character).
        seed: Seed of the subsample (non-negative integer; unused when ``n`` is None).

    Returns:
        A fresh :class:`Dataset` of ``(32, 32)`` float32 arrays in [0, 1] and their
        scores (see the module docstring).

    Raises:
        InvalidOptionError: Bad ``n`` or ``seed``.
    """
    chosen = _chosen(n, seed)
    training = [_FACE_INDEX[face.name] for face in TRAINING_FACES]
    images = _glyphs()[training].reshape(N_GLYPHS, SIZE, SIZE)[chosen]
    return Dataset(designs=[image.copy() for image in images], scores=_similarity(images).tolist())


def _similarity(images: np.ndarray) -> np.ndarray:
    """Scores of an ``n x 32 x 32`` stack: minus the mean squared error to the target."""
    error = images.astype(np.float64) - target_image().astype(np.float64)
    return 0.0 - np.mean(error**2, axis=(1, 2))  # 0.0 - x: the target scores 0.0, not -0.0


# ------------------------------------------------------------------ objective


class GlyphSimilarity(ImageObjective):
    """Minus the mean squared pixel error to "A" in a held-out face; maximized, optimum 0.

    A design that is not a ``(32, 32)`` array of finite values in ``[0, 1]`` is not
    valid; if it is evaluated anyway, the whole call fails with a message naming the
    first bad design and what is wrong with it.
    """

    name: ClassVar[str] = "glyphs"
    maximize: ClassVar[bool] = True
    design_type: ClassVar[str] = "image (32x32 grayscale)"
    description: ClassVar[str] = (
        'Negative pixel MSE of a 32x32 glyph image to "A" in DejaVu Serif Bold Italic, '
        "a face held out of the 1,302 training glyphs; maximized"
    )
    optimum: ClassVar[float | None] = OPTIMUM
    reference: ClassVar[str] = (
        "lsbo's own demo; VAE: Kingma and Welling, Auto-Encoding Variational Bayes, "
        "ICLR 2014 (arXiv:1312.6114); fonts: DejaVu, STIX and Computer Modern as shipped "
        "with matplotlib"
    )
    batch_size: ClassVar[int | None] = None
    image_shape: ClassVar[tuple[int, int]] = (SIZE, SIZE)

    def score_images(self, stack: np.ndarray) -> np.ndarray:
        """Minus the mean squared pixel error of every image to the target."""
        return _similarity(stack)


# ------------------------------------------------------------------ task for the CLI

OBJECTIVE = GlyphSimilarity


def make_codec(designs: Sequence[Any]) -> ImageCodec:
    """Grayscale 32x32 image codec (decoded pixels are probabilities, not thresholded)."""
    return ImageCodec((SIZE, SIZE), binary=False)


def default_options() -> OptimizerOptions:
    """Search settings: an 8-D latent space.

    A 2-D space cannot hold 62 characters in 21 faces with this VAE: its
    reconstructions lose the letter itself (pixel MSE 0.027, against 0.008 in 8-D),
    and 100 evaluations end below the best training glyph. Early stopping ends training
    near epoch 55-65, in about 30 s on one CPU core (OMP_NUM_THREADS=1).
    """
    return OptimizerOptions(
        latent_dim=8, vae=TrainingOptions(epochs=100, batch_size=64, patience=5)
    )
