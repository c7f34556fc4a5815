"""Every example runs in smoke mode, so examples never rot."""

import concurrent.futures as cf
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


def _run(path: Path) -> subprocess.CompletedProcess:
    # one thread: on a busy machine, torch's thread pool oversubscribes the cores
    env = {**os.environ, "SMOKE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def runs(request):
    """Every selected example started at once, as many at a time as there are cores:
    each is a script in its own process on one thread, so they can share the machine."""
    selected = [
        item.callspec.params["path"]
        for item in request.session.items
        if getattr(item, "function", None) is test_example_runs_in_smoke_mode
    ]
    workers = max(1, min(len(selected), os.cpu_count() or 1))
    with cf.ThreadPoolExecutor(workers) as pool:
        yield {path: pool.submit(_run, path) for path in selected}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_in_smoke_mode(path, runs):
    result = runs[path].result()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "best" in result.stdout


def test_there_are_examples():
    assert EXAMPLES
