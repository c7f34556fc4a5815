"""Contract tests every built-in objective module passes (a mixin, as in GPyTorch).

A test class sets ``module`` and implements the three design hooks; the mixin checks
the module contract (``OBJECTIVE``, ``dataset``, ``make_codec``, ``default_options``),
seeding, that the codec saves as plain data (what a model file keeps), the known optimum
and a known bad design, and that invalid input gets a clear outcome instead of a crash.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

import objectives
from lsbo import Dataset, Objective, OptimizerOptions
from lsbo.representations import codec_from_config


class ObjectiveContract:
    module: ModuleType
    registry_name: str

    optimum_tolerance: float = 1e-6
    """Relative tolerance of the optimum (larger where the optimum is a best known value)."""

    def optimal_design(self) -> Any:
        """A design that scores ``OBJECTIVE.optimum``; ``None`` where the task has none."""
        raise NotImplementedError

    def bad_design(self) -> tuple[Any, float]:
        """A valid design and the value it must score."""
        raise NotImplementedError

    def invalid_designs(self) -> list[Any]:
        """Inputs the objective must reject (``is_valid`` false, or a failed evaluation)."""
        raise NotImplementedError

    def small_dataset(self, seed: int = 0) -> Dataset:
        return self.module.dataset(n=64, seed=seed)

    def test_it_is_registered_and_described(self):
        assert objectives.load(self.registry_name) is self.module
        cls = self.module.OBJECTIVE
        assert issubclass(cls, Objective)
        assert cls.name and cls.description and cls.reference
        assert isinstance(cls.maximize, bool)

    def test_the_dataset_has_the_size_lsbo_objectives_lists(self):
        assert len(self.module.dataset().designs) == self.module.DATASET_SIZE

    def test_the_dataset_is_seeded(self):
        first, again, other = self.small_dataset(0), self.small_dataset(0), self.small_dataset(1)
        assert len(first.designs) == 64
        assert _same(first.designs, again.designs)
        assert not _same(first.designs, other.designs)

    def test_the_codec_encodes_the_dataset(self):
        data = self.small_dataset()
        codec = self.module.make_codec(data.designs)
        decoded = codec.decode(_perfect_output(codec.encode(data.designs)))
        assert _same(decoded, data.designs)

    def test_the_codec_saves_as_plain_data_and_loads_with_its_checks(self):
        data = self.small_dataset()
        codec = self.module.make_codec(data.designs)
        clone = codec_from_config(json.loads(json.dumps(codec.to_config())))
        x = codec.encode(data.designs)
        assert type(clone) is type(codec) and torch.equal(clone.encode(data.designs), x)
        decoded = [*codec.decode(_perfect_output(x)), *self.invalid_designs()]
        assert [clone.is_valid(d) for d in decoded] == [codec.is_valid(d) for d in decoded]

    def test_the_known_optimum_scores_it(self):
        objective = self.module.OBJECTIVE()
        design = self.optimal_design()
        if design is None:  # an unbounded task: it must not claim an optimum
            assert objective.optimum is None
            return
        assert objective.optimum is not None
        [evaluation] = objective([design])
        assert evaluation.status == "complete", evaluation.message
        assert evaluation.value == pytest.approx(objective.optimum, rel=self.optimum_tolerance)

    def test_a_known_bad_design_scores_what_it_should(self):
        design, expected = self.bad_design()
        [evaluation] = self.module.OBJECTIVE()([design])
        assert evaluation.value == pytest.approx(expected)

    def test_invalid_input_is_rejected_not_a_crash(self):
        objective = self.module.OBJECTIVE()
        for design in self.invalid_designs():
            if objective.is_valid(design):
                [evaluation] = objective([design])
                assert evaluation.status == "failed" and evaluation.message

    def test_default_options(self):
        assert isinstance(self.module.default_options(), OptimizerOptions)


def _same(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
        elif np.shape(x) != np.shape(y) or not np.allclose(x, y, atol=1e-4):
            return False
    return True


def _perfect_output(encoded: Any) -> Any:
    """What a perfect decoder outputs for ``encoded``: token indices, or pixel logits."""
    import torch

    if encoded.dtype == torch.long:
        return encoded  # token codecs decode indices as well as logits
    return torch.logit(encoded.clamp(1e-6, 1 - 1e-6))
