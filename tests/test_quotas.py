"""Quotas: manual snapshots (create, copy, final snapshot), clusters and
nodes, AWS's defaults, and rs.quotas. Both backends."""

from __future__ import annotations

import pytest

from redshift_intercept._quotas import Quotas

from .conftest import make_client


@pytest.fixture
def rs(rs_both):
    return rs_both


def refused(call, code, message, **params):
    client = make_client()
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        getattr(client, call)(**params)
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["Error"]["Message"] == message


def snapshot_quota(limit, region="us-east-1"):
    return ("The request would result in the user exceeding the allowed number of cluster snapshots: the account "
            f"has {limit} manual snapshots in {region}, its quota.")


def test_aws_defaults_and_settable():
    quotas = Quotas()
    assert (quotas.manual_snapshots, quotas.clusters, quotas.nodes, quotas.nodes_per_cluster) == (20, None, 200, 128)
    quotas.manual_snapshots = 5
    quotas.clusters = None
    assert repr(quotas) == "Quotas(manual_snapshots=5, clusters=None, nodes=200, nodes_per_cluster=128)"
    with pytest.raises(TypeError, match=r"quotas.nodes must be an int >= 0 or None \(no limit\), got '5'"):
        quotas.nodes = "5"
    with pytest.raises(TypeError, match=r"quotas\.nodes must be an int .*got True"):
        quotas.nodes = True
    with pytest.raises(ValueError, match=r"quotas.clusters must be >= 0 or None \(no limit\), got -1"):
        quotas.clusters = -1
    with pytest.raises(AttributeError, match="Quotas has no quota 'snapshots'; the quotas are manual_snapshots, "
                                             "clusters, nodes, nodes_per_cluster"):
        quotas.snapshots = 3
    quotas.reset()
    assert quotas.manual_snapshots == 20


def test_the_default_manual_snapshot_quota_is_twenty(rs, client):
    rs.add_cluster(ClusterIdentifier="prod")
    for i in range(20):
        rs.add_snapshot(SnapshotIdentifier=f"m{i}", ClusterIdentifier="prod")
    refused("create_cluster_snapshot", "ClusterSnapshotQuotaExceeded", snapshot_quota(20),
            SnapshotIdentifier="one-more", ClusterIdentifier="prod")
    client.delete_cluster_snapshot(SnapshotIdentifier="m0")
    client.create_cluster_snapshot(SnapshotIdentifier="one-more", ClusterIdentifier="prod")


def test_manual_snapshots_count_copies_and_final_snapshots_not_automated_or_shared_ones(rs, client):
    rs.quotas.manual_snapshots = 2
    rs.add_cluster(ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-00-00-00", ClusterIdentifier="prod",
                    SnapshotType="automated")
    rs.add_snapshot(SnapshotIdentifier="theirs", OwnerAccount="444455556666",
                    AccountsWithRestoreAccess=[rs.account_id])
    rs.add_snapshot(region="eu-west-1", SnapshotIdentifier="elsewhere")
    client.create_cluster_snapshot(SnapshotIdentifier="one", ClusterIdentifier="prod")
    client.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-2024-05-01-00-00-00",
                                 TargetSnapshotIdentifier="two")
    before = rs.snapshots()

    refused("create_cluster_snapshot", "ClusterSnapshotQuotaExceeded", snapshot_quota(2),
            SnapshotIdentifier="three", ClusterIdentifier="prod")
    refused("copy_cluster_snapshot", "ClusterSnapshotQuotaExceeded", snapshot_quota(2),
            SourceSnapshotIdentifier="rs:prod-2024-05-01-00-00-00", TargetSnapshotIdentifier="three")
    refused("delete_cluster", "ClusterSnapshotQuotaExceeded", snapshot_quota(2),
            ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="final")
    refused("create_cluster_snapshot", "ClusterSnapshotAlreadyExists",
            "Cannot create the snapshot because a snapshot with the identifier one already exists.",
            SnapshotIdentifier="one", ClusterIdentifier="prod")  # a taken identifier is said first
    assert rs.snapshots() == before and rs.clusters()[0]["ClusterStatus"] == "available"
    rs.add_cluster(ClusterIdentifier="other")
    client.delete_cluster(ClusterIdentifier="other", SkipFinalClusterSnapshot=True)  # no snapshot: no quota
    rs.quotas.manual_snapshots = None
    client.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-2024-05-01-00-00-00",
                                 TargetSnapshotIdentifier="three")


def test_cluster_and_node_quotas(rs, client):
    params = {"NodeType": "ra3.xlplus", "MasterUsername": "admin", "MasterUserPassword": "Secret-123"}
    rs.quotas.clusters, rs.quotas.nodes, rs.quotas.nodes_per_cluster = 2, 6, 4
    client.create_cluster(ClusterIdentifier="a", NumberOfNodes=3, **params)
    refused("create_cluster", "NumberOfNodesPerClusterLimitExceeded",
            "The operation would exceed the number of nodes allowed for a cluster: 5 nodes, the limit is 4.",
            ClusterIdentifier="b", NumberOfNodes=5, **params)
    refused("create_cluster", "NumberOfNodesQuotaExceeded",
            "The operation would exceed the number of nodes allotted to the account: 3 in use, 4 more requested, the "
            "quota is 6 in us-east-1.", ClusterIdentifier="b", NumberOfNodes=4, **params)
    client.create_cluster(ClusterIdentifier="b", NumberOfNodes=2, **params)
    rs.quotas.nodes = None
    refused("create_cluster", "ClusterQuotaExceeded",
            "The request would exceed the allowed number of cluster instances for this account: 2 of 2 in us-east-1.",
            ClusterIdentifier="c", **params)
    client.create_cluster_snapshot(SnapshotIdentifier="of-a", ClusterIdentifier="a")
    refused("restore_from_cluster_snapshot", "ClusterQuotaExceeded",
            "The request would exceed the allowed number of cluster instances for this account: 2 of 2 in us-east-1.",
            ClusterIdentifier="c", SnapshotIdentifier="of-a")
    make_client("eu-west-1").create_cluster(ClusterIdentifier="c", **params)  # quotas are per region
    assert [c["ClusterIdentifier"] for c in rs.clusters()] == ["a", "b"]
