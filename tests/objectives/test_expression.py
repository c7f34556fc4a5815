"""Tests for the arithmetic-expression objective (objectives/expression.py)."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

import lsbo
import objectives
from lsbo.exceptions import InvalidOptionError
from lsbo.objective import Dataset
from objectives.expression import (
    TARGET,
    TOKEN_PATTERN,
    ExpressionObjective,
    X,
    dataset,
    evaluate_expression,
    generate_expressions,
    is_valid_expression,
    score,
)

TARGET_VALUES = 1 / 3 + X + np.sin(X * X)
VALID = ["x", "3", "x*sin(x+2)", "exp((x/3))+1", TARGET, "sin(exp(1))/((x))", "1+2*3"]
INVALID = [
    "sin(x",
    "x++1",
    "hello",
    "",
    "x ",
    "()",
    "sin()",
    "x)",
    ")x(",
    "xx",
    "x+",
    "+x",
    "*x",
    "exp",
    "Sin(x)",
    "sin(x)x",
    "1 2",
    "(((",
    "x\n",
    "sin (x)",
    "\x00",
]


def expected_score(values: np.ndarray) -> float:
    """The score written out independently of the module."""
    return min(7.0, math.log(1 + float(np.mean((values - TARGET_VALUES) ** 2))))


def reference_values(expression: str) -> np.ndarray:
    """Oracle: Python's own eval of a trusted, generated string (what the papers did)."""
    namespace = {"__builtins__": {}, "x": X, "sin": np.sin, "exp": np.exp}
    with np.errstate(all="ignore"):
        return np.broadcast_to(eval(expression, namespace), X.shape).astype(float)


class _RuleCounter:
    """Counts production rules by parsing the left-recursive grammar directly."""

    def __init__(self, expression: str) -> None:
        self.tokens = re.findall(TOKEN_PATTERN, expression)
        assert "".join(self.tokens) == expression
        self.position = 0

    def count(self) -> int:
        rules = self._s()
        assert self.position == len(self.tokens)
        return rules

    def _next(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _s(self) -> int:
        rules = 1 + self._t()  # the innermost S -> T
        while self._next() in ("+", "*", "/"):
            self.position += 1
            rules += 1 + self._t()  # S -> S op T
        return rules

    def _t(self) -> int:
        token = self._next()
        self.position += 1
        if token in ("(", "sin(", "exp("):
            rules = 1 + self._s()
            assert self._next() == ")"
            self.position += 1
            return rules
        assert token in ("x", "1", "2", "3")
        return 1


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return generate_expressions(3000, seed=0)


@pytest.fixture(scope="module")
def benchmark() -> Dataset:
    return dataset()


@pytest.fixture(scope="module")
def full() -> Dataset:
    return dataset(full=True)


def test_target_scores_zero() -> None:
    assert score(TARGET) == 0.0
    np.testing.assert_array_equal(evaluate_expression(TARGET), TARGET_VALUES)


def test_constant_scores_its_mse() -> None:
    expected = math.log(1 + np.mean((3 - (1 / 3 + X + np.sin(X * X))) ** 2))
    assert score("3") == pytest.approx(expected, rel=1e-12)
    assert score("x") == pytest.approx(expected_score(X), rel=1e-12)


@pytest.mark.parametrize("expression", ["exp(exp(exp(x)))", "exp(x*x*x)", "exp(x*x)/x"])
def test_overflow_scores_seven(expression: str) -> None:
    assert is_valid_expression(expression)
    assert score(expression) == 7.0


@pytest.mark.parametrize("expression", INVALID)
def test_invalid_strings(expression: str) -> None:
    assert not is_valid_expression(expression)
    assert not ExpressionObjective().is_valid(expression)
    assert evaluate_expression(expression) is None
    assert score(expression) == 7.0


@pytest.mark.parametrize("design", [None, 3, 1.5, b"x", ["x"], np.array(["x"])])
def test_non_strings_score_seven(design: object) -> None:
    assert not is_valid_expression(design)
    assert score(design) == 7.0


@pytest.mark.parametrize("expression", VALID)
def test_valid_strings_parse(expression: str) -> None:
    assert is_valid_expression(expression)
    assert ExpressionObjective().is_valid(expression)


def test_deep_nesting_does_not_hit_recursion_limit() -> None:
    deep = "(" * 20000 + "x" + ")" * 20000
    assert is_valid_expression(deep)
    assert score(deep) == score("x")
    assert score("(" * 20000 + "x") == 7.0


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("1+2*3", 7.0), ("2/2*3", 3.0), ("1/2/2", 0.25), ("3*2/3", 2.0), ("1/3", 1 / 3)],
)
def test_precedence_is_arithmetic(expression: str, expected: float) -> None:
    np.testing.assert_allclose(evaluate_expression(expression), expected, rtol=1e-15)


def test_evaluation_matches_python_eval(generated: list[str]) -> None:
    for expression in generated[:1500]:
        np.testing.assert_allclose(
            evaluate_expression(expression),
            reference_values(expression),
            rtol=1e-12,
            err_msg=expression,
        )


def test_scores_match_definition(generated: list[str]) -> None:
    for expression in generated[:300]:
        values = reference_values(expression)
        expected = expected_score(values) if np.all(np.isfinite(values)) else 7.0
        if not math.isfinite(expected):
            expected = 7.0
        assert score(expression) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_tokens_round_trip(generated: list[str]) -> None:
    for expression in generated:
        assert "".join(re.findall(TOKEN_PATTERN, expression)) == expression
    assert re.findall(TOKEN_PATTERN, TARGET) == [*list("1/3+x+"), "sin(", "x", "*", "x", ")"]


def test_generated_are_valid_distinct_and_short(generated: list[str]) -> None:
    assert len(generated) == 3000
    assert len(set(generated)) == len(generated)
    rules = [_RuleCounter(expression).count() for expression in generated]
    assert all(is_valid_expression(expression) for expression in generated)
    assert max(rules) <= 15
    assert min(rules) >= 2
    assert all(
        count == len(re.findall(TOKEN_PATTERN, e)) + 1
        for count, e in zip(rules, generated, strict=True)
    )
    assert np.mean([5 <= count <= 15 for count in rules]) > 0.9
    assert _RuleCounter(TARGET).count() == 12


def test_generation_is_reproducible(generated: list[str]) -> None:
    assert generate_expressions(3000, seed=0) == generated
    assert generate_expressions(100, seed=0) == generated[:100]
    other = generate_expressions(100, seed=1)
    assert other != generated[:100]
    assert len(set(other) & set(generated[:100])) < 50


def test_rule_limit_is_respected() -> None:
    assert sorted(generate_expressions(4, max_rules=2)) == ["1", "2", "3", "x"]
    for expression in generate_expressions(200, seed=3, max_rules=8):
        assert _RuleCounter(expression).count() <= 8


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": -1},
        {"n": 1.5},
        {"n": 1, "seed": "a"},
        {"n": 1, "seed": -1},
        {"n": 1, "max_rules": 1},
        {"n": 5, "max_rules": 2},
        {"n": True},
    ],
)
def test_generate_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(InvalidOptionError):
        generate_expressions(**kwargs)


def test_objective_call() -> None:
    objective = ExpressionObjective()
    results = objective(["x", "sin(x", TARGET, None])
    assert [r.status for r in results] == ["complete"] * 4
    assert results[0].value == pytest.approx(expected_score(X), rel=1e-12)
    assert results[1].value == 7.0
    assert results[2].value == 0.0
    assert results[3].value == 7.0
    assert objective.n_evaluated == 4


def test_objective_metadata() -> None:
    assert ExpressionObjective.name == "expression"
    assert ExpressionObjective.maximize is False
    assert ExpressionObjective.optimum == 0.0
    assert ExpressionObjective.batch_size is None
    assert ExpressionObjective.description and "\n" not in ExpressionObjective.description
    assert "Grammar Variational Autoencoder" in ExpressionObjective.reference
    assert "Weighted Retraining" in ExpressionObjective.reference


def test_full_dataset(full: Dataset) -> None:
    assert len(full) == 100_000
    assert len(set(full.designs)) == 100_000
    assert full.scores is not None and None not in full.scores
    for design, value in list(zip(full.designs, full.scores, strict=True))[::997]:
        assert value == score(design)
        assert _RuleCounter(design).count() <= 15


def test_benchmark_dataset(benchmark: Dataset, full: Dataset) -> None:
    assert len(benchmark) == 50_000
    assert benchmark.scores is not None and len(benchmark.scores) == 50_000
    assert sum(value is not None for value in benchmark.scores) == 5_000
    all_scores = dict(zip(full.designs, full.scores, strict=True))
    median = float(np.median(full.scores))
    assert all(all_scores[design] >= median for design in benchmark.designs)
    for design, value in zip(benchmark.designs, benchmark.scores, strict=True):
        assert value is None or value == all_scores[design]
    removed = set(full.designs) - set(benchmark.designs)
    assert len(removed) == 50_000
    assert max(all_scores[d] for d in removed) <= min(all_scores[d] for d in benchmark.designs)


def test_dataset_is_cached_but_fresh(benchmark: Dataset) -> None:
    again = dataset()
    assert again is not benchmark and again.designs is not benchmark.designs
    assert again.designs == benchmark.designs and again.scores == benchmark.scores
    again.designs.clear()
    assert dataset().designs == benchmark.designs


def test_dataset_subsample(benchmark: Dataset) -> None:
    small = dataset(n=1000)
    assert len(small) == 1000 and small.scores is not None
    assert sum(value is not None for value in small.scores) == 100
    assert dataset(n=1000) == small
    index = {design: i for i, design in enumerate(benchmark.designs)}
    positions = [index[design] for design in small.designs]
    assert positions == sorted(positions)
    assert all(
        value == benchmark.scores[index[d]]
        for d, value in zip(small.designs, small.scores, strict=True)
    )
    tiny = dataset(n=3, full=True)
    assert len(tiny) == 3 and None not in tiny.scores


@pytest.mark.parametrize(
    "kwargs", [{"n": 0}, {"n": 50_001}, {"n": 2.0}, {"seed": -1}, {"full": "yes"}]
)
def test_dataset_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(InvalidOptionError):
        dataset(**kwargs)


def test_plain_learns_its_share_of_unranked_children_on_this_task() -> None:
    module = objectives.load("expression")
    plain = objectives.strategy(module, "plain")
    assert (plain.name, plain.explore, plain.explore_from) == ("plain", 0.5, "children")
    assert plain.adaptive is True  # from half: the GP ranks this task's children poorly
    assert plain.latent_optima is True and plain.mutants is None
    assert plain.drift is False  # parents among equal values: the oldest, as measured
    assert plain.spacing == 0.0  # spaced parents measured no gain here
    assert objectives.strategy(module, "plain", explore=0.0).explore == 0.0
    genetic = objectives.strategy(module, "genetic")
    assert genetic == lsbo.Genetic(drift=False)


def test_expressions_that_compute_the_same_values_are_one_design():
    from objectives.expression import ExpressionCodec, make_codec

    codec = make_codec(["x+1", "sin(x*x)+x"])
    assert isinstance(codec, ExpressionCodec) and isinstance(codec, lsbo.GrammarCodec)
    spellings = ["x", "(x)", "x*1", "1*x", "x/1/1", "((x))*(1)"]
    assert len({codec.key(d) for d in spellings}) == 1
    assert codec.key("1/3+x") == codec.key("x+1/3") == codec.key("x+(1/3)")
    assert codec.key("sin(x*x)+x") == codec.key("x+sin(x*x)")
    # different functions differ, even close ones
    functions = ["x", "x+1", "x+2", "x*x", "sin(x)", "sin(x*x)+x", "exp(x)", "exp(x*3)"]
    assert len({codec.key(d) for d in functions}) == len(functions)
    # what is not finite everywhere on X scores 7.0 whatever it is: one design
    assert codec.key("exp(exp(x))") == codec.key("exp(x*x*x)+1") == codec.key("1/exp(x*x*x)/2")
    assert codec.key("exp(exp(x))") == codec.key("exp(exp(x*2))") != codec.key("exp(x)")
    # a string that does not parse is its own design
    assert codec.key("x+") == "x+" and codec.key("sin(x") == "sin(x"


def test_an_expression_model_saves_and_loads_its_codec(tmp_path):
    from lsbo.models import fit_new_vae, load_model
    from objectives.expression import ExpressionCodec, make_codec

    designs = generate_expressions(200, seed=1)
    codec = make_codec(designs)
    model, _ = fit_new_vae(designs, codec, 2, lsbo.TrainingOptions(epochs=1))
    model.save(tmp_path / "vae.pt")
    loaded = load_model(tmp_path / "vae.pt").codec
    assert type(loaded) is ExpressionCodec and repr(loaded) == repr(codec)
    assert loaded.key("x*1") == loaded.key("x") != loaded.key("x+1")
    # a fresh process that never imported the task loads it too (lsbo imports the
    # codec's own module, as it would a registered function's)
    script = (
        "import sys; from lsbo.models import load_model; "
        "assert 'objectives.expression' not in sys.modules; "
        f"print(type(load_model({str(tmp_path / 'vae.pt')!r}).codec).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ExpressionCodec"


@pytest.mark.filterwarnings("ignore::lsbo.PoorVAEWarning")  # a VAE of one epoch
@pytest.mark.parametrize("semantic", [True, False])
def test_a_search_pays_for_one_spelling_of_each_function(semantic: bool):
    from objectives.expression import make_codec

    designs = generate_expressions(300, seed=2)
    codec = make_codec(designs)
    if not semantic:  # the control: the grammar codec alone, whose key is the string
        codec = lsbo.GrammarCodec.from_designs(designs, grammar=codec.grammar)
    options = lsbo.OptimizerOptions(latent_dim=2, vae=lsbo.TrainingOptions(epochs=1))
    result = lsbo.optimize(
        ExpressionObjective(), designs, budget=60, codec=codec, options=options,
        strategy=lsbo.Genetic(), seed=0,
    )  # fmt: skip
    evaluated = [record.design for record in result.history]
    functions = {make_codec(["x"]).key(design) for design in evaluated}
    assert len(evaluated) == 60
    if semantic:
        assert len(functions) == 60  # every evaluation a function not seen before
    else:
        assert len(functions) < 60  # without it the search pays for spellings again
