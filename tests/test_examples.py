"""Every example runs in smoke mode, so examples never rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_in_smoke_mode(path):
    # one thread: on a busy machine, torch's thread pool oversubscribes the cores
    env = {**os.environ, "SMOKE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "best" in result.stdout


def test_there_are_examples():
    assert EXAMPLES
