import math
import re

import numpy as np
import pytest

from lsbo import Dataset, Evaluation, FunctionObjective, LsboError, Objective
from lsbo.exceptions import InvalidDesignsError, ObjectiveError
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


# -- Dataset.from_file --------------------------------------------------------------


def test_designs_are_read_one_per_line(tmp_path):
    path = tmp_path / "designs.txt"
    path.write_text("CCO\n\n  c1ccccc1  \nCC(=O)O\n")
    data = Dataset.from_file(path)
    assert data.designs == ["CCO", "c1ccccc1", "CC(=O)O"] and data.scores is None


def test_a_csv_gives_designs_with_known_scores(tmp_path):
    path = tmp_path / "designs.csv"
    path.write_text("design,score\nab,1.5\nba,\ncc,-2\n")
    data = Dataset.from_file(path)
    assert data.designs == ["ab", "ba", "cc"] and data.scores == [1.5, None, -2.0]


def test_images_are_read_from_npy(tmp_path):
    images = np.random.default_rng(0).random((5, 8, 8))
    np.save(tmp_path / "images.npy", images)
    data = Dataset.from_file(tmp_path / "images.npy")
    assert len(data.designs) == 5 and data.designs[0].shape == (8, 8)
    np.testing.assert_allclose(data.designs[3], images[3], rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("none.txt", None, "no designs file"),
        ("blank.txt", "\n  \n", "holds no designs"),
        ("no-header.csv", "ab,1\n", "needs a header row with a 'design' column"),
        ("bad-score.csv", "design,score\nab,high\n", "line 2: score 'high' is not a number"),
        ("nan.csv", "design,score\nab,1\ncd,nan\n", "line 3: score 'nan' is not finite"),
        ("empty-design.csv", "design,score\n,1\n", "line 2: empty design"),
        ("flat.npy", np.zeros((3, 4)), "images go in an n x height x width array"),
        ("big.npy", np.full((2, 3, 3), 255.0), "values in [0, 1]"),
        ("binary.txt", b"\xff\xfe\x00", "cannot read designs"),
    ],
)
def test_a_bad_designs_file_is_a_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InvalidDesignsError, match=re.escape(message)):
        Dataset.from_file(path)


def test_render_shows_arrays_as_images_and_everything_else_as_text():
    objective = Lengths()
    image = objective.render(np.eye(3, dtype=np.float32))
    assert isinstance(image, np.ndarray) and image.dtype == float and image.shape == (3, 3)
    assert objective.render(np.zeros((4, 5, 3))).shape == (4, 5, 3)
    assert objective.render("abc") == "abc"
    assert objective.render(np.arange(3)) == objective.describe(np.arange(3))
    assert objective.render(["a", "b"]) == "['a', 'b']"
