"""DeleteClusterSnapshot and BatchDeleteClusterSnapshots: one rule for both."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from .._backend import Snapshot
from .._errors import ServiceError, invalid_state, snapshot_not_found
from .._records import PENDING
from .clusters import pinned_by
from .lifecycle import record_event
from .scope import Scope, settled, view

DELETABLE_STATES = ("available", "failed", "cancelled")
MAX_BATCH_DELETE = 100


def _deletable(scope: Scope, snapshot_id: str, cluster_id: Optional[str]) -> Callable[[Snapshot], None]:
    def check(record: Snapshot) -> None:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise snapshot_not_found(snapshot_id)
        if record["SnapshotType"] != "manual":
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because only manual snapshots "
                "may be deleted; automated snapshots are removed by Amazon Redshift when "
                "their retention period ends.")
        if record["Status"] not in DELETABLE_STATES:
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because it is in the "
                f"'{record['Status']}' state. A snapshot can be deleted in the available, "
                "failed or cancelled state.")
        holder = pinned_by(record, scope.now)
        if holder is not None:  # [O] the real text; when it happens is our model (README)
            raise invalid_state(
                f"You can't delete snapshot {snapshot_id} because it is used by cluster {holder}. "
                "The snapshot can be deleted after a newer backup is created.")
        shared = record.get("AccountsWithRestoreAccess")
        if shared:
            accounts = ", ".join(a.get("AccountId") or a.get("AccountAlias", "?") for a in shared)
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because other accounts still have "
                f"access to it. Revoke access for {accounts} with RevokeSnapshotAccess first.")

    return check


def _delete_one(scope: Scope, snapshot_id: str, cluster_id: Optional[str], by: str) -> Snapshot:
    record = scope.backend.get(scope.account_id, scope.region, snapshot_id)
    if record is not None and PENDING in record:
        settled(scope, record)
    removed = scope.backend.remove(scope.account_id, scope.region, snapshot_id,
                                   _deletable(scope, snapshot_id, cluster_id))
    if removed is None:
        raise snapshot_not_found(snapshot_id)
    record_event(scope, scope.account_id, scope.region, "snapshot-deleted", scope.now, "deleted", by,
                 removed["ClusterIdentifier"], snapshot_id)
    return removed


def delete_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    removed = _delete_one(scope, params["SnapshotIdentifier"], params.get("SnapshotClusterIdentifier"),
                          "DeleteClusterSnapshot")
    return {"Snapshot": view(scope, removed, Status="deleted")}


def batch_delete_cluster_snapshots(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    entries = params.get("Identifiers", [])
    if len(entries) > MAX_BATCH_DELETE:
        raise ServiceError("BatchDeleteRequestSizeExceeded",
                           f"The request contains {len(entries)} snapshot identifiers; a batch "
                           f"delete takes at most {MAX_BATCH_DELETE}.")
    resources: List[str] = []
    errors: List[Dict[str, str]] = []
    refused = scope.refused
    for index, entry in enumerate(entries):
        snapshot_id = entry.get("SnapshotIdentifier", "")
        cluster_id = entry.get("SnapshotClusterIdentifier")
        try:
            if index in refused:
                raise refused[index]
            _delete_one(scope, snapshot_id, cluster_id, "BatchDeleteClusterSnapshots")
        except ServiceError as error:
            failure = {"SnapshotIdentifier": snapshot_id, "FailureCode": error.code,
                       "FailureReason": error.message}
            if cluster_id is not None:
                failure["SnapshotClusterIdentifier"] = cluster_id
            errors.append(failure)
        else:
            resources.append(snapshot_id)
    return {"Resources": resources, "Errors": errors}
