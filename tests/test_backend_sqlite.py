"""SqliteBackend: the conformance suite, plus what only a shared file can do."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pathlib
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

from redshift_intercept._records import new_cluster
from redshift_intercept._sqlite import BackendError, SqliteBackend
from redshift_intercept.testing import ACCOUNT, REGION, BackendConformance, assert_identical, event, ids, record

ROOT = pathlib.Path(__file__).resolve().parent.parent


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


V1_SCHEMA = """
    CREATE TABLE snapshots (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
                            snapshot_id TEXT NOT NULL, record TEXT NOT NULL, UNIQUE (account_id, region, snapshot_id));
    CREATE TABLE calls (seq INTEGER PRIMARY KEY, call TEXT NOT NULL);
    PRAGMA application_id = 1381189955;
    PRAGMA user_version = 1;
"""


V2_SCHEMA = V1_SCHEMA.replace("PRAGMA user_version = 1;", """
    CREATE TABLE clusters (seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
                           cluster_id TEXT NOT NULL, record TEXT NOT NULL, UNIQUE (account_id, region, cluster_id));
    PRAGMA user_version = 2;""")


@pytest.mark.parametrize("schema", [V1_SCHEMA, V2_SCHEMA], ids=["version 1 (0.1, no clusters)", "version 2"])
def test_a_file_of_a_previous_version_is_migrated(path, schema):
    from redshift_intercept._backend import DUE
    from redshift_intercept._sqlite import SCHEMA_VERSION, encode_record

    connection = sqlite3.connect(path)  # as an earlier redshift-intercept left it
    connection.executescript(schema)
    connection.execute("INSERT INTO snapshots (account_id, region, snapshot_id, record) VALUES (?, ?, ?, ?)",
                       (ACCOUNT, REGION, "kept", encode_record(record("kept"))))
    connection.execute("INSERT INTO calls (call) VALUES (?)", ('{"operation": "DeleteClusterSnapshot"}',))
    connection.commit()
    connection.close()

    with SqliteBackend(path) as migrated:
        assert ids(migrated.list(ACCOUNT, REGION)) == ["kept"]
        assert [c["operation"] for c in migrated.read_calls()] == ["DeleteClusterSnapshot"]
        cluster = new_cluster(ACCOUNT, REGION, {"ClusterIdentifier": "prod"})
        assert migrated.insert(ACCOUNT, REGION, cluster, "cluster") is True
        assert migrated.get(ACCOUNT, REGION, "prod", "cluster") == cluster
        # What version 3 added works on the migrated file: the kept snapshot's type was copied
        # into its column (the quota counts it), due times and events.
        assert migrated.count(ACCOUNT, REGION, "SnapshotType", "manual", 10) == 1
        assert migrated.next_due() is None
        when = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
        migrated.insert(ACCOUNT, REGION, {**record("due"), DUE: when})
        assert migrated.next_due() == when
        migrated.append_event(ACCOUNT, REGION, event("m", when))
        assert [e["Message"] for e in migrated.read_events(ACCOUNT, REGION)] == ["m"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    connection.close()


def test_an_older_schema_with_a_migration_is_migrated(path, monkeypatch):
    from redshift_intercept import _sqlite

    current = _sqlite.SCHEMA_VERSION
    with SqliteBackend(path) as backend:  # a file of the current version, with data
        backend.insert(ACCOUNT, REGION, record("kept"))
    monkeypatch.setattr(_sqlite, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(_sqlite, "_TABLES", {*_sqlite._TABLES, "notes"})
    monkeypatch.setattr(_sqlite, "_MIGRATIONS", {
        **_sqlite._MIGRATIONS, current: ("CREATE TABLE notes (text TEXT)", f"PRAGMA user_version = {current + 1}")})

    with SqliteBackend(path) as migrated:
        assert ids(migrated.list(ACCOUNT, REGION)) == ["kept"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == current + 1
    assert connection.execute("SELECT name FROM sqlite_master WHERE name = 'notes'").fetchall() == [("notes",)]
    connection.close()


def test_an_older_schema_without_a_migration_is_refused_and_untouched(path, monkeypatch):
    from redshift_intercept import _sqlite

    with SqliteBackend(path) as backend:
        backend.insert(ACCOUNT, REGION, record("kept"))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")  # fold the WAL into the file
    connection.close()
    current = _sqlite.SCHEMA_VERSION
    monkeypatch.setattr(_sqlite, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(_sqlite, "_MIGRATIONS", {})

    _refused(path, f"schema version {current}", f"cannot migrate to {current + 1}", "untouched")


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


# ---------------------------------------------------------------- damage, read-only files, kills


def _write_row(path, table: str, column: str, identifier: str, text: str, account: str = ACCOUNT) -> None:
    connection = sqlite3.connect(path)
    connection.execute(f"INSERT INTO {table} (account_id, region, {column}, record) VALUES (?, ?, ?, ?)",
                       (account, REGION, identifier, text))
    connection.commit()
    connection.close()


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "JSONDecodeError"),
    ("[1, 2]", "a JSON list, not an object"),
    ('{"SnapshotIdentifier": "bad"}', "no str ClusterIdentifier"),
    ('{"SnapshotIdentifier": "bad", "ClusterIdentifier": "c", "SnapshotCreateTime": "yesterday"}',
     "no datetime SnapshotCreateTime"),
    ('{"SnapshotIdentifier": "bad", "SnapshotCreateTime": {"$datetime": "not a time"}}', "ValueError"),
])
def test_a_corrupt_row_is_a_backend_error_naming_it_even_through_a_client(path, text, problem):
    from redshift_intercept import intercept
    from redshift_intercept.testing import make_client

    with SqliteBackend(path) as backend:
        backend.insert(ACCOUNT, REGION, record("fine"))
        _write_row(path, "snapshots", "snapshot_id", "bad", text)
        with pytest.raises(BackendError, match=rf"snapshots row 2 is corrupt \(.*{problem}"):
            backend.list(ACCOUNT, REGION)
        with pytest.raises(BackendError, match="restore it from a copy, or give SqliteBackend a new file"):
            backend.get(ACCOUNT, REGION, "bad")
        client = make_client()
        with intercept(backend=backend):
            with pytest.raises(BackendError, match="snapshots row 2 is corrupt"):
                client.delete_cluster_snapshot(SnapshotIdentifier="bad")
            with pytest.raises(BackendError, match="snapshots row 2 is corrupt"):
                client.describe_cluster_snapshots()
            client.delete_cluster_snapshot(SnapshotIdentifier="fine")  # the rest still works
        assert backend.get(ACCOUNT, REGION, "fine") is None


def test_a_corrupt_journal_row_is_a_backend_error(path):
    with SqliteBackend(path) as backend:
        connection = sqlite3.connect(path)
        connection.execute("INSERT INTO calls (call) VALUES ('{oops')")
        connection.commit()
        connection.close()
        with pytest.raises(BackendError, match=r"calls row 1 is corrupt \(JSONDecodeError"):
            backend.read_calls()


def test_a_damaged_file_is_refused_when_it_is_opened(path):
    with SqliteBackend(path) as backend:
        for i in range(300):
            backend.insert(ACCOUNT, REGION, record(f"s{i:03d}", Tags={"pad": "x" * 200}))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")  # fold the WAL into the file
    connection.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, 3 * page + 64):  # scribble over the header of a b-tree page
        data[offset] = 0xA5
    path.write_bytes(bytes(data))

    with pytest.raises(BackendError, match=r"is damaged .* It was left untouched"):
        SqliteBackend(path)
    assert path.read_bytes() == bytes(data)


@pytest.fixture
def as_unprivileged(monkeypatch):
    """Call it to judge access by the mode bits from then on, as for a user
    who owns nothing here: root (which CI runs as) ignores file modes, so a
    read-only file would not be read-only for it."""
    def access(path, mode, *args, **kwargs):
        bits = os.stat(path).st_mode
        wanted = [(os.R_OK, 0o004), (os.W_OK, 0o002), (os.X_OK, 0o001)]
        return all(bits & bit for flag, bit in wanted if mode & flag)

    return lambda: monkeypatch.setattr(os, "access", access)


def test_a_read_only_file_says_so(path, as_unprivileged):
    SqliteBackend(path).close()
    os.chmod(path, 0o444)
    os.chmod(path.parent, 0o555)
    as_unprivileged()
    try:
        with pytest.raises(BackendError) as excinfo:
            SqliteBackend(path)
    finally:
        os.chmod(path.parent, 0o755)
    assert str(excinfo.value) == (f"{path} is read-only (or unreadable) for this user: redshift-intercept writes "
                                  "its state there. Make it writable, or copy it somewhere writable.")


def test_a_file_in_a_read_only_directory_says_so(path, as_unprivileged):
    SqliteBackend(path).close()
    os.chmod(path, 0o666)
    for leftover in (f"{path}-wal", f"{path}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    os.chmod(path.parent, 0o555)
    as_unprivileged()
    try:
        with pytest.raises(BackendError, match=f"the directory {path.parent} is read-only: SQLite needs to create"):
            SqliteBackend(path)
    finally:
        os.chmod(path.parent, 0o755)


def test_a_new_file_in_a_read_only_directory_says_so(tmp_path, as_unprivileged):
    directory = tmp_path / "locked"
    directory.mkdir(mode=0o555)
    as_unprivileged()
    with pytest.raises(BackendError, match=f"cannot create {directory / 'new.db'}: the directory .* is read-only"):
        SqliteBackend(directory / "new.db")
    with pytest.raises(BackendError, match=r"the directory .*/missing does not exist"):
        SqliteBackend(tmp_path / "missing" / "new.db")
    with pytest.raises(BackendError, match="is a directory"):
        SqliteBackend(tmp_path)


_DELETER = """
import sys
from redshift_intercept import SqliteBackend, intercept
from redshift_intercept.testing import make_client
backend = SqliteBackend(sys.argv[1])
client = make_client()
with intercept(backend=backend, journal=True):
    for i in range(int(sys.argv[2])):
        try:
            client.delete_cluster_snapshot(SnapshotIdentifier=f"s{i:05d}")
        except client.exceptions.ClusterSnapshotNotFoundFault:
            pass
"""


def test_a_killed_process_leaves_every_change_journaled(path):
    """SIGKILL at arbitrary moments: each deleted snapshot has its journal entry, and no entry lacks its delete."""
    count = 3000
    with SqliteBackend(path) as backend:
        from redshift_intercept import intercept

        intercept(backend=backend).load_snapshots({"Snapshots": [
            {"SnapshotIdentifier": f"s{i:05d}"} for i in range(count)]})
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        deleted: set = set()
        for kill_after in (40, 170, 420):
            before, start = len(deleted), backend.count_calls()
            child = subprocess.Popen([sys.executable, "-c", _DELETER, str(path), str(count)], env=env)
            deadline = time.monotonic() + 60
            while backend.count_calls() < start + kill_after and time.monotonic() < deadline:
                time.sleep(0.002)
            child.kill()
            assert child.wait() == -9  # killed mid-run, not finished
            deleted = {f"s{i:05d}" for i in range(count)} - set(ids(backend.list(ACCOUNT, REGION)))
            journaled = {c["params"]["SnapshotIdentifier"] for c in backend.read_calls() if c["error_code"] is None}
            assert deleted == journaled
            assert len(deleted) > before


_LOADER = """
import sys
from redshift_intercept import SqliteBackend, intercept
rs = intercept(backend=SqliteBackend(sys.argv[1]))
print("loading", flush=True)
rs.load_snapshots({"Snapshots": [{"SnapshotIdentifier": f"load{i:05d}"} for i in range(int(sys.argv[2]))]})
print("loaded", flush=True)
"""


def test_a_killed_load_stores_all_or_nothing(path):
    count = 20_000
    SqliteBackend(path).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outcomes = set()
    for delay in (0.0, 0.3, 0.6, 1.2):
        child = subprocess.Popen([sys.executable, "-c", _LOADER, str(path), str(count)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "loading\n"
        time.sleep(delay)
        child.kill()
        child.wait()
        with SqliteBackend(path) as backend:
            stored = len(backend.list(ACCOUNT, REGION))
            assert stored in (0, count)
            outcomes.add(stored)
            if stored:
                backend.atomic(lambda b=backend: [b.remove(ACCOUNT, REGION, r["SnapshotIdentifier"], no_check)
                                                  for r in b.list(ACCOUNT, REGION)])
    assert 0 in outcomes  # at least one kill landed mid-load


@pytest.mark.parametrize(("text", "problem"), [
    ("{", "JSONDecodeError: Expecting property name enclosed in double quotes"),
    ("[1]", "a JSON list, not an object"),
    ('{"SnapshotIdentifier": 7}', "no str SnapshotIdentifier"),
])
def test_a_stored_row_that_is_not_ours_says_what_is_wrong(text, problem):
    from redshift_intercept._sqlite import decode_row

    class Corrupt(Exception):
        pass

    with pytest.raises(Corrupt) as excinfo:
        decode_row(text, "snapshots row 7", lambda where, what: Corrupt(f"{where}: {what}"),
                   (("SnapshotIdentifier", str),))
    assert str(excinfo.value).startswith(f"snapshots row 7: {problem}")
    assert decode_row('{"SnapshotIdentifier": "s"}', "snapshots row 8", lambda where, what: Corrupt(what),
                      (("SnapshotIdentifier", str),)) == {"SnapshotIdentifier": "s"}
