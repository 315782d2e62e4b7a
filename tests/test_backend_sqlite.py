"""SqliteBackend: the conformance suite, plus what only a shared file can do."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

from redshift_intercept._sqlite import BackendError, SqliteBackend
from redshift_intercept.testing import ACCOUNT, REGION, BackendConformance, assert_identical, ids, record


class TestSqliteBackend(BackendConformance):
    def make_backend(self, tmp_path) -> SqliteBackend:
        return SqliteBackend(tmp_path / "snapshots.db")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "snapshots.db"


def no_check(record: dict) -> None:
    pass


def test_state_survives_close_and_reopen(path):
    stored = [record(f"s{i}", Tags={"n": str(i)}) for i in (3, 1, 2)]
    with SqliteBackend(path) as backend:
        for r in stored:
            backend.insert(ACCOUNT, REGION, r)

    with SqliteBackend(str(path)) as reopened:
        assert_identical(reopened.list(ACCOUNT, REGION), stored)


def test_two_objects_on_one_file_share_state(path):
    with SqliteBackend(path) as first, SqliteBackend(path) as second:
        first.insert(ACCOUNT, REGION, record("a"))

        assert second.insert(ACCOUNT, REGION, record("a")) is False
        second.update(ACCOUNT, REGION, "a", lambda r: {**r, "Status": "failed"})
        assert first.get(ACCOUNT, REGION, "a")["Status"] == "failed"
        assert second.remove(ACCOUNT, REGION, "a", no_check) is not None
        assert first.remove(ACCOUNT, REGION, "a", no_check) is None


def _remove_all(path: str, wanted: List[str], start, results) -> None:
    """Child process: remove every record it can; report which ones it got."""
    with SqliteBackend(path) as backend:
        start.wait(timeout=30)
        results.put([snapshot_id for snapshot_id in wanted
                     if backend.remove(ACCOUNT, REGION, snapshot_id, no_check) is not None])


def test_processes_remove_each_record_exactly_once(path):
    wanted = [f"snap-{i}" for i in range(500)]
    with SqliteBackend(path) as backend:
        for snapshot_id in wanted:
            backend.insert(ACCOUNT, REGION, record(snapshot_id))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_remove_all, args=(str(path), wanted, start, results))
                 for _ in range(4)]
    for process in processes:
        process.start()

    removed = [snapshot_id for _ in processes for snapshot_id in results.get(timeout=60)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    assert sorted(removed) == sorted(wanted)
    with SqliteBackend(path) as backend:
        assert backend.list(ACCOUNT, REGION) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connections(path):
    backend = SqliteBackend(path)
    for i in range(100):
        backend.insert(ACCOUNT, REGION, record(f"s{i}"))
    pid = os.fork()
    if pid == 0:  # the child: use the inherited object, then leave without cleanup
        code = 1
        try:
            removed = [backend.remove(ACCOUNT, REGION, f"s{i}", no_check) for i in range(0, 100, 2)]
            code = 0 if all(removed) else 2
        finally:
            os._exit(code)
    for i in range(1, 100, 2):
        assert backend.remove(ACCOUNT, REGION, f"s{i}", no_check) is not None
    assert os.waitpid(pid, 0)[1] == 0

    assert backend.list(ACCOUNT, REGION) == []
    assert backend.insert(ACCOUNT, REGION, record("after")) is True
    backend.close()


def test_the_file_is_in_wal_mode(path):
    SqliteBackend(path).close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def _refused(path, *words: str) -> None:
    before = path.read_bytes()
    with pytest.raises(BackendError) as excinfo:
        SqliteBackend(path)
    message = str(excinfo.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == [path.name]


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(path):
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    _refused(path, "not a SQLite database", "untouched")


def test_a_foreign_sqlite_database_is_refused_and_untouched(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.execute("INSERT INTO invoices (total) VALUES (9.5)")
    connection.commit()
    connection.close()

    _refused(path, "did not create", "invoices", "untouched")


def test_a_file_from_a_newer_version_is_refused_and_untouched(path):
    with SqliteBackend(path) as backend:
        backend.insert(ACCOUNT, REGION, record("kept"))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.execute("PRAGMA journal_mode = DELETE")  # fold the WAL into the file
    connection.close()

    _refused(path, "newer", "99", "upgrade")


def test_an_older_schema_with_a_migration_is_migrated(path, monkeypatch):
    from redshift_intercept import _sqlite

    with SqliteBackend(path) as backend:  # a version-1 file with data
        backend.insert(ACCOUNT, REGION, record("kept"))
    monkeypatch.setattr(_sqlite, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(_sqlite, "_TABLES", {*_sqlite._TABLES, "notes"})
    monkeypatch.setattr(_sqlite, "_MIGRATIONS", {1: ("CREATE TABLE notes (text TEXT)", "PRAGMA user_version = 2")})

    with SqliteBackend(path) as migrated:
        assert ids(migrated.list(ACCOUNT, REGION)) == ["kept"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
    assert connection.execute("SELECT name FROM sqlite_master WHERE name = 'notes'").fetchall() == [("notes",)]
    connection.close()


def test_an_older_schema_without_a_migration_is_refused_and_untouched(path, monkeypatch):
    from redshift_intercept import _sqlite

    with SqliteBackend(path) as backend:
        backend.insert(ACCOUNT, REGION, record("kept"))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")  # fold the WAL into the file
    connection.close()
    monkeypatch.setattr(_sqlite, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(_sqlite, "_MIGRATIONS", {})

    _refused(path, "schema version 1", "cannot migrate to 3", "untouched")


def test_an_empty_file_gets_the_schema(path):
    path.write_bytes(b"")
    with SqliteBackend(path) as backend:
        assert backend.insert(ACCOUNT, REGION, record("a")) is True


@pytest.mark.parametrize("operation", ["insert", "update", "remove"])
def test_a_lock_held_too_long_is_a_clear_error(path, operation):
    backend = SqliteBackend(path, timeout=0.2)
    backend.insert(ACCOUNT, REGION, record("a"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    calls = {
        "insert": lambda: backend.insert(ACCOUNT, REGION, record("b")),
        "update": lambda: backend.update(ACCOUNT, REGION, "a", lambda r: {**r, "Port": 1}),
        "remove": lambda: backend.remove(ACCOUNT, REGION, "a", no_check),
    }
    try:
        started = time.monotonic()
        with pytest.raises(BackendError) as excinfo:
            calls[operation]()
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert not isinstance(excinfo.value, sqlite3.Error)
    message = str(excinfo.value)
    assert str(path) in message and "locked" in message and "timeout" in message
    assert 0.15 < waited < 5
    # Reads never wait in WAL mode, and the backend works once the lock is gone.
    assert ids(backend.list(ACCOUNT, REGION)) == ["a"]
    calls[operation]()
    backend.close()


def test_repr_close_and_context_manager(path):
    backend = SqliteBackend(path)
    assert repr(backend) == f"<SqliteBackend {str(path)!r}>"
    with backend:
        backend.insert(ACCOUNT, REGION, record("a"))
    assert "closed" in repr(backend)
    backend.close()  # twice is fine
    with pytest.raises(BackendError, match="closed"):
        backend.get(ACCOUNT, REGION, "a")


def test_a_relative_path_stays_put_when_the_directory_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SqliteBackend("relative.db") as backend:
        monkeypatch.chdir(tmp_path.parent)
        backend.insert(ACCOUNT, REGION, record("a"))
        assert backend.path == str(tmp_path / "relative.db")
    assert (tmp_path / "relative.db").exists()


@pytest.mark.parametrize("name", [":memory:", ""])
def test_an_in_memory_database_is_refused(name):
    with pytest.raises(ValueError, match="MemoryBackend"):
        SqliteBackend(name)



def _open_and_insert(path: str, snapshot: dict, start, results) -> None:
    """Child process: open a (new) file and try to insert the same record."""
    try:
        start.wait(timeout=30)
        with SqliteBackend(path) as backend:
            results.put(backend.insert(ACCOUNT, REGION, snapshot))
    except Exception as exc:
        results.put(repr(exc))


def test_threads_opening_a_new_file_agree_on_one_schema(tmp_path):
    for attempt in range(10):
        path = tmp_path / f"new-{attempt}.db"
        start = threading.Barrier(8)

        def open_and_insert(_: int, path=path, start=start) -> bool:
            start.wait()
            with SqliteBackend(path) as backend:
                return backend.insert(ACCOUNT, REGION, record("same"))

        with ThreadPoolExecutor(8) as pool:
            assert sorted(pool.map(open_and_insert, range(8))) == [False] * 7 + [True]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_processes_opening_a_new_file_agree_on_one_schema(tmp_path):
    context = multiprocessing.get_context("fork")  # fast to start: the race needs many tries
    snapshot = record("same")
    for attempt in range(10):
        path = str(tmp_path / f"new-{attempt}.db")
        start, results = context.Barrier(8), context.Queue()
        processes = [context.Process(target=_open_and_insert, args=(path, snapshot, start, results))
                     for _ in range(8)]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert sorted(outcomes, key=repr) == [False] * 7 + [True]
