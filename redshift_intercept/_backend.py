"""Storage: the ``SnapshotBackend`` protocol and ``MemoryBackend``.

A backend only stores, finds and atomically changes records. It knows no
Redshift rule: the rules run above it (``_rules/``), so every backend
behaves the same. Records are dicts in the botocore ``Snapshot`` or
``Cluster`` shape (``kind`` says which); a backend must treat the records it
is given and returns as read-only values.

Time moves the service (``_rules/lifecycle``) without a background thread
and without a scan of the store: a record the service has work to do on
carries its due time under ``DUE``, and a backend finds the records that are
due through an index (``next_due``, ``due``). Events the service records go
to an event log ordered by date (``append_event``, ``read_events``).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import heapq
import itertools
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple, TypeVar, Union, runtime_checkable

Snapshot = Dict[str, Any]
Record = Dict[str, Any]
T = TypeVar("T")

SNAPSHOT = "snapshot"
CLUSTER = "cluster"
KINDS: Dict[str, str] = {SNAPSHOT: "SnapshotIdentifier", CLUSTER: "ClusterIdentifier"}
"""Every kind of record a backend stores, and the field that identifies a record of that kind."""

DUE = "redshift_intercept:due"
"""Reserved record key: when the service next has work to do on this record
(an aware datetime), absent when it has none. A backend indexes it: it is the
one field a backend reads besides the identifier (and, for ``count``, the
field it is asked about)."""

Due = Tuple[str, str, str, Record]
"""(kind, account id, region, record): one record that is due."""

EVENT_ID = "redshift_intercept:event"
"""Reserved event key: a string unique to the event. Events are ordered by
(``Date``, ``EVENT_ID``); the rules make ids that sort in the order events
are made."""
EventKey = Tuple[_dt.datetime, str]
"""(``Date``, ``EVENT_ID``) of an event: its place in the event log."""


@runtime_checkable
class SnapshotBackend(Protocol):
    """Where records live: snapshots and clusters, each keyed by (account
    id, region, identifier); ``kind`` (``"snapshot"``, the default, or
    ``"cluster"``) names the kind, and the kinds never see each other.

    Implementations must be safe to call from several threads at once (and,
    if they share state between processes, from several processes).
    """

    def insert(self, account_id: str, region: str, record: Record, kind: str = SNAPSHOT) -> bool:
        """Store ``record`` under its identifier; return False (and store
        nothing) if that identifier is already taken."""
        ...

    def get(self, account_id: str, region: str, identifier: str, kind: str = SNAPSHOT) -> Optional[Record]:
        """The record, or None."""
        ...

    def list(self, account_id: Optional[str], region: str, kind: str = SNAPSHOT) -> List[Record]:
        """Every record of one account and region, in insertion order;
        ``account_id=None``: of every account in the region (snapshots shared
        across accounts are found this way)."""
        ...

    def update(self, account_id: str, region: str, identifier: str,
               change: Callable[[Record], Record], kind: str = SNAPSHOT) -> Optional[Record]:
        """Atomically: find the record (None if absent), store and return
        ``change(record)`` in its place, keeping its place in the order.

        No other call may change or remove the record in between; if
        ``change`` raises, the exception propagates and the record stays
        exactly as it was. ``change`` returns a new dict; it never mutates
        its argument, and never changes the identifier.
        """
        ...

    def remove(self, account_id: str, region: str, identifier: str,
               check: Callable[[Record], None], kind: str = SNAPSHOT) -> Optional[Record]:
        """Atomically: find the record (None if absent), call ``check(record)``
        and, unless it raised, remove the record and return it.

        No other call may change or remove the record between the check and
        the removal; if ``check`` raises, the exception propagates and the
        record stays exactly as it was.
        """
        ...

    def atomic(self, work: Callable[[], T], write: bool = True) -> T:
        """Run ``work()`` as one unit and return what it returns.

        Every call ``work`` makes to this backend from this thread (the
        call journal's included) sees one consistent state, no other call
        changes what it reads, and its changes take effect together, or
        not at all if ``work`` raises (the exception propagates). A nested
        ``atomic`` joins the outer one. ``write=False`` says that ``work``
        will probably only read (a backend may then let others run beside
        it). A backend may run ``work`` again after a conflict, so ``work``
        has no effect outside the backend.
        """
        ...

    # ------------------------------------------------------------ the service's clock

    def next_due(self) -> Optional[_dt.datetime]:
        """The earliest ``DUE`` of any record, of any kind, account and
        region; None if no record has one. Called before every answered
        call: it must not grow with the number of records (an index, a heap)."""
        ...

    def due(self, until: _dt.datetime, limit: int) -> List[Due]:
        """(kind, account id, region, record) of at most ``limit`` records
        whose ``DUE`` is at or before ``until``, earliest first (ties in any
        order), each record once; the cost grows with ``limit``, not with the
        number of records."""
        ...

    def count(self, account_id: str, region: str, field: str, value: Any, limit: int,
              kind: str = SNAPSHOT) -> int:
        """How many records of one account and region have ``record[field] ==
        value``, counting up to ``limit`` (the answer is ``min(count, limit)``,
        and a backend may stop there). The rules count manual snapshots
        (``field="SnapshotType"``) against the snapshot quota; that count must
        not grow with the records that do not match."""
        ...

    def append_event(self, account_id: str, region: str, event: Dict[str, Any]) -> None:
        """Add one event (a dict of JSON values and datetimes with an aware
        ``Date`` and a unique ``EVENT_ID`` string) to the account's and
        region's event log; inside ``atomic`` it takes effect with the unit's
        changes."""
        ...

    def read_events(self, account_id: str, region: str, start: Optional[_dt.datetime] = None,
                    end: Optional[_dt.datetime] = None, after: Optional[EventKey] = None,
                    limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The events of one account and region whose ``Date`` is within
        ``start``..``end`` (inclusive; None: unbounded) and whose (``Date``,
        ``EVENT_ID``) comes after ``after`` (None: from the first), ordered by
        (``Date``, ``EVENT_ID``), at most ``limit`` (None: all). The cost
        grows with the events returned, not with the whole log."""
        ...


@runtime_checkable
class CallJournal(Protocol):
    """Optional backend extension: a journal of answered calls that every
    process sharing the backend appends to (``intercept(journal=True)``).
    An entry appended inside ``atomic`` commits with the changes made there."""

    def append_call(self, call: Dict[str, Any]) -> None:
        """Append one call record (a dict of JSON values and datetimes)."""
        ...

    def read_calls(self) -> List[Dict[str, Any]]:
        """Every call record, oldest first."""
        ...

    def clear_calls(self) -> int:
        """Forget every call record; return how many there were."""
        ...


@runtime_checkable
class PageScan(Protocol):
    """Optional backend extension: snapshots a page at a time in the order
    ``DescribeClusterSnapshots`` lists them by default, from an index, so
    that a describe page costs the same however many snapshots are stored.
    The describe rule uses it when the backend has it, and otherwise lists
    and sorts (``list``)."""

    def scan_snapshots(self, account_id: Optional[str], region: str, after: Optional[tuple],
                       limit: int) -> List[Record]:
        """Up to ``limit`` snapshots of one account (``None``: of every
        account) in ``region``, ordered by (``SnapshotCreateTime``,
        ``OwnerAccount``, ``SnapshotIdentifier``) (strings by code point),
        starting right after the key ``after`` (``None``: from the first)."""
        ...


def key_of(kind: str) -> str:
    """The identifying field of ``kind``; ``ValueError`` for a kind no backend stores."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}") from None


class MemoryBackend:
    """The reference backend: dicts in this process, guarded by one
    re-entrant lock. ``atomic`` holds the lock and keeps an undo log, so a
    unit that raises leaves nothing behind.

    Due records are found through a heap of (due, number, kind, account,
    region, id) entries, checked against the record when they reach the
    top (a changed or removed record leaves a stale entry behind, dropped
    then); events are kept per account and region in date order.

    Thread-safe. State lives as long as the object; share one instance
    between interceptors to share state.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        # (kind, account, region) -> id -> (insertion number, record); the
        # number puts a record removed by a unit that failed back in its place.
        self._data: Dict[tuple, Dict[str, tuple]] = {}
        self._inserted = itertools.count()
        self._calls: List[Dict[str, Any]] = []
        self._undo: Optional[List[Callable[[], object]]] = None  # set while atomic() runs (lock held)
        self._heap: List[tuple] = []
        self._heap_compacted = 0  # the heap's size after its last compaction
        # (account, region) -> [(date, number, event)], sorted
        self._events: Dict[tuple, List[tuple]] = {}

    def __repr__(self) -> str:
        counts = {kind: sum(len(v) for k, v in self._data.items() if k[0] == kind) for kind in KINDS}
        return f"<MemoryBackend: {counts[SNAPSHOT]} snapshot(s), {counts[CLUSTER]} cluster(s)>"

    # ------------------------------------------------------------ records

    def insert(self, account_id: str, region: str, record: Record, kind: str = SNAPSHOT) -> bool:
        identifier = record[key_of(kind)]
        with self._lock:
            bucket = self._data.setdefault((kind, account_id, region), {})
            if identifier in bucket:
                return False
            bucket[identifier] = (next(self._inserted), record)
            self._schedule(record, kind, account_id, region, identifier)
            if self._undo is not None:
                self._undo.append(lambda: bucket.pop(identifier, None))
            return True

    def get(self, account_id: str, region: str, identifier: str, kind: str = SNAPSHOT) -> Optional[Record]:
        bucket = self._data.get((kind, account_id, region))
        if bucket is None:
            return None
        found = bucket.get(identifier)
        return None if found is None else found[1]

    def list(self, account_id: Optional[str], region: str, kind: str = SNAPSHOT) -> List[Record]:
        key_of(kind)
        with self._lock:
            if account_id is not None:
                return [entry[1] for entry in self._data.get((kind, account_id, region), {}).values()]
            return [entry[1] for (bucket_kind, _, bucket_region), bucket in self._data.items()
                    if bucket_kind == kind and bucket_region == region for entry in bucket.values()]

    def _bucket(self, kind: str, account_id: str, region: str, identifier: str) -> Dict[str, tuple]:
        """The bucket holding the record (empty if none); call under the lock."""
        bucket = self._data.get((kind, account_id, region))
        return bucket if bucket is not None and identifier in bucket else {}

    def update(self, account_id: str, region: str, identifier: str,
               change: Callable[[Record], Record], kind: str = SNAPSHOT) -> Optional[Record]:
        with self._lock:
            bucket = self._bucket(kind, account_id, region, identifier)
            if not bucket:
                return None
            old = bucket[identifier]
            updated = change(old[1])
            bucket[identifier] = (old[0], updated)
            if updated.get(DUE) != old[1].get(DUE):
                self._schedule(updated, kind, account_id, region, identifier)
            if self._undo is not None:
                self._undo.append(lambda: self._restore(bucket, kind, account_id, region, identifier, old))
            return updated

    def remove(self, account_id: str, region: str, identifier: str,
               check: Callable[[Record], None], kind: str = SNAPSHOT) -> Optional[Record]:
        with self._lock:
            bucket = self._bucket(kind, account_id, region, identifier)
            if not bucket:
                return None
            check(bucket[identifier][1])
            entry = bucket.pop(identifier)
            if self._undo is not None:
                self._undo.append(lambda: self._restore(bucket, kind, account_id, region, identifier, entry, True))
            return entry[1]

    def atomic(self, work: Callable[[], T], write: bool = True) -> T:
        with self._lock:
            if self._undo is not None:  # nested: part of the outer unit
                return work()
            undo: List[Callable[[], object]] = []
            self._undo = undo
            try:
                return work()
            except BaseException:
                for step in reversed(undo):
                    step()
                raise
            finally:
                self._undo = None

    def _restore(self, bucket: Dict[str, tuple], kind: str, account_id: str, region: str, identifier: str,
                 entry: tuple, removed: bool = False) -> None:
        """Undo an update or a removal; the record is due again if it was
        (its heap entry may have been dropped as stale meanwhile)."""
        if removed:
            _put_back(bucket, identifier, entry)
        else:
            bucket[identifier] = entry
        self._schedule(entry[1], kind, account_id, region, identifier)

    # ------------------------------------------------------------ the service's clock

    def _schedule(self, record: Record, kind: str, account_id: str, region: str, identifier: str) -> None:
        """Put the record's DUE on the heap (call under the lock)."""
        due = record.get(DUE)
        if due is None:
            return
        heap = self._heap
        heapq.heappush(heap, (due, next(self._inserted), kind, account_id, region, identifier))
        if len(heap) > 2 * self._heap_compacted + 64:
            self._compact()

    def _current(self, entry: tuple) -> Optional[Record]:
        """The record a heap entry stands for, if the entry is not stale."""
        due, _, kind, account_id, region, identifier = entry
        bucket = self._data.get((kind, account_id, region))
        found = None if bucket is None else bucket.get(identifier)
        if found is None or found[1].get(DUE) != due:
            return None
        return found[1]

    def _compact(self) -> None:
        """Drop stale and repeated entries: the heap stays proportional to
        the records that are due, however often due times change."""
        seen = set()
        kept = []
        for entry in self._heap:
            key = entry[2:]
            if key not in seen and self._current(entry) is not None:
                seen.add(key)
                kept.append(entry)
        heapq.heapify(kept)
        self._heap = kept
        self._heap_compacted = len(kept)

    def next_due(self) -> Optional[_dt.datetime]:
        with self._lock:
            heap = self._heap
            while heap:
                if self._current(heap[0]) is not None:
                    return heap[0][0]
                heapq.heappop(heap)
            return None

    def due(self, until: _dt.datetime, limit: int) -> List[Due]:
        with self._lock:
            heap = self._heap
            found: List[Due] = []
            kept = []
            seen = set()
            while heap and heap[0][0] <= until and len(found) < limit:
                entry = heapq.heappop(heap)
                key = entry[2:]
                record = self._current(entry)
                if record is None or key in seen:
                    continue
                seen.add(key)
                kept.append(entry)
                found.append((entry[2], entry[3], entry[4], record))
            for entry in kept:  # still due until the caller changes the record
                heapq.heappush(heap, entry)
            return found

    def count(self, account_id: str, region: str, field: str, value: Any, limit: int,
              kind: str = SNAPSHOT) -> int:
        key_of(kind)
        counted = 0
        with self._lock:
            for _, record in self._data.get((kind, account_id, region), {}).values():
                if counted >= limit:
                    break
                if record.get(field) == value:
                    counted += 1
        return counted

    def append_event(self, account_id: str, region: str, event: Dict[str, Any]) -> None:
        with self._lock:
            events = self._events.setdefault((account_id, region), [])
            key = (event["Date"], event[EVENT_ID])
            if not events or events[-1][:2] <= key:  # the usual case: in time order, appended
                events.append((*key, event))
            else:
                events.insert(bisect.bisect_right(events, key, key=_event_key), (*key, event))
            if self._undo is not None:
                self._undo.append(lambda: events.pop(bisect.bisect_left(events, key, key=_event_key)))

    def read_events(self, account_id: str, region: str, start: Optional[_dt.datetime] = None,
                    end: Optional[_dt.datetime] = None, after: Optional[EventKey] = None,
                    limit: Optional[int] = None) -> List[Dict[str, Any]]:
        with self._lock:
            events = self._events.get((account_id, region), [])
            low = 0 if start is None else bisect.bisect_left(events, start, key=_event_date)
            if after is not None:
                low = max(low, bisect.bisect_right(events, tuple(after), key=_event_key))
            high = len(events) if end is None else bisect.bisect_right(events, end, key=_event_date)
            if limit is not None:
                high = min(high, low + limit)
            return [entry[2] for entry in events[low:high]]

    # ------------------------------------------------------------ call journal

    def append_call(self, call: Dict[str, Any]) -> None:
        with self._lock:
            calls = self._calls
            calls.append(call)
            if self._undo is not None:
                self._undo.append(calls.pop)

    def read_calls(self) -> List[Dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> int:
        with self._lock:
            count = len(self._calls)
            self._calls = []
            return count


def _event_key(entry: tuple) -> tuple:
    return entry[:2]


def _event_date(entry: tuple) -> Any:
    return entry[0]


def _put_back(bucket: Dict[str, tuple], identifier: str, entry: tuple) -> None:
    """Undo a removal: the record back in its place in the order (rare, so O(n) is fine)."""
    bucket[identifier] = entry
    ordered = sorted(bucket.items(), key=lambda item: item[1][0])
    bucket.clear()
    bucket.update(ordered)


def resolve_backend(backend: Union[SnapshotBackend, str, None]) -> SnapshotBackend:
    """A backend object from ``None``, a backend, or a short form:
    ``"memory"``, ``"sqlite://"`` (a new temporary file),
    ``"sqlite:///path/to/file.db"`` or ``"postgresql://user@host:port/dbname"``
    (``PostgresBackend``, which needs the ``postgres`` extra)."""
    if backend is None or backend == "memory":
        return MemoryBackend()
    if isinstance(backend, str):
        if backend in ("sqlite", "sqlite://"):
            import tempfile

            from ._sqlite import SqliteBackend

            return SqliteBackend(os.path.join(tempfile.mkdtemp(prefix="redshift-intercept-"), "state.db"))
        if backend.startswith("sqlite:///"):
            from ._sqlite import SqliteBackend

            return SqliteBackend(backend[len("sqlite:///"):])
        if backend.startswith(("postgresql://", "postgres://")):
            from ._postgres import PostgresBackend

            return PostgresBackend(backend)
        raise ValueError(f"backend {backend!r} is not a backend short form: use 'memory', 'sqlite://' "
                         "(a new temporary file), 'sqlite:///path/to/file.db' or "
                         "'postgresql://user@host:port/dbname'")
    if not isinstance(backend, SnapshotBackend):
        raise TypeError("backend must implement redshift_intercept.SnapshotBackend "
                        "(insert, get, list, update, remove, atomic, next_due, due, count, append_event, read_events), "
                        "e.g. MemoryBackend(), or be a short "
                        f"form such as 'sqlite:///state.db'; got {type(backend).__name__}")
    return backend
