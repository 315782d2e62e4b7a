"""DescribeClusterSnapshots: filters, sharing, sorting, pagination, settling."""

from __future__ import annotations

import datetime as dt

import botocore.exceptions
import pytest

from redshift_intercept import MemoryBackend, intercept

from .conftest import UTC, error_code, make_client

DAY = dt.timedelta(days=1)
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)


def ids(response) -> list[str]:
    return [s["SnapshotIdentifier"] for s in response["Snapshots"]]


@pytest.fixture
def seeded(rs):
    rs.add_cluster(ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="m1", ClusterIdentifier="prod", SnapshotCreateTime=T0,
                    Tags={"team": "bi", "env": "prod"}, TotalBackupSizeInMegaBytes=300.0)
    rs.add_snapshot(SnapshotIdentifier="m2", ClusterIdentifier="prod", SnapshotCreateTime=T0 + DAY,
                    Tags={"team": "ops"}, TotalBackupSizeInMegaBytes=100.0)
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-01-03-00-00-00", ClusterIdentifier="prod",
                    SnapshotType="automated", SnapshotCreateTime=T0 + 2 * DAY,
                    TotalBackupSizeInMegaBytes=200.0)
    rs.add_snapshot(SnapshotIdentifier="orphan", ClusterIdentifier="gone", SnapshotCreateTime=T0 + 3 * DAY,
                    Tags={"env": "dev"}, TotalBackupSizeInMegaBytes=50.0)
    return rs


ALL = ["m1", "m2", "rs:prod-2024-01-03-00-00-00", "orphan"]


def test_no_filter_lists_everything_oldest_first(seeded, client):
    response = client.describe_cluster_snapshots()
    assert ids(response) == ALL
    assert "Marker" not in response
    assert response["Snapshots"][0]["Tags"] == [{"Key": "team", "Value": "bi"}, {"Key": "env", "Value": "prod"}]
    assert isinstance(response["Snapshots"][0]["SnapshotCreateTime"], dt.datetime)


@pytest.mark.parametrize(("params", "expected"), [
    ({"ClusterIdentifier": "prod"}, ["m1", "m2", "rs:prod-2024-01-03-00-00-00"]),
    ({"ClusterIdentifier": "nobody"}, []),
    ({"SnapshotIdentifier": "m2"}, ["m2"]),
    ({"SnapshotArn": "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/m2"}, ["m2"]),
    ({"SnapshotType": "manual"}, ["m1", "m2", "orphan"]),
    ({"SnapshotType": "automated"}, ["rs:prod-2024-01-03-00-00-00"]),
    ({"StartTime": T0 + DAY}, ["m2", "rs:prod-2024-01-03-00-00-00", "orphan"]),
    ({"EndTime": T0 + DAY}, ["m1", "m2"]),
    ({"StartTime": T0 + DAY, "EndTime": T0 + 2 * DAY}, ["m2", "rs:prod-2024-01-03-00-00-00"]),
    ({"OwnerAccount": "123456789012"}, ALL),
    ({"OwnerAccount": "444455556666"}, []),
    ({"TagKeys": ["env"]}, ["m1", "orphan"]),
    ({"TagValues": ["ops", "dev"]}, ["m2", "orphan"]),
    ({"TagKeys": ["team"], "TagValues": ["bi"]}, ["m1"]),
    ({"ClusterExists": True, "ClusterIdentifier": "prod"}, ["m1", "m2", "rs:prod-2024-01-03-00-00-00"]),
    ({"ClusterExists": False}, ["orphan"]),
    ({"ClusterExists": False, "ClusterIdentifier": "prod"}, []),
    ({"ClusterExists": False, "ClusterIdentifier": "gone"}, ["orphan"]),
    ({"SortingEntities": [{"Attribute": "TOTAL_SIZE"}]}, ["orphan", "m2", "rs:prod-2024-01-03-00-00-00", "m1"]),
    ({"SortingEntities": [{"Attribute": "TOTAL_SIZE", "SortOrder": "DESC"}]},
     ["m1", "rs:prod-2024-01-03-00-00-00", "m2", "orphan"]),
    ({"SortingEntities": [{"Attribute": "CREATE_TIME", "SortOrder": "DESC"}]}, ALL[::-1]),
    ({"SortingEntities": [{"Attribute": "SOURCE_TYPE", "SortOrder": "DESC"},
                          {"Attribute": "CREATE_TIME", "SortOrder": "DESC"}]},
     ["orphan", "m2", "m1", "rs:prod-2024-01-03-00-00-00"]),
])
def test_filters(seeded, client, params, expected):
    assert ids(client.describe_cluster_snapshots(**params)) == expected


@pytest.mark.parametrize(("params", "error", "status"), [
    ({"SnapshotIdentifier": "ghost"}, "ClusterSnapshotNotFound", 404),
    ({"SnapshotArn": "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/ghost"},
     "ClusterSnapshotNotFound", 404),
    ({"SnapshotArn": "not-an-arn"}, "InvalidParameterValue", 400),
    ({"MaxRecords": 19}, "InvalidParameterValue", 400),
    ({"MaxRecords": 101}, "InvalidParameterValue", 400),
    ({"SnapshotType": "shared"}, "InvalidParameterValue", 400),
    ({"ClusterExists": True}, "InvalidParameterCombination", 400),
    ({"ClusterExists": True, "ClusterIdentifier": "gone"}, "ClusterNotFound", 404),
    ({"Marker": "garbage!"}, "InvalidParameterValue", 400),
    ({"SortingEntities": [{"Attribute": "CREATE_TIME", "SortOrder": "UP"}]}, "InvalidParameterValue", 400),
])
def test_refused_requests(seeded, client, params, error, status):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.describe_cluster_snapshots(**params)
    assert error_code(excinfo) == error
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_max_records_message(seeded, client):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.describe_cluster_snapshots(MaxRecords=5)
    assert excinfo.value.response["Error"]["Message"] == "MaxRecords must be between 20 and 100; got 5."


def test_marker_pagination_and_boto3_paginator(rs, client):
    for i in range(250):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:03d}", SnapshotCreateTime=T0 + i * DAY)
    first = client.describe_cluster_snapshots(MaxRecords=100)
    assert ids(first) == [f"s{i:03d}" for i in range(100)] and first["Marker"]
    second = client.describe_cluster_snapshots(MaxRecords=100, Marker=first["Marker"])
    assert ids(second)[0] == "s100"
    pages = list(client.get_paginator("describe_cluster_snapshots").paginate(
        PaginationConfig={"PageSize": 20}))
    assert len(pages) == 13
    assert [s for page in pages for s in ids(page)] == [f"s{i:03d}" for i in range(250)]


def test_pagination_survives_deletes_between_pages(rs, client):
    for i in range(60):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}", SnapshotCreateTime=T0 + i * DAY)
    seen = []
    marker = None
    while True:
        page = client.describe_cluster_snapshots(MaxRecords=20, **({"Marker": marker} if marker else {}))
        for snapshot in page["Snapshots"]:
            seen.append(snapshot["SnapshotIdentifier"])
            client.delete_cluster_snapshot(SnapshotIdentifier=snapshot["SnapshotIdentifier"])
        marker = page.get("Marker")
        if not marker:
            break
    assert seen == [f"s{i:02d}" for i in range(60)]
    assert rs.snapshots() == []


def test_snapshots_shared_with_this_account_are_visible_with_their_owner(client):
    backend = MemoryBackend()
    owner = intercept(backend=backend, account_id="444455556666")
    owner.add_snapshot(SnapshotIdentifier="theirs-shared", ClusterIdentifier="other",
                       AccountsWithRestoreAccess=["123456789012", "777788889999"])
    owner.add_snapshot(SnapshotIdentifier="theirs-private", ClusterIdentifier="other")
    with intercept(backend=backend) as rs:
        rs.add_snapshot(SnapshotIdentifier="mine")
        everything = client.describe_cluster_snapshots()
        assert ids(everything) == ["theirs-shared", "mine"] or ids(everything) == ["mine", "theirs-shared"]
        shared = next(s for s in everything["Snapshots"] if s["SnapshotIdentifier"] == "theirs-shared")
        assert shared["OwnerAccount"] == "444455556666"
        assert "AccountsWithRestoreAccess" not in shared  # visible only to the owner
        assert ids(client.describe_cluster_snapshots(OwnerAccount="444455556666")) == ["theirs-shared"]
        assert ids(client.describe_cluster_snapshots(SnapshotIdentifier="theirs-shared")) == ["theirs-shared"]
        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
            client.describe_cluster_snapshots(SnapshotIdentifier="theirs-private")
        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):  # not ours to delete
            client.delete_cluster_snapshot(SnapshotIdentifier="theirs-shared")
    with intercept(backend=backend, account_id="444455556666"):
        mine = client.describe_cluster_snapshots(SnapshotIdentifier="theirs-shared")["Snapshots"][0]
        assert [a["AccountId"] for a in mine["AccountsWithRestoreAccess"]] == ["123456789012", "777788889999"]


def test_a_snapshot_of_another_owner_can_be_seeded_directly(rs, client):
    rs.add_snapshot(SnapshotIdentifier="from-partner", OwnerAccount="444455556666",
                    AccountsWithRestoreAccess=[rs.account_id])
    snapshot = client.describe_cluster_snapshots()["Snapshots"][0]
    assert snapshot["OwnerAccount"] == "444455556666"
    assert snapshot["SnapshotArn"].startswith("arn:aws:redshift:us-east-1:444455556666:")
    assert rs.snapshots() == []  # rs.snapshots() lists the interceptor's own account


def test_remaining_days_follow_the_clock(rs, client):
    rs.add_snapshot(SnapshotIdentifier="keep-10", ManualSnapshotRetentionPeriod=10,
                    SnapshotCreateTime=rs.clock.now())
    assert client.describe_cluster_snapshots()["Snapshots"][0]["ManualSnapshotRemainingDays"] == 10
    rs.clock.advance(days=4)
    assert client.describe_cluster_snapshots()["Snapshots"][0]["ManualSnapshotRemainingDays"] == 6


def test_other_regions_see_nothing(seeded):
    assert make_client("eu-west-1").describe_cluster_snapshots()["Snapshots"] == []
