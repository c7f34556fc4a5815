"""The `lsbo` command, run as a user would (typer's runner, real files, real training)."""

import contextlib
import os
import pickle
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lsbo
import objectives
from lsbo.cli import app, main
from lsbo.storage import get_storage

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

# an objective file as a user writes one: the module contract of objectives/, small and fast
TASK = """
import itertools
import time

from lsbo import Dataset, Objective, OptimizerOptions, TrainingOptions
from lsbo.representations import TokenCodec

SLEEP = {sleep}  # seconds per evaluation
HANG = {hang!r}  # designs containing this never finish (within a test)


class Toy(Objective):
    name = "toy"
    maximize = True

    def _evaluate(self, designs):
        if HANG and any(HANG in design for design in designs):
            time.sleep(30)
        time.sleep(SLEEP)
        return [design.count("a") - 0.1 * len(design) for design in designs]


OBJECTIVE = Toy


def dataset(n=None, seed=0):
    return Dataset(["".join(p) for k in (3, 4) for p in itertools.product("abcd", repeat=k)])


def make_codec(designs):
    return TokenCodec.from_designs(designs)


def default_options():
    return OptimizerOptions(
        latent_dim=4, n_initial=5, num_restarts=2, raw_samples=32, mc_samples=32,
        vae=TrainingOptions(epochs=2),
    )
"""


def write_task(folder: Path, sleep: float = 0.0, hang: str = "", name: str = "toy") -> Path:
    path = folder / f"{name}.py"
    path.write_text(TASK.format(sleep=sleep, hang=hang))
    return path


def lsbo_main(capsys, *args) -> tuple[int, str]:
    """Run `lsbo ARGS` in this process through the console script's entry point."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code, capsys.readouterr().out


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def designs(storage, name) -> list[str]:
    return [record.design for record in lsbo.load_run(storage, name, with_model=False).history]


def subprocess_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


@pytest.fixture
def task(tmp_path, monkeypatch) -> Path:
    """A toy objective file in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    return write_task(tmp_path)


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "run",
        "worker",
        "ask",
        "tell",
        "train",
        "objectives",
        "runs",
        "show",
        "export",
        "plot",
    ):
        assert command in result.output


def test_objectives_lists_every_builtin(monkeypatch):
    monkeypatch.setattr(lsbo.cli.console, "_width", 400)  # one line per objective
    result = runner.invoke(app, ["objectives"])
    assert result.exit_code == 0
    assert "minimize" in result.output and "configurations" in result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if "│" in line}
    for name in objectives.names():
        module = objectives.load(name)
        assert module.OBJECTIVE.design_type in rows[name]
        assert f"{module.DATASET_SIZE:,}" in rows[name]
    assert "20,000" in rows["qed"] and "0.948" in rows["qed"] and "image" in rows["shapes"]


@pytest.mark.parametrize("width", [60, 80])
def test_objectives_keeps_every_name_whole_in_a_narrow_terminal(monkeypatch, width):
    monkeypatch.setattr(lsbo.cli.console, "_width", width)
    result = runner.invoke(app, ["objectives"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width
    firsts = {line.split("│")[1].strip() for line in lines if line.count("│") > 2}
    assert set(objectives.names()) <= firsts  # each name whole, on its row's first line


MOLECULE_TASK = """
from objectives import qed
from lsbo import OptimizerOptions, TrainingOptions

OBJECTIVE = qed.OBJECTIVE
make_codec = qed.make_codec


def dataset(n=None, seed=0):
    return qed.dataset(n=500, seed=seed)


def default_options():
    vae = TrainingOptions(epochs=2)
    return OptimizerOptions(latent_dim=8, n_initial=3, num_restarts=2, raw_samples=32, vae=vae)
"""


def test_a_molecule_run_shows_its_best_design_as_smiles(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LSBO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "small_qed.py").write_text(MOLECULE_TASK)
    code, out = lsbo_main(capsys, "run", "small_qed.py", "--budget", 2, "--storage", "memory")
    assert code == 0, out
    line = next(line for line in out.splitlines() if "best design:" in line)
    smiles, selfies = line.split("best design:")[1].split(" (SELFIES ")
    from lsbo.representations.molecules import selfies_to_smiles

    assert selfies_to_smiles(selfies.rstrip(")")) == smiles.strip()


@pytest.mark.slow
def test_train_then_run_with_the_saved_model_and_with_the_cache(task, tmp_path):
    model = tmp_path / "toy.pt"
    trained = runner.invoke(app, ["train", str(task), "--out", str(model), "--epochs", "1"])
    assert trained.exit_code == 0, trained.output
    assert model.is_file()
    ran = runner.invoke(app, ["run", str(task), "--budget", "3", "--model", str(model)])
    assert ran.exit_code == 0, ran.output
    assert "best design:" in ran.output and "evaluations: 3" in ran.output

    cache = tmp_path / "cache"
    args = ["run", str(task), "--budget", "2", "--epochs", "1", "--cache-dir", str(cache)]
    args += ["--storage", "memory"]  # else the second command continues the first's run
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
        cwd=tmp_path,
        env=subprocess_env(),
    )
    assert result.returncode == 1 and "not a readable lsbo model" in result.stdout


def test_a_budget_below_one_is_refused_before_any_training():
    result = runner.invoke(app, ["run", "expression", "--budget", "0"])
    assert result.exit_code == 2
    assert "budget" in result.output


# -- objective files ----------------------------------------------------------------


def test_an_objective_file_is_resolved_once_and_pickles_by_its_source(tmp_path):
    path = write_task(tmp_path)
    module = objectives.resolve(str(path))
    assert objectives.resolve(str(path)) is module and module.OBJECTIVE.name == "toy"
    pickled = pickle.dumps(module.OBJECTIVE())
    path.unlink()
    # another process (a Dask worker) without the file runs the objective from its source
    code = "import pickle, sys; o = pickle.loads(sys.stdin.buffer.read()); print(o(['aab']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=pickled,
        capture_output=True,
        cwd=tmp_path,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "value=1.7" in result.stdout.decode()


def test_a_missing_or_incomplete_objective_file_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out = lsbo_main(capsys, "run", "nothere.py")
    assert code == 1 and error_lines(out) == [
        "error: no objective file 'nothere.py'; give a built-in objective "
        f"({', '.join(objectives.names())}; `lsbo objectives` lists them) or the path of "
        "a .py file that defines OBJECTIVE, dataset, make_codec, default_options"
    ]
    (tmp_path / "half.py").write_text("OBJECTIVE = None\n")
    code, out = lsbo_main(capsys, "run", "half.py")
    assert code == 1 and "does not define dataset, make_codec, default_options" in out
    assert not (tmp_path / "lsbo-runs.db").exists()


# -- storage, resuming ----------------------------------------------------------------


def test_a_run_is_stored_in_the_current_folder_and_the_same_command_continues(task, capsys):
    code, out = lsbo_main(capsys, "run", task.name, "--budget", 4, "--no-cache")
    assert code == 0, out
    assert (task.parent / "lsbo-runs.db").is_file()
    assert "evaluations: 4 (0 failed)" in out and "validity rate: " in out
    assert "run 'toy-seed0' is stored in lsbo-runs.db" in out

    code, out = lsbo_main(capsys, "run", task.name, "--budget", 6, "--no-cache")
    assert code == 0, out
    assert "trained the VAE" not in out and "continuing run 'toy-seed0'" in out
    assert "4 of 6 done" in out and "evaluations: 6" in out
    found = designs("lsbo-runs.db", "toy-seed0")
    assert len(found) == len(set(found)) == 6

    code, out = lsbo_main(capsys, "run", task.name, "--budget", 6, "--no-cache")
    assert code == 0 and "run 'toy-seed0' already has 6 evaluations; raise --budget" in out
    assert len(designs("lsbo-runs.db", "toy-seed0")) == 6


def test_without_a_terminal_progress_is_plain_lines(task, capsys, monkeypatch):
    monkeypatch.setattr(lsbo.cli, "PROGRESS_SECONDS", 0.0)  # a line after every evaluation
    code, out = lsbo_main(capsys, "run", task.name, "--budget", 6, "--no-cache")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("run 'toy-seed0': up to 6 evaluations of toy with the plain")
    epochs = [line for line in lines if line.startswith("training the VAE on 320 designs: epoch")]
    assert [line.split(": epoch ")[1].split(",")[0] for line in epochs] == [
        "1 of at most 2",
        "2 of at most 2",
    ]
    progress = [line for line in lines if " evaluations, best " in line]
    assert [line.split(" ")[0] for line in progress] == [f"{n}/6" for n in range(1, 7)]
    assert all(re.search(r"elapsed, about \d+:\d\d:\d\d left$", line) for line in progress)
    assert "\r" not in out and "\x1b" not in out  # no live bar, no terminal codes


def test_other_settings_under_the_same_name_need_accept_changes(task, capsys):
    common = ["run", task.name, "--name", "shared", "--no-cache"]
    code, out = lsbo_main(capsys, *common, "--budget", 3)
    assert code == 0, out
    for change in (["--seed", 1], ["--latent-dim", 3]):
        code, out = lsbo_main(capsys, *common, "--budget", 4, *change)
        [line] = error_lines(out)
        assert code == 1 and "--accept-changes" in line and change[0][2:].replace("-", "_") in line
    assert len(designs("lsbo-runs.db", "shared")) == 3

    code, out = lsbo_main(capsys, *common, "--budget", 4, "--seed", 1, "--accept-changes")
    assert code == 0, out
    assert "resuming run 'shared' with changed settings: seed: 0 -> 1" in out
    assert len(set(designs("lsbo-runs.db", "shared"))) == 4
    # --resume, its name before 0.2.0, still works
    code, out = lsbo_main(capsys, *common, "--budget", 5, "--seed", 2, "--resume")
    assert code == 0 and "seed: 1 -> 2" in out, out


def test_a_strategy_is_chosen_by_name_stored_and_followed_by_workers(task, capsys):
    common = ["run", task.name, "--no-cache", "--strategy", "weighted-retraining"]
    code, out = lsbo_main(capsys, *common, "--budget", 4)
    assert code == 0, out
    name = "toy-weighted-retraining-seed0"  # its own default name: plain's run is another
    assert f"run '{name}' is stored" in out
    settings = lsbo.load_run("lsbo-runs.db", name, with_model=False).settings
    assert settings["strategy"]["name"] == "weighted-retraining"
    assert settings["strategy"]["period"] == 50
    code, out = lsbo_main(
        capsys, "worker", "--storage", "lsbo-runs.db", "--name", name, "--budget", 5
    )
    assert code == 0, out  # the worker rebuilt the same strategy: no settings conflict
    assert len(designs("lsbo-runs.db", name)) == 5

    code, out = lsbo_main(capsys, "run", task.name, "--strategy", "turbo")
    [line] = error_lines(out)
    assert code == 1 and "no strategy named 'turbo'" in line and "trust-region" in line


@pytest.mark.parametrize(
    ("storage", "message"),
    [("foo://bar", "unknown storage URL 'foo://bar'"), ("missing/runs.db", "does not exist")],
)
def test_an_unusable_storage_is_one_line(task, capsys, storage, message):
    code, out = lsbo_main(capsys, "run", task.name, "--storage", storage)
    assert code == 1 and len(error_lines(out)) == 1 and message in out


# -- failures, workers ----------------------------------------------------------------


def test_evaluations_over_the_timeout_are_failed_records(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    hanging = write_task(tmp_path, hang="b", name="hanging")
    args = ["run", hanging.name, "--budget", 6, "--timeout", 0.5, "--no-cache"]
    code, out = lsbo_main(capsys, *args)
    assert code == 0, out
    history = lsbo.load_run("lsbo-runs.db", "hanging-seed0", with_model=False).history
    failed = [record for record in history if record.status == "failed"]
    assert len(history) == 6 and 0 < len(failed) < 6
    assert all("b" in r.design and "timed out after 0.5 s" in r.message for r in failed)
    assert f"evaluations: 6 ({len(failed)} failed)" in out


def test_workers_evaluate_at_the_same_time(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    slow = write_task(tmp_path, sleep=0.3, name="slow")
    code, out = lsbo_main(capsys, "run", slow.name, "--budget", 5, "--workers", 2, "--no-cache")
    assert code == 0, out
    store = get_storage("lsbo-runs.db")
    rows = store.proposals(store.get_run("slow-seed0").id)
    spans = [(row["started_at"], row["finished_at"]) for row in rows]
    assert len(spans) == 5
    assert any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[:i])


def test_scheduler_without_dask_says_what_to_install(task, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    code, out = lsbo_main(capsys, "run", task.name, "--scheduler", "tcp://localhost:8786")
    assert code == 1
    assert error_lines(out) == ["error: --scheduler needs Dask: pip install 'lsbo[distributed]'"]


def test_run_on_a_dask_cluster(task, capsys):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        args = ["run", task.name, "--budget", 4, "--scheduler", cluster.scheduler_address]
        code, out = lsbo_main(capsys, *args, "--no-cache")
    assert code == 0, out
    history = lsbo.load_run("lsbo-runs.db", "toy-seed0", with_model=False).history
    assert [record.status for record in history] == ["complete"] * 4


def test_a_worker_joins_a_run_and_raises_its_budget(task, capsys):
    code, out = lsbo_main(capsys, "run", task.name, "--budget", 3, "--no-cache")
    assert code == 0, out
    worker = ["worker", "--storage", "lsbo-runs.db", "--name", "toy-seed0"]
    code, out = lsbo_main(capsys, *worker, "--budget", 5)
    assert code == 0, out
    assert "trained the VAE" not in out and "evaluations: 5" in out
    found = designs("lsbo-runs.db", "toy-seed0")
    assert len(found) == len(set(found)) == 5
    code, out = lsbo_main(capsys, *worker)  # the stored budget is now 5
    assert code == 0 and "already has 5 evaluations" in out

    code, out = lsbo_main(capsys, "worker", "--storage", "lsbo-runs.db", "--name", "other")
    [line] = error_lines(out)
    assert code == 1 and "no run named 'other'" in line and "runs there: toy-seed0" in line


def test_worker_processes_share_a_run_without_evaluating_a_design_twice(tmp_path, capsys):
    slow = write_task(tmp_path, sleep=0.2, name="slow")
    made = subprocess.run(
        [sys.executable, "-m", "lsbo.cli", "run", slow.name, "--budget", "2", "--no-cache"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    worker = [sys.executable, "-m", "lsbo.cli", "worker", "--storage", "lsbo-runs.db"]
    worker += ["--name", "slow-seed0", "--budget", "8"]
    processes = [
        subprocess.Popen(worker, cwd=tmp_path, env=subprocess_env(), stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    for process in processes:
        out, _ = process.communicate(timeout=240)
        assert process.returncode == 0, out
    result = lsbo.load_run(tmp_path / "lsbo-runs.db", "slow-seed0", with_model=False)
    found = [record.design for record in result.history]
    assert len(found) == len(set(found)) == 8 and result.n_pending == 0


# -- Ctrl-C ---------------------------------------------------------------------------


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_cleanly_and_prints_the_command_that_resumes(tmp_path, monkeypatch, capsys):
    slow = write_task(tmp_path, sleep=0.3, name="slow")
    budget = 12  # beyond what runs before the interrupt, which comes after 2 (0.3 s each)
    command = [
        sys.executable, "-m", "lsbo.cli", "run", slow.name, "--budget", str(budget), "--no-cache"
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test session started in the background (`cmd &`) ignores SIGINT, and so
        # would this child: give it the default handler, as a terminal would
        preexec_fn=_default_sigint,
    )
    try:
        done, deadline = 0, time.monotonic() + 180
        while done < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            if (tmp_path / "lsbo-runs.db").exists():
                with contextlib.suppress(lsbo.LsboError):  # the run is not created yet
                    done = len(designs(tmp_path / "lsbo-runs.db", "slow-seed0"))
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    [line] = [line for line in out.splitlines() if line.startswith("interrupted: ")]
    saved, resume = line.split(" Resume with: ")
    assert saved.endswith("evaluations are saved in lsbo-runs.db (run 'slow-seed0').")
    assert resume == (
        f"lsbo run slow.py --budget {budget} --no-cache --storage lsbo-runs.db --name slow-seed0"
    )
    stopped_at = int(saved.split()[1])
    assert stopped_at < budget

    monkeypatch.chdir(tmp_path)
    code, out = lsbo_main(capsys, *shlex.split(resume)[1:])
    assert code == 0, out
    assert f"{stopped_at} of {budget} done" in out
    result = lsbo.load_run("lsbo-runs.db", "slow-seed0", with_model=False)
    found = [record.design for record in result.history]
    assert len(found) == len(set(found)) == budget and result.n_pending == 0
