import math

import numpy as np
import pytest

from lsbo import Evaluation, FunctionObjective, LsboError, Objective
from lsbo.exceptions import ObjectiveError
from lsbo.objective import as_objective, check_value


class Lengths(Objective):
    name = "lengths"

    def _evaluate(self, designs):
        return [len(d) for d in designs]


class WrongCount(Objective):
    def _evaluate(self, designs):
        return [1.0]


class Raises(Objective):
    batch_size = 1

    def _evaluate(self, designs):
        if designs[0] == "bad":
            raise RuntimeError("lab robot jammed")
        return [1.0]


def test_values_become_complete_evaluations_and_are_counted():
    objective = Lengths()
    results = objective(["ab", "abcd"])
    assert [r.value for r in results] == [2.0, 4.0]
    assert all(r.status == "complete" and r.message == "" for r in results)
    assert objective.n_evaluated == 2


def test_wrong_number_of_values_is_a_clear_error():
    with pytest.raises(ObjectiveError, match="returned 1 values for 2 designs"):
        WrongCount()(["a", "b"])
    assert issubclass(ObjectiveError, LsboError)


def test_a_raising_design_fails_alone_when_batch_size_is_one():
    results = Raises()(["ok", "bad", "ok"])
    assert [r.status for r in results] == ["complete", "failed", "complete"]
    assert "RuntimeError: lab robot jammed" in results[1].message
    assert results[1].value is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        ("high", "not a number"),
        (None, "not a number"),
        (True, "not a number"),
        ([1, 2], "not a number"),
    ],
)
def test_non_finite_or_non_numeric_values_fail_with_a_message(raw, fragment):
    evaluation = check_value(raw)
    assert evaluation.status == "failed" and evaluation.value is None
    assert fragment in evaluation.message


def test_numpy_scalars_are_numbers():
    assert check_value(np.float32(1.5)) == Evaluation(1.5, "complete", "", 0.0)
    assert check_value(np.int64(3)).value == 3.0


def test_plain_functions_are_wrapped_and_failures_isolated():
    objective = as_objective(lambda s: 1 / len(s))
    results = objective(["ab", "", "a"])
    assert [r.status for r in results] == ["complete", "failed", "complete"]
    assert "ZeroDivisionError" in results[1].message
    assert math.isclose(results[0].value, 0.5)
    assert objective.maximize is True
    assert as_objective(len, maximize=False).maximize is False


def test_not_callable_is_a_clear_error():
    with pytest.raises(ObjectiveError, match="must be callable"):
        FunctionObjective(42)


def test_direction_conflict_with_an_objective_is_refused():
    with pytest.raises(ObjectiveError, match="maximized by definition"):
        as_objective(Lengths(), maximize=False)
    assert as_objective(Lengths(), maximize=True).maximize


def test_designs_are_described_for_people():
    objective = FunctionObjective(len)
    assert objective.describe("abc") == "abc"
    image = np.zeros((4, 5))
    image[0, 0] = 1
    assert objective.describe(image) == "array of shape (4, 5), values 0 to 1"
