"""CreateCluster, DescribeClusters, ModifyCluster (its retention settings)
and DeleteCluster: clusters as backend state, with the snapshot rules that
come with them. A created cluster starts ``creating`` and becomes available
on the service's clock (``cluster_delay``), as a deleted one goes: the steps
are the lifecycle's (``lifecycle``)."""

from __future__ import annotations

import datetime as _dt
import zlib
from typing import Any, Dict, Optional

from .._backend import CLUSTER, Record
from .._errors import NotAnswered, ServiceError, cluster_not_found, invalid_combination
from .._paging import Order, page_size, paginate
from .._records import PENDING, new_cluster, new_snapshot, public, snapshot_fields_from_cluster
from .._tags import TagFilter, check_tags
from . import cluster_params as check
from .due import PIN, life, with_due, with_plans
from .lifecycle import record_event, retention_days, set_automated_retention
from .scope import Scope

DELETABLE = ("available", "incompatible-network", "incompatible-hsm", "incompatible-restore", "hardware-failure")
"""States a cluster can be deleted in ([O]: "ACTIVE, INCOMPATIBLE_NETWORK, INCOMPATIBLE_HSM,
INCOMPATIBLE_RESTORE, INSUFFICIENT_CAPACITY, or HARDWARE_FAILURE lifecycle")."""
BUSY = ("creating", "modifying", "rebooting", "resizing", "renaming", "rotating-keys", "updating-hsm",
        "prep-for-resize", "resize-cleanup", "cancelling-resize")
"""States in which an operation is running on the cluster."""

_BY_IDENTIFIER = Order(lambda cluster: (cluster["ClusterIdentifier"],), (str,))


def cluster_view(record: Record) -> Record:
    """A cluster as a response shows it (without our bookkeeping)."""
    return public(record)


def find_cluster(scope: Scope, cluster_id: str) -> Optional[Record]:
    """One of the caller's clusters; identifiers are stored lowercase, so a
    mixed-case one finds its cluster too."""
    found = scope.cluster(cluster_id)
    if found is None and cluster_id != cluster_id.lower():
        found = scope.cluster(cluster_id.lower())
    return found


def require_cluster(scope: Scope, cluster_id: str) -> Record:
    found = find_cluster(scope, cluster_id)
    if found is None:
        raise cluster_not_found(cluster_id)
    return found


# ---------------------------------------------------------------- quotas


def check_cluster_quotas(scope: Scope, nodes: int) -> None:
    """The cluster and node quotas of the caller's account and region."""
    quotas = scope.service.quotas
    if quotas.nodes_per_cluster is not None and nodes > quotas.nodes_per_cluster:
        raise ServiceError("NumberOfNodesPerClusterLimitExceeded",
                           f"The operation would exceed the number of nodes allowed for a cluster: {nodes} "
                           f"nodes, the limit is {quotas.nodes_per_cluster}.")
    clusters = scope.clusters()
    if quotas.clusters is not None and len(clusters) >= quotas.clusters:
        raise ServiceError("ClusterQuotaExceeded",
                           "The request would exceed the allowed number of cluster instances for this account: "
                           f"{len(clusters)} of {quotas.clusters} in {scope.region}.")
    used = sum(c.get("NumberOfNodes", 1) for c in clusters)
    if quotas.nodes is not None and used + nodes > quotas.nodes:
        raise ServiceError("NumberOfNodesQuotaExceeded",
                           "The operation would exceed the number of nodes allotted to the account: "
                           f"{used} in use, {nodes} more requested, the quota is {quotas.nodes} in {scope.region}.")


def check_snapshot_quota(scope: Scope) -> None:
    """The manual snapshot quota: counted up to the quota, never over the whole store."""
    limit = scope.service.quotas.manual_snapshots
    if limit is None:
        return
    if scope.backend.count(scope.account_id, scope.region, "SnapshotType", "manual", limit) >= limit:
        raise ServiceError("ClusterSnapshotQuotaExceeded",
                           "The request would result in the user exceeding the allowed number of cluster "
                           f"snapshots: the account has {limit} manual snapshots in {scope.region}, its quota.")


# ---------------------------------------------------------------- CreateCluster


def group_fields(params: Dict[str, Any]) -> Dict[str, Any]:
    """Network, parameter group and IAM settings: stored as given (subnet,
    security and parameter groups are not modelled, so any name is accepted)."""
    fields: Dict[str, Any] = {
        "ClusterParameterGroups": [{"ParameterGroupName": params.get("ClusterParameterGroupName",
                                                                     "default.redshift-2.0"),
                                    "ParameterApplyStatus": "in-sync"}],
        "VpcSecurityGroups": [{"VpcSecurityGroupId": group, "Status": "active"}
                              for group in params.get("VpcSecurityGroupIds", [])],
        "IamRoles": [{"IamRoleArn": arn, "ApplyStatus": "in-sync"} for arn in params.get("IamRoles", [])],
        "MultiAZ": "Enabled" if params.get("MultiAZ") else "Disabled",
    }
    for name in ("ClusterSubnetGroupName", "PreferredMaintenanceWindow", "AllowVersionUpgrade", "PubliclyAccessible",
                 "EnhancedVpcRouting", "MaintenanceTrackName", "DefaultIamRoleArn"):
        if params.get(name) is not None:
            fields[name] = params[name]
    return fields


def creating_cluster(scope: Scope, fields: Dict[str, Any], port: int, plans: Dict[str, Any]) -> Record:
    """A new cluster record in ``creating``: it becomes available after ``cluster_delay``."""
    record = new_cluster(scope.account_id, scope.region, fields, now=scope.now)
    record.pop("Endpoint", None)  # no address until it is available
    record.update(ClusterStatus="creating", ClusterAvailabilityStatus="Modifying", ClusterCreateTime=scope.now)
    plans["settle"] = {"at": scope.now + _dt.timedelta(seconds=scope.service.cluster_delay), "port": port}
    return with_plans(record, plans)


def insert_cluster(scope: Scope, record: Record) -> None:
    if not scope.backend.insert(scope.account_id, scope.region, record, CLUSTER):
        raise ServiceError("ClusterAlreadyExists", f"Cluster {record['ClusterIdentifier']} already exists.")


def secret_arn(scope: Scope, cluster_id: str, username: str) -> str:
    suffix = f"{zlib.crc32(f'{scope.account_id}/{cluster_id}'.encode()):08x}"[:6]
    return f"arn:aws:secretsmanager:{scope.region}:{scope.account_id}:secret:redshift!{cluster_id}-{username}-{suffix}"


def create_cluster(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    cluster_id = check.new_cluster_id(params["ClusterIdentifier"])
    node = check.node_type(params["NodeType"])
    nodes = check.node_count(params)
    username = check.master_username(params["MasterUsername"])
    password = check.master_password(params)
    database = check.db_name(params.get("DBName", "dev"))
    port = check.port(params.get("Port", 5439), node)
    automated = check.automated_retention(params.get("AutomatedSnapshotRetentionPeriod", 1), node)
    manual = check.manual_retention(params.get("ManualSnapshotRetentionPeriod", -1))
    if params.get("Encrypted") is False:
        raise check.invalid_value("Unencrypted clusters are not supported: Encrypted must be true (the default).")
    zone = params.get("AvailabilityZone")
    if zone is not None:
        check.availability_zone(zone, scope.region)
    check.no_snapshot_schedule(params)
    tags = params.get("Tags", [])
    check_tags(tags)
    if find_cluster(scope, cluster_id) is not None:
        raise ServiceError("ClusterAlreadyExists", f"Cluster {cluster_id} already exists.")
    check_cluster_quotas(scope, nodes)

    fields: Dict[str, Any] = {
        "ClusterIdentifier": cluster_id, "NodeType": node, "NumberOfNodes": nodes, "MasterUsername": username,
        "DBName": database, "AutomatedSnapshotRetentionPeriod": automated, "ManualSnapshotRetentionPeriod": manual,
        "Encrypted": True, "KmsKeyId": params.get("KmsKeyId", "AWS_OWNED_KMS_KEY"), "Tags": tags,
        "ClusterVersion": params.get("ClusterVersion", "1.0"), **group_fields(params),
        "PendingModifiedValues": {} if password is None else {"MasterUserPassword": "****"},
    }
    if zone is not None:
        fields["AvailabilityZone"] = zone
    if password is None:
        fields["MasterPasswordSecretArn"] = secret_arn(scope, cluster_id, username)
        if params.get("MasterPasswordSecretKmsKeyId") is not None:
            fields["MasterPasswordSecretKmsKeyId"] = params["MasterPasswordSecretKmsKeyId"]
    record = creating_cluster(scope, fields, port, {})
    insert_cluster(scope, record)
    return {"Cluster": cluster_view(record)}


# ---------------------------------------------------------------- DescribeClusters


def describe_clusters(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = page_size(params)
    cluster_id = params.get("ClusterIdentifier")
    clusters = [require_cluster(scope, cluster_id)] if cluster_id is not None else scope.clusters()
    tags = TagFilter(params)
    if tags:
        clusters = [c for c in clusters if tags.selects(c.get("Tags", ()))]
    page, marker = paginate(clusters, _BY_IDENTIFIER, params.get("Marker"), size, "DescribeClusters")
    result: Dict[str, Any] = {"Clusters": [cluster_view(c) for c in page]}
    if marker is not None:
        result["Marker"] = marker
    return result


# ---------------------------------------------------------------- ModifyCluster

RETENTION_SETTINGS = ("AutomatedSnapshotRetentionPeriod", "ManualSnapshotRetentionPeriod")


def modify_cluster(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    others = sorted(name for name in params if name not in ("ClusterIdentifier", *RETENTION_SETTINGS))
    if others:
        raise NotAnswered("ModifyCluster", f"only its retention settings ({', '.join(RETENTION_SETTINGS)}) are "
                                           f"modelled; this call also sets {', '.join(others)}.")
    cluster = require_cluster(scope, params["ClusterIdentifier"])
    automated = params.get("AutomatedSnapshotRetentionPeriod")
    manual = params.get("ManualSnapshotRetentionPeriod")
    if automated is not None:
        check.automated_retention(automated, cluster.get("NodeType", ""))
    if manual is not None:
        check.manual_retention(manual)
    if cluster["ClusterStatus"] != "available":
        raise ServiceError("InvalidClusterState", f"The specified cluster is not in the available state: cluster "
                                                  f"{cluster['ClusterIdentifier']} is {cluster['ClusterStatus']}.")
    cluster_id = cluster["ClusterIdentifier"]
    plans = life(cluster)
    changed = dict(cluster)
    if manual is not None:  # for snapshots created from now on; existing ones keep theirs
        changed["ManualSnapshotRetentionPeriod"] = manual
    if automated is not None and automated != retention_days(cluster):
        changed["AutomatedSnapshotRetentionPeriod"] = automated
        set_automated_retention(scope, scope.account_id, scope.region, changed, plans, automated, scope.now,
                                "ModifyCluster")
    stored = with_plans(changed, plans)
    scope.backend.update(scope.account_id, scope.region, cluster_id, lambda _: stored, CLUSTER)
    return {"Cluster": cluster_view(stored)}


# ---------------------------------------------------------------- DeleteCluster


def _check_deletable(cluster: Record) -> None:
    status, cluster_id = cluster["ClusterStatus"], cluster["ClusterIdentifier"]
    if status in DELETABLE:
        return
    if status in BUSY:  # [O]
        raise ServiceError("InvalidClusterState",
                           "There is an operation running on the Cluster. Please try to delete it at a later time.")
    raise ServiceError("InvalidClusterState",  # [O]
                       f"Unable to delete the cluster {cluster_id}. You can only delete clusters with ACTIVE, "
                       "INCOMPATIBLE_NETWORK, INCOMPATIBLE_HSM, INCOMPATIBLE_RESTORE, INSUFFICIENT_CAPACITY, or "
                       "HARDWARE_FAILURE lifecycle.")


def _final_snapshot(scope: Scope, cluster: Record, snapshot_id: str, retention: int, at: _dt.datetime) -> Record:
    fields = snapshot_fields_from_cluster(cluster)
    fields.update(SnapshotIdentifier=snapshot_id, SnapshotType="manual", ManualSnapshotRetentionPeriod=retention,
                  SnapshotCreateTime=scope.now, Status="final snapshot")
    record = new_snapshot(scope.account_id, scope.region, fields, now=scope.now)
    record.update(BackupProgressInMegaBytes=0.0, EstimatedSecondsToCompletion=int(scope.service.cluster_delay),
                  ElapsedTimeInSeconds=0)
    return with_due({**record, PENDING: {"at": at, "status": "available"}})


def deleted_cluster_name(scope: Scope, cluster_id: str) -> str:
    """The internal name a deleted cluster goes by (``deleted-<8 digits>`` [O])."""
    digest = zlib.crc32(f"{scope.account_id}/{scope.region}/{cluster_id}/{scope.now.isoformat()}".encode())
    return f"deleted-{10_000_000 + digest % 90_000_000}"


def _hold_restore_snapshot(scope: Scope, cluster: Record, restore: Dict[str, Any]) -> None:
    """[I] A cluster deleted (without a final snapshot) while its restore is
    still loading keeps using the snapshot it is restored from."""
    hold = scope.service.restore_hold
    if hold == 0:
        return
    until = None if hold is None else scope.now + _dt.timedelta(seconds=hold)
    pin = {"cluster": deleted_cluster_name(scope, cluster["ClusterIdentifier"]), "until": until}
    scope.backend.update(restore["owner"], scope.region, restore["snapshot"],
                         lambda r: with_due({**r, PIN: pin}))


def delete_cluster(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    skip = params.get("SkipFinalClusterSnapshot", False)
    final_id = params.get("FinalClusterSnapshotIdentifier")
    if not skip and final_id is None:
        raise invalid_combination("FinalClusterSnapshotIdentifier is required unless SkipFinalClusterSnapshot "
                                  "is true.")
    if skip and final_id is not None:
        raise invalid_combination("FinalClusterSnapshotIdentifier must not be specified when "
                                  "SkipFinalClusterSnapshot is true.")
    if final_id is not None:
        check.snapshot_id(final_id, "FinalClusterSnapshotIdentifier")
    retention = check.manual_retention(params.get("FinalClusterSnapshotRetentionPeriod", -1))
    cluster = require_cluster(scope, params["ClusterIdentifier"])
    _check_deletable(cluster)
    cluster_id = cluster["ClusterIdentifier"]
    delay = scope.service.cluster_delay
    step_end = scope.now + _dt.timedelta(seconds=delay)
    plans = life(cluster)
    if final_id is not None:
        if scope.backend.get(scope.account_id, scope.region, final_id) is not None:
            raise ServiceError("ClusterSnapshotAlreadyExists",
                               f"Cannot create the snapshot because a snapshot with the identifier {final_id} "
                               "already exists.")
        check_snapshot_quota(scope)
        scope.backend.insert(scope.account_id, scope.region,
                             _final_snapshot(scope, cluster, final_id, retention, step_end))
        record_event(scope, scope.account_id, scope.region, "final-started", scope.now, "started", "DeleteCluster",
                     cluster_id, final_id)
    elif plans.get("restore"):
        _hold_restore_snapshot(scope, cluster, plans["restore"])
    phase = "final-snapshot" if final_id is not None else "deleting"
    plans.update(backup=None, delete={"at": step_end, "phase": phase, "final": final_id, "delay": delay})
    changed = {**cluster, "ClusterStatus": phase, "ClusterAvailabilityStatus": "Modifying"}
    stored = with_plans(changed, plans)
    scope.backend.update(scope.account_id, scope.region, cluster_id, lambda _: stored, CLUSTER)
    return {"Cluster": cluster_view(stored)}


def pinned_by(record: Record, now: _dt.datetime) -> Optional[str]:
    """The deleted cluster still using a snapshot, if any."""
    pin = record.get(PIN)
    if pin is None or (pin["until"] is not None and pin["until"] <= now):
        return None
    return pin["cluster"]
