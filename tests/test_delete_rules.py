"""DeleteClusterSnapshot: every rule, as a real boto3 caller sees it."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
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


def test_parser_produces_real_types(rs, client):
    rs.add_snapshot(SnapshotIdentifier="typed", SnapshotCreateTime="2024-05-01T12:34:56.789Z",
                    TotalBackupSizeInMegaBytes=10, Encrypted=True, NumberOfNodes=4)

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="typed")["Snapshot"]

    created = snapshot["SnapshotCreateTime"]
    assert isinstance(created, dt.datetime) and created.tzinfo is not None
    assert created == dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=dt.timezone.utc)
    assert isinstance(snapshot["TotalBackupSizeInMegaBytes"], float)
    assert snapshot["TotalBackupSizeInMegaBytes"] == 10.0
    assert snapshot["Encrypted"] is True and snapshot["EnhancedVpcRouting"] is False
    assert isinstance(snapshot["NumberOfNodes"], int) and snapshot["NumberOfNodes"] == 4
    assert snapshot["ManualSnapshotRetentionPeriod"] == -1
    assert snapshot["RestorableNodeTypes"] == ["ra3.xlplus"]


def test_response_metadata_is_real(rs, client):
    rs.add_snapshot(SnapshotIdentifier="meta")

    metadata = client.delete_cluster_snapshot(SnapshotIdentifier="meta")["ResponseMetadata"]

    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RetryAttempts"] == 0
    headers = metadata["HTTPHeaders"]
    assert headers["x-amzn-requestid"] == metadata["RequestId"]
    assert len(metadata["RequestId"]) == 36
    assert headers["content-type"] == "text/xml"
    assert int(headers["content-length"]) > 1000
    assert headers["date"].endswith(" GMT")
    assert all(key == key.lower() for key in headers)
    assert rs.calls.last.request_id == metadata["RequestId"]


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


def test_botocore_validation_stays_botocore(rs, client):
    with pytest.raises(botocore.exceptions.ParamValidationError, match="SnapshotIdentifier"):
        client.delete_cluster_snapshot()
    with pytest.raises(botocore.exceptions.ParamValidationError, match="SnapshotIdentifier"):
        client.delete_cluster_snapshot(SnapshotIdentifier=42)
    with pytest.raises(botocore.exceptions.ParamValidationError, match="Unknown parameter"):
        client.delete_cluster_snapshot(SnapshotIdentifier="x", Force=True)
    rs.calls.assert_not_called()


TRICKY = "a&b <c> \"d\" 'e' é ü 雪 🎉 \r\n\ttrail "


def test_xml_special_characters_round_trip(rs, client):
    rs.add_snapshot(SnapshotIdentifier="tricky", Tags={TRICKY: TRICKY, "plain": ""},
                    MasterUsername="o'brien&co")

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="tricky")["Snapshot"]

    assert snapshot["Tags"] == [{"Key": TRICKY, "Value": TRICKY}, {"Key": "plain", "Value": ""}]
    assert snapshot["MasterUsername"] == "o'brien&co"


def test_identifier_echoed_in_an_error_round_trips(rs, client):
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="<a&b>")
    assert _error(excinfo)["Message"] == "Snapshot <a&b> not found."


def test_a_session_with_a_custom_timestamp_parser_is_honoured(rs):
    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=lambda text: f"raw:{text}")
    client = make_client(session=boto3.Session(botocore_session=session))
    rs.add_snapshot(SnapshotIdentifier="raw", SnapshotCreateTime="2024-05-01T12:34:56.789Z")

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="raw")["Snapshot"]

    assert snapshot["SnapshotCreateTime"] == "raw:2024-05-01T12:34:56.789Z"


def test_user_after_call_handlers_still_run(rs, client):
    seen = []
    client.meta.events.register(
        "after-call.redshift.DeleteClusterSnapshot",
        lambda http_response, parsed, **_: seen.append((http_response.status_code, parsed)))
    rs.add_snapshot(SnapshotIdentifier="hooked")

    client.delete_cluster_snapshot(SnapshotIdentifier="hooked")
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="hooked")

    assert [status for status, _ in seen] == [200, 404]
    assert seen[0][1]["Snapshot"]["Status"] == "deleted"
    assert seen[1][1]["Error"]["Code"] == "ClusterSnapshotNotFound"


def test_http_response_carries_the_rendered_body(rs, client):
    captured = []
    client.meta.events.register("after-call.redshift",
                                lambda http_response, **_: captured.append(http_response))
    rs.add_snapshot(SnapshotIdentifier="body", Tags={"k": "v&w"})

    client.delete_cluster_snapshot(SnapshotIdentifier="body")

    body = captured[0].content.decode()
    assert body.startswith('<DeleteClusterSnapshotResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">'
                           "<DeleteClusterSnapshotResult><Snapshot>")
    assert "<Tags><Tag><Key>k</Key><Value>v&amp;w</Value></Tag></Tags>" in body
    assert "<RestorableNodeTypes><NodeType>ra3.xlplus</NodeType></RestorableNodeTypes>" in body
    assert "<Status>deleted</Status>" in body


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


def test_parser_defaults_changed_after_the_first_call_are_honoured(rs):
    session = botocore.session.get_session()
    client = make_client(session=boto3.Session(botocore_session=session))
    rs.add_snapshot(SnapshotIdentifier="a", SnapshotCreateTime="2024-05-01T12:34:56.789Z")
    rs.add_snapshot(SnapshotIdentifier="b", SnapshotCreateTime="2024-05-01T12:34:56.789Z")
    first = client.delete_cluster_snapshot(SnapshotIdentifier="a")["Snapshot"]["SnapshotCreateTime"]
    assert isinstance(first, dt.datetime)
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str.upper)
    second = client.delete_cluster_snapshot(SnapshotIdentifier="b")["Snapshot"]["SnapshotCreateTime"]
    assert second == "2024-05-01T12:34:56.789Z"
