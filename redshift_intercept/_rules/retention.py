"""ModifyClusterSnapshot: a manual snapshot's retention period."""

from __future__ import annotations

from typing import Any, Dict

from .._backend import Snapshot
from .._errors import ServiceError, invalid_retention, invalid_state
from .._records import retention_ok
from .scope import Scope, change_own


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
        return {**record, "ManualSnapshotRetentionPeriod": retention}

    return change_own(scope, snapshot_id, None, modify)
