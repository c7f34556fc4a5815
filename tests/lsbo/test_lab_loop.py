"""The lab loop: `lsbo ask` writes a batch file, `lsbo tell` reads its values back."""

import csv
import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch

import lsbo
from lsbo.batch import read_batch, tell_batch, write_batch
from lsbo.exceptions import BatchFileError, ObjectiveError
from lsbo.records import Proposal, Source
from lsbo.run_storage import RunStorage
from tests.lsbo.test_cli import error_lines, lsbo_main, subprocess_env

FAST = ["--epochs", 2, "--latent-dim", 4]
FUNCTION = "def score(design):\n    return design.count('a') - 0.1 * len(design)\n"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A chemist's folder: a text file of designs (and a function, for `lsbo run`)."""
    monkeypatch.chdir(tmp_path)
    words = ["".join(p) for k in (3, 4) for p in itertools.product("abcd", repeat=k)]
    (tmp_path / "designs.txt").write_text("\n".join(words) + "\n")
    (tmp_path / "lab.py").write_text(FUNCTION)
    return tmp_path


def measure(path, values=None, failed=()):
    """Add a 'value' column, as the lab would: score each design, or ``values``."""
    rows = list(csv.DictReader(path.open()))
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["number", "design", "value"])
        for i, row in enumerate(rows):
            value = values[i] if values else row["design"].count("a") - 0.1 * len(row["design"])
            writer.writerow([row["number"], row["design"], "failed" if i in failed else value])
    return rows


def ask(capsys, name, out, *extra):
    return lsbo_main(capsys, "ask", name, "--out", out, *extra)


def stored(name, storage="lsbo-runs.db"):
    return lsbo.load_run(storage, name, with_model=False)


# -- batch files ---------------------------------------------------------------------


def test_a_batch_file_round_trips_strings_and_images(tmp_path):
    image = np.eye(4, dtype=np.float32)
    proposals = [
        Proposal(3, "C(=O)O,x", None, None, 0, Source.BO),  # a comma: quoted
        Proposal(4, image, None, None, 0, Source.BO),
    ]
    path = write_batch(proposals, tmp_path / "batch.csv")
    assert np.array_equal(np.load(tmp_path / "batch-4.npy"), image)
    rows = list(csv.reader(path.open()))
    assert rows == [["number", "design"], ["3", "C(=O)O,x"], ["4", "batch-4.npy"]]
    text = path.read_text().replace("number,design", "number,design,value")
    path.write_text(text.replace('x"\n', 'x",1.5\n').replace(".npy\n", ".npy,failed\n"))
    assert [(r.row, r.number, r.design, r.value) for r in read_batch(path)] == [
        (2, 3, "C(=O)O,x", 1.5),
        (3, 4, "batch-4.npy", None),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("design,score\nabc,1\n", "not a batch file of lsbo with measured values"),
        ("number,design\n1,abc\n", "has the columns number, design, not number"),
        ("", "has no header row"),
        ("number,design,value\n", "has no rows to tell"),
        ("number,design,value\n1,abc,2\nx1,abd,3\n", "row 3: number 'x1' is not a proposal"),
        ("number,design,value\n1,abc,2\n1,abc,3\n", "row 3: proposal 1 is in row 2 too"),
        ("number,design,value\n1,abc,high\n", "row 2: value 'high' is not a number;"),
        ('number,design,value\n1,abc,"1,5"\n', "write decimals with a point"),
        ("number,design,value\n1,abc,nan\n", "row 2: value 'nan' is not a number"),
    ],
)
def test_a_malformed_batch_file_is_one_error_naming_the_row(tmp_path, text, message):
    path = tmp_path / "batch.csv"
    path.write_text(text)
    with pytest.raises(BatchFileError, match=message.replace("(", r"\(")):
        read_batch(path)


def test_empty_and_failed_values_are_failed_measurements_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text("\ufeffNumber,Design,Value\n1,abc,\n\n2,abd,FAILED\n3.0,acd,-2e-1\n")
    assert [(r.number, r.value) for r in read_batch(path)] == [(1, None), (2, None), (3, -0.2)]


def test_a_missing_batch_file_is_an_error(tmp_path):
    with pytest.raises(BatchFileError, match="no batch file"):
        read_batch(tmp_path / "nope.csv")


# -- ask and tell from Python ----------------------------------------------------------


@pytest.fixture
def external_run(tmp_path, strings, string_vae):
    """A run measured outside lsbo, stored in a file, with 6 designs asked."""
    storage = str(tmp_path / "runs.db")
    optimizer = lsbo.Optimizer(
        lsbo.ExternalObjective(), strings, model=string_vae, storage=storage, name="lab",
        options=lsbo.OptimizerOptions(n_initial=4, num_restarts=2, raw_samples=32),
    )  # fmt: skip
    return optimizer, storage, optimizer.ask(6, external=True)


def test_external_proposals_are_never_taken_for_lost(external_run):
    optimizer, _, proposals = external_run
    store = optimizer.run_storage
    other = RunStorage(store.storage, store.run, torch.float64, stale_after=0.0)
    other.sync()  # another process, for which every silent proposal is stale at once
    assert sorted(other.foreign) == [p.number for p in proposals]
    assert other.stale() == [] and other.claim_stale(6) == ([], [])
    assert other.finish(proposals[0].number, lsbo.Evaluation(1.0, "complete")) is not None


def test_an_external_run_cannot_run_and_its_objective_says_why(external_run):
    optimizer, _, _ = external_run
    with pytest.raises(ObjectiveError, match="evaluated outside lsbo"):
        optimizer.run(10)
    outcome = lsbo.ExternalObjective()(["abc"])[0]
    assert outcome.status == "failed" and "lsbo ask" in outcome.message


def test_tell_batch_records_values_and_a_bad_row_records_nothing(external_run, tmp_path):
    optimizer, storage, proposals = external_run
    path = write_batch(proposals, tmp_path / "batch.csv")
    measure(path, values=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], failed={5})
    lines = path.read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:3], lines[3].replace(",3.0", ",three")]) + "\n")
    with pytest.raises(BatchFileError, match="row 4: value 'three'"):
        tell_batch(storage, "lab", bad)
    assert stored("lab", storage).history == []
    before = lsbo.list_runs(storage)[0].updated_at
    report = tell_batch(storage, "lab", path)
    assert [r.value for r in report.told] == [1.0, 2.0, 3.0, 4.0, 5.0, None]
    assert lsbo.list_runs(storage)[0].updated_at > before
    assert tell_batch(storage, "lab", path).unchanged == [p.number for p in proposals]
    optimizer.sync()
    assert optimizer.result().best_value == 5.0 and optimizer.pending() == []


# -- the command line -------------------------------------------------------------------


def test_ask_makes_a_run_of_measured_designs_and_tell_records_the_lab_values(lab, capsys):
    code, out = ask(capsys, "assay", "b1.csv", "--designs", "designs.txt", "--n", 4, *FAST)
    assert code == 0, out
    assert "wrote 4 designs of run 'assay' to 'b1.csv'" in out
    assert "lsbo tell assay b1.csv" in out
    first = measure(lab / "b1.csv", failed={3})
    code, out = ask(capsys, "assay", "b2.csv", "--n", 4)  # before telling: new designs
    assert code == 0, out
    second = measure(lab / "b2.csv")
    assert not {r["design"] for r in first} & {r["design"] for r in second}
    assert len(stored("assay").history) == 0 and stored("assay").n_pending == 8
    code, out = lsbo_main(capsys, "tell", "assay", "b1.csv")
    assert code == 0, out
    assert "told 4 values to run 'assay' (1 failed)" in out
    assert "4 proposals still waiting for a value" in out
    code, out = lsbo_main(capsys, "tell", "assay", "b2.csv")
    assert code == 0 and "8 evaluations in all" in out, out
    result = stored("assay")
    told = {r.number: r.value for r in result.history}
    assert told[int(first[3]["number"])] is None  # 'failed'
    assert told[int(second[0]["number"])] == pytest.approx(
        second[0]["design"].count("a") - 0.1 * len(second[0]["design"])
    )
    assert result.settings["objective"] == "external" and result.settings["maximize"]
    code, out = lsbo_main(capsys, "tell", "assay", "b2.csv")  # again: nothing changes
    assert code == 0 and "told 0 values" in out and "4 rows were told before" in out, out
    assert len(stored("assay").history) == 8


def test_ask_works_on_a_run_of_lsbo_run_beyond_its_budget(lab, capsys):
    code, out = lsbo_main(
        capsys, "run", "lab.py:score", "--designs", "designs.txt", *FAST, "--budget", 12
    )
    assert code == 0, out
    code, out = ask(capsys, "score-seed0", "more.csv", "--n", 3)
    assert code == 0, out
    rows = measure(lab / "more.csv", values=[9.0, 8.0, 7.0])
    assert not {r["design"] for r in rows} & {r.design for r in stored("score-seed0").history}
    code, out = lsbo_main(capsys, "tell", "score-seed0", "more.csv")
    assert code == 0 and "15 evaluations in all, best 9" in out, out


@pytest.fixture
def asked(lab, capsys):
    """A run with 3 designs told and a batch of 3 waiting for its values."""
    code, out = ask(capsys, "assay", "b1.csv", "--designs", "designs.txt", "--n", 3, *FAST)
    assert code == 0, out
    measure(lab / "b1.csv", values=[1.0, 2.0, 3.0])
    assert lsbo_main(capsys, "tell", "assay", "b1.csv")[0] == 0
    assert ask(capsys, "assay", "b2.csv", "--n", 3)[0] == 0
    return lab


def rewrite(path, row, column, value):
    rows = list(csv.reader(path.open()))
    rows[row - 1][column] = value
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(rows)


@pytest.mark.parametrize(
    "change, message",
    [
        ((3, 0, "999"), "row 3: run 'assay' has no proposal 999; is this file from another run"),
        ((3, 1, "dddd"), "row 3: proposal {n} of run 'assay' is '{d}', not 'dddd'; is this file"),
        ((4, 2, "n/a"), "row 4: value 'n/a' is not a number"),
        (None, "row 2: proposal {old} was told already (complete, 1); remove the row"),
    ],
)
def test_each_bad_row_is_a_one_line_error_and_nothing_is_lost(asked, capsys, change, message):
    rows = measure(asked / "b2.csv", values=[4.0, 5.0, 6.0])
    if change is None:  # a value told before, told again with another value
        old = next(csv.DictReader((asked / "b1.csv").open()))
        rewrite(asked / "b2.csv", 2, 0, old["number"])
        rewrite(asked / "b2.csv", 2, 1, old["design"])
        message = message.format(old=old["number"])
    else:
        rewrite(asked / "b2.csv", *change)
        message = message.format(n=rows[1]["number"], d=rows[1]["design"])
    code, out = lsbo_main(capsys, "tell", "assay", "b2.csv")
    assert code == 1 and len(error_lines(out)) == 1 and message in out, out
    result = stored("assay")
    assert sorted(r.value for r in result.history) == [1.0, 2.0, 3.0] and result.n_pending == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["tell", "assay", "nope.csv"], "no batch file 'nope.csv'"),
        (["tell", "nobody", "b2.csv"], "no run named 'nobody'"),
        (["ask", "assay", "--out", "b2.csv"], "'b2.csv' exists (a batch waiting for values?)"),
        (["ask", "assay", "--out", "x.csv", "--seed", 3], "--seed would change it"),
        (["ask", "new", "--out", "x.csv"], "lsbo ask new --designs FILE --out FILE"),
        (["ask", "assay", "--out", "x.csv", "--storage", "memory"], "work on a stored run"),
        (["worker", "--storage", "lsbo-runs.db", "--name", "assay"], "measured outside lsbo"),
    ],
)
def test_bad_ask_and_tell_commands_are_one_line(asked, capsys, args, message):
    code, out = lsbo_main(capsys, *args)
    assert code == 1 and len(error_lines(out)) == 1 and message in out, out
    assert stored("assay").n_pending == 3


def test_ask_pending_writes_the_waiting_proposals_again(asked, capsys):
    waiting = list(csv.DictReader((asked / "b2.csv").open()))
    code, out = ask(capsys, "assay", "lost.csv", "--pending")
    assert code == 0, out
    assert list(csv.DictReader((asked / "lost.csv").open())) == waiting
    assert stored("assay").n_pending == 3


def test_a_run_driven_only_by_ask_and_tell_through_separate_processes(lab):
    def lsbo_process(*args):
        command = [sys.executable, "-m", "lsbo.cli", *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, env=subprocess_env())
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    lsbo_process("ask", "assay", "--designs", "designs.txt", "--out", "b1.csv", "--n", 5, *FAST)
    first = measure(lab / "b1.csv")
    # the asking process has ended: a worker of another run, a `run`, nobody takes
    # these for lost; another process tells them, a third asks again
    lsbo_process("tell", "assay", "b1.csv")
    lsbo_process("ask", "assay", "--out", "b2.csv", "--n", 5)
    second = measure(lab / "b2.csv")
    lsbo_process("tell", "assay", "b2.csv")
    result = stored("assay")
    assert len(result.history) == 10 and result.n_pending == 0
    assert len({r.design for r in result.history}) == 10
    assert {r["design"] for r in first + second} == {r.design for r in result.history}


def test_a_worker_leaves_the_lab_s_proposals_alone(lab, capsys):
    code, out = lsbo_main(
        capsys, "run", "lab.py:score", "--designs", "designs.txt", *FAST, "--budget", 4
    )
    assert code == 0, out
    command = [sys.executable, "-m", "lsbo.cli", "ask", "score-seed0", "--out", "b.csv", "--n", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env=subprocess_env())
    assert done.returncode == 0, done.stdout + done.stderr  # its process is gone now
    asked = {r["number"] for r in csv.DictReader((lab / "b.csv").open())}
    code, out = lsbo_main(
        capsys, "worker", "--storage", "lsbo-runs.db", "--name", "score-seed0", "--budget", 8
    )
    assert code == 0, out
    result = stored("score-seed0")
    assert not asked & {str(r.number) for r in result.history}
    assert result.n_pending == 2 and len(result.history) == 6  # the budget counts them
