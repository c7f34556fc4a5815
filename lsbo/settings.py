"""The settings a run stores, and how stored settings of older versions are read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lsbo.exceptions import InvalidDesignsError
from lsbo.objective import check_value
from lsbo.options import OptimizerOptions, options_settings
from lsbo.records import data_fingerprint
from lsbo.strategies import Strategy, strategy_from_settings


def run_settings(
    objective: str,
    maximize: bool,
    seed: int,
    strategy: Strategy,
    options: OptimizerOptions,
    designs: Sequence[Any],
    scores: Sequence[float | None],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """What a run stores and compares on resume (``metadata`` is not compared)."""
    settings = {
        "objective": objective,
        "maximize": maximize,
        "seed": seed,
        "strategy": strategy.settings(),
        "options": options_settings(options),
        "data": data_fingerprint(designs, scores),
        "metadata": metadata,
    }
    return dict(json.loads(json.dumps(settings, default=str)))


def normalized(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored settings as this version writes them.

    Options added to lsbo after the run was stored count as their defaults, and runs
    stored before strategies had settings name their strategy only. The VAE's
    ``epochs`` default was 20 before ``epoch_steps`` existed: such a run's 20 reads as
    the default of its time (``None``), so that it resumes with today's defaults. A
    ``plain`` run stored before ``mutants`` existed searched without design-space
    candidates: it reads as ``mutants=0``.
    """
    strategy = stored.get("strategy")
    if strategy is None or isinstance(strategy, str):
        strategy = {"name": strategy or "plain"}
    if strategy.get("name") == "plain" and "mutants" not in strategy:
        stored = {**stored, "strategy": {**strategy, "mutants": 0}}
    vae = stored.get("options", {}).get("vae")
    if isinstance(vae, dict) and "epoch_steps" not in vae and vae.get("epochs") == 20:
        stored = {**stored, "options": {**stored["options"], "vae": {**vae, "epochs": None}}}
    settings = with_defaults(stored, {"options": options_settings(OptimizerOptions())})
    settings["strategy"] = strategy_from_settings(settings.get("strategy")).settings()
    return settings


def stored_strategy(settings: dict[str, Any]) -> Strategy:
    """The strategy a run stored, read as this version reads it (:func:`normalized`)."""
    return strategy_from_settings(normalized(settings)["strategy"])


def strategy_name(settings: dict[str, Any]) -> str:
    """The name of the strategy a run stored (``"plain"`` for runs that name none)."""
    stored = settings.get("strategy")
    return stored.get("name", "plain") if isinstance(stored, dict) else str(stored or "plain")


def with_defaults(stored: Any, defaults: Any) -> Any:
    """``stored`` with the keys it lacks taken from ``defaults`` (recursively)."""
    if not (isinstance(stored, dict) and isinstance(defaults, dict)):
        return stored
    merged = dict(stored)
    for key, value in defaults.items():
        merged[key] = with_defaults(stored[key], value) if key in stored else value
    return merged


def differences(old: Any, new: Any, skip: Sequence[str] = (), prefix: str = "") -> list[str]:
    """What differs between two settings dicts, as ``"key: old -> new"`` lines."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{prefix or 'settings'}: {old!r} -> {new!r}"]
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in skip:
            name = f"{prefix}.{key}" if prefix else key
            changes += differences(old.get(key), new.get(key), prefix=name)
    return changes


def check_designs(designs: Sequence[Any]) -> list[Any]:
    """The training designs as a list.

    Raises:
        InvalidDesignsError: Not a sequence of designs, or empty.
    """
    if isinstance(designs, (str, bytes)) or not hasattr(designs, "__len__"):
        raise InvalidDesignsError(
            f"designs must be a list of strings or of 2-D arrays, not {type(designs).__name__}"
        )
    designs = list(designs)
    if not designs:
        raise InvalidDesignsError(
            "no designs given; pass a non-empty list of strings or 2-D arrays to train on"
        )
    return designs


def check_scores(scores: Sequence[float | None] | None, n: int) -> list[float | None]:
    """Known values aligned with the designs; ``None`` (or NaN) marks an unscored one.

    Raises:
        InvalidDesignsError: Not one score per design, or a score that is not a number.
    """
    if scores is None:
        return [None] * n
    if isinstance(scores, (str, bytes)) or len(scores) != n:
        shown = len(scores) if hasattr(scores, "__len__") else type(scores).__name__
        raise InvalidDesignsError(
            f"got {shown} scores for {n} designs; give one score per design, None for "
            "designs that are not scored"
        )
    checked: list[float | None] = []
    for i, value in enumerate(scores):
        value = None if value is None or value != value else value  # NaN: not scored
        evaluation = None if value is None else check_value(value)
        if evaluation is not None and evaluation.value is None:
            raise InvalidDesignsError(
                f"score {i} is {value!r}; scores must be finite numbers, or None for "
                "designs that are not scored"
            )
        checked.append(None if evaluation is None else evaluation.value)
    return checked
