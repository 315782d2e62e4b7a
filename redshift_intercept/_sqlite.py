"""SQLite storage: ``SqliteBackend``, shared by threads and processes.

The file outlives the process and several processes may use it at once
(pytest-xdist workers, forked workers, a subprocess under test). Only the
standard library's ``sqlite3`` is used.

- One table per kind of record (``snapshots``, ``clusters``), one row per
  record, unique on (account, region, identifier); the record is stored as
  JSON. ``seq`` (the rowid) keeps insertion order for ``list``. Two columns
  are copied out of the record when it is stored: ``due`` (its ``DUE``, in
  microseconds since 1970, under a partial index, so the service finds what
  is due without reading the rest) and, for snapshots, ``snapshot_type``
  (what ``count`` asks about). ``events`` is the event log (indexed by
  account, region and date), ``calls`` the call journal.
- ``update`` and ``remove`` run their callback inside a ``BEGIN IMMEDIATE``
  transaction: SQLite's write lock keeps every other connection, in any
  process, from changing the row in between. ``insert`` is one
  ``INSERT OR IGNORE`` that the unique key turns away.
- ``atomic(work)`` runs ``work`` in one transaction that every call it makes
  on this thread joins (the journal's included). A unit that says it will
  only read starts deferred, so it never waits for writers; if it writes
  after all and meets another writer, it is run again as ``BEGIN IMMEDIATE``.
- The database runs in WAL mode, so readers never wait for the writer.
- A row that does not decode to a record is a ``BackendError`` naming it,
  never a raw exception; the file is checked (``PRAGMA quick_check``) when
  it is opened.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sqlite3
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, TypeVar, Union

from ._backend import CLUSTER, DUE, EVENT_ID, SNAPSHOT, Due, EventKey, Record, key_of

T = TypeVar("T")

SCHEMA_VERSION = 3
"""Stored in the file as ``PRAGMA user_version``."""
APPLICATION_ID = 0x52534943
"""``PRAGMA application_id`` of our files ("RSIC"): tells them from foreign ones."""

# kind -> (table, identifier column)
_TABLE_OF = {SNAPSHOT: ("snapshots", "snapshot_id"), CLUSTER: ("clusters", "cluster_id")}
# Fields the rules read from every stored record, and their types: a row
# without them is corrupt (checked on every read: cheap, and it keeps a raw
# KeyError out of a boto3 call).
_REQUIRED = {
    SNAPSHOT: (("SnapshotIdentifier", str), ("ClusterIdentifier", str), ("SnapshotCreateTime", _dt.datetime),
               ("Status", str), ("SnapshotType", str), ("OwnerAccount", str), ("SnapshotArn", str)),
    CLUSTER: (("ClusterIdentifier", str), ("ClusterStatus", str)),
}


def _records_table(table: str, column: str) -> str:
    """A records table as schema version 2 made it (migrations build on it)."""
    return f"""CREATE TABLE {table} (
        seq INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        {column} TEXT NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (account_id, region, {column})
    )"""


# Schema version 3: the columns the service's clock and the quota read, the event log.
_VERSION_3 = (
    "ALTER TABLE snapshots ADD COLUMN due INTEGER",
    "ALTER TABLE snapshots ADD COLUMN snapshot_type TEXT",
    "ALTER TABLE clusters ADD COLUMN due INTEGER",
    "CREATE INDEX snapshots_due ON snapshots (due) WHERE due IS NOT NULL",
    "CREATE INDEX clusters_due ON clusters (due) WHERE due IS NOT NULL",
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        date INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_date ON events (account_id, region, date, event_id)",
)


def _fill_snapshot_types(connection: sqlite3.Connection) -> None:
    """Migration 2 -> 3: copy each stored snapshot's type into its new column
    (a row that does not decode keeps NULL; reading it reports it)."""
    rows = connection.execute("SELECT seq, record FROM snapshots").fetchall()
    for seq, text in rows:
        try:
            snapshot_type = json.loads(text).get("SnapshotType")
        except (ValueError, AttributeError, RecursionError):
            continue
        if isinstance(snapshot_type, str):
            connection.execute("UPDATE snapshots SET snapshot_type = ? WHERE seq = ?", (snapshot_type, seq))


_TABLES = {"snapshots", "clusters", "calls", "events", "snapshots_due", "clusters_due", "events_by_date"}
"""Every table and index of the current schema."""
_Step = Union[str, Callable[[sqlite3.Connection], None]]
_SCHEMA: tuple[_Step, ...] = (
    _records_table("snapshots", "snapshot_id"),
    _records_table("clusters", "cluster_id"),
    """CREATE TABLE calls (
        seq INTEGER PRIMARY KEY,
        call TEXT NOT NULL
    )""",
    *_VERSION_3,
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# Schema changes: bump SCHEMA_VERSION, update _SCHEMA and _TABLES, and add
# _MIGRATIONS[n] = the steps that turn version n into n + 1 (SQL statements,
# or functions of the connection; ending with "PRAGMA user_version = n + 1").
# _prepare() applies them in order, inside one BEGIN IMMEDIATE transaction; a
# file with no migration path is refused.
_MIGRATIONS: Dict[int, tuple[_Step, ...]] = {
    # 1 -> 2: clusters became backend state (they were interceptor configuration).
    1: (_records_table("clusters", "cluster_id"), "PRAGMA user_version = 2"),
    # 2 -> 3: due times (the service's own work), snapshot types (the quota), events.
    # Records written before have no due time: the service has nothing scheduled for them.
    2: (*_VERSION_3, _fill_snapshot_types, "PRAGMA user_version = 3"),
}

# The columns copied out of a record of each kind when it is stored.
_COLUMNS = {SNAPSHOT: ("due", "snapshot_type"), CLUSTER: ("due",)}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MICROSECOND = _dt.timedelta(microseconds=1)


def _micros(when: Optional[_dt.datetime]) -> Optional[int]:
    """An aware datetime as whole microseconds since 1970 (an index orders these exactly)."""
    return None if when is None else _micros_at(when)


def _micros_at(when: _dt.datetime) -> int:
    return (when - _EPOCH) // _MICROSECOND


def _from_micros(value: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(microseconds=value)


def _columns(kind: str, record: Record) -> tuple:
    due = _micros(record.get(DUE))
    return (due, record.get("SnapshotType")) if kind == SNAPSHOT else (due,)


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (``sqlite_errorcode`` is new in Python 3.11)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "locked" in str(exc) or "busy" in str(exc)
    return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


class BackendError(Exception):
    """A backend cannot use its storage: a foreign, corrupt, unwritable or
    newer file, or a database that stayed locked longer than the timeout.
    The message says what to do."""


class _Restart(Exception):
    """A unit that started deferred met another writer: run it again as
    ``BEGIN IMMEDIATE``."""


# ---------------------------------------------------------------- records as JSON

_DATETIME = "$datetime"  # no Snapshot-shape structure has a member of that name


def _encode_value(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return {_DATETIME: value.isoformat()}
    raise TypeError(f"a snapshot record cannot hold {type(value).__name__} {value!r}")


def _decode_object(obj: Dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATETIME in obj:
        return _dt.datetime.fromisoformat(obj[_DATETIME])
    return obj


def encode_record(record: Record) -> str:
    """JSON that :func:`decode_record` turns back into an equal record, with
    the same key order and types (an aware datetime keeps its offset)."""
    return json.dumps(record, default=_encode_value, separators=(",", ":"))


def decode_record(text: str) -> Record:
    return json.loads(text, object_hook=_decode_object)


def decode_row(text: str, where: str, corrupt: Callable[[str, str], Exception],
               required: Sequence[tuple[str, type]] = ()) -> Dict[str, Any]:
    """The JSON object a stored row holds (a record, a journal entry, an
    event), with each ``(name, type)`` of ``required``; otherwise raises
    ``corrupt(where, what is wrong)``, the backend's error naming its store.
    Every backend that stores JSON text checks its rows with this."""
    try:
        value = decode_record(text)
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise corrupt(where, f"{type(error).__name__}: {error}") from None
    if not isinstance(value, dict):
        raise corrupt(where, f"a JSON {type(value).__name__}, not an object")
    for name, kind_of_value in required:
        if not isinstance(value.get(name), kind_of_value):
            raise corrupt(where, f"no {kind_of_value.__name__} {name}")
    return value


# ---------------------------------------------------------------- fork safety

# A connection opened before fork() must never be used, nor even closed, in
# the child (https://sqlite.org/howtocorrupt.html#fork). Before a fork the
# parent closes its idle connections; the child starts an empty pool with a
# fresh lock, and parks any inherited connection here, unused and unclosed.
_BACKENDS: weakref.WeakSet[SqliteBackend] = weakref.WeakSet()
_INHERITED: List[sqlite3.Connection] = []


def _before_fork() -> None:
    for backend in list(_BACKENDS):
        backend._close_idle()


def _after_fork_in_child() -> None:
    for backend in list(_BACKENDS):
        backend._lock = threading.Lock()
        _INHERITED.extend(backend._idle)
        backend._idle = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


class _Connection(sqlite3.Connection):
    pid: int


# ---------------------------------------------------------------- the backend


class SqliteBackend:
    """Snapshots and clusters in a SQLite file, shared by every thread and
    process that opens the same path.

    ``path`` is created (with its schema) if missing or empty. A file that is
    not a SQLite database, belongs to another application, or was written by
    a newer redshift-intercept raises :class:`BackendError` and is left
    untouched. ``timeout`` bounds, in seconds, how long a call waits for
    another connection's write transaction; past it the call raises
    :class:`BackendError`.

    Thread-safe and fork-safe. ``close()`` (or ``with SqliteBackend(...)``)
    releases the connections; the file stays.
    """

    def __init__(self, path: Union[str, os.PathLike], *, timeout: float = 30.0) -> None:
        name = os.fspath(path)
        if not isinstance(name, str):
            raise TypeError(f"path must be a str or os.PathLike of str, got {name!r}")
        if name in ("", ":memory:") or name.startswith("file:"):
            raise ValueError(f"SqliteBackend needs a file path, got {name!r}; "
                             "for snapshots in this process only, use MemoryBackend()")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        self.path: str = os.path.abspath(name)
        self.timeout: float = float(timeout)
        self._lock = threading.Lock()
        self._local = threading.local()  # .connection: the unit this thread is in
        self._idle: List[_Connection] = []
        self._closed = False
        self._check_writable()
        connection = self._connect(configure=False)
        try:
            self._prepare(connection)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)
        _BACKENDS.add(self)

    def __repr__(self) -> str:
        state = " (closed)" if self._closed else ""
        return f"<SqliteBackend {self.path!r}{state}>"

    def __enter__(self) -> SqliteBackend:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # e.g. at interpreter shutdown
            self._close_idle()

    def close(self) -> None:
        """Close this object's connections. Later calls raise BackendError;
        calls already running finish first. Closing twice is harmless."""
        self._closed = True
        self._close_idle()

    # ------------------------------------------------------------ protocol

    def insert(self, account_id: str, region: str, record: Record, kind: str = SNAPSHOT) -> bool:
        """Store ``record`` under its identifier; return False (and store
        nothing) if that identifier is already taken."""
        table, column = _table(kind)
        extra = _COLUMNS[kind]
        row = (account_id, region, record[key_of(kind)], encode_record(record), *_columns(kind, record))
        names = ", ".join(extra)
        marks = ", ?" * len(extra)
        with self._use(f"inserting a {kind}") as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO {table} (account_id, region, {column}, record, {names}) "
                f"VALUES (?, ?, ?, ?{marks})", row)
            return cursor.rowcount == 1  # 0: the unique key turned it away

    def get(self, account_id: str, region: str, identifier: str, kind: str = SNAPSHOT) -> Optional[Record]:
        """The record, or None."""
        table, column = _table(kind)
        with self._use(f"reading a {kind}") as connection:
            rows = connection.execute(
                f"SELECT seq, record FROM {table} WHERE account_id = ? AND region = ? AND {column} = ?",
                (account_id, region, identifier)).fetchall()
        return self._decode(kind, rows[0][0], rows[0][1]) if rows else None

    def list(self, account_id: Optional[str], region: str, kind: str = SNAPSHOT) -> List[Record]:
        """``SnapshotBackend.list``, in insertion order."""
        table, _ = _table(kind)
        with self._use(f"listing {kind}s") as connection:
            if account_id is None:
                rows = connection.execute(
                    f"SELECT seq, record FROM {table} WHERE region = ? ORDER BY seq", (region,)).fetchall()
            else:
                rows = connection.execute(
                    f"SELECT seq, record FROM {table} WHERE account_id = ? AND region = ? ORDER BY seq",
                    (account_id, region)).fetchall()
        return [self._decode(kind, seq, text) for seq, text in rows]

    def update(self, account_id: str, region: str, identifier: str,
               change: Callable[[Record], Record], kind: str = SNAPSHOT) -> Optional[Record]:
        """``SnapshotBackend.update``: ``change`` runs inside one transaction."""
        table, _ = _table(kind)

        def work() -> Optional[Record]:
            connection = self._local.connection
            found = self._find(connection, kind, account_id, region, identifier)
            if found is None:
                return None
            seq, record = found
            updated = change(record)
            text = encode_record(updated)
            assignments = "".join(f", {name} = ?" for name in _COLUMNS[kind])
            with self._errors(f"updating a {kind}"):
                connection.execute(f"UPDATE {table} SET record = ?{assignments} WHERE seq = ?",
                                   (text, *_columns(kind, updated), seq))
            return updated

        return self.atomic(work)

    def remove(self, account_id: str, region: str, identifier: str,
               check: Callable[[Record], None], kind: str = SNAPSHOT) -> Optional[Record]:
        """``SnapshotBackend.remove``: ``check`` runs inside one transaction."""
        table, _ = _table(kind)

        def work() -> Optional[Record]:
            connection = self._local.connection
            found = self._find(connection, kind, account_id, region, identifier)
            if found is None:
                return None
            seq, record = found
            check(record)
            with self._errors(f"removing a {kind}"):
                connection.execute(f"DELETE FROM {table} WHERE seq = ?", (seq,))
            return record

        return self.atomic(work)

    def atomic(self, work: Callable[[], T], write: bool = True) -> T:
        """``SnapshotBackend.atomic``: one SQLite transaction, ``BEGIN
        IMMEDIATE`` (or deferred for ``write=False``, run again as immediate
        if it meets another writer)."""
        if getattr(self._local, "connection", None) is not None:
            return work()  # nested: part of the outer transaction
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        while True:
            with self._connection() as connection:
                with self._errors("starting a transaction"):
                    connection.execute(begin)
                self._local.connection, self._local.deferred = connection, begin == "BEGIN"
                try:
                    result = work()
                except _Restart:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                    begin = "BEGIN IMMEDIATE"
                    continue
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):  # else _release closes it
                        connection.execute("ROLLBACK")
                    raise
                finally:
                    self._local.connection = None
                with self._errors("committing a transaction"):
                    connection.execute("COMMIT")
                return result

    # ------------------------------------------------------------ the service's clock

    def next_due(self) -> Optional[_dt.datetime]:
        """``SnapshotBackend.next_due``: two lookups in the partial ``due`` indexes."""
        with self._use("reading what is due") as connection:
            row = connection.execute(
                "SELECT min(d) FROM ("
                "SELECT (SELECT due FROM snapshots WHERE due IS NOT NULL ORDER BY due LIMIT 1) AS d "
                "UNION ALL SELECT (SELECT due FROM clusters WHERE due IS NOT NULL ORDER BY due LIMIT 1))").fetchone()
        return None if row[0] is None else _from_micros(row[0])

    def due(self, until: _dt.datetime, limit: int) -> List[Due]:
        """``SnapshotBackend.due``: a range of the ``due`` indexes."""
        bound = _micros(until)
        with self._use("reading what is due") as connection:
            rows = connection.execute(
                "SELECT * FROM (SELECT 'snapshot', account_id, region, seq, record, due FROM snapshots "
                "WHERE due IS NOT NULL AND due <= ? ORDER BY due LIMIT ?) "
                "UNION ALL SELECT * FROM (SELECT 'cluster', account_id, region, seq, record, due FROM clusters "
                "WHERE due IS NOT NULL AND due <= ? ORDER BY due LIMIT ?) ORDER BY 6 LIMIT ?",
                (bound, limit, bound, limit, limit)).fetchall()
        return [(kind, account_id, region, self._decode(kind, seq, text))
                for kind, account_id, region, seq, text, _ in rows]

    def count(self, account_id: str, region: str, field: str, value: Any, limit: int,
              kind: str = SNAPSHOT) -> int:
        """``SnapshotBackend.count``: snapshot types from their column (the
        rows of one account and region, up to ``limit``); other fields by
        reading the records."""
        table, _ = _table(kind)
        with self._use(f"counting {kind}s") as connection:
            if kind == SNAPSHOT and field == "SnapshotType":
                return connection.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM snapshots WHERE account_id = ? AND region = ? "
                    "AND snapshot_type = ? LIMIT ?)", (account_id, region, value, limit)).fetchone()[0]
            rows = connection.execute(f"SELECT seq, record FROM {table} WHERE account_id = ? AND region = ?",
                                      (account_id, region))
            counted = 0
            for seq, text in rows:
                if counted >= limit:
                    break
                if self._decode(kind, seq, text).get(field) == value:
                    counted += 1
            return counted

    def append_event(self, account_id: str, region: str, event: Dict[str, Any]) -> None:
        """``SnapshotBackend.append_event``."""
        row = (account_id, region, _micros_at(event["Date"]), event[EVENT_ID], encode_record(event))
        with self._use("recording an event") as connection:
            connection.execute("INSERT INTO events (account_id, region, date, event_id, event) "
                               "VALUES (?, ?, ?, ?, ?)", row)

    def read_events(self, account_id: str, region: str, start: Optional[_dt.datetime] = None,
                    end: Optional[_dt.datetime] = None, after: Optional[EventKey] = None,
                    limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """``SnapshotBackend.read_events``: a range of the ``events_by_date`` index."""
        low = -(2**62) if start is None else _micros_at(start)
        high = 2**63 - 1 if end is None else _micros_at(end)
        after_date, after_id = (low - 1, "") if after is None else (_micros_at(after[0]), after[1])
        with self._use("reading events") as connection:
            rows = connection.execute(
                "SELECT seq, event FROM events WHERE account_id = ? AND region = ? AND date >= ? AND date <= ? "
                "AND (date > ? OR (date = ? AND event_id > ?)) ORDER BY date, event_id LIMIT ?",
                (account_id, region, max(low, after_date), high, after_date, after_date, after_id,
                 -1 if limit is None else limit)).fetchall()
        return [self._decode_log("events", seq, text) for seq, text in rows]

    # ------------------------------------------------------------ call journal

    def append_call(self, call: Dict[str, Any]) -> None:
        """Append one call record (a JSON-able dict; datetimes allowed) to the
        journal every process using this file shares; inside ``atomic`` it
        commits with the unit's changes."""
        text = encode_record(call)
        with self._use("recording a call") as connection:
            connection.execute("INSERT INTO calls (call) VALUES (?)", (text,))

    def read_calls(self) -> List[Dict[str, Any]]:
        """Every journaled call, oldest first, from every process."""
        with self._use("reading the call journal") as connection:
            rows = connection.execute("SELECT seq, call FROM calls ORDER BY seq").fetchall()
        return [self._decode_log("calls", seq, text) for seq, text in rows]

    def clear_calls(self) -> int:
        """Empty the journal (for every process using the file); how many calls it held."""
        with self._use("clearing the call journal") as connection:
            return connection.execute("DELETE FROM calls").rowcount

    def count_calls(self) -> int:
        with self._use("reading the call journal") as connection:
            return connection.execute("SELECT count(*) FROM calls").fetchone()[0]

    # ------------------------------------------------------------ internals

    def _find(self, connection: sqlite3.Connection, kind: str, account_id: str, region: str,
              identifier: str) -> Optional[tuple[int, Record]]:
        table, column = _table(kind)
        with self._errors(f"reading a {kind}"):
            rows = connection.execute(
                f"SELECT seq, record FROM {table} WHERE account_id = ? AND region = ? AND {column} = ?",
                (account_id, region, identifier)).fetchall()
        return (rows[0][0], self._decode(kind, rows[0][0], rows[0][1])) if rows else None

    def _decode(self, kind: str, seq: int, text: str) -> Record:
        """The record a row holds; BackendError if it is not one."""
        return decode_row(text, f"{_table(kind)[0]} row {seq}", self._corrupt, _REQUIRED[kind])

    def _decode_log(self, table: str, seq: int, text: str) -> Dict[str, Any]:
        """An entry of the call journal or the event log; BackendError if it is not one."""
        return decode_row(text, f"{table} row {seq}", self._corrupt)

    def _corrupt(self, where: str, problem: str) -> BackendError:
        return BackendError(
            f"SQLite database {self.path}: {where} is corrupt ({problem}); it was left as it is. "
            "Something other than redshift-intercept wrote to the file: restore it from a copy, "
            "or give SqliteBackend a new file.")

    def _error(self, exc: sqlite3.Error, doing: str) -> BackendError:
        if _is_busy(exc):
            return BackendError(
                f"SQLite database {self.path} stayed locked for more than {self.timeout:g} s "
                f"while {doing}: another connection held a write transaction that long. "
                "Pass a larger timeout (SqliteBackend(path, timeout=...)), run fewer "
                "concurrent writers, or end the other program's transaction.")
        return BackendError(f"SQLite database {self.path}: error while {doing}: {exc}")

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn sqlite3 errors into BackendError (a busy error inside a unit
        that started deferred into ``_Restart``). Never wraps user callbacks."""
        try:
            yield
        except sqlite3.Error as exc:
            if getattr(self._local, "deferred", False) and self._local.connection is not None and _is_busy(exc):
                raise _Restart() from exc
            raise self._error(exc, doing) from exc

    @contextlib.contextmanager
    def _use(self, doing: str) -> Iterator[sqlite3.Connection]:
        """The connection of the unit this thread is in, else one of the pool
        (autocommit); sqlite3 errors become BackendError."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            with self._errors(doing):
                yield connection
            return
        with self._connection() as pooled, self._errors(doing):
            yield pooled

    @staticmethod
    def _configure(connection: sqlite3.Connection) -> None:
        # WAL + NORMAL: no fsync per commit, and a crash still cannot corrupt the file.
        connection.execute("PRAGMA synchronous = NORMAL")

    def _connect(self, configure: bool = True) -> _Connection:
        with self._errors("opening the database"):
            # Pooled connections move between threads, one thread at a time.
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                         check_same_thread=False, factory=_Connection)
            if configure:  # reads the file: only once _prepare() has checked it
                try:
                    self._configure(connection)
                except BaseException:
                    connection.close()
                    raise
        connection.pid = os.getpid()
        return connection

    def _check_writable(self) -> None:
        """BackendError, saying what is read-only, before SQLite reports it
        as something else: the file is written, and WAL mode also creates
        ``-wal`` and ``-shm`` files beside it."""
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise BackendError(f"cannot create {self.path}: the directory {directory} does not exist")
        if os.path.exists(self.path):
            if os.path.isdir(self.path):
                raise BackendError(f"{self.path} is a directory; SqliteBackend needs a file path")
            if not os.access(self.path, os.R_OK | os.W_OK):
                raise BackendError(f"{self.path} is read-only (or unreadable) for this user: redshift-intercept "
                                   "writes its state there. Make it writable, or copy it somewhere writable.")
            if not os.access(directory, os.W_OK | os.X_OK) and not os.path.exists(self.path + "-shm"):
                raise BackendError(f"the directory {directory} is read-only: SQLite needs to create "
                                   f"{os.path.basename(self.path)}-wal and -shm beside the file. Make the directory "
                                   "writable, or copy the file somewhere writable.")
        elif not os.access(directory, os.W_OK | os.X_OK):
            raise BackendError(f"cannot create {self.path}: the directory {directory} is read-only for this user")

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Check the file and create or migrate the schema; never write to a
        file that is not ours."""
        version = self._inspect(connection)
        if version:
            self._quick_check(connection)
        mode = self._enable_wal(connection)
        if mode.lower() != "wal":
            raise BackendError(f"SQLite database {self.path}: cannot enable WAL mode (got "
                               f"{mode!r}); put the file on a local file system")
        with self._errors("opening the database"):
            self._configure(connection)
        if version == SCHEMA_VERSION:
            return
        with self._errors("creating the schema"):
            connection.execute("BEGIN IMMEDIATE")
            try:
                version = self._inspect(connection)  # another process may have won the race
                if version == 0:
                    statements: tuple[_Step, ...] = _SCHEMA
                else:
                    statements = tuple(sql for step in range(version, SCHEMA_VERSION)
                                       for sql in _MIGRATIONS[step])
                for step in statements:
                    if callable(step):
                        step(connection)
                    else:
                        connection.execute(step)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _quick_check(self, connection: sqlite3.Connection) -> None:
        """``PRAGMA quick_check``: damage found when the file is opened, not
        later as a listing that silently misses records (about 1.3 ms per
        1,000 snapshots)."""
        try:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise self._error(exc, "checking the database") from exc
            problems = [str(exc)]
        if problems != ["ok"]:
            raise BackendError(
                f"SQLite database {self.path} is damaged ({'; '.join(problems)}). It was left untouched: "
                "restore it from a copy, or give SqliteBackend a new file.")

    def _enable_wal(self, connection: sqlite3.Connection) -> str:
        """Switch to WAL; the resulting journal mode. The switch needs an
        exclusive lock and, while other connections open the same new file,
        can fail at once without SQLite's busy wait: retry until the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.Error as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise self._error(exc, "enabling WAL mode") from exc
            time.sleep(0.002)

    def _inspect(self, connection: sqlite3.Connection) -> int:
        """The file's schema version, 0 for an empty database; BackendError
        for anything we must not touch."""
        own_transaction = not connection.in_transaction  # one snapshot for all three reads
        try:
            if own_transaction:
                connection.execute("BEGIN")
            try:
                application_id = connection.execute("PRAGMA application_id").fetchone()[0]
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                tables = {name for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'")}
            finally:
                if own_transaction and connection.in_transaction:
                    connection.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise self._error(exc, "opening the database") from exc
            raise BackendError(
                f"{self.path} is not a SQLite database, or it is corrupt ({exc}). It was left "
                "untouched: give SqliteBackend a new file, or delete this one.") from exc
        if application_id == 0 and version == 0 and not tables:
            return 0
        if application_id != APPLICATION_ID:
            listed = ", ".join(sorted(tables)) or "none"
            raise BackendError(
                f"{self.path} is a SQLite database that redshift-intercept did not create "
                f"(application_id {application_id}, user_version {version}, tables: {listed}). "
                "It was left untouched: give SqliteBackend a file of its own.")
        if version > SCHEMA_VERSION:
            raise BackendError(
                f"{self.path} was written by a newer redshift-intercept (schema version {version}; "
                f"this one reads version {SCHEMA_VERSION}). It was left untouched: upgrade "
                "redshift-intercept, or use another file.")
        if version < SCHEMA_VERSION and any(step not in _MIGRATIONS
                                            for step in range(version, SCHEMA_VERSION)):
            raise BackendError(
                f"{self.path} has redshift-intercept schema version {version}, which this version "
                f"cannot migrate to {SCHEMA_VERSION}. It was left untouched: use another file.")
        if version == SCHEMA_VERSION and tables != _TABLES:
            raise BackendError(
                f"{self.path} has unexpected tables ({', '.join(sorted(tables))}) for "
                f"redshift-intercept schema version {version}. It was left untouched: "
                "use another file.")
        return version

    @contextlib.contextmanager
    def _connection(self) -> Iterator[_Connection]:
        """A connection of this process for the duration of one call."""
        if self._closed:
            raise BackendError(f"SqliteBackend {self.path} is closed; open a new "
                               "SqliteBackend to use the file again")
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._connect()
        try:
            yield connection
        finally:
            self._release(connection)

    def _release(self, connection: _Connection) -> None:
        if connection.pid != os.getpid():  # checked out before a fork: never touch it
            _INHERITED.append(connection)
        elif self._closed or connection.in_transaction:
            connection.close()  # closing rolls back whatever a failure left open
        else:
            with self._lock:
                self._idle.append(connection)
            if self._closed:  # close() ran meanwhile
                self._close_idle()

    def _close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            if connection.pid == os.getpid():
                connection.close()
            else:
                _INHERITED.append(connection)


def _table(kind: str) -> tuple[str, str]:
    key_of(kind)  # ValueError for an unknown kind
    return _TABLE_OF[kind]
