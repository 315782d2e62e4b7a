"""CreateClusterSnapshot and CopyClusterSnapshot: new manual snapshots that
start ``creating`` and settle on the service's clock."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict

from .._backend import Snapshot
from .._errors import ServiceError, cluster_not_found, invalid_retention, invalid_state, invalid_value
from .._records import PENDING, check_identifier, new_snapshot, public, retention_ok, snapshot_fields_from_cluster
from .._tags import check_tags
from .clusters import check_snapshot_quota, find_cluster
from .due import with_due
from .lifecycle import record_event
from .scope import Scope, own, view


def require_available(record: Snapshot, verb: str) -> None:
    if record["Status"] != "available":
        raise invalid_state(f"Cannot {verb} the snapshot {record['SnapshotIdentifier']} because it is in "
                            f"the '{record['Status']}' state; it must be available.")


def _check_new_identifier(snapshot_id: str) -> None:
    try:
        check_identifier(snapshot_id, "SnapshotIdentifier")
    except ValueError as error:
        raise invalid_value(str(error)) from None


def _check_retention(params: Dict[str, Any], default: int) -> int:
    retention = params.get("ManualSnapshotRetentionPeriod", default)
    if not retention_ok(retention):
        raise invalid_retention(retention)
    return retention


def _pending(scope: Scope) -> Dict[str, Any]:
    delay = scope.creation_delay
    try:
        at = None if delay is None else scope.now + _dt.timedelta(seconds=delay)
    except OverflowError:  # settles after the year 9999: never
        at = None
    return {"at": at, "status": scope.creation_outcome}


def _already_exists(snapshot_id: str) -> ServiceError:
    return ServiceError("ClusterSnapshotAlreadyExists", f"Cannot create the snapshot because a snapshot with the "
                                                        f"identifier {snapshot_id} already exists.")


def _start_creating(scope: Scope, fields: Dict[str, Any], by: str) -> Snapshot:
    """Store a new manual snapshot in ``creating`` (it settles on the clock);
    it counts against the manual snapshot quota."""
    record = new_snapshot(scope.account_id, scope.region, fields, now=scope.now)
    snapshot_id = record["SnapshotIdentifier"]
    if scope.backend.get(scope.account_id, scope.region, snapshot_id) is not None:
        raise _already_exists(snapshot_id)
    check_snapshot_quota(scope)
    record["Status"] = "creating"
    record["BackupProgressInMegaBytes"] = 0.0
    record["CurrentBackupRateInMegaBytesPerSecond"] = 0.0
    record["EstimatedSecondsToCompletion"] = int(scope.creation_delay or 0)
    record["ElapsedTimeInSeconds"] = 0
    stored = with_due({**record, PENDING: _pending(scope)})
    if not scope.backend.insert(scope.account_id, scope.region, stored):
        raise _already_exists(snapshot_id)
    record_event(scope, scope.account_id, scope.region, "snapshot-started", scope.now, "started", by,
                 record["ClusterIdentifier"], snapshot_id)
    return record


def create_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id, cluster_id = params["SnapshotIdentifier"], params["ClusterIdentifier"]
    _check_new_identifier(snapshot_id)
    cluster = find_cluster(scope, cluster_id)
    if cluster is None:
        raise cluster_not_found(cluster_id)
    if cluster["ClusterStatus"] != "available":
        raise ServiceError("InvalidClusterState",
                           f"Cannot create a snapshot of cluster {cluster_id} in the "
                           f"'{cluster['ClusterStatus']}' state; it must be available.")
    retention = _check_retention(params, cluster.get("ManualSnapshotRetentionPeriod", -1))
    tags = params.get("Tags", [])
    check_tags(tags)
    fields = snapshot_fields_from_cluster(cluster)
    fields.update(SnapshotIdentifier=snapshot_id, SnapshotType="manual",
                  ManualSnapshotRetentionPeriod=retention, Tags=tags, SnapshotCreateTime=scope.now)
    return {"Snapshot": view(scope, _start_creating(scope, fields, "CreateClusterSnapshot"))}


def copy_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    source_id, target_id = params["SourceSnapshotIdentifier"], params["TargetSnapshotIdentifier"]
    source = own(scope, source_id, params.get("SourceSnapshotClusterIdentifier"))
    if source["SnapshotType"] != "automated":
        raise invalid_state(f"Cannot copy the snapshot {source_id}: only automated snapshots can "
                            "be copied to a manual snapshot.")
    require_available(source, "copy")
    _check_new_identifier(target_id)
    retention = _check_retention(params, -1)
    fields = {k: v for k, v in public(source).items()
              if k not in ("SnapshotArn", "Tags", "AccountsWithRestoreAccess", "Status",
                           "ManualSnapshotRemainingDays", "SnapshotRetentionStartTime")}
    fields.update(SnapshotIdentifier=target_id, SnapshotType="manual",
                  ManualSnapshotRetentionPeriod=retention, SnapshotRetentionStartTime=scope.now)
    return {"Snapshot": view(scope, _start_creating(scope, fields, "CopyClusterSnapshot"))}
