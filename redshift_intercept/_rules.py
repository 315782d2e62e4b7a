"""The Redshift rules, one function per answered operation.

A rule takes the decoded request parameters and the scope (backend, account,
region), applies exactly what the service does, and returns the result in the
operation's output shape, or raises ``ServiceError`` with the modelled code.
Messages whose real text is not public are ours; README documents them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict

from ._backend import Snapshot, SnapshotBackend
from ._errors import ServiceError

DELETABLE_STATES = ("available", "failed", "cancelled")


@dataclass(frozen=True)
class Scope:
    """Whose snapshots a call sees: one account in one region."""

    backend: SnapshotBackend
    account_id: str
    region: str


def snapshot_not_found(snapshot_id: str) -> ServiceError:
    return ServiceError("ClusterSnapshotNotFound", f"Snapshot {snapshot_id} not found.")


def _deletable(snapshot_id: str, cluster_id: str | None) -> Callable[[Snapshot], None]:
    def check(record: Snapshot) -> None:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise snapshot_not_found(snapshot_id)
        if record["SnapshotType"] != "manual":
            raise ServiceError(
                "InvalidClusterSnapshotState",
                f"Cannot delete the snapshot {snapshot_id} because only manual snapshots "
                "may be deleted; automated snapshots are removed by Amazon Redshift when "
                "their retention period ends.",
            )
        if record["Status"] not in DELETABLE_STATES:
            raise ServiceError(
                "InvalidClusterSnapshotState",
                f"Cannot delete the snapshot {snapshot_id} because it is in the "
                f"'{record['Status']}' state. A snapshot can be deleted in the available, "
                "failed or cancelled state.",
            )
        shared = record.get("AccountsWithRestoreAccess")
        if shared:
            accounts = ", ".join(a.get("AccountId") or a.get("AccountAlias", "?") for a in shared)
            raise ServiceError(
                "InvalidClusterSnapshotState",
                f"Cannot delete the snapshot {snapshot_id} because other accounts still have "
                f"access to it. Revoke access for {accounts} with RevokeSnapshotAccess first.",
            )

    return check


def delete_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id = params["SnapshotIdentifier"]
    check = _deletable(snapshot_id, params.get("SnapshotClusterIdentifier"))
    removed = scope.backend.remove(scope.account_id, scope.region, snapshot_id, check)
    if removed is None:
        raise snapshot_not_found(snapshot_id)
    return {"Snapshot": {**removed, "Status": "deleted"}}


Rule = Callable[[Scope, Dict[str, Any]], Dict[str, Any]]

OPERATIONS: Dict[str, Rule] = {
    "DeleteClusterSnapshot": delete_cluster_snapshot,
}
