"""DescribeClusters over seeded clusters, and what add_cluster accepts."""

from __future__ import annotations

import datetime as dt

import pytest


def test_describe_clusters(rs, client, prod):
    rs.add_cluster(ClusterIdentifier="analytics")
    clusters = client.describe_clusters()["Clusters"]
    assert [c["ClusterIdentifier"] for c in clusters] == ["analytics", "prod"]
    one = client.describe_clusters(ClusterIdentifier="prod")["Clusters"][0]
    assert one["ClusterStatus"] == "available" and one["NodeType"] == "ra3.4xlarge"
    assert one["Endpoint"]["Address"].startswith("prod.") and isinstance(one["ClusterCreateTime"], dt.datetime)
    assert one["PendingModifiedValues"] == {} and one["VpcSecurityGroups"] == []
    with pytest.raises(client.exceptions.ClusterNotFoundFault) as excinfo:
        client.describe_clusters(ClusterIdentifier="ghost")
    assert excinfo.value.response["Error"]["Message"] == "Cluster ghost not found."


def test_add_cluster_checks_its_fields(rs, prod):
    with pytest.raises(TypeError, match="add_cluster\\(\\) got an unknown field 'NodeCount'"):
        rs.add_cluster(ClusterIdentifier="x", NodeCount=2)
    with pytest.raises(TypeError, match="add_cluster\\(\\) missing required field 'ClusterIdentifier'"):
        rs.add_cluster()
    with pytest.raises(ValueError, match="ClusterStatus must be one of"):
        rs.add_cluster(ClusterIdentifier="x", ClusterStatus="sleepy")
    with pytest.raises(ValueError, match="ClusterIdentifier 'prod' already exists"):
        rs.add_cluster(ClusterIdentifier="prod")


def test_add_cluster_checks_tags_as_add_snapshot_does(rs):
    for tags, problem in [({"aws:owner": "x"}, "uses the reserved prefix 'aws:'"),
                          ({"": "x"}, "must be 1-128 characters"), ({"k": "v" * 257}, "must be 0-256 characters")]:
        with pytest.raises(ValueError, match=f"Tags: .*{problem}"):
            rs.add_cluster(ClusterIdentifier="tagged", Tags=tags)
        with pytest.raises(ValueError, match=f"Tags: .*{problem}"):
            rs.add_snapshot(SnapshotIdentifier="tagged", Tags=tags)
    assert rs.clusters() == [] and rs.snapshots() == []
