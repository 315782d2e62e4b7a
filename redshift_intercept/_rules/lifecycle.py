"""What the service does on its own as its clock moves: snapshots settle,
clusters become available, restores finish, automated snapshots are taken
every eight hours and expire past their cluster's retention, manual
snapshots expire past their retention, deleted clusters go.

Nothing runs in a background thread. Every answered call first catches the
service up to its own instant (``catch_up``, inside the call's unit): one
``next_due()`` when nothing is due, else the records that are due, earliest
first, from the backend's due index (never a scan of the store), each moved
to its next due time or removed. A step is idempotent (it re-reads its
record inside the unit, and automated snapshot ids are deterministic), so
processes sharing a backend never do a step twice.

Events are dated when the step was due, not when a call noticed it.
"""

from __future__ import annotations

import datetime as _dt
import zlib
from typing import Any, Dict, List, Optional

from .._backend import CLUSTER, DUE, SNAPSHOT, Record
from .._events import SERVICE, new_event
from .._records import PENDING, new_snapshot, snapshot_fields_from_cluster
from .due import PIN, cluster_due, due_at, later, life, retention_end, with_due, with_plans
from .scope import Scope, finish_creation

BACKUP_INTERVAL = _dt.timedelta(hours=8)
"""AWS: "By default Amazon Redshift takes a snapshot about every eight hours"
(the 5 GB-per-node rule is not modelled)."""
BATCH = 100
"""Due records read per ``due()`` call while catching up."""


def catch_up(scope: Scope) -> None:
    """Do everything that came due up to ``scope.now``, in due order."""
    backend = scope.backend
    due = backend.next_due()
    if due is None:
        return
    now = scope.now
    if due > now:
        return
    while True:
        batch = backend.due(now, BATCH)
        if not batch:
            return
        batch.sort(key=lambda item: (item[3][DUE], item[0] == CLUSTER))  # at the same time, snapshots first
        for kind, account_id, region, stale in batch:
            identifier = stale["SnapshotIdentifier" if kind == SNAPSHOT else "ClusterIdentifier"]
            record = backend.get(account_id, region, identifier, kind)  # an earlier step may have changed it
            if record is None or record.get(DUE) is None or record[DUE] > now:
                continue
            if kind == SNAPSHOT:
                _snapshot_step(scope, account_id, region, record, now)
            else:
                _cluster_steps(scope, account_id, region, record, now)


def record_event(scope: Scope, account_id: str, region: str, kind: str, at: _dt.datetime, action: str,
                 by: str, cluster: str, snapshot: Optional[str] = None) -> None:
    scope.backend.append_event(account_id, region, new_event(kind, at, action, by, cluster, snapshot))


# ---------------------------------------------------------------- snapshots


def _snapshot_step(scope: Scope, account_id: str, region: str, record: Record, now: _dt.datetime) -> None:
    backend = scope.backend
    snapshot_id, cluster_id = record["SnapshotIdentifier"], record["ClusterIdentifier"]
    pending = record.get(PENDING)
    if pending is not None:  # a creation settles
        settled = finish_creation(record)
        backend.update(account_id, region, snapshot_id, lambda _: settled)
        final = record["Status"] == "final snapshot"
        failed = settled["Status"] == "failed"
        kind = ("final-" if final else "snapshot-") + ("failed" if failed else "completed")
        record_event(scope, account_id, region, kind, pending["at"], "failed" if failed else "completed",
                     SERVICE, cluster_id, snapshot_id)
        return
    pin = record.get(PIN)
    if pin is not None:  # a deleted cluster's hold ends
        unpinned = with_due({k: v for k, v in record.items() if k != PIN})
        backend.update(account_id, region, snapshot_id, lambda _: unpinned)
        return
    if record["SnapshotType"] == "automated":
        _expire_automated(scope, account_id, region, record)
        return
    expired_at = retention_end(record)
    if expired_at is None or expired_at > now:  # its retention changed meanwhile: due later, or never
        backend.update(account_id, region, snapshot_id, with_due)
        return
    backend.remove(account_id, region, snapshot_id, _no_check)
    record_event(scope, account_id, region, "snapshot-deleted", expired_at, "expired", SERVICE, cluster_id,
                 snapshot_id)


def _expire_automated(scope: Scope, account_id: str, region: str, record: Record) -> None:
    backend = scope.backend
    snapshot_id, cluster_id = record["SnapshotIdentifier"], record["ClusterIdentifier"]
    cluster = backend.get(account_id, region, cluster_id, CLUSTER)
    plans = life(cluster) if cluster is not None else {}
    automated = list(plans.get("automated", ()))
    if automated and automated[-1][1] == snapshot_id:
        # "Amazon Redshift retains the latest automated snapshot until you disable
        # automated snapshots or delete the cluster."
        backend.update(account_id, region, snapshot_id, due_at(None))
        return
    expired_at = record[DUE]
    backend.remove(account_id, region, snapshot_id, _no_check)
    record_event(scope, account_id, region, "automated-deleted", expired_at, "expired", SERVICE, cluster_id,
                 snapshot_id)
    if cluster is not None and any(entry[1] == snapshot_id for entry in automated):
        plans["automated"] = [entry for entry in automated if entry[1] != snapshot_id]
        backend.update(account_id, region, cluster_id, lambda c: with_plans(c, plans), CLUSTER)


def _no_check(record: Record) -> None:
    pass


# ---------------------------------------------------------------- automated snapshots


def automated_id(cluster_id: str, at: _dt.datetime) -> str:
    """``rs:<cluster>-YYYY-MM-DD-HH-MM-SS`` of the snapshot's create time (UTC)."""
    return f"rs:{cluster_id}-{at.astimezone(_dt.timezone.utc):%Y-%m-%d-%H-%M-%S}"


def retention_days(cluster: Record) -> int:
    return int(cluster.get("AutomatedSnapshotRetentionPeriod", 1))


def _automated_snapshot(account_id: str, region: str, cluster: Record, at: _dt.datetime) -> Record:
    fields = snapshot_fields_from_cluster(cluster)
    fields.update(SnapshotIdentifier=automated_id(cluster["ClusterIdentifier"], at), SnapshotType="automated",
                  SnapshotCreateTime=at, Status="available")
    return new_snapshot(account_id, region, fields, now=at)


def _take_backups(scope: Scope, account_id: str, region: str, cluster: Record, plans: Dict[str, Any],
                  now: _dt.datetime) -> None:
    """The automated snapshots due up to ``now``: only those still within the
    cluster's retention at ``now`` are made (after a long jump, the ones that
    would have come and gone meanwhile are never created and leave no event)."""
    first = plans["backup"]
    days = retention_days(cluster)
    if cluster.get("ClusterStatus") != "available" or days <= 0:
        plans["backup"] = None
        return
    retention = _dt.timedelta(days=days)
    last = (now - first) // BACKUP_INTERVAL
    cutoff = now - retention
    start = 0 if first > cutoff else min(last, (cutoff - first) // BACKUP_INTERVAL + 1)
    automated: List[list] = list(plans.get("automated", ()))
    previous_newest = automated[-1] if automated else None
    backend = scope.backend
    taken = 0
    for step in range(start, last + 1):
        at = first + step * BACKUP_INTERVAL
        snapshot = _automated_snapshot(account_id, region, cluster, at)
        expires = later(at, retention) if step < last else None
        if expires is not None:
            snapshot[DUE] = expires
        if backend.insert(account_id, region, snapshot):
            automated.append([at, snapshot["SnapshotIdentifier"]])
            taken += 1
            record_event(scope, account_id, region, "automated-taken", at, "taken", SERVICE,
                         cluster["ClusterIdentifier"], snapshot["SnapshotIdentifier"])
    if taken and previous_newest is not None:  # no longer the newest: it expires with its retention
        backend.update(account_id, region, previous_newest[1], due_at(later(previous_newest[0], retention)))
    plans["automated"] = automated
    plans["backup"] = later(first, (last + 1) * BACKUP_INTERVAL)


def remove_automated(scope: Scope, account_id: str, region: str, cluster_id: str, plans: Dict[str, Any],
                     at: _dt.datetime, action: str, by: str, keep: int = 0) -> None:
    """Delete the cluster's automated snapshots, all but the newest ``keep``
    (when it is deleted, or its automated snapshots are disabled)."""
    automated = list(plans.get("automated", ()))
    doomed, kept = (automated[:-keep], automated[-keep:]) if keep else (automated, [])
    for _, snapshot_id in doomed:
        if scope.backend.remove(account_id, region, snapshot_id, _no_check) is not None:
            record_event(scope, account_id, region, "automated-deleted", at, action, by, cluster_id, snapshot_id)
    plans["automated"] = kept


def set_automated_retention(scope: Scope, account_id: str, region: str, cluster: Record, plans: Dict[str, Any],
                            days: int, now: _dt.datetime, by: str) -> None:
    """A new automated retention: 0 deletes every automated snapshot and stops
    taking them; a shorter one deletes at once those outside it; the newest
    is kept either way; turning them on takes the first one now."""
    cluster_id = cluster["ClusterIdentifier"]
    if days == 0:
        remove_automated(scope, account_id, region, cluster_id, plans, now, "deleted", by)
        plans["backup"] = None
        return
    retention = _dt.timedelta(days=days)
    automated = list(plans.get("automated", ()))
    kept = []
    for at, snapshot_id in automated[:-1]:
        end = later(at, retention)
        if end is not None and end <= now:
            if scope.backend.remove(account_id, region, snapshot_id, _no_check) is not None:
                record_event(scope, account_id, region, "automated-deleted", now, "deleted", by, cluster_id,
                             snapshot_id)
            continue
        scope.backend.update(account_id, region, snapshot_id, due_at(later(at, retention)))
        kept.append([at, snapshot_id])
    plans["automated"] = kept + automated[-1:]
    if plans.get("backup") is None and cluster.get("ClusterStatus") == "available" and not plans.get("delete"):
        plans["backup"] = now


def link_automated(scope: Scope, account_id: str, region: str, snapshot: Record) -> Record:
    """A seeded automated snapshot of an existing cluster joins the cluster's
    automated snapshots (it expires with the cluster's retention, unless it
    is the newest). Returns the snapshot as it is to be stored."""
    cluster = scope.backend.get(account_id, region, snapshot["ClusterIdentifier"], CLUSTER)
    if cluster is None:
        return snapshot  # of a cluster we do not know: nothing expires it
    plans = life(cluster)
    entry = [snapshot["SnapshotCreateTime"], snapshot["SnapshotIdentifier"]]
    automated = sorted([*plans.get("automated", ()), entry], key=lambda item: item[0])
    plans["automated"] = automated
    scope.backend.update(account_id, region, cluster["ClusterIdentifier"], lambda c: with_plans(c, plans), CLUSTER)
    days = retention_days(cluster)
    retention = _dt.timedelta(days=days)
    for at, snapshot_id in automated:
        due = None if days == 0 or snapshot_id == automated[-1][1] else later(at, retention)
        if snapshot_id == entry[1]:
            snapshot = with_due(snapshot, due)
        else:
            scope.backend.update(account_id, region, snapshot_id, due_at(due))
    return snapshot


def seeded_cluster_plans(scope: Scope, account_id: str, region: str, cluster: Record,
                         automated: List[Record]) -> Record:
    """A seeded cluster: its automated snapshots already stored (``automated``)
    join it, and an available cluster with automated snapshots on takes its
    next one eight hours after it was seeded (seeding says what the state is
    now; it does not say when the last backup was). Returns the cluster as it
    is to be stored; updates the snapshots' due times."""
    plans: Dict[str, Any] = {}
    days = retention_days(cluster)
    if cluster.get("ClusterStatus") == "available" and days > 0:
        plans["backup"] = later(scope.now, BACKUP_INTERVAL)
    ordered = sorted(automated, key=lambda r: r["SnapshotCreateTime"])
    plans["automated"] = [[r["SnapshotCreateTime"], r["SnapshotIdentifier"]] for r in ordered]
    retention = _dt.timedelta(days=days)
    for index, snapshot in enumerate(ordered):
        due = None if days == 0 or index == len(ordered) - 1 else later(snapshot["SnapshotCreateTime"], retention)
        scope.backend.update(account_id, region, snapshot["SnapshotIdentifier"],
                             due_at(due))
    return with_plans(cluster, plans)


# ---------------------------------------------------------------- clusters


def endpoint_address(cluster_id: str, account_id: str, region: str) -> str:
    digest = zlib.crc32(f"{account_id}/{region}/{cluster_id}".encode())
    return f"{cluster_id}.c{digest:08x}.{region}.redshift.amazonaws.com"


def _cluster_steps(scope: Scope, account_id: str, region: str, cluster: Record, now: _dt.datetime) -> None:
    plans = life(cluster)
    current: Optional[Record] = dict(cluster)
    while current is not None:
        step = cluster_due(plans)
        if step is None or step > now:
            break
        if plans.get("settle") and plans["settle"]["at"] == step:
            current = _become_available(scope, account_id, region, current, plans)
        elif plans.get("delete") and plans["delete"]["at"] == step:
            current = _deletion_step(scope, account_id, region, current, plans)
        elif plans.get("restore") and plans["restore"].get("done") == step and not plans.get("settle"):
            current = _restore_done(scope, account_id, region, current, plans)
        elif plans.get("backup") == step:
            _take_backups(scope, account_id, region, current, plans, now)
        else:  # pragma: no cover - cluster_due() only returns one of the times above
            raise AssertionError(f"cluster {cluster['ClusterIdentifier']}: no step is due at {step}")
    if current is not None:
        stored = with_plans(current, plans)
        scope.backend.update(account_id, region, cluster["ClusterIdentifier"], lambda _: stored, CLUSTER)


def _become_available(scope: Scope, account_id: str, region: str, cluster: Record,
                      plans: Dict[str, Any]) -> Record:
    settle = plans.pop("settle")
    at = settle["at"]
    cluster_id = cluster["ClusterIdentifier"]
    cluster.update(ClusterStatus="available", ClusterAvailabilityStatus="Available", PendingModifiedValues={},
                   Endpoint={"Address": endpoint_address(cluster_id, account_id, region),
                             "Port": settle.get("port", 5439)})
    restore = plans.get("restore")
    if restore is not None:
        restore["done"] = at + _dt.timedelta(seconds=restore.get("delay", 0))
        restore["available"] = at
        cluster["RestoreStatus"] = {**cluster.get("RestoreStatus", {}), "Status": "restoring"}
        record_event(scope, account_id, region, "restore-succeeded", at, "restored", SERVICE, cluster_id,
                     restore["snapshot"])
    else:
        record_event(scope, account_id, region, "cluster-created", at, "available", SERVICE, cluster_id)
    if retention_days(cluster) > 0:
        plans["backup"] = at  # the first automated snapshot as soon as the cluster is available
    return cluster


def _restore_done(scope: Scope, account_id: str, region: str, cluster: Record, plans: Dict[str, Any]) -> Record:
    restore = plans.pop("restore")
    at = restore["done"]
    status = dict(cluster.get("RestoreStatus", {}))
    size = status.get("SnapshotSizeInMegaBytes", 0.0)
    status.update(Status="completed", ProgressInMegaBytes=size, EstimatedTimeToCompletionInSeconds=0,
                  ElapsedTimeInSeconds=int((at - restore["started"]).total_seconds()))
    cluster["RestoreStatus"] = status
    if not str(cluster.get("NodeType", "")).startswith("ra3."):  # RA3 publishes no data-transfer event
        record_event(scope, account_id, region, "restore-transferred", at, "transferred", SERVICE,
                     cluster["ClusterIdentifier"], restore["snapshot"])
    return cluster


def _deletion_step(scope: Scope, account_id: str, region: str, cluster: Record,
                   plans: Dict[str, Any]) -> Optional[Record]:
    delete = plans["delete"]
    at = delete["at"]
    if delete["phase"] == "final-snapshot":  # the final snapshot is taken: now the cluster goes
        cluster.update(ClusterStatus="deleting")
        plans["delete"] = {**delete, "phase": "deleting", "at": at + _dt.timedelta(seconds=delete["delay"])}
        return cluster
    cluster_id = cluster["ClusterIdentifier"]
    remove_automated(scope, account_id, region, cluster_id, plans, at, "deleted with cluster", SERVICE)
    scope.backend.remove(account_id, region, cluster_id, _no_check, CLUSTER)
    record_event(scope, account_id, region, "cluster-deleted-final" if delete.get("final") else "cluster-deleted",
                 at, "deleted", SERVICE, cluster_id)
    return None

