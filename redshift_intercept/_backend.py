"""Snapshot storage: the ``SnapshotBackend`` protocol and ``MemoryBackend``.

A backend only stores, finds and atomically removes records. It knows no
Redshift rule: the rules run above it (``_rules.py``), so every backend
behaves the same. Records are dicts in the ``Snapshot`` shape; a backend must
treat the records it is given and returns as read-only values.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Union, runtime_checkable

Snapshot = Dict[str, Any]


@runtime_checkable
class SnapshotBackend(Protocol):
    """Where snapshot records live, keyed by (account id, region, snapshot id).

    Implementations must be safe to call from several threads at once.
    """

    def insert(self, account_id: str, region: str, snapshot: Snapshot) -> bool:
        """Store ``snapshot`` under its ``SnapshotIdentifier``; return False
        (and store nothing) if that identifier is already taken."""
        ...

    def get(self, account_id: str, region: str, snapshot_id: str) -> Optional[Snapshot]:
        """The record, or None."""
        ...

    def list(self, account_id: Optional[str], region: str) -> List[Snapshot]:
        """Every record of one account and region, in insertion order;
        ``account_id=None``: of every account in the region (snapshots shared
        across accounts are found this way)."""
        ...

    def update(self, account_id: str, region: str, snapshot_id: str,
               change: Callable[[Snapshot], Snapshot]) -> Optional[Snapshot]:
        """Atomically: find the record (None if absent), store and return
        ``change(record)`` in its place.

        No other call may change or remove the record in between; if
        ``change`` raises, the exception propagates and the record stays
        exactly as it was. ``change`` returns a new dict; it never mutates
        its argument, and never changes ``SnapshotIdentifier``.
        """
        ...

    def remove(self, account_id: str, region: str, snapshot_id: str,
               check: Callable[[Snapshot], None]) -> Optional[Snapshot]:
        """Atomically: find the record (None if absent), call ``check(record)``
        and, unless it raised, remove the record and return it.

        No other call may change or remove the record between the check and
        the removal; if ``check`` raises, the exception propagates and the
        record stays exactly as it was.
        """
        ...


@runtime_checkable
class CallJournal(Protocol):
    """Optional backend extension: a journal of answered calls that every
    process sharing the backend appends to (``intercept(journal=True)``)."""

    def append_call(self, call: Dict[str, Any]) -> None:
        """Append one call record (a dict of JSON values and datetimes)."""
        ...

    def read_calls(self) -> List[Dict[str, Any]]:
        """Every call record, oldest first."""
        ...


class MemoryBackend:
    """The reference backend: dicts in this process, guarded by one lock.

    Thread-safe. State lives as long as the object; share one instance
    between interceptors to share state.
    """

    _key = "SnapshotIdentifier"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, str], dict[str, Snapshot]] = {}
        self._calls: List[Dict[str, Any]] = []

    def __repr__(self) -> str:
        count = sum(len(v) for v in self._data.values())
        return f"<MemoryBackend: {count} snapshot(s)>"

    def insert(self, account_id: str, region: str, snapshot: Snapshot) -> bool:
        snapshot_id = snapshot[self._key]
        with self._lock:
            bucket = self._data.setdefault((account_id, region), {})
            if snapshot_id in bucket:
                return False
            bucket[snapshot_id] = snapshot
            return True

    def get(self, account_id: str, region: str, snapshot_id: str) -> Optional[Snapshot]:
        bucket = self._data.get((account_id, region))
        return None if bucket is None else bucket.get(snapshot_id)

    def list(self, account_id: Optional[str], region: str) -> List[Snapshot]:
        with self._lock:
            if account_id is not None:
                return list(self._data.get((account_id, region), {}).values())
            return [record for (_, bucket_region), bucket in self._data.items()
                    if bucket_region == region for record in bucket.values()]

    def _bucket(self, account_id: str, region: str, snapshot_id: str) -> dict:
        """The bucket holding the record (empty if none); call under the lock."""
        bucket = self._data.get((account_id, region))
        return bucket if bucket is not None and snapshot_id in bucket else {}

    def update(self, account_id: str, region: str, snapshot_id: str,
               change: Callable[[Snapshot], Snapshot]) -> Optional[Snapshot]:
        with self._lock:
            bucket = self._bucket(account_id, region, snapshot_id)
            if not bucket:
                return None
            bucket[snapshot_id] = updated = change(bucket[snapshot_id])
            return updated

    def remove(self, account_id: str, region: str, snapshot_id: str,
               check: Callable[[Snapshot], None]) -> Optional[Snapshot]:
        with self._lock:
            bucket = self._bucket(account_id, region, snapshot_id)
            if not bucket:
                return None
            check(bucket[snapshot_id])
            return bucket.pop(snapshot_id)

    def append_call(self, call: Dict[str, Any]) -> None:
        self._calls.append(call)

    def read_calls(self) -> List[Dict[str, Any]]:
        return list(self._calls)


class Clusters(MemoryBackend):
    """Seeded clusters, keyed by ``ClusterIdentifier``: interceptor
    configuration, kept in this process."""

    _key = "ClusterIdentifier"


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
                        "(insert, get, list, update, remove), e.g. MemoryBackend(), or be a short form "
                        f"such as 'sqlite:///state.db'; got {type(backend).__name__}")
    return backend
