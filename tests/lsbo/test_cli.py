"""The `lsbo` command, run as a user would (typer's runner, real files, real training)."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lsbo.cli import app

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "train", "objectives"):
        assert command in result.output


def test_objectives_lists_expression():
    result = runner.invoke(app, ["objectives"])
    assert result.exit_code == 0
    assert "expression" in result.output and "minimize" in result.output


@pytest.mark.slow
def test_train_then_run_with_the_saved_model_and_with_the_cache(tmp_path):
    model = tmp_path / "expr.pt"
    trained = runner.invoke(app, ["train", "expression", "--out", str(model), "--epochs", "1"])
    assert trained.exit_code == 0, trained.output
    assert model.is_file()
    ran = runner.invoke(app, ["run", "expression", "--budget", "3", "--model", str(model)])
    assert ran.exit_code == 0, ran.output
    assert "best design:" in ran.output and "evaluations: 3" in ran.output

    cache = tmp_path / "cache"
    args = ["run", "expression", "--budget", "2", "--epochs", "1", "--cache-dir", str(cache)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "trained the VAE" in first.output and len(list(cache.glob("*.pt"))) == 1
    second = runner.invoke(app, args)
    assert "loaded the cached VAE" in second.output, second.output
    assert first.output.split("best design:")[1] == second.output.split("best design:")[1]


def test_unknown_objective_is_a_message_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "lsbo.cli", "run", "no-such-task", "--budget", "1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no built-in objective named 'no-such-task'" in result.stdout
    assert "Traceback" not in result.stderr


def test_bad_model_file_is_a_message(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("garbage")
    result = subprocess.run(
        [sys.executable, "-m", "lsbo.cli", "run", "expression", "--model", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "not a readable lsbo model" in result.stdout


def test_a_budget_below_one_is_refused_before_any_training():
    result = runner.invoke(app, ["run", "expression", "--budget", "0"])
    assert result.exit_code == 2
    assert "budget" in result.output
