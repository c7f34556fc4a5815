"""What `lsbo run` and `lsbo show` tell of the run's VAE: its assessment, and warnings."""

from __future__ import annotations

import pytest

from lsbo.run_storage import get_run, load_stored_quality
from lsbo.storage import get_storage
from tests.lsbo.test_cli import lsbo_main, write_task


@pytest.fixture
def task(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return write_task(tmp_path)


def words(text: str) -> str:
    """The text with its line wrapping undone."""
    return " ".join(text.split())


def test_run_and_show_report_the_vaes_assessment_and_warn_when_it_is_poor(task, capsys):
    # the toy task's VAE trains for 2 epochs on every string of 3 or 4 letters over
    # 'abcd': it reconstructs few of them, and whatever it decodes is one of them
    code, out = lsbo_main(capsys, "run", task.name, "--budget", 3, "--no-cache")
    assert code == 0, out
    store = get_storage("lsbo-runs.db")
    (quality,) = load_stored_quality(store, get_run(store, "toy-seed0"))
    assert quality.n_held_out == 32 and quality.n_train == 288  # the validation split
    assert set(quality.problems()) == {"reconstruction", "new"}
    expected = f"VAE: {quality.summary()}; poor: reconstruction, new"
    assert expected in words(out)
    assert "of 32 held-out" in expected and "1000 prior samples" in expected
    for message in quality.problems().values():  # each warning, with what to do
        assert f"warning: {message}" in words(out)
    assert "TrainingOptions(epochs=...)" in words(out)

    code, shown = lsbo_main(capsys, "show", "toy-seed0")
    assert code == 0, shown
    assert f"VAE: {quality.summary()}; poor: reconstruction, new" in words(shown)
