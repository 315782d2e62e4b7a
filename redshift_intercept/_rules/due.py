"""When the service next has work to do on a record: the ``DUE`` a record
carries, computed from its state, in one place.

A snapshot is due when its creation settles (``PENDING``), when a deleted
cluster's hold on it ends (``PIN``), and when its retention runs out: a
manual snapshot's from its own fields, an automated snapshot's as the
lifecycle sets it (its cluster's retention; the newest automated snapshot
of a cluster has none). A cluster is due at the earliest of the steps in its
``LIFE``: becoming available, its restore finishing, its next automated
snapshot, the next step of its deletion.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Dict, Optional

from .._backend import DUE, Record
from .._records import PENDING

PIN = "redshift_intercept:pin"
"""A snapshot's private key while a deleted cluster still uses it:
``{"cluster": "deleted-<n>", "until": datetime or None}``."""
LIFE = "redshift_intercept:life"
"""A cluster's private key: the service's own plans for it (see ``cluster_due``)."""

PRIVATE = frozenset({PENDING, DUE, PIN, LIFE})
"""Every private key a stored record may carry; never rendered."""


def later(when: _dt.datetime, delta: _dt.timedelta) -> Optional[_dt.datetime]:
    """``when + delta``; None past year 9999 (a time that never comes)."""
    try:
        return when + delta
    except OverflowError:
        return None


def retention_end(record: Record) -> Optional[_dt.datetime]:
    """When a manual snapshot's retention runs out; None if kept forever."""
    retention = record.get("ManualSnapshotRetentionPeriod", -1)
    if retention == -1 or record.get("SnapshotType") != "manual":
        return None
    start = record.get("SnapshotRetentionStartTime") or record["SnapshotCreateTime"]
    return later(start, _dt.timedelta(days=retention))


def snapshot_due(record: Record) -> Optional[_dt.datetime]:
    """The next time the service acts on a snapshot, from its fields alone
    (an automated snapshot keeps the due time the lifecycle gave it)."""
    pending = record.get(PENDING)
    if pending is not None:  # creating: it settles first (at None: held until complete_creation)
        return pending["at"]
    pin = record.get(PIN)
    if pin is not None:  # retention waits until the hold ends
        return pin["until"]
    if record.get("SnapshotType") == "automated":
        return record.get(DUE)
    return retention_end(record)


def with_due(record: Record, due: Any = "computed") -> Record:
    """``record`` (a new dict if anything changes) with its ``DUE`` set to
    ``due``, by default ``snapshot_due(record)``; absent when None."""
    when = snapshot_due(record) if due == "computed" else due
    if record.get(DUE) == when and (when is not None or DUE not in record):
        return record
    changed = dict(record)
    if when is None:
        changed.pop(DUE, None)
    else:
        changed[DUE] = when
    return changed


def due_at(when: Optional[_dt.datetime]) -> Callable[[Record], Record]:
    """A change (for ``backend.update``) that sets a record's ``DUE`` to ``when``."""
    return lambda record: with_due(record, when)


def life(cluster: Record) -> Dict[str, Any]:
    """A copy of the cluster's plans (empty for a cluster with none)."""
    return dict(cluster.get(LIFE) or {})


def cluster_due(plans: Dict[str, Any]) -> Optional[_dt.datetime]:
    """The earliest step in a cluster's plans: ``settle`` (becoming available,
    ``{"at", ...}``), ``restore`` (its data transfer finishing, ``{"done",
    ...}``), ``backup`` (the next automated snapshot, a datetime) and
    ``delete`` (the next step of its deletion, ``{"at", ...}``)."""
    times = []
    if plans.get("settle"):
        times.append(plans["settle"]["at"])
    elif plans.get("restore") and plans["restore"].get("done") is not None:
        times.append(plans["restore"]["done"])
    if plans.get("backup") is not None:
        times.append(plans["backup"])
    if plans.get("delete"):
        times.append(plans["delete"]["at"])
    return min(times) if times else None


def with_plans(cluster: Record, plans: Dict[str, Any]) -> Record:
    """``cluster`` (a new dict) carrying ``plans`` and the ``DUE`` they make."""
    changed = {k: v for k, v in cluster.items() if k not in (LIFE, DUE)}
    kept = {k: v for k, v in plans.items() if v not in (None, [], {})}
    if kept:
        changed[LIFE] = kept
    when = cluster_due(kept)
    if when is not None:
        changed[DUE] = when
    return changed
