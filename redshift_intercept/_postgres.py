"""PostgreSQL storage: ``PostgresBackend``, shared by processes on many machines.

Needs psycopg 3 (``pip install 'redshift-intercept[postgres]'``); nothing
else in the package imports this module, so nothing else needs psycopg.

- Tables live in their own schema (``redshift_intercept`` by default),
  created on first use under an advisory lock (many processes may start at
  once) and versioned in its ``meta`` table: an older version is migrated,
  a newer or foreign schema is refused with ``BackendError`` and left
  untouched.
- One table per kind of record and one for the call journal, one row per
  record, the record as text (``encode_record``, as SQLite stores it: jsonb
  would reorder keys). Every row carries a ``namespace``: backends with
  different namespaces share the tables and never see each other's rows
  (the pytest plugin gives each test its own, so many test runs share one
  database). Snapshots also carry the columns of the describe order
  (create time, owner, identifier) in an index, for ``scan_snapshots``.
- The service's clock and the quota read columns copied out of the record
  when it is written: ``due`` (under a partial index per namespace, so
  ``next_due`` is one index probe and ``due`` an index range) and, for
  snapshots, ``snapshot_type`` (``count``). ``events`` is the event log,
  indexed by (namespace, account, region, date, event id).
- ``atomic(work)`` is one ``SERIALIZABLE`` transaction that every call
  ``work`` makes on this thread joins. A serialization failure or deadlock
  rolls it back and runs ``work`` again (the protocol allows it), with a
  short random back-off, until ``timeout``. Row locks alone (READ COMMITTED
  + ``SELECT ... FOR UPDATE``) would serialize a single remove or update,
  but not a unit that reads a record and writes another or re-inserts one
  it removed; SERIALIZABLE covers every unit. A single ``update`` or
  ``remove`` outside a unit needs no more than the row lock, and takes it.
- Connections: a small pool per process (``pool_size``), shared by the
  backends of one process that use the same DSN and settings, safe across
  threads and ``fork()`` (a child opens its own connections and never
  touches, not even closes, one it inherited). Every wait is bounded; see
  ``PostgresBackend``.
- Errors: every failure is one ``BackendError`` line that names the DSN
  without its password and says what to check; the next call reconnects.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
import random
import socket
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar, Union

try:
    import psycopg
    from psycopg import conninfo as _conninfo
    from psycopg import errors as _pg_errors
    from psycopg import sql as _sql
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("PostgresBackend needs psycopg 3: pip install 'redshift-intercept[postgres]' "
                      f"({_missing})") from _missing

from ._backend import CLUSTER, DUE, EVENT_ID, SNAPSHOT, Due, EventKey, Record, key_of
from ._sqlite import _REQUIRED, BackendError, decode_record, decode_row, encode_record

T = TypeVar("T")

SCHEMA_VERSION = 2
"""Stored in the schema's ``meta`` table as ``schema_version``."""
APPLICATION = "redshift-intercept"
"""``meta.application`` of our schemas: tells them from foreign ones."""

_Step = Union[str, Callable[["_Conn", str], None]]
"""A schema step: SQL with ``{s}`` for the quoted schema name, or a function
of the connection and that name."""

_VERSION_1: Tuple[str, ...] = (
    "CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE {s}.snapshots (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        account_id text COLLATE "C" NOT NULL,
        region text COLLATE "C" NOT NULL,
        snapshot_id text COLLATE "C" NOT NULL,
        created_at timestamptz NOT NULL,
        owner text COLLATE "C" NOT NULL,
        record text NOT NULL,
        UNIQUE (namespace, account_id, region, snapshot_id))""",
    "CREATE INDEX snapshots_in_order ON {s}.snapshots (namespace, region, account_id, seq)",
    "CREATE INDEX snapshots_by_time ON {s}.snapshots (namespace, region, created_at, owner, snapshot_id)",
    "CREATE INDEX snapshots_of_account_by_time ON {s}.snapshots "
    "(namespace, region, account_id, created_at, owner, snapshot_id)",
    """CREATE TABLE {s}.clusters (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        account_id text COLLATE "C" NOT NULL,
        region text COLLATE "C" NOT NULL,
        cluster_id text COLLATE "C" NOT NULL,
        record text NOT NULL,
        UNIQUE (namespace, account_id, region, cluster_id))""",
    "CREATE INDEX clusters_in_order ON {s}.clusters (namespace, region, account_id, seq)",
    """CREATE TABLE {s}.calls (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        call text NOT NULL)""",
    "CREATE INDEX calls_in_order ON {s}.calls (namespace, seq)",
)
"""Schema version 1 (the backend protocol before the service's clock); migrations build on it."""

# Schema version 2 (backend protocol v3): the columns the service's clock and the
# snapshot quota read, copied out of the record when it is written, each under an
# index (due: partial, so records with nothing due cost nothing), and the event log.
_VERSION_2: Tuple[str, ...] = (
    "ALTER TABLE {s}.snapshots ADD COLUMN due timestamptz",
    'ALTER TABLE {s}.snapshots ADD COLUMN snapshot_type text COLLATE "C"',
    "ALTER TABLE {s}.clusters ADD COLUMN due timestamptz",
    "CREATE INDEX snapshots_due ON {s}.snapshots (namespace, due) WHERE due IS NOT NULL",
    "CREATE INDEX clusters_due ON {s}.clusters (namespace, due) WHERE due IS NOT NULL",
    "CREATE INDEX snapshots_by_type ON {s}.snapshots (namespace, account_id, region, snapshot_type)",
    """CREATE TABLE {s}.events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        account_id text COLLATE "C" NOT NULL,
        region text COLLATE "C" NOT NULL,
        date timestamptz NOT NULL,
        event_id text COLLATE "C" NOT NULL,
        event text NOT NULL)""",
    "CREATE INDEX events_by_date ON {s}.events (namespace, account_id, region, date, event_id)",
)


def _fill_snapshot_types(conn: _Conn, s: str) -> None:
    """Migration 1 -> 2: copy each stored snapshot's type into its new column
    (a row that does not decode keeps NULL; reading it reports it). Records
    written before have no due time: the service has nothing scheduled for them."""
    rows = conn.execute(f"SELECT seq, record FROM {s}.snapshots").fetchall()
    filled = []
    for seq, text in rows:
        try:
            snapshot_type = decode_record(text).get("SnapshotType")
        except (ValueError, TypeError, AttributeError, RecursionError):
            continue
        if isinstance(snapshot_type, str):
            filled.append((snapshot_type, seq))
    if filled:
        with conn.raw.cursor() as cursor:
            cursor.executemany(f"UPDATE {s}.snapshots SET snapshot_type = %s WHERE seq = %s", filled)


_TABLES = {"meta", "snapshots", "clusters", "calls", "events"}
"""Every table of the current schema."""
_DDL: Tuple[_Step, ...] = (
    *_VERSION_1,
    *_VERSION_2,
    f"INSERT INTO {{s}}.meta VALUES ('application', '{APPLICATION}'), ('schema_version', '{SCHEMA_VERSION}')",
)
# Schema changes: bump SCHEMA_VERSION, update _DDL and _TABLES, and add
# _MIGRATIONS[n] = the steps that turn version n into n + 1. _prepare()
# applies them in order, in one transaction under the schema's advisory lock,
# and then records the new version; a schema with no migration path is refused.
_MIGRATIONS: Dict[int, Tuple[_Step, ...]] = {
    # 1 -> 2: due times (the service's own work), snapshot types (the quota), events.
    1: (*_VERSION_2, _fill_snapshot_types),
}

_COLUMN = {SNAPSHOT: "snapshot_id", CLUSTER: "cluster_id"}
_TABLE = {SNAPSHOT: "snapshots", CLUSTER: "clusters"}
_CLEARED = ("snapshots", "clusters", "calls", "events")
"""The tables whose rows belong to a namespace (``clear``)."""
_BEGIN_UNIT = "BEGIN ISOLATION LEVEL SERIALIZABLE"
_BEGIN_ROW = "BEGIN ISOLATION LEVEL READ COMMITTED"

DSN_FORMS = ("postgresql://user[:password]@host[:port]/dbname, postgres://..., "
             "or 'host=... port=... dbname=... user=...'")


@functools.lru_cache(maxsize=64)
def _queries(schema: str) -> Dict[str, str]:
    """Every statement, with the schema name quoted in; constant text per
    schema, so psycopg prepares each one after a few uses."""
    s = _sql.Identifier(schema).as_string(None)
    q: Dict[str, str] = {}
    for kind, table in _TABLE.items():
        column = _COLUMN[kind]
        scope = f"namespace = %s AND account_id = %s AND region = %s AND {column} = %s"
        q[f"get {kind}"] = f"SELECT seq, record FROM {s}.{table} WHERE {scope}"
        q[f"lock {kind}"] = f"SELECT seq, record FROM {s}.{table} WHERE {scope} FOR UPDATE"
        q[f"list {kind}"] = (f"SELECT seq, record FROM {s}.{table} WHERE namespace = %s AND region = %s "
                             "AND account_id = %s ORDER BY seq")
        q[f"list all {kind}"] = (f"SELECT seq, record FROM {s}.{table} WHERE namespace = %s AND region = %s "
                                 "ORDER BY seq")
        q[f"delete {kind}"] = f"DELETE FROM {s}.{table} WHERE seq = %s"
    q["insert snapshot"] = (f"INSERT INTO {s}.snapshots (namespace, account_id, region, snapshot_id, created_at, "
                            "owner, due, snapshot_type, record) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                            "ON CONFLICT DO NOTHING")
    q["insert cluster"] = (f"INSERT INTO {s}.clusters (namespace, account_id, region, cluster_id, due, record) "
                           "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
    q["update snapshot"] = (f"UPDATE {s}.snapshots SET created_at = %s, owner = %s, due = %s, snapshot_type = %s, "
                            "record = %s WHERE seq = %s")
    q["update cluster"] = f"UPDATE {s}.clusters SET due = %s, record = %s WHERE seq = %s"
    # the service's clock: the partial due indexes, one namespace at a time
    first = "WHERE namespace = %s AND due IS NOT NULL ORDER BY due LIMIT 1"
    q["next due"] = (f"SELECT least((SELECT due FROM {s}.snapshots {first}), "
                     f"(SELECT due FROM {s}.clusters {first}))")
    until = "WHERE namespace = %s AND due IS NOT NULL AND due <= %s ORDER BY due LIMIT %s"
    q["due"] = (f"SELECT kind, account_id, region, seq, record FROM ("
                f"(SELECT 'snapshot' AS kind, account_id, region, seq, record, due FROM {s}.snapshots {until}) "
                f"UNION ALL (SELECT 'cluster', account_id, region, seq, record, due FROM {s}.clusters {until})"
                ") AS found ORDER BY due LIMIT %s")
    q["count snapshot types"] = (f"SELECT count(*) FROM (SELECT 1 FROM {s}.snapshots WHERE namespace = %s "
                                 "AND account_id = %s AND region = %s AND snapshot_type = %s LIMIT %s) AS matching")
    q["append event"] = (f"INSERT INTO {s}.events (namespace, account_id, region, date, event_id, event) "
                         "VALUES (%s, %s, %s, %s, %s, %s)")
    # read_events: one statement per combination of bounds (constant text, so each is prepared)
    for bounds in range(8):
        where = "namespace = %s AND account_id = %s AND region = %s"
        where += " AND date >= %s" if bounds & 1 else ""
        where += " AND date <= %s" if bounds & 2 else ""
        where += " AND (date, event_id) > (%s, %s)" if bounds & 4 else ""
        q[f"events {bounds}"] = (f"SELECT seq, event FROM {s}.events WHERE {where} "
                                 "ORDER BY date, event_id LIMIT %s")
    order = "ORDER BY created_at, owner, snapshot_id LIMIT %s"
    q["scan"] = f"SELECT seq, record FROM {s}.snapshots WHERE namespace = %s AND region = %s {order}"
    q["scan after"] = (f"SELECT seq, record FROM {s}.snapshots WHERE namespace = %s AND region = %s "
                       f"AND (created_at, owner, snapshot_id) > (%s, %s, %s) {order}")
    q["scan account"] = (f"SELECT seq, record FROM {s}.snapshots WHERE namespace = %s AND region = %s "
                         f"AND account_id = %s {order}")
    q["scan account after"] = (f"SELECT seq, record FROM {s}.snapshots WHERE namespace = %s AND region = %s "
                               f"AND account_id = %s AND (created_at, owner, snapshot_id) > (%s, %s, %s) {order}")
    q["append call"] = f"INSERT INTO {s}.calls (namespace, call) VALUES (%s, %s)"
    q["read calls"] = f"SELECT seq, call FROM {s}.calls WHERE namespace = %s ORDER BY seq"
    q["clear calls"] = f"DELETE FROM {s}.calls WHERE namespace = %s"
    q["count calls"] = f"SELECT count(*) FROM {s}.calls WHERE namespace = %s"
    for table in _CLEARED:
        q[f"clear {table}"] = f"DELETE FROM {s}.{table} WHERE namespace = %s"
    return q


# ---------------------------------------------------------------- DSNs and messages


def redact(dsn: str) -> str:
    """``dsn`` without its password, for messages; an unparseable DSN is
    never echoed (libpq's parse errors may quote the password)."""
    try:
        params = _conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<a DSN that does not parse>"
    params.pop("password", None)
    if dsn.startswith(("postgresql://", "postgres://")):
        user, host, port, dbname = (str(params.pop(k, "")) for k in ("user", "host", "port", "dbname"))
        netloc = (f"{user}@" if user else "") + host + (f":{port}" if port else "")
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{netloc}/{dbname}" + (f"?{query}" if query else "")
    return _conninfo.make_conninfo("", **params) or "the default connection (PG* environment variables)"


# What a failure means, in a few words: (text in libpq's or the server's message, what to check).
_HINTS = (
    ("password authentication failed", "check the password in the DSN (or PGPASSWORD / ~/.pgpass)"),
    ("no password supplied", "the server wants a password: put it in the DSN, PGPASSWORD or ~/.pgpass"),
    ('database "', "check the user and database names in the DSN"),  # database "x" does not exist
    ('role "', "check the user and database names in the DSN"),  # role "x" does not exist
    ("Connection refused", "is the server running and listening on that host and port?"),
    ("No such file or directory", "is the server running, with its socket in that directory?"),
    ("failed to resolve host", "check the host name in the DSN"),
    ("could not translate host name", "check the host name in the DSN"),
    ("timeout expired", "the server did not answer in time: check the host, the port and firewalls"),
    ("Connection timed out", "the server stopped answering (network or host down); the next call reconnects"),
    ("server closed the connection", "the server went away (restarted, crashed or killed); the next call "
                                     "reconnects"),
    ("terminating connection", "the server ended the session (shut down, restarted or an administrator); "
                               "the next call reconnects"),
    ("the connection is closed", "the connection was lost; the next call reconnects"),
    ("statement timeout", "a statement ran longer than the backend's timeout: the server is overloaded, "
                          "or another session holds a lock; pass a larger timeout"),
    ("lock timeout", "another session held a row lock longer than the backend's timeout; pass a larger "
                     "timeout, or end the other session's transaction"),
    ("permission denied", "grant the DSN's user the privilege named, or have the schema created for it"),
    ("invalid integer value", "check the port and the numeric options in the DSN"),
    ("too many clients", "the server has no connection slot left: raise max_connections, or use a smaller "
                         "pool_size"),
)


class _Conflict(Exception):
    """A unit met a serialization failure or deadlock: it is rolled back and run again."""


# ---------------------------------------------------------------- the pool

_INHERITED: List[Any] = []  # connections a forked child inherited: never used, never closed
_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()
_BACKENDS: weakref.WeakSet[PostgresBackend] = weakref.WeakSet()
_REGISTRY: Dict[tuple, _Pool] = {}
_REGISTRY_LOCK = threading.Lock()


class _Conn:
    """A connection and the process that opened it. ``busy_since`` is set
    while a statement waits for the server (0.0 otherwise): the watchdog
    shuts the socket of one that waits too long."""

    __slots__ = ("busy_since", "killed", "pid", "raw")

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self.pid = os.getpid()
        self.busy_since = 0.0
        self.killed = False

    def execute(self, query: str, params: Optional[tuple] = None) -> psycopg.Cursor:
        self.busy_since = time.monotonic()
        try:
            return self.raw.execute(query, params)  # type: ignore[arg-type]
        finally:
            self.busy_since = 0.0

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.broken


class _Pool:
    """Connections of one process to one server with one set of settings."""

    def __init__(self, dsn: str, kwargs: Dict[str, Any], where: str, size: int, timeout: float) -> None:
        self.dsn, self.kwargs, self.where, self.size, self.timeout = dsn, kwargs, where, size, timeout
        # The watchdog's limit for one statement: past the server's own limits
        # (lock_timeout, then statement_timeout), which answer when the server can.
        self.deadline = 2 * timeout + 1.0
        self.users = 0
        self.ready: Set[str] = set()  # schemas checked (and created or migrated) by this process
        self._reset()
        _POOLS.add(self)

    def _reset(self) -> None:
        """A fresh, empty pool for this process (after fork: the parent's
        connections are parked, never used or closed)."""
        _INHERITED.extend(getattr(self, "_idle", []))
        _INHERITED.extend(getattr(self, "_busy", ()))
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._available = threading.Condition(self._lock)
        self._idle: List[_Conn] = []
        self._busy: Set[_Conn] = set()
        self._count = 0

    def checkout(self) -> Tuple[_Conn, bool]:
        """(a connection of this process, whether it came from the idle list)."""
        _WATCHDOG.ensure_running()
        deadline = time.monotonic() + self.timeout
        with self._available:
            while True:
                if self.pid != os.getpid():  # forked without the at-fork hook
                    self._reset()
                    return self.checkout()
                if self._idle:
                    conn = self._idle.pop()
                    self._busy.add(conn)
                    return conn, True
                if self._count < self.size:
                    self._count += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not self._available.wait(left):
                    raise BackendError(
                        f"PostgreSQL {self.where}: no free connection in this process after {self.timeout:g} s "
                        f"(all {self.size} of pool_size in use by other threads); pass a larger pool_size, "
                        "or run fewer threads at once")
        try:
            conn = _Conn(psycopg.connect(self.dsn, autocommit=True, **self.kwargs))
        except BaseException as exc:
            with self._available:
                self._count -= 1
                self._available.notify()
            if isinstance(exc, psycopg.Error):
                raise BackendError(_one_line(exc, self.where, "connecting", self.dsn)) from None
            raise
        with self._lock:
            self._busy.add(conn)
        return conn, False

    def checkin(self, conn: _Conn, broken: bool = False) -> None:
        if conn.pid != os.getpid():  # checked out before a fork: never touch it
            _INHERITED.append(conn)
            return
        if not broken and (conn.broken or conn.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE):
            broken = True
        if broken:
            with contextlib.suppress(Exception):
                conn.raw.close()
        with self._available:
            self._busy.discard(conn)
            if broken:
                self._count -= 1
            else:
                self._idle.append(conn)
            self._available.notify()

    def drop_idle(self) -> None:
        """Close every idle connection: one was found dead, and a server
        restart kills them all."""
        with self._available:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._available.notify_all()
        for conn in idle:
            if conn.pid == os.getpid():
                with contextlib.suppress(Exception):
                    conn.raw.close()

    def kill_stuck(self, now: float) -> None:
        """Shut the socket of every connection whose statement has waited
        longer than ``deadline``: the only thing that ends a wait on a
        server that is frozen but whose kernel still answers TCP."""
        with self._lock:
            stuck = [c for c in self._busy if c.busy_since and now - c.busy_since > self.deadline]
        for conn in stuck:
            conn.killed = True
            with contextlib.suppress(OSError, ValueError):
                fd = os.dup(conn.raw.fileno())
                with socket.socket(fileno=fd) as sock:
                    sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread per process that checks the pools' busy connections
    four times a second."""

    def __init__(self) -> None:
        self.pid = 0
        self.lock = threading.Lock()

    def ensure_running(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                threading.Thread(target=self._run, name="redshift-intercept PostgreSQL watchdog",
                                 daemon=True).start()
                self.pid = os.getpid()

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            for pool in list(_POOLS):
                pool.kill_stuck(now)


_WATCHDOG = _Watchdog()


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK
    _REGISTRY_LOCK = threading.Lock()
    _WATCHDOG.lock = threading.Lock()
    _WATCHDOG.pid = 0  # the thread did not survive the fork; the next checkout starts one
    for pool in list(_POOLS):
        pool._reset()
    for backend in list(_BACKENDS):
        backend._local = threading.local()
        backend._conflicts_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _one_line(exc: BaseException, where: str, doing: str, dsn: str = "") -> str:
    """``PostgreSQL <DSN without password>: <doing> failed: <libpq's first line>; <what to check>``."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    for prefix in ("connection failed: ", "consuming input failed: ", "sending query failed: ",
                   "sending query and params failed: "):
        first = first.removeprefix(prefix)
    first = " ".join(first.replace("FATAL:", "").split())
    password = _password_of(dsn)
    if password:
        first = first.replace(password, "***")
    hint = next((text for needle, text in _HINTS if needle in first), "")
    state = getattr(exc, "sqlstate", None)
    return (f"PostgreSQL {where}: {doing} failed: {first}" + (f" [SQLSTATE {state}]" if state else "")
            + (f"; {hint}" if hint else ""))


def _password_of(dsn: str) -> str:
    try:
        return str(_conninfo.conninfo_to_dict(dsn).get("password") or "")
    except psycopg.Error:
        return ""


def _connect_kwargs(given: Dict[str, Any], timeout: float, durable: bool) -> Dict[str, Any]:
    """Our defaults for what the DSN does not set; the server-side limits go
    in ``options`` before the DSN's own (the last ``-c`` wins)."""
    ms = max(1, int(timeout * 1000))
    defaults: Dict[str, Any] = {
        "connect_timeout": max(2, int(timeout + 0.999)),
        "application_name": "redshift-intercept",
        "keepalives": 1, "keepalives_idle": max(1, min(10, int(timeout))), "keepalives_interval": 2,
        "keepalives_count": 3, "tcp_user_timeout": ms,
    }
    kwargs = {key: value for key, value in defaults.items() if key not in given}
    # enable_seqscan=off: every statement of ours has an index, and under SERIALIZABLE a
    # sequential scan (which the planner picks for small tables) takes a read lock on the
    # whole table, which makes concurrent units in other namespaces conflict for nothing.
    options = [f"-c statement_timeout={ms * 3 // 2}", f"-c lock_timeout={ms}",
               f"-c idle_in_transaction_session_timeout={2 * ms}", "-c TimeZone=UTC", "-c enable_seqscan=off"]
    if not durable:
        options.append("-c synchronous_commit=off")
    kwargs["options"] = " ".join([*options, str(given.get("options", ""))]).strip()
    return kwargs


class _Unit:
    __slots__ = ("conflict", "conn", "next_due")

    def __init__(self, conn: _Conn, next_due: Optional[tuple] = None) -> None:
        self.conn = conn
        self.conflict: Optional[BaseException] = None
        self.next_due = next_due
        """(``next_due()``,) as the unit began, until the unit writes a record; else None."""


# ---------------------------------------------------------------- the backend


class PostgresBackend:
    """Snapshots, clusters and the call journal in a PostgreSQL database,
    shared by every process, on any machine, that uses the same DSN, schema
    and namespace.

    ``dsn``: ``postgresql://user[:password]@host[:port]/dbname`` (or
    ``postgres://``, or libpq's ``host=... dbname=...`` form; libpq's
    ``PG*`` variables and ``~/.pgpass`` apply). ``schema``: where the tables
    live; created on first use (the user needs ``CREATE`` on the database,
    or an existing empty schema it may write to). ``namespace``: a label
    every row carries; backends with different namespaces share the tables
    but not the state (the pytest plugin gives each test its own).

    ``timeout`` (seconds) bounds every wait: connecting (``connect_timeout``),
    a lock wait on the server (``lock_timeout``; a statement gets 1.5 x
    ``timeout``, ``statement_timeout``), a dead network (TCP keepalives,
    ``tcp_user_timeout``), a server that stopped answering altogether (a
    watchdog shuts the socket of a statement waiting 2 x ``timeout`` + 1 s),
    waiting for a free pooled connection, and retrying a unit that keeps
    meeting conflicts. Past it, the call raises :class:`BackendError`.
    ``pool_size``: connections per process (shared with other
    ``PostgresBackend`` objects with the same DSN and settings).
    ``durable=False`` (default) commits with ``synchronous_commit=off``: a
    server crash may lose the last few commits (never half of one), as SQLite
    in WAL mode with ``synchronous=NORMAL`` does; ``True`` waits for the WAL
    flush on every commit (about 4 ms more per change on a local disk).

    Thread-safe and fork-safe. ``close()`` (or ``with``) gives the
    connections back; the data stays.
    """

    def __init__(self, dsn: str, *, schema: str = "redshift_intercept", namespace: str = "",
                 timeout: float = 30.0, pool_size: int = 4, durable: bool = False) -> None:
        if not isinstance(dsn, str):
            raise TypeError(f"dsn must be a str such as 'postgresql://user@host:5432/dbname', "
                            f"got {type(dsn).__name__}")
        for name, value in (("schema", schema), ("namespace", namespace)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        if not schema or len(schema) > 63 or "\x00" in schema:
            raise ValueError(f"schema must be a PostgreSQL name of 1-63 characters, got {schema!r}")
        if len(namespace) > 200 or "\x00" in namespace:
            raise ValueError(f"namespace must be at most 200 characters, without NUL, got {namespace!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 86400:
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"pool_size must be an int >= 1, got {pool_size!r}")
        if not isinstance(durable, bool):
            raise TypeError(f"durable must be True or False, got {durable!r}")
        if "://" in dsn.split("?", 1)[0] and not dsn.startswith(("postgresql://", "postgres://")):
            raise BackendError(f"dsn is not a PostgreSQL DSN (it names the scheme {dsn.split('://', 1)[0]!r}): "
                               f"expected {DSN_FORMS}")
        try:
            given = _conninfo.conninfo_to_dict(dsn)
        except psycopg.Error:  # its message may quote the password: never echo it
            raise BackendError(f"dsn is not a valid PostgreSQL DSN: expected {DSN_FORMS}") from None
        self.dsn: str = redact(dsn)
        """The DSN without its password."""
        self.schema: str = schema
        self.namespace: str = namespace
        self.timeout: float = float(timeout)
        self.conflicts: int = 0
        """Units of this object (in this process) run again after a serialization failure or deadlock."""
        self._q = _queries(schema)
        # A unit's BEGIN carries the clock's question (next_due, which every answered
        # call asks first) in the same round trip: constant text, the namespace inlined.
        self._begin_unit = f"{_BEGIN_UNIT}; " + self._q["next due"].replace(
            "%s", _sql.Literal(namespace).as_string(None))
        self._local = threading.local()  # .unit: the unit this thread is in
        self._conflicts_lock = threading.Lock()
        key = (dsn, self.timeout, pool_size, durable)
        with _REGISTRY_LOCK:
            pool = _REGISTRY.get(key)
            if pool is None or pool.pid != os.getpid():
                pool = _REGISTRY[key] = _Pool(dsn, _connect_kwargs(given, self.timeout, durable), self.dsn,
                                              pool_size, self.timeout)
            pool.users += 1
        self._pool = pool
        self._closed = False
        try:
            if schema not in pool.ready:
                self._prepare()
                pool.ready.add(schema)
        except BaseException:
            self.close()
            raise
        _BACKENDS.add(self)

    def __repr__(self) -> str:
        state = " (closed)" if self._closed else ""
        return (f"<PostgresBackend {self.dsn} schema {self.schema!r}"
                + (f" namespace {self.namespace!r}" if self.namespace else "") + f"{state}>")

    def __enter__(self) -> PostgresBackend:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # e.g. at interpreter shutdown, or a failed __init__
            self.close()

    def close(self) -> None:
        """Give this object's share of the pool back; the last object using a
        pool closes its idle connections. Later calls raise BackendError;
        closing twice is harmless."""
        if getattr(self, "_closed", True):  # closed, or __init__ stopped before the pool
            return
        self._closed = True
        pool = self._pool
        with _REGISTRY_LOCK:
            pool.users -= 1
            last = pool.users <= 0
            if last:
                for key, value in list(_REGISTRY.items()):
                    if value is pool:
                        del _REGISTRY[key]
        if last:
            pool.drop_idle()

    # ------------------------------------------------------------ protocol

    def insert(self, account_id: str, region: str, record: Record, kind: str = SNAPSHOT) -> bool:
        """Store ``record`` under its identifier; return False (and store
        nothing) if that identifier is already taken."""
        identifier = record[key_of(kind)]
        text = encode_record(record)
        if kind == SNAPSHOT:
            args: tuple = (self.namespace, account_id, region, identifier, record["SnapshotCreateTime"],
                           record["OwnerAccount"], record.get(DUE), record.get("SnapshotType"), text)
        else:
            args = (self.namespace, account_id, region, identifier, record.get(DUE), text)
        query = self._q[f"insert {kind}"]
        self._writing()
        return self._call(f"inserting a {kind}", lambda conn: conn.execute(query, args).rowcount == 1)

    def get(self, account_id: str, region: str, identifier: str, kind: str = SNAPSHOT) -> Optional[Record]:
        """The record, or None."""
        key_of(kind)
        query, args = self._q[f"get {kind}"], (self.namespace, account_id, region, identifier)
        row = self._call(f"reading a {kind}", lambda conn: conn.execute(query, args).fetchone(), retry=True)
        return None if row is None else self._decode(kind, row[0], row[1])

    def list(self, account_id: Optional[str], region: str, kind: str = SNAPSHOT) -> List[Record]:
        """``SnapshotBackend.list``, in insertion order."""
        key_of(kind)
        args: tuple
        if account_id is None:
            query, args = self._q[f"list all {kind}"], (self.namespace, region)
        else:
            query, args = self._q[f"list {kind}"], (self.namespace, region, account_id)
        rows = self._call(f"listing {kind}s", lambda conn: conn.execute(query, args).fetchall(), retry=True)
        return [self._decode(kind, seq, text) for seq, text in rows]

    def scan_snapshots(self, account_id: Optional[str], region: str, after: Optional[tuple],
                       limit: int) -> List[Record]:
        """``PageScan.scan_snapshots``: one index range scan."""
        if account_id is None:
            query, args = ((self._q["scan"], (self.namespace, region, limit)) if after is None else
                           (self._q["scan after"], (self.namespace, region, *after, limit)))
        elif after is None:
            query, args = self._q["scan account"], (self.namespace, region, account_id, limit)
        else:
            query, args = self._q["scan account after"], (self.namespace, region, account_id, *after, limit)
        rows = self._call("listing snapshots", lambda conn: conn.execute(query, args).fetchall(), retry=True)
        return [self._decode(SNAPSHOT, seq, text) for seq, text in rows]

    def update(self, account_id: str, region: str, identifier: str,
               change: Callable[[Record], Record], kind: str = SNAPSHOT) -> Optional[Record]:
        """``SnapshotBackend.update``: ``change`` runs with the row locked."""
        key_of(kind)
        lock, args = self._q[f"lock {kind}"], (self.namespace, account_id, region, identifier)
        store = self._q[f"update {kind}"]

        def work() -> Optional[Record]:
            self._writing()
            row = self._call(f"reading a {kind}", lambda conn: conn.execute(lock, args).fetchone())
            if row is None:
                return None
            updated = change(self._decode(kind, row[0], row[1]))
            text = encode_record(updated)
            values: tuple = ((updated["SnapshotCreateTime"], updated["OwnerAccount"], updated.get(DUE),
                              updated.get("SnapshotType"), text, row[0])
                             if kind == SNAPSHOT else (updated.get(DUE), text, row[0]))
            self._call(f"updating a {kind}", lambda conn: conn.execute(store, values))
            return updated

        return self._row_unit(work)

    def remove(self, account_id: str, region: str, identifier: str,
               check: Callable[[Record], None], kind: str = SNAPSHOT) -> Optional[Record]:
        """``SnapshotBackend.remove``: ``check`` runs with the row locked."""
        key_of(kind)
        lock, args = self._q[f"lock {kind}"], (self.namespace, account_id, region, identifier)
        delete = self._q[f"delete {kind}"]

        def work() -> Optional[Record]:
            self._writing()
            row = self._call(f"reading a {kind}", lambda conn: conn.execute(lock, args).fetchone())
            if row is None:
                return None
            record = self._decode(kind, row[0], row[1])
            check(record)
            self._call(f"removing a {kind}", lambda conn: conn.execute(delete, (row[0],)))
            return record

        return self._row_unit(work)

    def atomic(self, work: Callable[[], T], write: bool = True) -> T:
        """``SnapshotBackend.atomic``: one SERIALIZABLE transaction, run again
        after a serialization failure or deadlock (until ``timeout``).
        ``write`` changes nothing here: readers never wait for writers in
        PostgreSQL anyway."""
        if getattr(self._local, "unit", None) is not None:
            return work()  # nested: part of the outer unit
        return self._unit(work, _BEGIN_UNIT)

    # ------------------------------------------------------------ the service's clock

    def next_due(self) -> Optional[_dt.datetime]:
        """``SnapshotBackend.next_due``: the first entry of each partial ``due``
        index of this namespace, in one round trip; inside a unit that has not
        written a record yet, the answer read with its ``BEGIN``."""
        unit = getattr(self._local, "unit", None)
        if unit is not None and unit.next_due is not None:
            return unit.next_due[0]
        query, args = self._q["next due"], (self.namespace, self.namespace)
        row = self._call("reading what is due", lambda conn: conn.execute(query, args).fetchone(), retry=True)
        return None if row is None else row[0]

    def due(self, until: _dt.datetime, limit: int) -> List[Due]:
        """``SnapshotBackend.due``: a range of each partial ``due`` index."""
        query = self._q["due"]
        limit = max(0, limit)
        args = (self.namespace, until, limit, self.namespace, until, limit, limit)
        rows = self._call("reading what is due", lambda conn: conn.execute(query, args).fetchall(), retry=True)
        return [(kind, account_id, region, self._decode(kind, seq, text))
                for kind, account_id, region, seq, text in rows]

    def count(self, account_id: str, region: str, field: str, value: Any, limit: int,
              kind: str = SNAPSHOT) -> int:
        """``SnapshotBackend.count``: snapshot types from their indexed column
        (reading at most ``limit`` index entries); other fields by reading the
        records of the account and region."""
        key_of(kind)
        if kind == SNAPSHOT and field == "SnapshotType" and isinstance(value, str):
            query = self._q["count snapshot types"]
            args: tuple = (self.namespace, account_id, region, value, max(0, limit))
            row = self._call(f"counting {kind}s", lambda conn: conn.execute(query, args).fetchone(), retry=True)
            return int(row[0]) if row else 0
        counted = 0
        for found in self.list(account_id, region, kind):
            if counted >= limit:
                break
            if found.get(field) == value:
                counted += 1
        return counted

    def append_event(self, account_id: str, region: str, event: Dict[str, Any]) -> None:
        """``SnapshotBackend.append_event``: inside ``atomic`` it commits with the unit."""
        args = (self.namespace, account_id, region, event["Date"], event[EVENT_ID], encode_record(event))
        query = self._q["append event"]
        self._call("recording an event", lambda conn: conn.execute(query, args))

    def read_events(self, account_id: str, region: str, start: Optional[_dt.datetime] = None,
                    end: Optional[_dt.datetime] = None, after: Optional[EventKey] = None,
                    limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """``SnapshotBackend.read_events``: a range of the ``events_by_date`` index."""
        bounds = 0
        args: List[Any] = [self.namespace, account_id, region]
        if start is not None:
            bounds |= 1
            args.append(start)
        if end is not None:
            bounds |= 2
            args.append(end)
        if after is not None:
            bounds |= 4
            args.extend((after[0], after[1]))
        args.append(None if limit is None else max(0, limit))  # LIMIT NULL: no limit
        query, values = self._q[f"events {bounds}"], tuple(args)
        rows = self._call("reading events", lambda conn: conn.execute(query, values).fetchall(), retry=True)
        return [self._decode_log("events", seq, text) for seq, text in rows]

    # ------------------------------------------------------------ call journal

    def append_call(self, call: Dict[str, Any]) -> None:
        """Append one call record to the journal of this namespace; inside
        ``atomic`` it commits with the unit's changes."""
        args = (self.namespace, encode_record(call))
        self._call("recording a call", lambda conn: conn.execute(self._q["append call"], args))

    def read_calls(self) -> List[Dict[str, Any]]:
        """Every journaled call of this namespace, oldest first, from every process."""
        query = self._q["read calls"]
        rows = self._call("reading the call journal",
                          lambda conn: conn.execute(query, (self.namespace,)).fetchall(), retry=True)
        return [self._decode_log("calls", seq, text) for seq, text in rows]

    def clear_calls(self) -> int:
        """Empty the journal of this namespace; how many calls it held."""
        query = self._q["clear calls"]
        return self._call("clearing the call journal", lambda conn: conn.execute(query, (self.namespace,)).rowcount)

    def count_calls(self) -> int:
        query = self._q["count calls"]
        row = self._call("reading the call journal",
                         lambda conn: conn.execute(query, (self.namespace,)).fetchone(), retry=True)
        return int(row[0]) if row else 0

    def clear(self) -> None:
        """Remove every record, event and journal entry of this namespace (only), at once."""
        queries = [self._q[f"clear {table}"] for table in _CLEARED]

        self._writing()

        def clear_all(conn: _Conn) -> None:
            for query in queries:
                conn.execute(query, (self.namespace,))

        # READ COMMITTED: it reads nothing it decides on, and a SERIALIZABLE bulk delete
        # would hold read locks that make other namespaces' units conflict.
        self._row_unit(lambda: self._call("clearing the namespace", clear_all))

    # ------------------------------------------------------------ transactions

    def _writing(self) -> None:
        """The unit this thread is in (if any) may change due times: its
        ``next_due`` is read from the tables from now on."""
        unit = getattr(self._local, "unit", None)
        if unit is not None:
            unit.next_due = None

    def _call(self, doing: str, statement: Callable[[_Conn], T], retry: bool = False) -> T:
        """``statement(conn)`` in the unit this thread is in, else on a pooled
        connection in autocommit. ``retry``: the statement only reads, so a
        pooled connection found dead (server restarted) is replaced and the
        statement sent again once."""
        unit = getattr(self._local, "unit", None)
        if unit is not None:
            try:
                return statement(unit.conn)
            except psycopg.Error as exc:
                raise self._unit_error(unit, exc, doing) from None
        for attempt in (1, 2):
            conn, pooled = self._checkout()
            broken = False
            try:
                return statement(conn)
            except psycopg.Error as exc:
                broken = conn.broken
                if broken and pooled and retry and attempt == 1:
                    self._pool.drop_idle()
                    continue
                raise self._error(exc, doing, conn) from None
            finally:
                self._pool.checkin(conn, broken)
        raise AssertionError("unreachable")  # pragma: no cover

    def _row_unit(self, work: Callable[[], T]) -> T:
        """A single update or remove (or ``clear``): joins the unit this
        thread is in, else runs as its own READ COMMITTED transaction (the row
        lock is all it needs: it reads nothing else)."""
        if getattr(self._local, "unit", None) is not None:
            return work()
        return self._unit(work, _BEGIN_ROW)

    def _unit(self, work: Callable[[], T], begin: str) -> T:
        local = self._local
        deadline = time.monotonic() + self.timeout
        conflicts = 0
        while True:
            unit = self._begin(begin)
            local.unit = unit
            try:
                try:
                    result = work()
                finally:
                    local.unit = None
                if unit.conflict is None:
                    self._commit(unit)
            except Exception:
                if unit.conflict is None:
                    self._end(unit)
                    raise
            except BaseException:
                self._end(unit)
                raise
            if unit.conflict is None:
                self._pool.checkin(unit.conn)
                return result
            # A serialization failure or deadlock (perhaps swallowed by work): roll back, run again.
            self._end(unit)
            conflicts += 1
            with self._conflicts_lock:
                self.conflicts += 1
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"PostgreSQL {self.dsn}: a unit of work met a conflicting concurrent change {conflicts} "
                    f"times in a row and gave up after {self.timeout:g} s ({unit.conflict}); other "
                    "processes keep changing the same records: pass a larger timeout, or run fewer at once")
            time.sleep(random.uniform(0, min(0.05, 0.0005 * 2 ** min(conflicts, 7))))

    def _checkout(self) -> Tuple[_Conn, bool]:
        if self._closed:
            raise BackendError(f"PostgresBackend {self.dsn} is closed; open a new PostgresBackend to use "
                               "the database again")
        return self._pool.checkout()

    def _begin(self, begin: str) -> _Unit:
        """A connection in a new transaction. A pooled connection that fails
        at once was found dead (the server restarted while it sat idle):
        nothing was sent but BEGIN, so it is replaced and BEGIN sent again."""
        for attempt in (1, 2):
            conn, pooled = self._checkout()
            try:
                if begin is not _BEGIN_UNIT:
                    conn.execute(begin)
                    return _Unit(conn)
                cursor = conn.execute(self._begin_unit)
                cursor.nextset()
                row = cursor.fetchone()
                return _Unit(conn, (row[0] if row else None,))
            except psycopg.Error as exc:
                broken = conn.broken
                self._pool.checkin(conn, broken)
                if broken and pooled and attempt == 1:
                    self._pool.drop_idle()
                    continue
                raise self._error(exc, "starting a transaction", conn) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _commit(self, unit: _Unit) -> None:
        try:
            unit.conn.execute("COMMIT")
        except psycopg.Error as exc:
            if _is_conflict(exc):
                unit.conflict = exc
                return
            outcome = "" if not unit.conn.broken else " (whether the change was made is unknown)"
            raise BackendError(_one_line(exc, self.dsn, "committing" + outcome, "")) from None

    def _end(self, unit: _Unit) -> None:
        """Roll back what the unit did and give its connection back."""
        conn = unit.conn
        broken = conn.broken
        if not broken:
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                broken = True
        self._pool.checkin(conn, broken)

    def _unit_error(self, unit: _Unit, exc: psycopg.Error, doing: str) -> Exception:
        if _is_conflict(exc):
            unit.conflict = exc
            return _Conflict(doing)
        return self._error(exc, doing, unit.conn)

    def _error(self, exc: psycopg.Error, doing: str, conn: Optional[_Conn] = None) -> BackendError:
        if conn is not None and conn.killed:
            return BackendError(
                f"PostgreSQL {self.dsn}: {doing} failed: no answer from the server within "
                f"{self._pool.deadline:g} s; it is frozen, overloaded or unreachable. The next call reconnects")
        if isinstance(exc, _pg_errors.UndefinedTable):
            self._pool.ready.discard(self.schema)
            return BackendError(f"PostgreSQL {self.dsn}: {doing} failed: a table of schema {self.schema!r} "
                                "is missing (was the schema dropped?); the next PostgresBackend creates it again")
        return BackendError(_one_line(exc, self.dsn, doing))

    # ------------------------------------------------------------ records

    def _decode(self, kind: str, seq: int, text: str) -> Record:
        """The record a row holds; BackendError if it is not one."""
        return decode_row(text, f"{_TABLE[kind]} row {seq}", self._corrupt, _REQUIRED[kind])

    def _decode_log(self, table: str, seq: int, text: str) -> Dict[str, Any]:
        """An entry of the call journal or the event log; BackendError if it is not one."""
        return decode_row(text, f"{table} row {seq}", self._corrupt)

    def _corrupt(self, where: str, problem: str) -> BackendError:
        return BackendError(
            f"PostgreSQL {self.dsn}: schema {self.schema!r}, {where} is corrupt ({problem}); it was left as it "
            "is. Something other than redshift-intercept wrote to the table: delete or repair that row.")

    # ------------------------------------------------------------ schema

    def _prepare(self) -> None:
        """Create the schema, or check it and migrate it, in one transaction
        under an advisory lock (one process at a time, on every machine);
        never change a schema that is not ours."""
        s = _sql.Identifier(self.schema).as_string(None)

        def work(conn: _Conn) -> None:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{APPLICATION}:{self.schema}",))
            exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone()
            tables = {name for (name,) in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", (self.schema,))}
            if not exists:
                conn.execute(f"CREATE SCHEMA {s}")
            if not tables:
                for statement in _DDL:
                    _apply(conn, statement, s)
                return
            version = self._version(conn, s, tables)
            if version == SCHEMA_VERSION:
                return
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    _apply(conn, statement, s)
            conn.execute(f"UPDATE {s}.meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

        conn, _ = self._checkout()
        ok = False
        try:
            try:
                conn.execute(_BEGIN_ROW)
                work(conn)
                conn.execute("COMMIT")
                ok = True
            except psycopg.Error as exc:
                raise self._error(exc, f"preparing schema {self.schema!r}", conn) from None
        finally:
            if not ok and not conn.broken:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            self._pool.checkin(conn)

    def _version(self, conn: _Conn, s: str, tables: Set[str]) -> int:
        """The schema's version; BackendError for a schema we must not touch."""
        where = f"PostgreSQL {self.dsn}: schema {self.schema!r}"
        listed = ", ".join(sorted(tables))
        meta: Dict[str, str] = {}
        if "meta" in tables:
            try:
                conn.execute("SAVEPOINT meta")
                meta = {str(k): str(v) for k, v in conn.execute(f"SELECT key, value FROM {s}.meta")}
                conn.execute("RELEASE SAVEPOINT meta")
            except psycopg.errors.UndefinedColumn:
                conn.execute("ROLLBACK TO SAVEPOINT meta")
        version_text = meta.get("schema_version", "")
        if meta.get("application") != APPLICATION or not version_text.isdigit():
            raise BackendError(f"{where} holds tables that redshift-intercept did not create ({listed}). It was "
                               "left untouched: pass PostgresBackend(..., schema='another_name').")
        version = int(version_text)
        if version > SCHEMA_VERSION:
            raise BackendError(f"{where} was written by a newer redshift-intercept (schema version {version}; "
                               f"this one reads version {SCHEMA_VERSION}). It was left untouched: upgrade "
                               "redshift-intercept, or use another schema.")
        if version < SCHEMA_VERSION and any(step not in _MIGRATIONS for step in range(version, SCHEMA_VERSION)):
            raise BackendError(f"{where} has redshift-intercept schema version {version}, which this version "
                               f"cannot migrate to {SCHEMA_VERSION}. It was left untouched: use another schema.")
        if version == SCHEMA_VERSION and tables != _TABLES:
            raise BackendError(f"{where} has unexpected tables ({listed}) for redshift-intercept schema "
                               f"version {version}. It was left untouched: use another schema.")
        return version


def _apply(conn: _Conn, step: _Step, s: str) -> None:
    """One schema step on ``conn``, for the schema ``s`` (quoted)."""
    if callable(step):
        step(conn, s)
    else:
        conn.execute(step.format(s=s))


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, (_pg_errors.SerializationFailure, _pg_errors.DeadlockDetected))

