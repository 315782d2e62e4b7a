"""Create, copy, batch delete, share, modify, tags, clusters, the clock and faults."""

from __future__ import annotations

import datetime as dt

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from .conftest import CLOSED_ENDPOINT

UTC = dt.timezone.utc
ARN = "arn:aws:redshift:us-east-1:123456789012:snapshot:{cluster}/{snapshot}"


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def prod(rs):
    return rs.add_cluster(ClusterIdentifier="prod", NodeType="ra3.4xlarge", NumberOfNodes=4,
                          Encrypted=True, KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k",
                          ManualSnapshotRetentionPeriod=30)


# ---------------------------------------------------------------- create


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
    assert code(excinfo) == error
    assert rs.snapshots() == []


def test_create_duplicate_and_cluster_state(rs, client, prod):
    rs.add_snapshot(SnapshotIdentifier="taken", ClusterIdentifier="prod")
    with pytest.raises(client.exceptions.ClusterSnapshotAlreadyExistsFault):
        client.create_cluster_snapshot(SnapshotIdentifier="taken", ClusterIdentifier="prod")
    rs.add_cluster(ClusterIdentifier="busy", ClusterStatus="resizing")
    with pytest.raises(client.exceptions.InvalidClusterStateFault):
        client.create_cluster_snapshot(SnapshotIdentifier="new", ClusterIdentifier="busy")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["taken"]


# ---------------------------------------------------------------- copy


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
    assert code(excinfo) == error
    assert rs.snapshots() == before


def test_copy_of_a_missing_source(client, rs):
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.copy_cluster_snapshot(SourceSnapshotIdentifier="ghost", TargetSnapshotIdentifier="t")


# ---------------------------------------------------------------- batch delete


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


# ---------------------------------------------------------------- sharing


def test_authorize_then_revoke_by_id_and_by_arn(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    arn = ARN.format(cluster="prod", snapshot="s")
    shared = client.authorize_snapshot_access(SnapshotIdentifier="s", AccountWithRestoreAccess="111122223333")
    assert shared["Snapshot"]["AccountsWithRestoreAccess"] == [{"AccountId": "111122223333"}]
    support = client.authorize_snapshot_access(SnapshotArn=arn, AccountWithRestoreAccess="amazon-redshift-support")
    assert support["Snapshot"]["AccountsWithRestoreAccess"][1] == {"AccountAlias": "amazon-redshift-support"}
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="s")
    client.revoke_snapshot_access(SnapshotArn=arn, AccountWithRestoreAccess="111122223333")
    last = client.revoke_snapshot_access(SnapshotIdentifier="s", SnapshotClusterIdentifier="prod",
                                         AccountWithRestoreAccess="amazon-redshift-support")
    assert "AccountsWithRestoreAccess" not in last["Snapshot"]
    assert client.delete_cluster_snapshot(SnapshotIdentifier="s")["Snapshot"]["Status"] == "deleted"


@pytest.mark.parametrize(("seed", "params", "error"), [
    ({}, {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "s",
          "SnapshotArn": ARN.format(cluster="examplecluster", snapshot="s")}, "InvalidParameterCombination"),
    ({}, {"AccountWithRestoreAccess": "111122223333"}, "InvalidParameterCombination"),
    ({}, {"AccountWithRestoreAccess": "bob", "SnapshotIdentifier": "s"}, "InvalidParameterValue"),
    ({"AccountsWithRestoreAccess": ["111122223333"]},
     {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "s"}, "AuthorizationAlreadyExists"),
    ({"AccountsWithRestoreAccess": [f"{100000000000 + i}" for i in range(20)]},
     {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "s"}, "AuthorizationQuotaExceeded"),
    ({"Status": "creating"}, {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "s"},
     "InvalidClusterSnapshotState"),
    ({}, {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "ghost"}, "ClusterSnapshotNotFound"),
    ({}, {"AccountWithRestoreAccess": "111122223333", "SnapshotIdentifier": "s",
          "SnapshotClusterIdentifier": "other"}, "ClusterSnapshotNotFound"),
    ({}, {"AccountWithRestoreAccess": "111122223333",
          "SnapshotArn": "arn:aws:redshift:us-east-1:444455556666:snapshot:examplecluster/s"},
     "ClusterSnapshotNotFound"),
])
def test_authorize_refusals_change_nothing(rs, client, seed, params, error):
    rs.add_snapshot(SnapshotIdentifier="s", **seed)
    before = rs.snapshots()
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.authorize_snapshot_access(**params)
    assert code(excinfo) == error
    assert rs.snapshots() == before


def test_automated_snapshots_cannot_be_shared(rs, client):
    rs.add_snapshot(SnapshotIdentifier="rs:prod-1", SnapshotType="automated")
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.authorize_snapshot_access(SnapshotIdentifier="rs:prod-1", AccountWithRestoreAccess="111122223333")


def test_revoke_an_account_that_has_no_access(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", AccountsWithRestoreAccess=["111122223333"])
    with pytest.raises(client.exceptions.AuthorizationNotFoundFault) as excinfo:
        client.revoke_snapshot_access(SnapshotIdentifier="s", AccountWithRestoreAccess="999999999999")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert rs.snapshots()[0]["AccountsWithRestoreAccess"] == [{"AccountId": "111122223333"}]


# ---------------------------------------------------------------- modify


def test_modify_retention(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", SnapshotCreateTime=rs.clock.now() - dt.timedelta(days=10))
    snapshot = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=30)["Snapshot"]
    assert snapshot["ManualSnapshotRetentionPeriod"] == 30 and snapshot["ManualSnapshotRemainingDays"] == 20
    with pytest.raises(client.exceptions.InvalidRetentionPeriodFault, match="Force=True"):
        client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=5)
    assert rs.snapshots()[0]["ManualSnapshotRetentionPeriod"] == 30
    forced = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=5, Force=True)
    assert forced["Snapshot"]["ManualSnapshotRemainingDays"] == 0
    forever = client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=-1)
    assert forever["Snapshot"]["ManualSnapshotRemainingDays"] == -1
    unchanged = client.modify_cluster_snapshot(SnapshotIdentifier="s")["Snapshot"]
    assert unchanged["ManualSnapshotRetentionPeriod"] == -1


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


# ---------------------------------------------------------------- tags


def test_tags_on_snapshots_and_clusters(rs, client, prod):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", Tags={"env": "prod"})
    snapshot_arn = ARN.format(cluster="prod", snapshot="s")
    cluster_arn = "arn:aws:redshift:us-east-1:123456789012:cluster:prod"
    assert client.create_tags(ResourceName=snapshot_arn, Tags=[{"Key": "env", "Value": "dev"},
                                                               {"Key": "owner", "Value": "bi"}]).keys() \
        == {"ResponseMetadata"}
    client.create_tags(ResourceName=cluster_arn, Tags=[{"Key": "tier", "Value": "gold"}])
    assert rs.snapshots()[0]["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "bi"}]
    tagged = client.describe_tags()["TaggedResources"]
    assert [(t["ResourceType"], t["Tag"]["Key"]) for t in tagged] == [
        ("cluster", "tier"), ("snapshot", "env"), ("snapshot", "owner")]
    assert client.describe_tags(ResourceName=snapshot_arn, TagKeys=["owner"])["TaggedResources"] == [
        {"Tag": {"Key": "owner", "Value": "bi"}, "ResourceName": snapshot_arn, "ResourceType": "snapshot"}]
    assert len(client.describe_tags(ResourceType="cluster")["TaggedResources"]) == 1
    assert len(client.describe_tags(TagValues=["dev", "gold"])["TaggedResources"]) == 2
    client.delete_tags(ResourceName=snapshot_arn, TagKeys=["env", "absent"])
    assert rs.snapshots()[0]["Tags"] == [{"Key": "owner", "Value": "bi"}]
    assert [c["ClusterIdentifier"] for c in client.describe_clusters(TagKeys=["tier"])["Clusters"]] == ["prod"]


def test_describe_tags_pages_in_a_stable_order(rs, client, prod):
    for i in (2, 0, 1):  # stored out of order: the listing orders by ARN, then key
        rs.add_snapshot(SnapshotIdentifier=f"s{i}", ClusterIdentifier="prod",
                        Tags={f"k{j:02d}": "v" for j in reversed(range(15))})
    rs.add_cluster(ClusterIdentifier="alpha", Tags={"tier": "gold"})
    pages = list(client.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 20}))
    listed = [(t["ResourceType"], t["ResourceName"].rsplit("/", 1)[-1], t["Tag"]["Key"])
              for page in pages for t in page["TaggedResources"]]
    assert [len(page["TaggedResources"]) for page in pages] == [20, 20, 6]
    assert listed == [("cluster", "arn:aws:redshift:us-east-1:123456789012:cluster:alpha", "tier")] + [
        ("snapshot", f"s{i}", f"k{j:02d}") for i in range(3) for j in range(15)]


def test_describe_tags_pagination_survives_deletes_between_pages(rs, client):
    for i in range(50):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}", Tags={"retain": "no"})
    seen = []
    for page in client.get_paginator("describe_tags").paginate(
            ResourceType="snapshot", TagKeys=["retain"], PaginationConfig={"PageSize": 20}):
        for tagged in page["TaggedResources"]:
            snapshot_id = tagged["ResourceName"].rsplit("/", 1)[-1]
            seen.append(snapshot_id)
            client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
    assert seen == [f"s{i:02d}" for i in range(50)]
    assert rs.snapshots() == []


def test_describe_tags_refuses_a_foreign_marker(rs, client):
    for i in range(21):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}")
    snapshots_marker = client.describe_cluster_snapshots(MaxRecords=20)["Marker"]  # three parts, one a time
    for marker in ("garbage!", "WzFd", snapshots_marker):  # WzFd: a well-formed marker of another shape, [1]
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.describe_tags(Marker=marker)
        assert code(excinfo) == "InvalidParameterValue"
        assert excinfo.value.response["Error"]["Message"] == (
            f"Invalid Marker {marker!r}: pass the Marker of a previous DescribeTags response.")


@pytest.mark.parametrize("arn", [
    "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/ghost",
    "arn:aws:redshift:us-east-1:123456789012:snapshot:other/s",
    "arn:aws:redshift:eu-west-1:123456789012:snapshot:prod/s",
    "arn:aws:redshift:us-east-1:123456789012:cluster:ghost",
    "arn:aws:redshift:us-east-1:123456789012:parametergroup:default",
])
def test_tags_on_unknown_resources(rs, client, prod, arn):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    with pytest.raises(client.exceptions.ResourceNotFoundFault) as excinfo:
        client.create_tags(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert excinfo.value.response["Error"]["Message"] == f"The resource with ARN {arn} was not found."
    with pytest.raises(client.exceptions.ResourceNotFoundFault):
        client.describe_tags(ResourceName=arn)


def test_tag_limits(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", Tags={f"k{i}": "v" for i in range(49)})
    arn = ARN.format(cluster="examplecluster", snapshot="s")
    client.create_tags(ResourceName=arn, Tags=[{"Key": "k0", "Value": "replaced"}, {"Key": "new", "Value": "v"}])
    with pytest.raises(client.exceptions.TagLimitExceededFault):
        client.create_tags(ResourceName=arn, Tags=[{"Key": "one-too-many", "Value": "v"}])
    with pytest.raises(client.exceptions.InvalidTagFault):
        client.create_tags(ResourceName=arn, Tags=[{"Key": "aws:reserved", "Value": "v"}])
    tags = rs.snapshots()[0]["Tags"]
    assert len(tags) == 50 and tags[0] == {"Key": "k0", "Value": "replaced"}


# ---------------------------------------------------------------- clusters


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


# ---------------------------------------------------------------- faults


def test_injected_error_is_rendered_and_parsed(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.fail("DeleteClusterSnapshot", "InvalidClusterSnapshotState", "Injected refusal.")
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert excinfo.value.response["Error"] == {"Code": "InvalidClusterSnapshotState",
                                               "Message": "Injected refusal.", "Type": "Sender"}
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(rs.snapshots()) == 1 and rs.faults == []
    client.delete_cluster_snapshot(SnapshotIdentifier="s")  # only the next call failed


def test_fault_for_given_parameters_and_unmodelled_codes(rs, client):
    rs.add_snapshot(SnapshotIdentifier="a")
    rs.add_snapshot(SnapshotIdentifier="b")
    rs.fail("DeleteClusterSnapshot", "InternalFailure", status=500, times=None, when={"SnapshotIdentifier": "b"})
    client.delete_cluster_snapshot(SnapshotIdentifier="a")
    for _ in range(2):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="b")
        assert excinfo.value.response["Error"] == {
            "Code": "InternalFailure", "Message": "InternalFailure (injected by redshift-intercept)",
            "Type": "Receiver"}
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert len(rs.faults) == 1


def test_throttling_is_retried_by_botocore_without_sleeping(rs):
    client = boto3.client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT,
                          aws_access_key_id="k", aws_secret_access_key="s",
                          config=Config(retries={"mode": "standard", "max_attempts": 3}))
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.fail("DeleteClusterSnapshot", "Throttling", "Rate exceeded", times=2)
    before = rs.clock.now()
    response = client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [c.error_code for c in rs.calls] == ["Throttling", "Throttling", None]
    assert rs.clock.now() > before  # botocore's back-off moved the fake clock, not the test

    rs.add_snapshot(SnapshotIdentifier="t")
    rs.fail("DeleteClusterSnapshot", "Throttling", "Rate exceeded", times=5)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="t")
    # max_attempts counts retries: 1 attempt + 3 retries, as against AWS
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert "reached max retries: 3" in str(excinfo.value)
    assert code(excinfo) == "Throttling"
    assert rs.faults[0].remaining == 1


def test_fault_on_an_unmodelled_operation_answers_it(rs, client):
    rs.fail("DescribeClusterParameterGroups", "Throttling", times=1)
    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        client.describe_cluster_parameter_groups()


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    (("DeleteSnapshot", "Throttling"), {}, ValueError,
     "operation 'DeleteSnapshot' is not a Redshift operation. Did you mean 'DeleteClusterSnapshot'?"),
    (("DeleteClusterSnapshot", ""), {}, TypeError, "code must be a Redshift error code"),
    (("DeleteClusterSnapshot", "X"), {"status": 200}, ValueError, "status must be an HTTP error status"),
    (("DeleteClusterSnapshot", "X"), {"times": 0}, ValueError, "times must be a positive int or None"),
    (("DeleteClusterSnapshot", "X"), {"when": ["a"]}, TypeError, "when must be a dict of API parameters"),
])
def test_bad_fault_arguments(rs, args, kwargs, error, message):
    with pytest.raises(error) as excinfo:
        rs.fail(*args, **kwargs)
    assert message in str(excinfo.value)
    assert rs.faults == []


# ---------------------------------------------------------------- clock


def test_clock(rs):
    start = rs.clock.now()
    assert start.tzinfo is UTC and start.microsecond % 1000 == 0
    later = rs.clock.advance(hours=2)
    assert dt.timedelta(hours=2) <= later - start < dt.timedelta(hours=2, seconds=5)
    rs.clock.set(dt.datetime(2030, 1, 1))
    assert rs.clock.now().year == 2030
    with pytest.raises(ValueError, match="moves forward only"):
        rs.clock.advance(-1)
    with pytest.raises(TypeError, match="when must be a datetime"):
        rs.clock.set("2030-01-01")
    assert rs.add_snapshot(SnapshotIdentifier="s")["SnapshotCreateTime"].year == 2030
