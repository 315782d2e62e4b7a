"""DeleteClusterSnapshot and BatchDeleteClusterSnapshots: every rule, as a real boto3 caller sees it."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import botocore.session
import pytest

from redshift_intercept import intercept

from .conftest import make_client

SNAPSHOT_FIELDS = [
    "SnapshotIdentifier", "ClusterIdentifier", "SnapshotCreateTime", "Status", "Port",
    "AvailabilityZone", "ClusterCreateTime", "MasterUsername", "ClusterVersion",
    "EngineFullVersion", "SnapshotType", "NodeType", "NumberOfNodes", "DBName", "VpcId",
    "Encrypted", "EncryptedWithHSM", "OwnerAccount", "TotalBackupSizeInMegaBytes",
    "ActualIncrementalBackupSizeInMegaBytes", "BackupProgressInMegaBytes",
    "CurrentBackupRateInMegaBytesPerSecond", "EstimatedSecondsToCompletion",
    "ElapsedTimeInSeconds", "Tags", "RestorableNodeTypes", "EnhancedVpcRouting",
    "MaintenanceTrackName", "ManualSnapshotRetentionPeriod", "ManualSnapshotRemainingDays",
    "SnapshotRetentionStartTime", "SnapshotArn",
]


def _error(excinfo) -> dict:
    return excinfo.value.response["Error"]


def test_batch_delete_reports_each_entry(rs, client):
    rs.add_snapshot(SnapshotIdentifier="ok-1", ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="ok-2")
    rs.add_snapshot(SnapshotIdentifier="shared", AccountsWithRestoreAccess=["111122223333"])
    rs.add_snapshot(SnapshotIdentifier="rs:prod-1", SnapshotType="automated")
    response = client.batch_delete_cluster_snapshots(Identifiers=[
        {"SnapshotIdentifier": "ok-1", "SnapshotClusterIdentifier": "prod"},
        {"SnapshotIdentifier": "ok-2"},
        {"SnapshotIdentifier": "shared"},
        {"SnapshotIdentifier": "rs:prod-1"},
        {"SnapshotIdentifier": "ghost", "SnapshotClusterIdentifier": "prod"},
    ])
    assert response["Resources"] == ["ok-1", "ok-2"]
    assert [(e["SnapshotIdentifier"], e["FailureCode"]) for e in response["Errors"]] == [
        ("shared", "InvalidClusterSnapshotState"), ("rs:prod-1", "InvalidClusterSnapshotState"),
        ("ghost", "ClusterSnapshotNotFound")]
    assert "other accounts still have access to it" in response["Errors"][0]["FailureReason"]
    assert response["Errors"][2]["SnapshotClusterIdentifier"] == "prod"
    assert "SnapshotClusterIdentifier" not in response["Errors"][0]
    assert sorted(s["SnapshotIdentifier"] for s in rs.snapshots()) == ["rs:prod-1", "shared"]


def test_batch_delete_limit(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s")
    with pytest.raises(client.exceptions.BatchDeleteRequestSizeExceededFault):
        client.batch_delete_cluster_snapshots(
            Identifiers=[{"SnapshotIdentifier": "s"}] + [{"SnapshotIdentifier": f"x{i}"} for i in range(100)])
    assert len(rs.snapshots()) == 1
    assert client.batch_delete_cluster_snapshots(Identifiers=[])["Resources"] == []


def test_success_returns_the_whole_snapshot_marked_deleted(rs, client):
    rs.add_snapshot(SnapshotIdentifier="nightly-1", ClusterIdentifier="prod",
                    SnapshotCreateTime=dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=dt.timezone.utc))

    response = client.delete_cluster_snapshot(SnapshotIdentifier="nightly-1")

    snapshot = response["Snapshot"]
    assert list(snapshot) == SNAPSHOT_FIELDS  # model order, nothing missing
    assert snapshot["Status"] == "deleted"
    assert snapshot["SnapshotIdentifier"] == "nightly-1"
    assert snapshot["ClusterIdentifier"] == "prod"
    assert snapshot["SnapshotArn"] == "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/nightly-1"
    assert snapshot["Tags"] == []
    assert "AccountsWithRestoreAccess" not in snapshot
    assert rs.snapshots() == []


def test_missing_snapshot_is_not_found(rs, client):
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="ghost")

    assert _error(excinfo) == {"Code": "ClusterSnapshotNotFound",
                               "Message": "Snapshot ghost not found.", "Type": "Sender"}
    metadata = excinfo.value.response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 404
    assert metadata["HTTPHeaders"]["x-amzn-requestid"] == metadata["RequestId"]
    assert metadata["RetryAttempts"] == 0
    assert excinfo.value.operation_name == "DeleteClusterSnapshot"
    assert isinstance(excinfo.value, botocore.exceptions.ClientError)


def test_deleting_twice_is_not_found_the_second_time(rs, client):
    rs.add_snapshot(SnapshotIdentifier="once")
    client.delete_cluster_snapshot(SnapshotIdentifier="once")

    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="once")
    assert [c.error_code for c in rs.calls] == [None, "ClusterSnapshotNotFound"]


def test_cluster_identifier_must_match_the_snapshots_cluster(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s1", ClusterIdentifier="prod")
    before = rs.snapshots()

    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="s1", SnapshotClusterIdentifier="staging")

    assert _error(excinfo)["Message"] == "Snapshot s1 not found."
    assert rs.snapshots() == before
    response = client.delete_cluster_snapshot(SnapshotIdentifier="s1", SnapshotClusterIdentifier="prod")
    assert response["Snapshot"]["ClusterIdentifier"] == "prod"
    assert rs.snapshots() == []


def test_automated_snapshot_is_refused_and_kept(rs, client):
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-12", ClusterIdentifier="prod",
                    SnapshotType="automated")
    before = rs.snapshots()

    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-12")

    error = _error(excinfo)
    assert error["Code"] == "InvalidClusterSnapshotState" and error["Type"] == "Sender"
    assert "only manual snapshots may be deleted" in error["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert rs.snapshots() == before


@pytest.mark.parametrize("status", ["creating", "final snapshot"])
def test_snapshot_in_a_busy_state_is_refused_and_kept(rs, client, status):
    rs.add_snapshot(SnapshotIdentifier="busy", Status=status)
    before = rs.snapshots()

    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="busy")

    assert f"it is in the '{status}' state" in _error(excinfo)["Message"]
    assert rs.snapshots() == before


@pytest.mark.parametrize("status", ["available", "failed", "cancelled"])
def test_snapshot_in_a_deletable_state_is_deleted(rs, client, status):
    rs.add_snapshot(SnapshotIdentifier="done", Status=status)

    assert client.delete_cluster_snapshot(SnapshotIdentifier="done")["Snapshot"]["Status"] == "deleted"
    assert rs.snapshots() == []


def test_shared_snapshot_must_be_revoked_first(rs, client):
    rs.add_snapshot(SnapshotIdentifier="shared", AccountsWithRestoreAccess=["111122223333"])
    before = rs.snapshots()

    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="shared")

    message = _error(excinfo)["Message"]
    assert "other accounts still have access to it" in message
    assert "111122223333" in message and "RevokeSnapshotAccess" in message
    assert rs.snapshots() == before
    assert before[0]["AccountsWithRestoreAccess"] == [{"AccountId": "111122223333"}]


def test_snapshots_live_per_region(rs):
    rs.add_snapshot(SnapshotIdentifier="east")
    rs.add_snapshot(region="us-west-2", SnapshotIdentifier="west")
    west = make_client("us-west-2")

    with pytest.raises(west.exceptions.ClusterSnapshotNotFoundFault):
        west.delete_cluster_snapshot(SnapshotIdentifier="east")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["east"]

    snapshot = west.delete_cluster_snapshot(SnapshotIdentifier="west")["Snapshot"]
    assert snapshot["SnapshotArn"].startswith("arn:aws:redshift:us-west-2:")
    assert snapshot["AvailabilityZone"].startswith("us-west-2")
    assert rs.calls.last.region == "us-west-2"
    assert rs.snapshots(region="us-west-2") == []


def test_snapshots_live_per_account(client):
    from redshift_intercept import MemoryBackend

    backend = MemoryBackend()
    intercept(backend=backend, account_id="111111111111").add_snapshot(SnapshotIdentifier="mine")
    with intercept(backend=backend, account_id="222222222222"), \
            pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="mine")
    with intercept(backend=backend, account_id="111111111111") as owner:
        snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="mine")["Snapshot"]
        assert snapshot["OwnerAccount"] == "111111111111"
        assert owner.snapshots() == []


TRICKY = "a&b <c> \"d\" 'e' é ü 雪 🎉 \r\n\ttrail ]]> "
# As tricky as a tag may be: letters of any script, digits, white space
# (U+2028 and no-break space too) and _ . : / = + - @.
TAG_TRICKY = "é ü 雪 ٣ ²\u2028\u00a0_.:/=+-@ trail "


def test_xml_special_characters_round_trip(rs, client):
    rs.add_snapshot(SnapshotIdentifier="tricky", Tags={TAG_TRICKY: TAG_TRICKY, "plain": ""},
                    MasterUsername="o'brien&co", MaintenanceTrackName=TRICKY)

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="tricky")["Snapshot"]

    assert snapshot["Tags"] == [{"Key": TAG_TRICKY, "Value": TAG_TRICKY}, {"Key": "plain", "Value": ""}]
    assert snapshot["MasterUsername"] == "o'brien&co"
    assert snapshot["MaintenanceTrackName"] == TRICKY


def test_identifier_echoed_in_an_error_round_trips(rs, client):
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="<a&b>")
    assert _error(excinfo)["Message"] == "Snapshot <a&b> not found."


def test_concurrent_deletes_delete_each_snapshot_exactly_once(rs):
    ids = [f"snap-{i}" for i in range(200)]
    for snapshot_id in ids:
        rs.add_snapshot(SnapshotIdentifier=snapshot_id)
    clients = [make_client() for _ in range(4)]
    for client in clients:
        # botocore builds client.exceptions lazily and not thread-safely: two threads touching it
        # first can get different classes, and an except clause then misses its own fault.
        assert client.exceptions.ClusterSnapshotNotFoundFault
    start = threading.Barrier(8)

    def worker(index: int) -> tuple[list[str], int]:
        client = clients[index % 4]
        deleted, not_found = [], 0
        start.wait()
        for snapshot_id in ids:
            try:
                client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
                deleted.append(snapshot_id)
            except client.exceptions.ClusterSnapshotNotFoundFault:
                not_found += 1
        return deleted, not_found

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))

    deleted = [snapshot_id for got, _ in results for snapshot_id in got]
    assert sorted(deleted) == sorted(ids)  # each exactly once
    assert sum(not_found for _, not_found in results) == 7 * len(ids)
    assert rs.snapshots() == []
    assert rs.calls.call_count == 8 * len(ids)
    assert len(rs.calls.of("DeleteClusterSnapshot")) == 8 * len(ids)
