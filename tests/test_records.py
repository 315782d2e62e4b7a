"""Seeding: realistic defaults, overrides, and strict checks on our own API."""

from __future__ import annotations

import datetime as dt

import pytest

from redshift_intercept import intercept

UTC = dt.timezone.utc


@pytest.fixture
def rs():
    return intercept(region="eu-central-1", account_id="999988887777")


def test_defaults_look_like_a_real_available_manual_snapshot(rs):
    before = dt.datetime.now(UTC)
    record = rs.add_snapshot(SnapshotIdentifier="nightly", ClusterIdentifier="analytics")

    assert record["Status"] == "available" and record["SnapshotType"] == "manual"
    assert record["SnapshotArn"] == "arn:aws:redshift:eu-central-1:999988887777:snapshot:analytics/nightly"
    assert record["OwnerAccount"] == "999988887777"
    assert record["AvailabilityZone"] in {"eu-central-1a", "eu-central-1b", "eu-central-1c"}
    assert abs(record["SnapshotCreateTime"] - before) < dt.timedelta(seconds=5)
    assert record["SnapshotCreateTime"].microsecond % 1000 == 0
    assert record["ClusterCreateTime"] < record["SnapshotCreateTime"]
    assert record["SnapshotRetentionStartTime"] == record["SnapshotCreateTime"]
    assert record["ManualSnapshotRetentionPeriod"] == -1 and record["ManualSnapshotRemainingDays"] == -1
    assert record["Port"] == 5439 and record["DBName"] == "dev" and record["MasterUsername"] == "awsuser"
    assert record["NodeType"] == "ra3.xlplus" and record["NumberOfNodes"] == 2
    assert record["RestorableNodeTypes"] == ["ra3.xlplus"]
    assert record["VpcId"].startswith("vpc-") and len(record["VpcId"]) == 21
    assert record["Encrypted"] is False and record["EncryptedWithHSM"] is False
    assert record["TotalBackupSizeInMegaBytes"] >= record["ActualIncrementalBackupSizeInMegaBytes"] > 0
    assert record["CurrentBackupRateInMegaBytesPerSecond"] == 0.0
    assert record["EstimatedSecondsToCompletion"] == 0 and record["ElapsedTimeInSeconds"] > 0
    assert record["Tags"] == [] and "AccountsWithRestoreAccess" not in record
    for absent in ("KmsKeyId", "SourceRegion", "MasterPasswordSecretArn", "MasterPasswordSecretKmsKeyId"):
        assert absent not in record


def test_defaults_are_derived_deterministically_from_identifiers(rs):
    a = rs.add_snapshot(SnapshotIdentifier="a", SnapshotCreateTime="2024-01-01T00:00:00Z")
    again = intercept(region="eu-central-1", account_id="999988887777").add_snapshot(
        SnapshotIdentifier="a", SnapshotCreateTime="2024-01-01T00:00:00Z")
    assert a == again
    b = rs.add_snapshot(SnapshotIdentifier="b", SnapshotCreateTime="2024-01-01T00:00:00Z")
    assert a["VpcId"][:12] == b["VpcId"][:12]  # same cluster, same account: same VPC prefix
    assert a["TotalBackupSizeInMegaBytes"] != b["TotalBackupSizeInMegaBytes"]


def test_any_field_can_be_overridden(rs):
    created = dt.datetime(2023, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    record = rs.add_snapshot(
        SnapshotIdentifier="custom", ClusterIdentifier="c1", SnapshotCreateTime=created,
        Port=5440, NodeType="dc2.large", NumberOfNodes=1, Encrypted=True, KmsKeyId="arn:aws:kms:k",
        ManualSnapshotRetentionPeriod=7, OwnerAccount="111122223333",
        SnapshotArn="arn:aws:redshift:eu-central-1:111122223333:snapshot:c1/custom",
        Tags=[{"Key": "team", "Value": "data"}], SourceRegion="us-west-1",
    )
    assert record["SnapshotCreateTime"] == created.replace(microsecond=891000)
    assert record["Port"] == 5440 and record["NodeType"] == "dc2.large"
    assert record["RestorableNodeTypes"] == ["dc2.large"]
    assert record["Encrypted"] is True and record["KmsKeyId"] == "arn:aws:kms:k"
    assert record["ManualSnapshotRetentionPeriod"] == 7
    assert record["ManualSnapshotRemainingDays"] == 0  # 7 days after a 2023 snapshot: expired
    assert record["SnapshotArn"] == "arn:aws:redshift:eu-central-1:111122223333:snapshot:c1/custom"
    assert record["OwnerAccount"] == "111122223333"
    assert record["Tags"] == [{"Key": "team", "Value": "data"}]
    assert record["SourceRegion"] == "us-west-1"


def test_remaining_days_counts_down_from_retention_start(rs):
    started = dt.datetime.now(UTC) - dt.timedelta(days=3, hours=1)
    record = rs.add_snapshot(SnapshotIdentifier="r", ManualSnapshotRetentionPeriod=10,
                             SnapshotCreateTime=started)
    assert record["ManualSnapshotRemainingDays"] == 7


def test_automated_snapshots_carry_no_manual_retention(rs):
    record = rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-12", SnapshotType="automated")
    assert "ManualSnapshotRetentionPeriod" not in record
    assert "ManualSnapshotRemainingDays" not in record
    assert "SnapshotRetentionStartTime" not in record
    with pytest.raises(ValueError, match="ManualSnapshotRetentionPeriod is only carried by manual"):
        rs.add_snapshot(SnapshotIdentifier="rs:x-1", SnapshotType="automated",
                        ManualSnapshotRetentionPeriod=5)


def test_naive_datetimes_are_utc_and_iso_strings_are_accepted(rs):
    naive = rs.add_snapshot(SnapshotIdentifier="n", SnapshotCreateTime=dt.datetime(2024, 1, 2, 3, 4, 5))
    text = rs.add_snapshot(SnapshotIdentifier="t", SnapshotCreateTime="2024-01-02T05:04:05+02:00")
    assert naive["SnapshotCreateTime"] == text["SnapshotCreateTime"] == dt.datetime(2024, 1, 2, 3, 4, 5,
                                                                                    tzinfo=UTC)
    assert naive["SnapshotCreateTime"].tzinfo is UTC


def test_short_forms_for_tags_and_shared_accounts(rs):
    record = rs.add_snapshot(SnapshotIdentifier="s", Tags={"env": "prod", "owner": "bi"},
                             AccountsWithRestoreAccess=["111122223333", "amazon-redshift-support"])
    assert record["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "bi"}]
    assert record["AccountsWithRestoreAccess"] == [{"AccountId": "111122223333"},
                                                   {"AccountAlias": "amazon-redshift-support"}]
    assert "AccountsWithRestoreAccess" not in rs.add_snapshot(SnapshotIdentifier="e",
                                                              AccountsWithRestoreAccess=[])


def test_snapshots_returns_copies(rs):
    rs.add_snapshot(SnapshotIdentifier="s", Tags={"k": "v"})
    copy = rs.snapshots()
    copy[0]["Tags"].append({"Key": "x", "Value": "y"})
    copy[0]["Status"] = "failed"
    assert rs.snapshots()[0]["Tags"] == [{"Key": "k", "Value": "v"}]
    assert rs.snapshots()[0]["Status"] == "available"


def test_seeded_record_is_not_shared_with_the_caller(rs):
    fields = {"SnapshotIdentifier": "s", "Tags": [{"Key": "k", "Value": "v"}]}
    returned = rs.add_snapshot(**fields)
    fields["Tags"].append({"Key": "late", "Value": "x"})
    returned["Tags"].clear()
    assert rs.snapshots()[0]["Tags"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({}, TypeError, "add_snapshot() missing required field 'SnapshotIdentifier'"),
    ({"SnapshotIdentifier": "s", "SnapshotIdentfier": "x"}, TypeError,
     "add_snapshot() got an unknown field 'SnapshotIdentfier'. Did you mean 'SnapshotIdentifier'?"),
    ({"SnapshotIdentifier": "s", "Colour": "red"}, TypeError,
     "add_snapshot() got an unknown field 'Colour'. Known fields: SnapshotIdentifier, ClusterIdentifier"),
    ({"SnapshotIdentifier": "s", "Port": "5439"}, TypeError, "Port must be an int, got str '5439'"),
    ({"SnapshotIdentifier": "s", "Port": True}, TypeError, "Port must be an int, got bool True"),
    ({"SnapshotIdentifier": "s", "Encrypted": 1}, TypeError, "Encrypted must be a bool, got int 1"),
    ({"SnapshotIdentifier": "s", "TotalBackupSizeInMegaBytes": "big"}, TypeError,
     "TotalBackupSizeInMegaBytes must be a float, got str 'big'"),
    ({"SnapshotIdentifier": "s", "SnapshotCreateTime": 1700000000}, TypeError,
     "SnapshotCreateTime must be a datetime or an ISO-8601 string, got int"),
    ({"SnapshotIdentifier": "s", "SnapshotCreateTime": "yesterday"}, ValueError,
     "SnapshotCreateTime must be a datetime or an ISO-8601 string, got 'yesterday'"),
    ({"SnapshotIdentifier": "s", "Tags": [{"Key": "k", "Val": "v"}]}, TypeError,
     "Tags[0] got an unknown field 'Val'. Did you mean 'Value'?"),
    ({"SnapshotIdentifier": "s", "Tags": "env=prod"}, TypeError, "Tags must be a list, got str"),
    ({"SnapshotIdentifier": "s", "RestorableNodeTypes": [1]}, TypeError,
     "RestorableNodeTypes[0] must be a str, got int 1"),
    ({"SnapshotIdentifier": "s", "Status": "deleting"}, ValueError,
     "Status must be one of ('available', 'creating', 'failed', 'cancelled', 'final snapshot'), "
     "got 'deleting'"),
    ({"SnapshotIdentifier": "s", "SnapshotType": "shared"}, ValueError,
     "SnapshotType must be one of ('manual', 'automated'), got 'shared'"),
    ({"SnapshotIdentifier": "s", "ManualSnapshotRetentionPeriod": 0}, ValueError,
     "ManualSnapshotRetentionPeriod must be -1 (keep forever) or 1..3653 days, got 0"),
    ({"SnapshotIdentifier": "s", "ManualSnapshotRetentionPeriod": 3654}, ValueError, "got 3654"),
    ({"SnapshotIdentifier": "1abc"}, ValueError,
     "SnapshotIdentifier '1abc' is not a valid Redshift identifier"),
    ({"SnapshotIdentifier": "a--b"}, ValueError, "no two consecutive hyphens"),
    ({"SnapshotIdentifier": "ab-"}, ValueError, "is not a valid Redshift identifier"),
    ({"SnapshotIdentifier": "a" * 256}, ValueError, "is not a valid Redshift identifier"),
    ({"SnapshotIdentifier": "rs:prod-1"}, ValueError, "is not a valid Redshift identifier"),
    ({"SnapshotIdentifier": "plain", "SnapshotType": "automated"}, ValueError,
     "'rs:' followed by 1-255 letters"),
    ({"SnapshotIdentifier": "s", "ClusterIdentifier": "my_cluster"}, ValueError,
     "ClusterIdentifier 'my_cluster' is not a valid Redshift identifier"),
    ({"SnapshotIdentifier": "s", "OwnerAccount": "12"}, ValueError, "OwnerAccount must be 12 digits"),
    ({"SnapshotIdentifier": "s", "AccountsWithRestoreAccess": ["bob"]}, ValueError,
     "AccountsWithRestoreAccess entry must be 12 digits"),
    ({"SnapshotIdentifier": "s", "AccountsWithRestoreAccess": [{}]}, ValueError,
     "each AccountsWithRestoreAccess entry needs an AccountId or AccountAlias"),
    ({"SnapshotIdentifier": "s", "Tags": {"k": "bell\x07"}}, ValueError,
     "Tags[0].Value contains the character '\\x07', which no AWS response can carry"),
])
def test_bad_fields_name_the_field(rs, fields, error, message):
    with pytest.raises(error) as excinfo:
        rs.add_snapshot(**fields)
    assert message in str(excinfo.value)
    assert rs.snapshots() == []


def test_duplicate_identifier_in_the_same_account_and_region(rs):
    rs.add_snapshot(SnapshotIdentifier="dup")
    with pytest.raises(ValueError, match="SnapshotIdentifier 'dup' already exists in account "
                                         "999988887777, region eu-central-1"):
        rs.add_snapshot(SnapshotIdentifier="dup", Port=5440)
    assert rs.snapshots()[0]["Port"] == 5439
    rs.add_snapshot(region="eu-west-1", SnapshotIdentifier="dup")  # another region: fine
    assert len(rs.snapshots(region="eu-west-1")) == 1


def test_bad_region_argument(rs):
    with pytest.raises(ValueError, match="region must be an AWS region name"):
        rs.add_snapshot(region="Europe", SnapshotIdentifier="s")
    with pytest.raises(ValueError, match="region must be an AWS region name"):
        rs.snapshots(region="")
