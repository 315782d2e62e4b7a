"""RestoreFromClusterSnapshot: a new cluster from one of the caller's
snapshots or one shared with the caller's account. The new cluster takes the
snapshot's attributes, starts ``creating`` with ``RestoreStatus`` starting,
becomes available after ``cluster_delay`` and finishes loading its data
``restore_delay`` later (``RestoreStatus`` completed); the lifecycle does
both steps, with their events."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .._backend import CLUSTER, Record
from .._errors import ServiceError, invalid_combination, snapshot_not_found
from . import cluster_params as check
from .clusters import check_cluster_quotas, cluster_view, creating_cluster, find_cluster, group_fields, insert_cluster
from .lifecycle import record_event
from .scope import Scope, settled, shared_with, snapshot_arn_parts


def _lookup(scope: Scope, owner: str, snapshot_id: str) -> Optional[Record]:
    """SnapshotIdentifier "isn't case sensitive": the exact id, else its lowercase form."""
    found = scope.backend.get(owner, scope.region, snapshot_id)
    if found is None and snapshot_id != snapshot_id.lower():
        found = scope.backend.get(owner, scope.region, snapshot_id.lower())
    return found


def source_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    """The snapshot to restore from: the caller's own, or (with
    ``OwnerAccount``, or an ARN naming the owner) one shared with the caller."""
    snapshot_id, arn = params.get("SnapshotIdentifier"), params.get("SnapshotArn")
    if (snapshot_id is None) == (arn is None):
        raise invalid_combination("You must specify SnapshotIdentifier or SnapshotArn, but not both.")
    owner = params.get("OwnerAccount")
    cluster_id = params.get("SnapshotClusterIdentifier")
    if arn is not None:
        arn_owner, arn_cluster, snapshot_id = snapshot_arn_parts(scope, arn)
        if owner is not None and owner != arn_owner:
            raise snapshot_not_found(snapshot_id)
        owner, cluster_id = arn_owner, cluster_id or arn_cluster
    assert snapshot_id is not None
    owner = owner or scope.account_id  # "Required if you are restoring a snapshot you do not own"
    record = _lookup(scope, owner, snapshot_id)
    if record is None or (cluster_id is not None and record["ClusterIdentifier"] != cluster_id):
        raise snapshot_not_found(snapshot_id)
    if owner != scope.account_id and not (record["SnapshotType"] == "manual"
                                          and shared_with(record, scope.account_id)):
        raise ServiceError("AccessToSnapshotDenied",
                           "The owner of the specified snapshot has not authorized your account to access the "
                           f"snapshot: {snapshot_id} of account {owner} is not shared with {scope.account_id}.")
    record = settled(scope, record)
    if record["Status"] != "available":
        raise ServiceError("InvalidClusterSnapshotState",
                           f"Cannot restore from the snapshot {record['SnapshotIdentifier']} because it is in the "
                           f"'{record['Status']}' state; it must be available.")
    return record


def restore_from_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    cluster_id = check.new_cluster_id(params["ClusterIdentifier"])
    snapshot: Dict[str, Any] = source_snapshot(scope, params)
    owner, source_cluster_id = snapshot["OwnerAccount"], snapshot["ClusterIdentifier"]
    node = check.node_type(params.get("NodeType", snapshot.get("NodeType", "ra3.xlplus")))
    if check.family(snapshot.get("NodeType", node)) == "dc2" and check.family(node) != "dc2":
        raise ServiceError("InvalidRestore", f"The restore is invalid: a snapshot of {snapshot['NodeType']} nodes "
                                             f"can only be restored into another dc2 node type, not {node}.")
    nodes = check.nodes_for_restore(params.get("NumberOfNodes"), snapshot.get("NumberOfNodes", 1))
    port = check.port(params.get("Port", snapshot.get("Port", 5439)), node)
    zone = params.get("AvailabilityZone")
    if zone is not None:
        check.availability_zone(zone, scope.region)
    # Retention: "Default: The value selected for the cluster from which the snapshot was taken".
    source = scope.backend.get(owner, scope.region, source_cluster_id, CLUSTER)
    inherited: Dict[str, int] = {"AutomatedSnapshotRetentionPeriod": 1, "ManualSnapshotRetentionPeriod": -1}
    if source is not None:  # [I] the cluster is gone: the API defaults
        inherited = {name: source.get(name, default) for name, default in inherited.items()}
    automated: int = check.automated_retention(
        params.get("AutomatedSnapshotRetentionPeriod", inherited["AutomatedSnapshotRetentionPeriod"]), node)
    manual: int = params.get("ManualSnapshotRetentionPeriod", inherited["ManualSnapshotRetentionPeriod"])
    if "ManualSnapshotRetentionPeriod" in params:
        check.manual_retention(manual)
    check.no_snapshot_schedule(params)
    if find_cluster(scope, cluster_id) is not None:
        raise ServiceError("ClusterAlreadyExists", f"Cluster {cluster_id} already exists.")
    check_cluster_quotas(scope, nodes)

    encrypted = bool(snapshot.get("Encrypted")) or bool(params.get("Encrypted"))
    fields: Dict[str, Any] = {
        "ClusterIdentifier": cluster_id, "NodeType": node, "NumberOfNodes": nodes,
        "MasterUsername": snapshot.get("MasterUsername", "awsuser"), "DBName": snapshot.get("DBName", "dev"),
        "AutomatedSnapshotRetentionPeriod": automated, "ManualSnapshotRetentionPeriod": manual,
        "Encrypted": encrypted, "ClusterVersion": snapshot.get("ClusterVersion", "1.0"),
        "MaintenanceTrackName": params.get("MaintenanceTrackName", snapshot.get("MaintenanceTrackName", "current")),
        "EnhancedVpcRouting": snapshot.get("EnhancedVpcRouting", False),
        "AvailabilityZone": zone or snapshot.get("AvailabilityZone") or f"{scope.region}a",
        **group_fields(params),
        "RestoreStatus": {"Status": "starting", "CurrentRestoreRateInMegaBytesPerSecond": 0.0,
                          "SnapshotSizeInMegaBytes": int(snapshot.get("TotalBackupSizeInMegaBytes", 0.0)),
                          "ProgressInMegaBytes": 0, "ElapsedTimeInSeconds": 0,
                          "EstimatedTimeToCompletionInSeconds": int(scope.service.cluster_delay
                                                                    + scope.service.restore_delay)},
    }
    if snapshot.get("VpcId"):
        fields["VpcId"] = snapshot["VpcId"]
    key = params.get("KmsKeyId") or snapshot.get("KmsKeyId")
    if encrypted:
        fields["KmsKeyId"] = key or "AWS_OWNED_KMS_KEY"
    if snapshot.get("MasterPasswordSecretArn"):
        fields["MasterPasswordSecretArn"] = snapshot["MasterPasswordSecretArn"]
    plans = {"restore": {"snapshot": snapshot["SnapshotIdentifier"], "owner": owner, "started": scope.now,
                         "delay": scope.service.restore_delay}}
    record = creating_cluster(scope, fields, port, plans)
    insert_cluster(scope, record)
    record_event(scope, scope.account_id, scope.region, "restore-started", scope.now, "restore started",
                 "RestoreFromClusterSnapshot", cluster_id, snapshot["SnapshotIdentifier"])
    return {"Cluster": cluster_view(record)}
