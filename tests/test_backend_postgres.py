"""PostgresBackend: the conformance suite, plus what only a database server can do."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

from redshift_intercept import BackendError
from redshift_intercept.testing import ACCOUNT, REGION, BackendConformance, assert_identical, ids, record
from tests.postgres_support import PASSWORD_DSN_VARIABLE, OwnServer, require_postgres, tidy_backend, unique


@pytest.fixture(autouse=True)
def _needs_postgres():
    """Every test here skips (fails under REDSHIFT_INTERCEPT_REQUIRE_POSTGRES=1) without a server."""
    require_postgres()


def _backend(**options):
    return tidy_backend(**options)


class TestPostgresBackend(BackendConformance):
    def make_backend(self, tmp_path):
        return _backend(namespace=unique("conformance"))


@pytest.fixture
def backend():
    backend = _backend(namespace=unique())
    yield backend
    backend.close()


@pytest.fixture
def sql(postgres_dsn):
    """Run SQL on the test server, outside the backend."""
    import psycopg

    connection = psycopg.connect(postgres_dsn, autocommit=True)

    def run(query, params=None):
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount

    yield run
    connection.close()


@pytest.fixture
def schema(sql):
    name = unique("rsi_schema")
    yield name
    sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def no_check(record: dict) -> None:
    pass


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "\r" not in text, text
    return text


# ---------------------------------------------------------------- errors: one line, no password


def test_a_refused_password_is_one_line_without_the_password(postgres_dsn):
    from redshift_intercept._postgres import PostgresBackend

    good = os.environ.get(PASSWORD_DSN_VARIABLE)
    if not good:
        pytest.skip(f"{PASSWORD_DSN_VARIABLE} names no role that needs a password (.ci/pg-throwaway.sh sets it)")
    wrong = re.sub(r"(://[^:@/]+):[^@]*@", r"\1:not-the-s3cret@", good)

    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(wrong, timeout=5)

    message = one_line(excinfo.value)
    assert "not-the-s3cret" not in message
    assert message.startswith("PostgreSQL postgresql://rsi_pw@127.0.0.1:"), message
    assert "connecting failed" in message and 'password authentication failed for user "rsi_pw"' in message
    assert message.endswith("check the password in the DSN (or PGPASSWORD / ~/.pgpass)")
    with PostgresBackend(good, namespace=unique()) as right:  # the same role with its password works
        assert right.list(ACCOUNT, REGION) == []


def test_an_unknown_database_names_what_to_check(postgres_dsn):
    from redshift_intercept._postgres import PostgresBackend

    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(postgres_dsn.rsplit("/", 1)[0] + "/no_such_db", timeout=5)

    message = one_line(excinfo.value)
    assert 'database "no_such_db" does not exist; check the user and database names in the DSN' in message


def test_a_server_that_stops_and_comes_back():
    from redshift_intercept._postgres import PostgresBackend

    server = OwnServer()
    try:
        backend = PostgresBackend(server.password_dsn, timeout=5)
        backend.insert(ACCOUNT, REGION, record("kept"))
        server.stop()

        for attempt in range(2):  # the dead pooled connection, then a new one that is refused
            started = time.monotonic()
            with pytest.raises(BackendError) as excinfo:
                backend.get(ACCOUNT, REGION, "kept")
            message = one_line(excinfo.value)
            assert time.monotonic() - started < 10, attempt
            assert message.startswith(f"PostgreSQL postgresql://rsi_pw@127.0.0.1:{server.port}/rsi: "), message
            assert "rsi-secret" not in message
        assert "Connection refused; is the server running and listening on that host and port?" in message
        with pytest.raises(BackendError, match="Connection refused") as excinfo:
            PostgresBackend(server.password_dsn, schema="another", timeout=5)
        assert "rsi-secret" not in one_line(excinfo.value)

        server.start()
        assert backend.get(ACCOUNT, REGION, "kept")["SnapshotIdentifier"] == "kept"  # the next call reconnects
        assert backend.remove(ACCOUNT, REGION, "kept", no_check) is not None
        backend.close()
    finally:
        server.remove()


def test_sessions_ended_by_the_server_are_replaced_without_an_error(backend, sql):
    backend.insert(ACCOUNT, REGION, record("a"))
    with ThreadPoolExecutor(3) as pool:  # several pooled connections
        list(pool.map(lambda _: backend.get(ACCOUNT, REGION, "a"), range(30)))

    ended = sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'redshift-intercept' AND pid <> pg_backend_pid()")
    assert len(ended) >= 1
    time.sleep(0.2)

    assert backend.get(ACCOUNT, REGION, "a") is not None  # a read is sent again on a new connection
    assert backend.remove(ACCOUNT, REGION, "a", no_check) is not None  # a unit begins on a new one


def test_a_frozen_server_gives_an_error_after_the_timeout(postgres_dsn, sql):
    from redshift_intercept._postgres import PostgresBackend

    name = unique("frozen")
    dsn = postgres_dsn + ("&" if "?" in postgres_dsn else "?") + f"application_name={name}"
    backend = PostgresBackend(dsn, namespace=name, timeout=1, pool_size=1)
    backend.insert(ACCOUNT, REGION, record("a"))
    (pid,) = sql("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))[0]
    try:
        os.kill(pid, 0)
    except (PermissionError, ProcessLookupError):
        pytest.skip("the test server's processes are not on this machine or not ours to signal")
    os.kill(pid, signal.SIGSTOP)  # the server process stops; its kernel still answers TCP
    try:
        started = time.monotonic()
        with pytest.raises(BackendError) as excinfo:
            backend.insert(ACCOUNT, REGION, record("b"))  # a write: never sent twice
        waited = time.monotonic() - started
        assert backend.get(ACCOUNT, REGION, "a") is not None  # a read goes to a new session at once
    finally:
        os.kill(pid, signal.SIGCONT)
    assert 3 <= waited < 6, waited
    assert one_line(excinfo.value).endswith(
        "inserting a snapshot failed: no answer from the server within 3 s; it is frozen, overloaded or "
        "unreachable. The next call reconnects")
    assert backend.insert(ACCOUNT, REGION, record("c")) is True
    backend.clear()
    backend.close()


def test_a_row_locked_longer_than_the_timeout(postgres_dsn):
    import psycopg

    from redshift_intercept._postgres import PostgresBackend

    name = unique()
    backend = PostgresBackend(postgres_dsn, namespace=name, timeout=1)
    backend.insert(ACCOUNT, REGION, record("busy"))
    with psycopg.connect(postgres_dsn) as holder:  # a transaction that keeps the row locked
        holder.execute("SELECT 1 FROM redshift_intercept.snapshots WHERE namespace = %s FOR UPDATE", (name,))
        with pytest.raises(BackendError) as excinfo:
            backend.remove(ACCOUNT, REGION, "busy", no_check)
    assert "canceling statement due to lock timeout [SQLSTATE 55P03]; another session held a row lock" in one_line(
        excinfo.value)
    assert backend.get(ACCOUNT, REGION, "busy") is not None  # nothing half done
    backend.clear()
    backend.close()


def test_threads_beyond_the_pool_wait_their_turn_and_a_long_wait_is_an_error(postgres_dsn):
    from redshift_intercept._postgres import PostgresBackend

    backend = PostgresBackend(postgres_dsn, namespace=unique(), pool_size=2, timeout=1)
    for i in range(40):
        backend.insert(ACCOUNT, REGION, record(f"s{i}"))
    with ThreadPoolExecutor(8) as pool:
        removed = list(pool.map(lambda i: backend.remove(ACCOUNT, REGION, f"s{i}", no_check), range(40)))
    assert all(removed)

    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        inside.set()
        release.wait(10)

    holders = [threading.Thread(target=backend.atomic, args=(hold,)) for _ in range(2)]
    for thread in holders:
        thread.start()
    inside.wait(10)
    time.sleep(0.2)
    try:
        with pytest.raises(BackendError) as excinfo:
            backend.list(ACCOUNT, REGION)
    finally:
        release.set()
        for thread in holders:
            thread.join()
    assert one_line(excinfo.value).endswith("no free connection in this process after 1 s (all 2 of pool_size "
                                            "in use by other threads); pass a larger pool_size, or run fewer "
                                            "threads at once")
    assert backend.list(ACCOUNT, REGION) == []
    backend.close()


def test_a_row_that_is_not_a_record_is_named(backend, sql):
    backend.insert(ACCOUNT, REGION, record("good"))
    backend.insert(ACCOUNT, REGION, record("bad"))
    sql("UPDATE redshift_intercept.snapshots SET record = '[1]' WHERE namespace = %s AND snapshot_id = 'bad'",
        (backend.namespace,))

    with pytest.raises(BackendError) as excinfo:
        backend.get(ACCOUNT, REGION, "bad")

    assert re.search(r"schema 'redshift_intercept', snapshots row \d+ is corrupt \(a JSON list, not an object\)",
                     one_line(excinfo.value))
    assert backend.get(ACCOUNT, REGION, "good") is not None


# ---------------------------------------------------------------- schema


def _state(sql, schema: str) -> list:
    tables = sql("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
                 "ORDER BY 1, 2", (schema,))
    meta = sql(f'SELECT key, value FROM "{schema}".meta ORDER BY 1') if ("meta", "key") in tables else []
    return [tables, meta]


def test_the_schema_is_created_on_first_use_with_its_version(postgres_dsn, sql, schema):
    from redshift_intercept._postgres import SCHEMA_VERSION, PostgresBackend

    with PostgresBackend(postgres_dsn, schema=schema) as backend:
        backend.insert(ACCOUNT, REGION, record("a"))

    assert sql(f'SELECT key, value FROM "{schema}".meta ORDER BY 1') == [
        ("application", "redshift-intercept"), ("schema_version", str(SCHEMA_VERSION))]
    assert sql(f'SELECT snapshot_id FROM "{schema}".snapshots') == [("a",)]


def _open(dsn: str, schema: str, start) -> str:
    from redshift_intercept._postgres import PostgresBackend

    start.wait(30)
    with PostgresBackend(dsn, schema=schema, namespace=str(os.getpid())) as backend:
        backend.insert(ACCOUNT, REGION, record("mine"))
        return ids(backend.list(ACCOUNT, REGION))[0]


def test_processes_creating_the_schema_at_once_all_succeed(postgres_dsn, sql, schema):
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(6)
        with context.Pool(6) as pool:
            assert pool.starmap(_open, [(postgres_dsn, schema, start)] * 6) == ["mine"] * 6
    assert sql(f'SELECT count(DISTINCT namespace) FROM "{schema}".snapshots') == [(6,)]


def test_a_schema_of_a_newer_version_is_refused_and_left_untouched(postgres_dsn, sql, schema):
    from redshift_intercept._postgres import SCHEMA_VERSION, PostgresBackend

    with PostgresBackend(postgres_dsn, schema=schema) as backend:
        backend.insert(ACCOUNT, REGION, record("a"))
    sql(f"UPDATE \"{schema}\".meta SET value = '99' WHERE key = 'schema_version'")
    before = _state(sql, schema)

    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(postgres_dsn, schema=schema, timeout=7)  # a pool of its own: the schema is checked again

    assert one_line(excinfo.value).endswith(
        f"schema '{schema}' was written by a newer redshift-intercept (schema version 99; this one reads "
        f"version {SCHEMA_VERSION}). It was left untouched: upgrade redshift-intercept, or use another schema.")
    assert _state(sql, schema) == before


def test_a_foreign_schema_is_refused_and_left_untouched(postgres_dsn, sql, schema):
    from redshift_intercept._postgres import PostgresBackend

    sql(f'CREATE SCHEMA "{schema}"')
    sql(f'CREATE TABLE "{schema}".orders (id int)')
    sql(f'INSERT INTO "{schema}".orders VALUES (1)')

    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(postgres_dsn, schema=schema)

    assert one_line(excinfo.value).endswith(
        f"schema '{schema}' holds tables that redshift-intercept did not create (orders). It was left "
        "untouched: pass PostgresBackend(..., schema='another_name').")
    assert sql(f'SELECT id FROM "{schema}".orders') == [(1,)]
    assert sql("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)) == [
        ("orders",)]


def test_an_existing_empty_schema_gets_the_tables(postgres_dsn, sql, schema):
    from redshift_intercept._postgres import PostgresBackend

    sql(f'CREATE SCHEMA "{schema}"')
    with PostgresBackend(postgres_dsn, schema=schema) as backend:
        assert backend.insert(ACCOUNT, REGION, record("a")) is True


def _version_1_schema(sql, schema: str) -> None:
    """A schema as PostgresBackend of schema version 1 made it (before the
    service's clock), holding a snapshot of each type, a cluster and a call."""
    from redshift_intercept._postgres import _VERSION_1
    from redshift_intercept._sqlite import encode_record
    from redshift_intercept.testing import cluster

    s = f'"{schema}"'
    sql(f"CREATE SCHEMA {s}")
    for statement in _VERSION_1:
        sql(statement.format(s=s))
    sql(f"INSERT INTO {s}.meta VALUES ('application', 'redshift-intercept'), ('schema_version', '1')")
    for made in (record("manual-1"), record("manual-2"),
                 record("rs:prod-2024-05-01-00-00-00", SnapshotType="automated")):
        sql(f"INSERT INTO {s}.snapshots (namespace, account_id, region, snapshot_id, created_at, owner, record) "
            "VALUES ('', %s, %s, %s, %s, %s, %s)", (ACCOUNT, REGION, made["SnapshotIdentifier"],
                                                  made["SnapshotCreateTime"], ACCOUNT, encode_record(made)))
    sql(f"INSERT INTO {s}.clusters (namespace, account_id, region, cluster_id, record) VALUES ('', %s, %s, %s, %s)",
        (ACCOUNT, REGION, "prod", encode_record(cluster("prod"))))
    sql(f"INSERT INTO {s}.calls (namespace, call) VALUES ('', %s)", (encode_record({"operation": "Old"}),))


def test_a_version_1_schema_is_migrated_and_keeps_its_records(postgres_dsn, sql, schema):
    from redshift_intercept._backend import DUE
    from redshift_intercept._postgres import SCHEMA_VERSION, PostgresBackend
    from redshift_intercept.testing import T0, event

    _version_1_schema(sql, schema)

    with PostgresBackend(postgres_dsn, schema=schema, timeout=7) as backend:  # a pool of its own
        assert ids(backend.list(ACCOUNT, REGION)) == ["manual-1", "manual-2", "rs:prod-2024-05-01-00-00-00"]
        assert backend.get(ACCOUNT, REGION, "prod", "cluster")["ClusterIdentifier"] == "prod"
        assert [call["operation"] for call in backend.read_calls()] == ["Old"]
        assert backend.count(ACCOUNT, REGION, "SnapshotType", "manual", 100) == 2  # types copied out
        assert backend.count(ACCOUNT, REGION, "SnapshotType", "automated", 100) == 1
        assert backend.next_due() is None  # nothing written before had a due time
        backend.update(ACCOUNT, REGION, "manual-1", lambda r: {**r, DUE: T0})
        assert backend.next_due() == T0
        backend.append_event(ACCOUNT, REGION, event("after the migration", T0))
        assert [e["Message"] for e in backend.read_events(ACCOUNT, REGION)] == ["after the migration"]

    assert sql(f"SELECT value FROM \"{schema}\".meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert sql(f'SELECT snapshot_id, snapshot_type FROM "{schema}".snapshots ORDER BY seq') == [
        ("manual-1", "manual"), ("manual-2", "manual"), ("rs:prod-2024-05-01-00-00-00", "automated")]
    with PostgresBackend(postgres_dsn, schema=schema, timeout=8) as again:  # migrated once; now current
        assert again.count(ACCOUNT, REGION, "SnapshotType", "manual", 100) == 2


def test_a_migration_that_fails_changes_nothing(postgres_dsn, sql, schema, monkeypatch):
    from redshift_intercept import _postgres

    _version_1_schema(sql, schema)
    before = _state(sql, schema)

    def boom(conn, s):
        raise _postgres.psycopg.errors.DiskFull("no space left (simulated)")

    monkeypatch.setattr(_postgres, "_MIGRATIONS", {1: (*_postgres._VERSION_2, boom)})
    with pytest.raises(BackendError, match="preparing schema"):
        _postgres.PostgresBackend(postgres_dsn, schema=schema, timeout=7)
    assert _state(sql, schema) == before  # one transaction: not half migrated


def test_an_older_schema_without_a_migration_is_refused_and_left_untouched(postgres_dsn, sql, schema, monkeypatch):
    from redshift_intercept import _postgres

    _version_1_schema(sql, schema)
    before = _state(sql, schema)
    monkeypatch.setattr(_postgres, "_MIGRATIONS", {})

    with pytest.raises(BackendError) as excinfo:
        _postgres.PostgresBackend(postgres_dsn, schema=schema, timeout=7)
    assert one_line(excinfo.value).endswith(
        f"schema '{schema}' has redshift-intercept schema version 1, which this version cannot migrate to "
        f"{_postgres.SCHEMA_VERSION}. It was left untouched: use another schema.")
    assert _state(sql, schema) == before


# ---------------------------------------------------------------- namespaces


def test_namespaces_share_the_tables_but_not_the_state(postgres_dsn):
    first, second = _backend(namespace=unique()), _backend(namespace=unique())
    assert first.insert(ACCOUNT, REGION, record("same", NumberOfNodes=1)) is True
    assert second.insert(ACCOUNT, REGION, record("same", NumberOfNodes=2)) is True
    first.append_call({"operation": "First"})

    assert [r["NumberOfNodes"] for r in second.list(None, REGION)] == [2]
    assert second.read_calls() == []
    first.clear()
    assert first.list(ACCOUNT, REGION) == [] and first.read_calls() == []
    assert [r["NumberOfNodes"] for r in second.list(ACCOUNT, REGION)] == [2]
    first.close()
    second.close()


# ---------------------------------------------------------------- processes


def _remove_all(dsn: str, namespace: str, wanted: List[str], start) -> List[str]:
    from redshift_intercept._postgres import PostgresBackend

    with PostgresBackend(dsn, namespace=namespace) as backend:
        start.wait(30)
        return [snapshot_id for snapshot_id in wanted
                if backend.remove(ACCOUNT, REGION, snapshot_id, no_check) is not None]


def _increment(dsn: str, namespace: str, times: int, start) -> int:
    from redshift_intercept._postgres import PostgresBackend

    with PostgresBackend(dsn, namespace=namespace) as backend:
        def unit() -> None:  # read, remove, insert what was read plus one: a lost update if units interleave
            current = backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"]
            backend.remove(ACCOUNT, REGION, "counter", no_check)
            backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=current + 1))

        start.wait(30)
        for _ in range(times):
            backend.atomic(unit)
        return backend.conflicts


def test_processes_remove_each_record_exactly_once_and_units_lose_nothing(backend):
    wanted = [f"snap-{i}" for i in range(400)]
    for snapshot_id in wanted:
        backend.insert(ACCOUNT, REGION, record(snapshot_id))
    backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=0))
    dsn = require_postgres()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        start = manager.Barrier(4)
        removed = pool.starmap(_remove_all, [(dsn, backend.namespace, wanted, start)] * 4)
        start = manager.Barrier(4)
        conflicts = pool.starmap(_increment, [(dsn, backend.namespace, 15, start)] * 4)

    assert sorted(snapshot_id for got in removed for snapshot_id in got) == sorted(wanted)
    assert ids(backend.list(ACCOUNT, REGION)) == ["counter"]
    assert backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"] == 60
    assert sum(conflicts) >= 0  # reported, not required: how often units were run again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connections(backend):
    for i in range(60):
        backend.insert(ACCOUNT, REGION, record(f"s{i}"))
    pid = os.fork()
    if pid == 0:  # the child: use the inherited object, then leave without cleanup
        code = 1
        try:
            removed = [backend.remove(ACCOUNT, REGION, f"s{i}", no_check) for i in range(0, 60, 2)]
            code = 0 if all(removed) else 2
        finally:
            os._exit(code)
    for i in range(1, 60, 2):
        assert backend.remove(ACCOUNT, REGION, f"s{i}", no_check) is not None
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0

    assert backend.list(ACCOUNT, REGION) == []  # the parent's connections still work
    assert backend.insert(ACCOUNT, REGION, record("after")) is True


def test_the_short_form_and_intercept(postgres_dsn):
    from redshift_intercept import intercept
    from redshift_intercept.testing import make_client

    with intercept(backend=postgres_dsn, journal=True) as rs:
        name = unique("shortform").replace("_", "-")
        rs.add_snapshot(SnapshotIdentifier=name)
        assert_identical(rs.snapshots()[0]["SnapshotIdentifier"], name)
        make_client().delete_cluster_snapshot(SnapshotIdentifier=name)
        assert rs.journal()[-1].params == {"SnapshotIdentifier": name}
        assert repr(rs.backend).startswith(f"<PostgresBackend {postgres_dsn} schema 'redshift_intercept'")
    rs.backend.close()


# ---------------------------------------------------------------- pytest


PLUGIN_PROBE = '''
import pytest
from redshift_intercept.testing import make_client


@pytest.mark.parametrize("n", range(6))
def test_each_test_has_the_database_to_itself(redshift_intercept, n):
    rs = redshift_intercept
    assert type(rs.backend).__name__ == "PostgresBackend"
    assert rs.snapshots() == [] and rs.clusters() == []
    rs.add_snapshot(SnapshotIdentifier="same")
    make_client().delete_cluster_snapshot(SnapshotIdentifier="same")
    rs.add_snapshot(SnapshotIdentifier="same")
    rs.add_cluster(ClusterIdentifier="prod")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["same"]
'''


def test_suites_share_one_database_each_test_in_its_own_namespace(postgres_dsn, sql, tmp_path):
    import subprocess
    import sys

    (tmp_path / "test_probe.py").write_text(PLUGIN_PROBE)
    runs = [subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              f"--redshift-intercept-backend={postgres_dsn}", "test_probe.py"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(3)]  # as pytest-xdist workers on three machines would
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert all("6 passed" in output for output in outputs), outputs
    assert sql("SELECT count(*) FROM redshift_intercept.snapshots WHERE namespace LIKE 'pytest-%%'") == [(0,)]


def test_a_backend_nobody_closes_gives_its_connections_back_when_collected(postgres_dsn, sql):
    import gc

    from redshift_intercept import intercept

    name = unique("collected")
    dsn = postgres_dsn + ("&" if "?" in postgres_dsn else "?") + f"application_name={name}"
    def use(interceptor) -> None:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: interceptor.snapshots(), range(12)))

    rs = intercept(backend=dsn)  # the short form: nobody calls close()
    use(rs)
    sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    assert sql(sessions, (name,))[0][0] >= 1

    del rs
    gc.collect()

    deadline = time.monotonic() + 10
    while sql(sessions, (name,))[0][0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sql(sessions, (name,)) == [(0,)]
