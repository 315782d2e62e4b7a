"""ModifyClusterSnapshot: the retention period."""

from __future__ import annotations

import datetime as dt

import pytest


def test_modify_retention(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", SnapshotCreateTime=rs.clock.now() - dt.timedelta(days=10))
    snapshot = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=30)["Snapshot"]
    assert snapshot["ManualSnapshotRetentionPeriod"] == 30 and snapshot["ManualSnapshotRemainingDays"] == 20
    with pytest.raises(client.exceptions.InvalidRetentionPeriodFault, match="Force=True"):
        client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=5)
    assert rs.snapshots()[0]["ManualSnapshotRetentionPeriod"] == 30
    forever = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=-1)
    assert forever["Snapshot"]["ManualSnapshotRemainingDays"] == -1
    unchanged = client.modify_cluster_snapshot(SnapshotIdentifier="s")["Snapshot"]
    assert unchanged["ManualSnapshotRetentionPeriod"] == -1


def test_force_on_a_period_already_passed_deletes_the_snapshot_at_once(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod",
                    SnapshotCreateTime=rs.clock.now() - dt.timedelta(days=10))

    forced = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=5, Force=True)

    assert forced["Snapshot"]["Status"] == "deleted"
    assert forced["Snapshot"]["ManualSnapshotRetentionPeriod"] == 5
    assert forced["Snapshot"]["ManualSnapshotRemainingDays"] == 0
    assert rs.snapshots() == []
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.describe_cluster_snapshots(SnapshotIdentifier="s")
    [event] = rs.events()
    assert (event["Action"], event["By"], event["EventId"]) == ("deleted", "ModifyClusterSnapshot",
                                                                "REDSHIFT-EVENT-2011")


def test_modify_refusals(rs, client):
    rs.add_snapshot(SnapshotIdentifier="rs:c-1", SnapshotType="automated")
    rs.add_snapshot(SnapshotIdentifier="m")
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.modify_cluster_snapshot(SnapshotIdentifier="rs:c-1", ManualSnapshotRetentionPeriod=5)
    with pytest.raises(client.exceptions.InvalidRetentionPeriodFault):
        client.modify_cluster_snapshot(SnapshotIdentifier="m", ManualSnapshotRetentionPeriod=4000)
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.modify_cluster_snapshot(SnapshotIdentifier="ghost", ManualSnapshotRetentionPeriod=5)
    assert rs.snapshots()[1]["ManualSnapshotRetentionPeriod"] == -1
