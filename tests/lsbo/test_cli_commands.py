"""`lsbo run` with a user's function and a config file; `lsbo runs`, `show`, `export`."""

import csv
import io
import itertools
import json

import numpy as np
import pytest

import lsbo
import lsbo.storage
from tests.lsbo.test_cli import error_lines, lsbo_main

FUNCTION = """
def score(design):
    return design.count("a") - 0.1 * len(design)


def broken(design):
    raise ValueError("the assay is down")
"""

# small and fast: a 4-d latent space, a VAE trained for 2 epochs
FAST = ["--epochs", 2, "--latent-dim", 4, "--no-cache"]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A user's folder: a Python file with a function and a text file of designs."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab.py").write_text(FUNCTION)
    words = ["".join(p) for k in (3, 4) for p in itertools.product("abcd", repeat=k)]
    (tmp_path / "designs.txt").write_text("\n".join(words) + "\n\n")
    return tmp_path


def run_function(capsys, *extra):
    args = ["run", "--objective", "lab.py:score", "--designs", "designs.txt", *FAST, *extra]
    return lsbo_main(capsys, *args)


def test_a_function_in_a_file_runs_on_a_file_of_designs(lab, capsys):
    code, out = run_function(capsys, "--budget", 12)
    assert code == 0, out
    result = lsbo.load_run("lsbo-runs.db", "score-seed0", with_model=False)
    assert len(result.history) == 12
    assert all(
        r.value == pytest.approx(r.design.count("a") - 0.1 * len(r.design)) for r in result.history
    )
    # past the 10 initial designs: the default's own proposals (latent optima or children)
    assert any(r.source in ("bo", "mutant") for r in result.history[10:])
    assert "best 5" in out and f"best value:  {result.best_value:.6g}" in out
    # the summary table lists the best designs, best first
    table = out.split("best 5")[1]
    best = sorted((r.value for r in result.history), reverse=True)[:5]
    assert f"{best[0]:.6g}" in table.splitlines()[4]


def test_the_summary_gives_the_best_scored_starting_design_in_the_runs_direction(lab, capsys):
    rows = ["design,score", "abc,2.5", "abd,", "bcd,-1.5", "cda,0.5", *[f"{w},"
            for w in ("aab", "bba", "ccd", "dda", "bad", "cab", "dcb", "acd")]]  # fmt: skip
    (lab / "scored.csv").write_text("\n".join(rows) + "\n")
    args = ["run", "lab.py:score", "--designs", "scored.csv", *FAST, "--budget", 2]
    code, out = lsbo_main(capsys, *args, "--minimize")
    assert code == 0, out
    assert "best of the 3 scored starting designs: -1.5" in out
    code, out = lsbo_main(capsys, *args, "--name", "up")
    assert code == 0 and "best of the 3 scored starting designs: 2.5" in out, out


def test_a_function_objective_can_be_minimized_and_joined_by_a_worker(lab, capsys):
    code, out = run_function(capsys, "--budget", 4, "--minimize", "--name", "low")
    assert code == 0, out
    code, out = lsbo_main(
        capsys, "worker", "--storage", "lsbo-runs.db", "--name", "low", "--budget", 6
    )
    assert code == 0, out
    result = lsbo.load_run("lsbo-runs.db", "low", with_model=False)
    assert not result.maximize and len(result.history) == 6
    assert result.best_value == min(r.value for r in result.history)


def test_a_function_that_raises_is_recorded_as_failed(lab, capsys):
    args = ["run", "lab.py:broken", "--designs", "designs.txt", *FAST, "--budget", 3]
    code, out = lsbo_main(capsys, *args, "--max-failures", 0)
    assert code == 1 and "no evaluation completed" in out
    result = lsbo.load_run("lsbo-runs.db", "broken-seed0", with_model=False)
    assert [r.status for r in result.history] == ["failed"] * 3
    assert "the assay is down" in result.history[0].message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objective", "lab.py:score"], "needs training designs: add --designs FILE"),
        (
            ["lab.py:nothing", "--designs", "designs.txt"],
            "defines no function 'nothing' (it defines: score, broken)",
        ),
        (["gone.py:score", "--designs", "designs.txt"], "no objective file 'gone.py'"),
        (["lab.py:score", "--designs", "none.txt"], "no designs file 'none.txt'"),
        (["lab.py:score", "--designs", "empty.txt"], "'empty.txt' holds no designs"),
        (["lab.py:score", "--designs", "flat.npy"], "images go in an n x height x width"),
        (
            ["expression", "--designs", "designs.txt"],
            "--designs and --minimize go with a function objective",
        ),
        (["expression", "--objective", "shapes"], "two objectives given"),
        ([], "no objective given"),
    ],
)
def test_a_wrong_function_objective_is_one_line(lab, capsys, args, message):
    (lab / "empty.txt").write_text("\n \n")
    np.save(lab / "flat.npy", np.zeros((4, 16)))
    code, out = lsbo_main(capsys, "run", *args)
    [line] = error_lines(out)
    assert code == 1 and message in line
    assert not (lab / "lsbo-runs.db").exists()  # nothing was started


def test_a_config_file_sets_options_and_flags_win(lab, capsys):
    (lab / "run.toml").write_text(
        'objective = "lab.py:score"\ndesigns = "designs.txt"\nbudget = 5\nseed = 3\n'
        'latent-dim = 4\nepochs = 2\nno_cache = true\nname = "from-config"\n'
    )
    code, out = lsbo_main(capsys, "run", "--config", "run.toml", "--budget", 3)
    assert code == 0, out
    result = lsbo.load_run("lsbo-runs.db", "from-config")
    assert len(result.history) == 3  # the flag's budget, not the file's
    assert result.settings["seed"] == 3 and result.model.latent_dim == 4
    # `resume`, the key's name before 0.2.0, still accepts changed settings
    text = (lab / "run.toml").read_text().replace("seed = 3", "seed = 4") + "resume = true\n"
    (lab / "run.toml").write_text(text)
    code, out = lsbo_main(capsys, "run", "--config", "run.toml", "--budget", 4)
    assert code == 0 and "seed: 3 -> 4" in out, out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "budgt = 3\n",
            "unknown setting 'budgt'; `lsbo run` takes: accept-changes, batch-size, budget,",
        ),
        ("budget = [\n", "cannot read the config file"),
    ],
)
def test_a_bad_config_file_is_one_line(lab, capsys, text, message):
    (lab / "bad.toml").write_text(text)
    code, out = lsbo_main(capsys, "run", "expression", "--config", "bad.toml")
    [line] = error_lines(out)
    assert code == 1 and message in line


def test_a_config_value_of_the_wrong_type_is_refused_like_a_flag(lab, capsys):
    (lab / "bad.toml").write_text("budget = 0\n")
    with pytest.raises(SystemExit) as exit_info:
        lsbo.cli.main(["run", "expression", "--config", "bad.toml"])
    assert exit_info.value.code == 2 and "budget" in capsys.readouterr().err


# -- runs, show, export ----------------------------------------------------------------


@pytest.fixture
def stored(lab, capsys):
    """Two stored runs of the user's function."""
    for name, budget in (("first", 12), ("second", 3)):
        code, out = run_function(capsys, "--budget", budget, "--name", name)
        assert code == 0, out
    return lab / "lsbo-runs.db"


def test_runs_lists_each_run_with_its_progress_and_best(stored, capsys):
    code, out = lsbo_main(capsys, "runs")
    assert code == 0, out
    rows = {line.split()[1]: line for line in out.splitlines() if "score" in line}
    assert set(rows) == {"first", "second"}
    best = lsbo.load_run(stored, "first", with_model=False).best_value
    assert "12 of 12" in rows["first"] and f"{best:.6g}" in rows["first"]
    assert "3 of 3" in rows["second"] and "plain" in rows["second"]


def test_runs_delete_removes_runs_and_checks_every_name_first(stored, capsys):
    code, out = lsbo_main(capsys, "runs", "--delete", "second", "--delete", "nope")
    [line] = error_lines(out)
    assert code == 1 and "no run named 'nope'" in line
    assert [run.name for run in lsbo.list_runs(stored)] == ["first", "second"]
    code, out = lsbo_main(capsys, "runs", "--delete", "second")
    assert code == 0 and "deleted run 'second'" in out
    assert [run.name for run in lsbo.list_runs(stored)] == ["first"]


def test_show_gives_settings_counts_and_the_best_designs(stored, capsys):
    code, out = lsbo_main(capsys, "show", "first", "--top", 3)
    assert code == 0, out
    assert "lab.py:score" in out and "complete 12" in out and "seed" in out
    result = lsbo.load_run(stored, "first", with_model=False)
    best = sorted(result.history, key=lambda r: -r.value)[:3]
    table = out.split("best 3")[1]
    for record in best:
        assert record.design in table


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_writes_every_evaluation(stored, capsys, fmt):
    out_file = stored.parent / "out" / f"first.{fmt}"
    code, out = lsbo_main(capsys, "export", "first", "--format", fmt, "--out", out_file)
    assert code == 0 and "wrote 12 rows" in out
    text = out_file.read_text()
    rows = list(csv.DictReader(io.StringIO(text))) if fmt == "csv" else json.loads(text)
    result = lsbo.load_run(stored, "first", with_model=False)
    assert [r["design"] for r in rows] == [r.design for r in result.history]
    values = [float(r["value"]) for r in rows]
    assert values == pytest.approx([r.value for r in result.history])
    best = [float(r["best_so_far"]) for r in rows]
    assert best == pytest.approx(np.maximum.accumulate(values))
    latent = rows[0]["latent"]
    assert len(json.loads(latent) if fmt == "csv" else latent) == 4


def test_export_prints_to_the_terminal_without_out(stored, capsys):
    code, out = lsbo_main(capsys, "export", "second")
    assert code == 0
    assert out.splitlines()[0].startswith("evaluation,number,state,value,best_so_far,design")
    assert len(out.splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "no run named 'nope' in lsbo-runs.db (runs there: first, second)"),
        (["export", "nope"], "no run named 'nope'"),
        (["plot", "nope"], "no run named 'nope'"),
        (["runs", "--storage", "memory"], "--storage memory keeps nothing"),
        (["runs", "--storage", "elsewhere.db"], "no storage file 'elsewhere.db'"),
        (["show", "first", "--storage", "memory"], "--storage memory keeps nothing"),
    ],
)
def test_reading_a_missing_run_or_storage_is_one_line(stored, capsys, args, message):
    code, out = lsbo_main(capsys, *args)
    [line] = error_lines(out)
    assert code == 1 and message in line
    assert not (stored.parent / "elsewhere.db").exists()  # not created by looking


def test_runs_of_an_empty_storage(lab, capsys):
    lsbo.storage.get_storage(str(lab / "empty.db"))
    code, out = lsbo_main(capsys, "runs", "--storage", "empty.db")
    assert code == 0 and "no runs in empty.db" in out


# -- errors ---------------------------------------------------------------------------

CRASHING_TASK = """
from lsbo import OptimizerOptions

OBJECTIVE = make_codec = None
default_options = OptimizerOptions


def dataset(n=None, seed=0):
    raise RuntimeError("the data server is down")
"""


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(lab, capsys):
    (lab / "crash.py").write_text(CRASHING_TASK)
    code, out = lsbo_main(capsys, "run", "crash.py", "--budget", 1)
    [line] = error_lines(out)
    assert code == 1 and line == (
        "error: RuntimeError: the data server is down (run `lsbo --debug ...` to see the traceback)"
    )
    with pytest.raises(RuntimeError, match="the data server is down"):
        lsbo.cli.main(["--debug", "run", "crash.py", "--budget", "1"])


def test_plot_draws_every_figure_of_a_run_as_png_and_svg(stored, capsys):
    code, out = lsbo_main(capsys, "plot", "first", "--out", "figures")
    assert code == 0, out
    folder = stored.parent / "figures" / "first"
    for figure in ("history", "latent", "best", "interpolation", "training"):
        for suffix in ("png", "svg"):
            path = folder / f"{figure}.{suffix}"
            assert path.stat().st_size > 1000 and f"figures/first/{figure}.{suffix}" in out
    assert (folder / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_a_run_without_evaluations_draws_what_it_can(lab, capsys):
    code, out = run_function(capsys, "--budget", 1, "--name", "tiny")
    assert code == 0, out
    code, out = lsbo_main(capsys, "plot", "tiny", "--out", "figures")
    assert code == 0, out
    assert (lab / "figures" / "tiny" / "history.png").is_file()
