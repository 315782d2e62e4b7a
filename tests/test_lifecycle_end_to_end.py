"""The issue's end to end run, through real boto3 clients on both backends:
create a cluster, let a month pass, find the automated snapshots AWS would
have kept (and not the ones it expired), delete the cluster with a final
snapshot, restore from it, and clean up."""

from __future__ import annotations

import datetime as dt

import pytest

from redshift_intercept._rules.lifecycle import automated_id

EIGHT_HOURS = dt.timedelta(hours=8)


@pytest.fixture
def rs(rs_both):
    return rs_both


def test_a_month_in_the_life_of_a_cluster(rs, client):
    created = client.create_cluster(
        ClusterIdentifier="prod", NodeType="ra3.xlplus", NumberOfNodes=2, MasterUsername="admin",
        MasterUserPassword="Secret-123", AutomatedSnapshotRetentionPeriod=2, ManualSnapshotRetentionPeriod=7,
        Tags=[{"Key": "team", "Value": "bi"}])["Cluster"]
    assert created["ClusterStatus"] == "creating"
    client.get_waiter("cluster_available").wait(ClusterIdentifier="prod")
    born = created["ClusterCreateTime"]  # available at once (cluster_delay 0): the first backup then
    client.create_cluster_snapshot(SnapshotIdentifier="before-upgrade", ClusterIdentifier="prod")
    client.get_waiter("snapshot_available").wait(SnapshotIdentifier="before-upgrade")
    manual = client.describe_cluster_snapshots(SnapshotIdentifier="before-upgrade")["Snapshots"][0]
    assert (manual["ManualSnapshotRetentionPeriod"], manual["ManualSnapshotRemainingDays"]) == (7, 7)

    now = rs.clock.advance(days=30)

    automated = client.describe_cluster_snapshots(ClusterIdentifier="prod", SnapshotType="automated")["Snapshots"]
    expected = [born + k * EIGHT_HOURS for k in range(91) if born + k * EIGHT_HOURS > now - dt.timedelta(days=2)]
    assert [s["SnapshotIdentifier"] for s in automated] == [automated_id("prod", at) for at in expected]
    assert len(automated) == 6
    assert all(s["Status"] == "available" and s["OwnerAccount"] == rs.account_id for s in automated)
    assert all("ManualSnapshotRetentionPeriod" not in s for s in automated)
    assert automated[0]["SnapshotCreateTime"] == expected[0] and automated[0]["NodeType"] == "ra3.xlplus"
    # The manual snapshot took the cluster's 7 days and is gone, expired by Redshift.
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.describe_cluster_snapshots(SnapshotIdentifier="before-upgrade")
    expired = [e for e in rs.events() if e["Action"] == "expired" and e["SourceIdentifier"] == "before-upgrade"]
    assert [(e["By"], e["EventId"], e["Date"]) for e in expired] == [
        ("Redshift", "REDSHIFT-EVENT-2011", manual["SnapshotRetentionStartTime"] + dt.timedelta(days=7))]

    deleting = client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final",
                                     FinalClusterSnapshotRetentionPeriod=14)["Cluster"]
    assert deleting["ClusterStatus"] == "final-snapshot"
    client.get_waiter("cluster_deleted").wait(ClusterIdentifier="prod")
    snapshots = client.describe_cluster_snapshots()["Snapshots"]
    assert [(s["SnapshotIdentifier"], s["SnapshotType"], s["Status"]) for s in snapshots] == [
        ("prod-final", "manual", "available")]  # the automated snapshots went with the cluster
    assert snapshots[0]["ManualSnapshotRetentionPeriod"] == 14 and snapshots[0]["ManualSnapshotRemainingDays"] == 14

    restored = client.restore_from_cluster_snapshot(ClusterIdentifier="prod-restored",
                                                    SnapshotIdentifier="prod-final")["Cluster"]
    assert (restored["ClusterStatus"], restored["RestoreStatus"]["Status"]) == ("creating", "starting")
    client.get_waiter("cluster_restored").wait(ClusterIdentifier="prod-restored")
    cluster = client.describe_clusters(ClusterIdentifier="prod-restored")["Clusters"][0]
    assert (cluster["NodeType"], cluster["NumberOfNodes"], cluster["MasterUsername"], cluster["DBName"]) == (
        "ra3.xlplus", 2, "admin", "dev")
    assert cluster["ClusterStatus"] == "available" and cluster["Endpoint"]["Port"] == 5439
    assert cluster["AutomatedSnapshotRetentionPeriod"] == 1  # the source cluster is gone: the API default

    client.delete_cluster(ClusterIdentifier="prod-restored", SkipFinalClusterSnapshot=True)
    client.get_waiter("cluster_deleted").wait(ClusterIdentifier="prod-restored")
    client.delete_cluster_snapshot(SnapshotIdentifier="prod-final")
    assert client.describe_clusters()["Clusters"] == []
    assert client.describe_cluster_snapshots()["Snapshots"] == []
    assert rs.clusters() == [] and rs.snapshots() == []

    published = client.describe_events(StartTime=now - dt.timedelta(minutes=1))["Events"]
    assert [e["EventId"] for e in published] == [
        "REDSHIFT-EVENT-2012", "REDSHIFT-EVENT-3005", "REDSHIFT-EVENT-2001",  # prod: final snapshot, deleted
        "REDSHIFT-EVENT-2008", "REDSHIFT-EVENT-3003",  # prod-restored: restore started, available
        "REDSHIFT-EVENT-2001", "REDSHIFT-EVENT-2011"]  # prod-restored deleted, prod-final deleted
    assert published[2]["Message"].endswith("A final snapshot was saved.")
    assert published[5]["Message"].endswith("A final snapshot was not saved.")
    by_redshift = {(e["Action"], e["SourceType"]) for e in rs.events() if e["By"] == "Redshift"}
    assert {("taken", "cluster-snapshot"), ("expired", "cluster-snapshot"), ("deleted with cluster",
            "cluster-snapshot"), ("available", "cluster"), ("deleted", "cluster")} <= by_redshift
