"""Designs, latent points and checkpoints as plain text and bytes for a database.

Strings are stored as JSON strings, images as their ``.npy`` bytes in base64, latent
points as JSON lists of floats. Python's float repr round-trips float64 exactly, so a
run resumed from storage sees the very same numbers as the process that wrote them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Hashable
from typing import Any

import numpy as np
import torch
from torch import Tensor


def dump_design(design: Any) -> str:
    """JSON text of a design: a string, or an array (stored as ``.npy`` in base64)."""
    if isinstance(design, str):
        return json.dumps(design)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(design), allow_pickle=False)
    return json.dumps({"npy": base64.b64encode(buffer.getvalue()).decode("ascii")})


def load_design(text: str) -> Any:
    """Inverse of :func:`dump_design`."""
    value = json.loads(text)
    if isinstance(value, dict):
        return np.load(io.BytesIO(base64.b64decode(value["npy"])), allow_pickle=False)
    return value


def dump_tensor(x: Tensor | None) -> str | None:
    """JSON list of a 1-d tensor's values (exact for float64), or ``None``."""
    return None if x is None else json.dumps(x.detach().to("cpu", torch.float64).tolist())


def load_tensor(text: str | None, dtype: torch.dtype = torch.float64) -> Tensor | None:
    """Inverse of :func:`dump_tensor`."""
    return None if text is None else torch.tensor(json.loads(text), dtype=dtype)


def key_digest(key: Hashable) -> str:
    """A fixed-length digest of a codec's design key, for a unique index in storage."""
    if isinstance(key, bytes):
        data = key
    elif isinstance(key, str):
        data = key.encode()
    else:
        data = repr(key).encode()
    return hashlib.sha256(data).hexdigest()


def dump_state(state: Any) -> bytes:
    """Bytes of a (nested) dict of tensors, e.g. GP hyperparameters."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def load_state(data: bytes) -> Any:
    """Inverse of :func:`dump_state` (tensors only: no arbitrary objects are unpickled)."""
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
