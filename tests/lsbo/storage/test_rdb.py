"""The storage contract, run on every backend, and the bad inputs a user may give it."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest

from lsbo.exceptions import RunNotFoundError, StorageError
from lsbo.storage import BudgetReached, RDBStorage, get_storage


def _pending(storage: RDBStorage, run_id: int, key: str, worker: str = "w1") -> int | None:
    return storage.add_proposal(
        run_id,
        state="pending",
        design='"abc"',
        design_key=key,
        latent="[0.5, -1.25]",
        iteration=1,
        source="bo",
        worker=worker,
        attempts=1,
    )


class StorageContract:
    """Every backend: runs by name, unique designs, outcomes told once, checkpoints."""

    @pytest.fixture
    def url(self, tmp_path):
        raise NotImplementedError

    def test_runs_are_created_once_and_found_by_name(self, url):
        storage = get_storage(url)
        first = storage.create_run("a", {"seed": 1})
        again = storage.create_run("a", {"seed": 2})  # a concurrent creator gets the first
        storage.create_run("b", {"seed": 3})
        assert again.id == first.id and again.settings == {"seed": 1}
        assert [r.name for r in storage.list_runs()] == ["a", "b"]
        assert storage.get_run("missing") is None
        storage.delete_run("b")
        assert [r.name for r in storage.list_runs()] == ["a"]
        with pytest.raises(RunNotFoundError, match=r"no run named 'b'"):
            storage.delete_run("b")

    def test_a_design_is_claimed_once_and_told_once(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {})
        assert _pending(storage, run.id, "k1") == 0
        assert _pending(storage, run.id, "k1", worker="w2") is None  # another worker had it
        assert _pending(storage, run.id, "k2") == 1  # numbers stay dense after a conflict
        assert storage.finish(run.id, 0, state="complete", value=2.5, message="", duration=1.0)
        assert not storage.finish(run.id, 0, state="failed", value=None, message="x")
        rows = storage.proposals(run.id)
        assert [(r["number"], r["state"], r["value"]) for r in rows] == [
            (0, "complete", 2.5),
            (1, "pending", None),
        ]
        assert rows[0]["finish_order"] == 0 and rows[0]["latent"] == "[0.5, -1.25]"
        assert [r["number"] for r in storage.proposals(run.id, after_id=rows[0]["id"])] == [1]

    def test_a_limit_stops_pending_proposals_at_the_budget(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {})
        row = {"state": "pending", "design": '"x"', "iteration": 1, "source": "bo"}
        assert storage.add_proposal(run.id, limit=2, design_key="k1", **row) == 0
        storage.add_proposal(run.id, state="invalid", design='"y"', iteration=1, source="bo")
        assert storage.add_proposal(run.id, limit=2, design_key="k2", **row) == 2
        with pytest.raises(BudgetReached):
            storage.add_proposal(run.id, limit=2, design_key="k3", **row)
        assert storage.add_proposal(run.id, design_key="k3", **row) == 3  # no limit: added

    def test_invalid_designs_need_no_unique_key(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {})
        for _ in range(2):
            storage.add_proposal(
                run.id, state="invalid", design='"x"', iteration=1, source="bo", design_key=None
            )
        assert [r["state"] for r in storage.proposals(run.id)] == ["invalid", "invalid"]

    def test_claim_is_compare_and_set(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {})
        _pending(storage, run.id, "k1", worker="dead")
        assert not storage.claim(run.id, 0, "w2", previous="someone-else")
        assert storage.claim(run.id, 0, "w2", previous="dead")
        assert not storage.claim(run.id, 0, "w3", previous="dead")  # w2 was first
        storage.release(run.id, "w2")
        assert storage.claim(run.id, 0, "w3", previous=None)
        row = storage.proposals(run.id)[0]
        assert (row["worker"], row["attempts"]) == ("w3", 3)

    def test_counters_checkpoints_and_settings(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {"x": 1})
        assert [storage.next_iteration(run.id) for _ in range(3)] == [1, 2, 3]
        assert storage.save_checkpoint(run.id, "vae", b"first", replace=False)
        assert not storage.save_checkpoint(run.id, "vae", b"second", replace=False)
        storage.save_checkpoint(run.id, "gp", b"\x00\x01")
        storage.save_checkpoint(run.id, "gp", b"\x02")
        assert storage.load_checkpoint(run.id, "vae") == b"first"
        assert storage.load_checkpoint(run.id, "gp") == b"\x02"
        assert storage.load_checkpoint(run.id, "none") is None
        storage.update_run(run.id, budget=50, stats={"n_invalid": 3}, settings={"x": 2})
        storage.add_to_stats(run.id, {"n_invalid": 2, "seconds": 0.5})
        stored = storage.get_run("a")
        assert (stored.budget, stored.settings) == (50, {"x": 2})
        assert stored.stats == {"n_invalid": 5, "seconds": 0.5}

    def test_everything_survives_reopening(self, url):
        storage = get_storage(url)
        run = storage.create_run("a", {"x": 1})
        _pending(storage, run.id, "k1")
        storage.finish(run.id, 0, state="complete", value=1.0, message="", duration=0.0)
        storage.save_checkpoint(run.id, "vae", b"model")
        storage.engine.dispose()
        reopened = get_storage(url)
        again = reopened.get_run("a")
        assert again is not None and again.settings == {"x": 1}
        assert [r["value"] for r in reopened.proposals(again.id)] == [1.0]
        assert reopened.load_checkpoint(again.id, "vae") == b"model"


class TestSQLiteFile(StorageContract):
    @pytest.fixture
    def url(self, tmp_path):
        return str(tmp_path / "runs.db")

    def test_the_file_is_in_wal_mode(self, url):
        get_storage(url)
        with sqlite3.connect(url) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


class TestSQLiteURL(StorageContract):
    @pytest.fixture
    def url(self, tmp_path):
        return f"sqlite:///{tmp_path / 'runs.db'}"


class TestInMemory(StorageContract):
    @pytest.fixture
    def url(self):
        storage = get_storage(None)
        assert storage.in_memory
        return storage  # the same object every time: memory is not shared between objects

    def test_everything_survives_reopening(self, url):
        url.create_run("a", {})
        assert get_storage(url).get_run("a") is not None  # the same object
        assert get_storage(None).list_runs() == []  # a new in-memory storage starts empty


class TestPostgres(StorageContract):
    @pytest.fixture
    def url(self, postgres_url):
        return postgres_url

    def test_a_plain_postgresql_url_uses_psycopg(self, postgres_url):
        plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        assert get_storage(plain).engine.url.drivername == "postgresql+psycopg"

    def test_a_wrong_password_is_a_clear_error(self, postgres_url):
        user = postgres_url.split("//")[1].split(":")[0]
        wrong = postgres_url.replace(f"{user}:{user}@", f"{user}:wrong@", 1)
        with pytest.raises(StorageError, match=r"cannot connect to .*check that the server"):
            get_storage(wrong)


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["mysql://user@host/db", "ftp://host/runs.db", "runs://x"])
def test_an_unknown_scheme_says_which_ones_work(url):
    with pytest.raises(StorageError, match=r"unknown storage URL .*sqlite:///.*postgresql://"):
        get_storage(url)


def test_a_path_in_a_missing_folder(tmp_path):
    with pytest.raises(StorageError, match=r"the folder .*missing does not exist"):
        get_storage(tmp_path / "missing" / "runs.db")
    assert not (tmp_path / "missing").exists()


def test_a_folder_is_not_a_storage_file(tmp_path):
    with pytest.raises(StorageError, match=r"is a folder; give a file path"):
        get_storage(tmp_path)


def test_a_file_that_is_not_sqlite_is_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my precious notes\n" * 100)
    with pytest.raises(StorageError, match=r"not an SQLite database or is corrupt"):
        get_storage(path)
    assert path.read_text() == "my precious notes\n" * 100


def test_a_truncated_database_is_a_clear_error(tmp_path):
    path = tmp_path / "runs.db"
    storage = get_storage(path)
    storage.create_run("a", {"x": 1})
    storage.engine.dispose()
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))  # header kept, pages gone
    with pytest.raises(StorageError, match=r"runs\.db"):
        get_storage(path).list_runs()


def test_a_database_of_another_program_is_not_touched(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(StorageError, match=r"database of another program .*customers"):
        get_storage(path)
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == [("customers",)]


@pytest.mark.parametrize(("version", "advice"), [("99", "upgrade lsbo"), ("0", "start a new")])
def test_another_schema_version_says_what_to_do(tmp_path, version, advice):
    path = tmp_path / "runs.db"
    get_storage(path).engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE lsbo_meta SET value = ? WHERE key = 'schema_version'", [version])
    with pytest.raises(StorageError, match=f"schema version {version}.*{advice}"):
        get_storage(path)


def test_a_read_only_file_can_be_read_but_not_written(tmp_path):
    path = tmp_path / "runs.db"
    storage = get_storage(path)
    storage.create_run("a", {"x": 1})
    storage.engine.dispose()
    _make_read_only(path)
    try:
        storage = get_storage(path)
        assert storage.get_run("a") is not None
        with pytest.raises(StorageError, match=r"is read-only .*make the file .*writable"):
            storage.create_run("b", {})
    finally:
        _make_writable(path)
    assert [r.name for r in get_storage(path).list_runs()] == ["a"]


def _make_read_only(path):
    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    # root ignores permission bits; the immutable attribute stops even root
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("root, and chattr +i is not permitted: cannot make a file read-only")


def _make_writable(path):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o644)
