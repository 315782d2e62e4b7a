"""CreateClusterSnapshot and CopyClusterSnapshot: inheritance from the cluster, settling on the clock, refusals."""

from __future__ import annotations

import datetime as dt

import botocore.exceptions
import pytest

from .conftest import ARN, error_code


def test_create_inherits_from_the_cluster_and_starts_creating(rs, client, prod):
    now = rs.clock.now()
    snapshot = client.create_cluster_snapshot(SnapshotIdentifier="manual-1", ClusterIdentifier="prod",
                                              Tags=[{"Key": "why", "Value": "before upgrade"}])["Snapshot"]
    assert snapshot["Status"] == "creating"
    assert snapshot["SnapshotType"] == "manual"
    assert (snapshot["NodeType"], snapshot["NumberOfNodes"]) == ("ra3.4xlarge", 4)
    assert snapshot["Encrypted"] is True and snapshot["KmsKeyId"] == prod["KmsKeyId"]
    assert snapshot["VpcId"] == prod["VpcId"] and snapshot["AvailabilityZone"] == prod["AvailabilityZone"]
    assert snapshot["Port"] == prod["Endpoint"]["Port"] and snapshot["DBName"] == prod["DBName"]
    assert snapshot["ManualSnapshotRetentionPeriod"] == 30  # the cluster's default
    assert snapshot["Tags"] == [{"Key": "why", "Value": "before upgrade"}]
    assert abs(snapshot["SnapshotCreateTime"] - now) < dt.timedelta(seconds=5)
    assert snapshot["SnapshotArn"] == ARN.format(cluster="prod", snapshot="manual-1")
    described = client.describe_cluster_snapshots(SnapshotIdentifier="manual-1")["Snapshots"][0]
    assert described["Status"] == "available"  # default creation delay 0
    assert described["BackupProgressInMegaBytes"] == described["ActualIncrementalBackupSizeInMegaBytes"]


def test_waiter_returns_on_its_first_poll(rs, client, prod):
    client.create_cluster_snapshot(SnapshotIdentifier="w", ClusterIdentifier="prod")
    client.get_waiter("snapshot_available").wait(SnapshotIdentifier="w",
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    assert [c.operation for c in rs.calls] == ["CreateClusterSnapshot", "DescribeClusterSnapshots"]


def test_creation_delay_runs_on_the_interceptors_clock(rs, client, prod):
    rs.creation_delay = 300
    client.create_cluster_snapshot(SnapshotIdentifier="slow", ClusterIdentifier="prod")
    assert client.describe_cluster_snapshots(SnapshotIdentifier="slow")["Snapshots"][0]["Status"] == "creating"
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="slow")
    rs.clock.advance(seconds=299)
    assert rs.snapshots()[0]["Status"] == "creating"
    rs.clock.advance(seconds=1)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="slow")["Snapshots"][0]["Status"] == "available"
    client.delete_cluster_snapshot(SnapshotIdentifier="slow")


def test_a_snapshot_can_be_held_in_creating_and_completed(rs, client, prod):
    rs.creation_delay = None
    client.create_cluster_snapshot(SnapshotIdentifier="held", ClusterIdentifier="prod")
    rs.clock.advance(days=30)
    assert rs.snapshots()[0]["Status"] == "creating"
    assert rs.complete_creation("held")["Status"] == "available"
    assert client.describe_cluster_snapshots()["Snapshots"][0]["Status"] == "available"
    with pytest.raises(ValueError, match="snapshot 'held' is not being created"):
        rs.complete_creation("held")
    with pytest.raises(KeyError, match="no snapshot 'nope'"):
        rs.complete_creation("nope")
    with pytest.raises(ValueError, match="status must be 'available' or 'failed'"):
        rs.complete_creation("held", status="deleted")


def test_a_creation_can_fail_and_the_waiter_sees_it(rs, client, prod):
    rs.creation_outcome = "failed"
    client.create_cluster_snapshot(SnapshotIdentifier="doomed", ClusterIdentifier="prod")
    with pytest.raises(botocore.exceptions.WaiterError, match="failure state"):
        client.get_waiter("snapshot_available").wait(SnapshotIdentifier="doomed",
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert client.delete_cluster_snapshot(SnapshotIdentifier="doomed")["Snapshot"]["Status"] == "deleted"


@pytest.mark.parametrize(("params", "error"), [
    ({"SnapshotIdentifier": "x", "ClusterIdentifier": "nope"}, "ClusterNotFound"),
    ({"SnapshotIdentifier": "bad--id", "ClusterIdentifier": "prod"}, "InvalidParameterValue"),
    ({"SnapshotIdentifier": "x", "ClusterIdentifier": "prod", "ManualSnapshotRetentionPeriod": 0},
     "InvalidRetentionPeriodFault"),
    ({"SnapshotIdentifier": "x", "ClusterIdentifier": "prod", "ManualSnapshotRetentionPeriod": 3654},
     "InvalidRetentionPeriodFault"),
    ({"SnapshotIdentifier": "x", "ClusterIdentifier": "prod",
      "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}, "TagLimitExceededFault"),
    ({"SnapshotIdentifier": "x", "ClusterIdentifier": "prod", "Tags": [{"Key": "aws:x", "Value": "v"}]},
     "InvalidTagFault"),
])
def test_create_refusals_change_nothing(rs, client, prod, params, error):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.create_cluster_snapshot(**params)
    assert error_code(excinfo) == error
    assert rs.snapshots() == []


def test_create_duplicate_and_cluster_state(rs, client, prod):
    rs.add_snapshot(SnapshotIdentifier="taken", ClusterIdentifier="prod")
    with pytest.raises(client.exceptions.ClusterSnapshotAlreadyExistsFault):
        client.create_cluster_snapshot(SnapshotIdentifier="taken", ClusterIdentifier="prod")
    rs.add_cluster(ClusterIdentifier="busy", ClusterStatus="resizing")
    with pytest.raises(client.exceptions.InvalidClusterStateFault):
        client.create_cluster_snapshot(SnapshotIdentifier="new", ClusterIdentifier="busy")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["taken"]


def test_copy_an_automated_snapshot_to_a_manual_one(rs, client, prod):
    source = rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-00", ClusterIdentifier="prod",
                             SnapshotType="automated", SnapshotCreateTime="2024-05-01T03:00:00Z")
    copy = client.copy_cluster_snapshot(SourceSnapshotIdentifier=source["SnapshotIdentifier"],
                                        SourceSnapshotClusterIdentifier="prod",
                                        TargetSnapshotIdentifier="kept-copy",
                                        ManualSnapshotRetentionPeriod=90)["Snapshot"]
    assert (copy["SnapshotType"], copy["Status"]) == ("manual", "creating")
    assert copy["SnapshotCreateTime"] == source["SnapshotCreateTime"]
    assert copy["ManualSnapshotRetentionPeriod"] == 90
    assert copy["SnapshotArn"] == ARN.format(cluster="prod", snapshot="kept-copy")
    statuses = {s["SnapshotIdentifier"]: s["Status"] for s in rs.snapshots()}
    assert statuses == {source["SnapshotIdentifier"]: "available", "kept-copy": "available"}


@pytest.mark.parametrize(("source", "params", "error"), [
    ({"SnapshotIdentifier": "manual"}, {}, "InvalidClusterSnapshotState"),
    ({"SnapshotIdentifier": "rs:c-1", "SnapshotType": "automated", "Status": "creating"}, {},
     "InvalidClusterSnapshotState"),
    ({"SnapshotIdentifier": "rs:c-1", "SnapshotType": "automated"},
     {"SourceSnapshotClusterIdentifier": "other"}, "ClusterSnapshotNotFound"),
    ({"SnapshotIdentifier": "rs:c-1", "SnapshotType": "automated"}, {"TargetSnapshotIdentifier": "manual"},
     "ClusterSnapshotAlreadyExists"),
    ({"SnapshotIdentifier": "rs:c-1", "SnapshotType": "automated"},
     {"ManualSnapshotRetentionPeriod": -2}, "InvalidRetentionPeriodFault"),
])
def test_copy_refusals(rs, client, source, params, error):
    rs.add_snapshot(**source)
    if source["SnapshotIdentifier"] != "manual":
        rs.add_snapshot(SnapshotIdentifier="manual")
    before = rs.snapshots()
    request = {"SourceSnapshotIdentifier": source["SnapshotIdentifier"], "TargetSnapshotIdentifier": "t"}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.copy_cluster_snapshot(**{**request, **params})
    assert error_code(excinfo) == error
    assert rs.snapshots() == before


def test_copy_of_a_missing_source(client, rs):
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.copy_cluster_snapshot(SourceSnapshotIdentifier="ghost", TargetSnapshotIdentifier="t")


def test_creation_settings_are_checked_when_set(rs, client, prod):
    for bad, error in ((-1, ValueError), (float("nan"), ValueError), (1e20, ValueError), ("5", TypeError),
                       (True, TypeError)):
        with pytest.raises(error, match="creation_delay must be"):
            rs.creation_delay = bad
    with pytest.raises(ValueError, match="creation_outcome must be 'available' or 'failed', got 'exploded'"):
        rs.creation_outcome = "exploded"
    assert (rs.creation_delay, rs.creation_outcome) == (0, "available")
    rs.creation_delay = 100 * 365 * 86400
    rs.clock.set(dt.datetime(9999, 6, 1))  # settling after the year 9999: never
    made = client.create_cluster_snapshot(SnapshotIdentifier="late", ClusterIdentifier="prod")["Snapshot"]
    assert made["Status"] == "creating"
    rs.clock.advance(days=200)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="late")["Snapshots"][0]["Status"] == "creating"
