"""Storage: the ``SnapshotBackend`` protocol and ``MemoryBackend``.

A backend only stores, finds and atomically changes records. It knows no
Redshift rule: the rules run above it (``_rules/``), so every backend
behaves the same. Records are dicts in the botocore ``Snapshot`` or
``Cluster`` shape (``kind`` says which); a backend must treat the records it
is given and returns as read-only values.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, TypeVar, Union, runtime_checkable

Snapshot = Dict[str, Any]
Record = Dict[str, Any]
T = TypeVar("T")

SNAPSHOT = "snapshot"
CLUSTER = "cluster"
KINDS: Dict[str, str] = {SNAPSHOT: "SnapshotIdentifier", CLUSTER: "ClusterIdentifier"}
"""Every kind of record a backend stores, and the field that identifies a record of that kind."""


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
            if self._undo is not None:
                self._undo.append(lambda: bucket.__setitem__(identifier, old))
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
                self._undo.append(lambda: _put_back(bucket, identifier, entry))
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


def _put_back(bucket: Dict[str, tuple], identifier: str, entry: tuple) -> None:
    """Undo a removal: the record back in its place in the order (rare, so O(n) is fine)."""
    bucket[identifier] = entry
    ordered = sorted(bucket.items(), key=lambda item: item[1][0])
    bucket.clear()
    bucket.update(ordered)


def resolve_backend(backend: Union[SnapshotBackend, str, None]) -> SnapshotBackend:
    """A backend object from ``None``, a backend, or a short form:
    ``"memory"``, ``"sqlite://"`` (a new temporary file) or
    ``"sqlite:///path/to/file.db"``."""
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
        raise ValueError(f"backend {backend!r} is not a backend short form: use 'memory', 'sqlite://' "
                         "(a new temporary file) or 'sqlite:///path/to/file.db'")
    if not isinstance(backend, SnapshotBackend):
        raise TypeError("backend must implement redshift_intercept.SnapshotBackend "
                        "(insert, get, list, update, remove, atomic), e.g. MemoryBackend(), or be a short "
                        f"form such as 'sqlite:///state.db'; got {type(backend).__name__}")
    return backend
