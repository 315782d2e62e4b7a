"""ModifyClusterSnapshot: a manual snapshot's retention period. A period
that has already passed needs ``Force``, which deletes the snapshot at once,
as AWS documents ("you can specify the force option to immediately delete
the snapshot")."""

from __future__ import annotations

from typing import Any, Dict

from .._backend import Snapshot
from .._errors import ServiceError, invalid_retention, invalid_state
from .._records import PENDING, retention_ok
from .due import retention_end, with_due
from .lifecycle import record_event
from .scope import Scope, change_own, view


def modify_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id = params["SnapshotIdentifier"]
    retention = params.get("ManualSnapshotRetentionPeriod")
    force = params.get("Force", False)

    def modify(record: Snapshot) -> Snapshot:
        if retention is None:
            return record
        if record["SnapshotType"] != "manual":
            raise invalid_state(f"Cannot modify the retention period of the snapshot {snapshot_id}: "
                                "only manual snapshots have one.")
        if not retention_ok(retention):
            raise invalid_retention(retention)
        start = record.get("SnapshotRetentionStartTime") or record["SnapshotCreateTime"]
        if retention != -1 and not force and (scope.now - start).days >= retention:
            raise ServiceError(
                "InvalidRetentionPeriodFault",
                f"The retention period {retention} has already passed for the snapshot "
                f"{snapshot_id}, which would be deleted at once. Use Force=True to apply it anyway.")
        return with_due({**record, "ManualSnapshotRetentionPeriod": retention})

    result = change_own(scope, snapshot_id, None, modify)
    changed = scope.backend.get(scope.account_id, scope.region, snapshot_id)
    end = None if changed is None else retention_end(changed)
    if changed is not None and end is not None and end <= scope.now and PENDING not in changed:
        scope.backend.remove(scope.account_id, scope.region, snapshot_id, lambda r: None)
        record_event(scope, scope.account_id, scope.region, "snapshot-deleted", scope.now, "deleted",
                     "ModifyClusterSnapshot", changed["ClusterIdentifier"], snapshot_id)
        return {"Snapshot": view(scope, changed, Status="deleted")}
    return result
