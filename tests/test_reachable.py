"""Seeds describe states the API can reach, not states it cannot: every
refusal a ValueError naming the field, and nothing stored."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from redshift_intercept import intercept

from .conftest import make_client

UTC = dt.timezone.utc
ACCOUNTS = [f"{100000000000 + i}" for i in range(21)]


@pytest.fixture
def rs():
    return intercept(region="us-east-1", account_id="123456789012")


@pytest.mark.parametrize(("fields", "message"), [
    # the API's limits
    ({"AccountsWithRestoreAccess": ACCOUNTS},
     "AccountsWithRestoreAccess: a snapshot is shared with at most 20 accounts, got 21"),
    ({"Tags": {f"k{i}": "" for i in range(51)}}, "Tags: a resource has at most 50 tags, got 51"),
    ({"NumberOfNodes": 0}, "NumberOfNodes must be 1..128, got 0"),
    ({"NumberOfNodes": -1}, "NumberOfNodes must be 1..128, got -1"),
    ({"NumberOfNodes": 129}, "NumberOfNodes must be 1..128, got 129"),
    ({"Port": 80}, "Port must be 1150..65535, got 80"),
    ({"ManualSnapshotRemainingDays": -2}, "ManualSnapshotRemainingDays must be 0..3653 (or -1: kept forever), got -2"),
    # duplicates
    ({"AccountsWithRestoreAccess": ["111122223333", "111122223333"]},
     "AccountsWithRestoreAccess lists 111122223333 twice"),
    ({"AccountsWithRestoreAccess": [{"AccountAlias": "amazon-redshift-support"}, "amazon-redshift-support"]},
     "AccountsWithRestoreAccess lists amazon-redshift-support twice"),
    ({"Tags": [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]},
     "Tags: Tag key 'team' is given more than once; keys must be unique per tag set"),
    # account ids in dict form
    ({"AccountsWithRestoreAccess": [{"AccountId": "bad"}]},
     "AccountsWithRestoreAccess[0].AccountId must be 12 digits, like '123456789012'; got 'bad'"),
    ({"AccountsWithRestoreAccess": [{"AccountAlias": "support"}]},
     "AccountsWithRestoreAccess[0].AccountAlias must be 'amazon-redshift-support', got 'support'"),
    ({"AccountsWithRestoreAccess": [{"AccountId": "111122223333", "AccountAlias": "amazon-redshift-support"}]},
     "AccountsWithRestoreAccess[0] needs exactly one of AccountId (12 digits) or AccountAlias"),
    ({"SnapshotType": "automated", "SnapshotIdentifier": "rs:a-1", "AccountsWithRestoreAccess": ["111122223333"]},
     "AccountsWithRestoreAccess: automated snapshots cannot be shared; only manual ones"),
    # numbers
    ({"TotalBackupSizeInMegaBytes": float("nan")}, "TotalBackupSizeInMegaBytes must be a finite number, got nan"),
    ({"BackupProgressInMegaBytes": float("inf")}, "BackupProgressInMegaBytes must be a finite number, got inf"),
    ({"ActualIncrementalBackupSizeInMegaBytes": 10**400}, "must be a finite number"),
    ({"TotalBackupSizeInMegaBytes": -2.0}, "TotalBackupSizeInMegaBytes must be >= 0 (or -1: not known yet), got -2.0"),
    ({"CurrentBackupRateInMegaBytesPerSecond": -0.5}, "CurrentBackupRateInMegaBytesPerSecond must be >= 0, got -0.5"),
    ({"EstimatedSecondsToCompletion": -2}, "EstimatedSecondsToCompletion must be >= 0 (or -1: not known yet)"),
    ({"ElapsedTimeInSeconds": -1}, "ElapsedTimeInSeconds must be >= 0, got -1"),
    ({"ElapsedTimeInSeconds": 2**63}, "ElapsedTimeInSeconds must fit in a signed 64-bit long, got 9223372036854775808"),
    ({"Port": 2**31}, "Port must fit in a signed 32-bit integer"),
    # consistency
    ({"SnapshotArn": "arn:aws:redshift:eu-west-1:123456789012:snapshot:examplecluster/s"},
     "SnapshotArn 'arn:aws:redshift:eu-west-1:123456789012:snapshot:examplecluster/s' is not this snapshot's ARN"),
    ({"AvailabilityZone": "eu-west-1a"}, "AvailabilityZone 'eu-west-1a' is not a zone of region us-east-1"),
    ({"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"},
     "KmsKeyId needs Encrypted=True: only an encrypted cluster's snapshots carry one"),
    ({"EncryptedWithHSM": True}, "EncryptedWithHSM needs Encrypted=True"),
    ({"SourceRegion": "moon-1"}, "SourceRegion must be an AWS region name"),
    # timestamps: a ValueError naming the field, never OverflowError or RuntimeError
    ({"SnapshotCreateTime": "1e20"}, "SnapshotCreateTime must be a datetime or an ISO-8601 string, got '1e20'"),
    ({"SnapshotCreateTime": "-1e20"}, "SnapshotCreateTime must be a datetime or an ISO-8601 string"),
    ({"ClusterCreateTime": "9999-12-31T23:00:00-05:00"},
     "ClusterCreateTime 9999-12-31T23:00:00-05:00 is not a time between 0001-01-01 and 9999-12-31 in UTC"),
    ({"SnapshotRetentionStartTime": dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))},
     "SnapshotRetentionStartTime 0001-01-01T00:00:00+01:00 is not a time between"),
    # characters
    ({"MasterUsername": "lone\udc80"},
     "MasterUsername contains the character '\\udc80', which no AWS response can carry (a lone surrogate: UTF-8 "
     "cannot encode it)"),
    ({"Tags": {"k\ud800": "v"}}, "Tags[0].Key contains the character '\\ud800'"),
])
def test_a_state_the_api_cannot_reach_is_refused(rs, fields, message):
    fields = {"SnapshotIdentifier": "s", **fields}
    with pytest.raises(ValueError) as excinfo:
        rs.add_snapshot(**fields)
    assert message in str(excinfo.value)
    assert rs.snapshots() == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"NumberOfNodes": 0}, "NumberOfNodes must be 1..128, got 0"),
    ({"Endpoint": {"Address": "a", "Port": 22}}, "Endpoint.Port must be 1150..65535, got 22"),
    ({"AutomatedSnapshotRetentionPeriod": 36}, "AutomatedSnapshotRetentionPeriod must be 0..35, got 36"),
    ({"AvailabilityZone": "eu-west-1b"}, "AvailabilityZone 'eu-west-1b' is not a zone of region us-east-1"),
    ({"KmsKeyId": "k"}, "KmsKeyId needs Encrypted=True"),
    ({"Tags": {"a&b": ""}}, "Tags: Tag key 'a&b' contains the character '&'"),
    ({"SnapshotScheduleState": "SLEEPING"}, "SnapshotScheduleState must be one of ('MODIFYING', 'ACTIVE', 'FAILED')"),
    ({"TotalStorageCapacityInMegaBytes": 2**64}, "must fit in a signed 64-bit long"),
    ({"ClusterCreateTime": "0001-01-01T00:00:00+00:01"}, "ClusterCreateTime 0001-01-01T00:00:00+00:01 is not a time"),
])
def test_a_cluster_the_api_cannot_create_is_refused(rs, fields, message):
    with pytest.raises(ValueError) as excinfo:
        rs.add_cluster(ClusterIdentifier="c", **fields)
    assert message in str(excinfo.value)
    assert rs.clusters() == []


def test_the_limits_themselves_are_reachable(rs):
    record = rs.add_snapshot(
        SnapshotIdentifier="edge", AccountsWithRestoreAccess=[*ACCOUNTS[:19], "amazon-redshift-support"],
        Tags={f"k{i}": "" for i in range(50)}, NumberOfNodes=128, Port=65535, Encrypted=True, KmsKeyId="k",
        TotalBackupSizeInMegaBytes=-1.0, ActualIncrementalBackupSizeInMegaBytes=-1.0, EstimatedSecondsToCompletion=-1,
        ElapsedTimeInSeconds=2**63 - 1, Status="creating", AvailabilityZone="us-east-1-lax-1a")
    assert len(record["AccountsWithRestoreAccess"]) == 20 and record["AccountsWithRestoreAccess"][-1] == {
        "AccountAlias": "amazon-redshift-support"}
    with intercept() as active:
        active.load_snapshots({"Snapshots": [record]})
        assert make_client().describe_cluster_snapshots(SnapshotIdentifier="edge")["Snapshots"][0] == record
    rs.add_cluster(ClusterIdentifier="c", NumberOfNodes=1, AutomatedSnapshotRetentionPeriod=0)


@pytest.mark.parametrize("when", [
    "0001-01-01T00:00:00Z", dt.datetime.min, dt.datetime(1, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
    "9999-12-31T23:59:59.999Z", dt.datetime.max, "9999-12-31T23:59:59.999-00:00", "1970-01-01T00:00:00Z",
    "1e9", dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-12))),
])
def test_edge_timestamps_round_trip_exactly(when):
    with intercept() as rs:
        client = make_client()
        # A retention that started long ago has run out, and Redshift deletes such a snapshot
        # (issue 14): the past edges are kept forever, the future ones for a day.
        past = rs.add_snapshot(SnapshotIdentifier="probe", SnapshotCreateTime=when)["SnapshotCreateTime"] < \
            rs.clock.now()
        client.delete_cluster_snapshot(SnapshotIdentifier="probe")
        stored = rs.add_snapshot(SnapshotIdentifier="edge", SnapshotCreateTime=when, ClusterCreateTime=when,
                                 SnapshotRetentionStartTime=when, ManualSnapshotRetentionPeriod=-1 if past else 1)
        described = client.describe_cluster_snapshots(SnapshotIdentifier="edge")["Snapshots"][0]
        for field in ("SnapshotCreateTime", "ClusterCreateTime", "SnapshotRetentionStartTime"):
            assert described[field] == stored[field]
            assert stored[field].microsecond % 1000 == 0 and stored[field].tzinfo is UTC
        dumped = rs.dump_snapshots()
        assert client.delete_cluster_snapshot(SnapshotIdentifier="edge")["Snapshot"]["SnapshotCreateTime"] == \
            stored["SnapshotCreateTime"]
        assert rs.load_snapshots(dumped)[0] == {**stored, "ManualSnapshotRemainingDays": stored[
            "ManualSnapshotRemainingDays"]}


def test_a_snapshot_of_year_one_gets_a_cluster_created_no_earlier_than_year_one(rs):
    record = rs.add_snapshot(SnapshotIdentifier="old", SnapshotCreateTime="0001-01-05T00:00:00Z")
    assert record["ClusterCreateTime"] == dt.datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize("source", [
    lambda: {"Snapshots": [{"SnapshotIdentifier": "a", "NumberOfNodes": -1}]},
    lambda: io.StringIO(json.dumps({"Snapshots": [{"SnapshotIdentifier": "a", "Tags": [{"Key": "\ud800"}]}]})),
    lambda: io.StringIO('{"Snapshots": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    lambda: io.StringIO('{"Snapshots": [{"SnapshotIdentifier": "a", "Tags": ' + "[" * 100_000 + "]" * 100_000 + "}]}"),
])
def test_load_snapshots_refuses_bad_input_with_a_value_error_and_loads_nothing(rs, source):
    rs.add_snapshot(SnapshotIdentifier="kept")
    with pytest.raises(ValueError) as excinfo:
        rs.load_snapshots(source())
    assert len(str(excinfo.value)) < 500
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["kept"]


def test_a_deep_json_source_says_so():
    with pytest.raises(ValueError, match="source is nested too deeply"):
        intercept().load_snapshots(io.StringIO("[" * 100_000 + "]" * 100_000))
