"""IAM policy evaluation of every answered call, through real boto3 clients:
the resources each operation is authorized against (the SnapshotClusterIdentifier
rule, the operations that resolve the cluster themselves, ``*`` and
``cluster:*``, per-entry batch checks, both snapshots of a copy), deny beats
allow, conditions on tags, region, principal and time, the AccessDenied AWS
sends, and the decision each call records."""

from __future__ import annotations

import datetime as dt

import botocore.exceptions
import pytest

from redshift_intercept import MemoryBackend, intercept
from redshift_intercept._authorize import LOCATORS, RESOLVES_CLUSTER
from redshift_intercept._iam_table import ACTIONS
from redshift_intercept._rules import OPERATIONS

from .conftest import UTC, error_code, make_client

ME = "123456789012"
USER = f"arn:aws:iam::{ME}:user/cleanup"
REGION = "us-east-1"
SNAPSHOT = f"arn:aws:redshift:{REGION}:{ME}:snapshot"
CLUSTER = f"arn:aws:redshift:{REGION}:{ME}:cluster"


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture
def as_user(rs):
    """A client of an identity with the given statements (one policy)."""
    def make(*statements, arn=USER):
        key = f"AKID{len(rs.identities)}"
        rs.add_identity(key, arn=arn, policies=[policy(*statements)])
        return make_client(access_key_id=key)
    return make


def denied(excinfo) -> str:
    error = excinfo.value.response
    assert error["Error"]["Code"] == "AccessDenied" and error["Error"]["Type"] == "Sender"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    return error["Error"]["Message"]


# ---------------------------------------------------------------- the seed's case: SnapshotClusterIdentifier


def test_a_policy_naming_the_cluster_needs_the_caller_to_name_it(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="nightly-1", ClusterIdentifier="prod")
    client = as_user(allow("redshift:DeleteClusterSnapshot", f"{SNAPSHOT}:prod/*"))

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="nightly-1")
    assert denied(excinfo) == (
        f"User: {USER} is not authorized to perform: redshift:DeleteClusterSnapshot on resource: "
        f"{SNAPSHOT}:*/nightly-1 because no identity-based policy allows the redshift:DeleteClusterSnapshot action")
    assert len(rs.snapshots()) == 1  # nothing changed

    deleted = client.delete_cluster_snapshot(SnapshotIdentifier="nightly-1", SnapshotClusterIdentifier="prod")
    assert deleted["Snapshot"]["Status"] == "deleted"
    assert [c.decision.describe() for c in rs.calls] == [
        f"denied: no statement allows redshift:DeleteClusterSnapshot on {SNAPSHOT}:*/nightly-1 (implicit deny)",
        f"allowed: redshift:DeleteClusterSnapshot on {SNAPSHOT}:prod/nightly-1, by policy 0, statement 0"]


def test_a_policy_with_star_for_the_cluster_allows_both_forms(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="a", ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="b", ClusterIdentifier="prod")
    client = as_user(allow("redshift:DeleteClusterSnapshot", f"{SNAPSHOT}:*/*"))
    client.delete_cluster_snapshot(SnapshotIdentifier="a")
    client.delete_cluster_snapshot(SnapshotIdentifier="b", SnapshotClusterIdentifier="prod")
    assert rs.snapshots() == []


def test_naming_the_wrong_cluster_is_authorized_against_what_was_named(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    client = as_user(allow("redshift:DeleteClusterSnapshot", f"{SNAPSHOT}:staging/*"))
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):  # allowed, then not found
        client.delete_cluster_snapshot(SnapshotIdentifier="s", SnapshotClusterIdentifier="staging")
    assert rs.calls.last.decision.allowed


@pytest.mark.parametrize("operation", ["AuthorizeSnapshotAccess", "ModifyClusterSnapshot"])
def test_two_operations_resolve_the_snapshots_cluster_themselves(rs, as_user, operation):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    client = as_user(allow(f"redshift:{operation}", f"{SNAPSHOT}:prod/*"))
    if operation == "AuthorizeSnapshotAccess":
        client.authorize_snapshot_access(SnapshotIdentifier="s", AccountWithRestoreAccess="222222222222")
    else:
        client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=7)
    assert rs.calls.last.decision.resource == f"{SNAPSHOT}:prod/s"
    assert operation in RESOLVES_CLUSTER


def test_a_resolving_operation_on_a_missing_snapshot_is_authorized_against_star(rs, as_user):
    client = as_user(allow("redshift:AuthorizeSnapshotAccess", f"{SNAPSHOT}:prod/*"))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.authorize_snapshot_access(SnapshotIdentifier="ghost", AccountWithRestoreAccess="222222222222")
    assert f"on resource: {SNAPSHOT}:*/ghost because" in denied(excinfo)


def test_revoke_does_not_resolve_the_cluster(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", AccountsWithRestoreAccess=["222222222222"])
    client = as_user(allow("redshift:RevokeSnapshotAccess", f"{SNAPSHOT}:prod/*"))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.revoke_snapshot_access(SnapshotIdentifier="s", AccountWithRestoreAccess="222222222222")
    assert f"on resource: {SNAPSHOT}:*/s because" in denied(excinfo)
    client.revoke_snapshot_access(SnapshotIdentifier="s", SnapshotClusterIdentifier="prod",
                                  AccountWithRestoreAccess="222222222222")
    # The ARN names the cluster too:
    rs.add_snapshot(SnapshotIdentifier="t", ClusterIdentifier="prod", AccountsWithRestoreAccess=["222222222222"])
    client.revoke_snapshot_access(SnapshotArn=f"{SNAPSHOT}:prod/t", AccountWithRestoreAccess="222222222222")
    assert "AccountsWithRestoreAccess" not in rs.snapshots()[1]


# ---------------------------------------------------------------- deny beats allow


def test_an_explicit_deny_beats_any_allow(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="keep-me", ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="old", ClusterIdentifier="prod")
    client = as_user(allow("redshift:*"), deny("redshift:Delete*", f"{SNAPSHOT}:*/keep-*", Sid="KeepKeepers"))

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="keep-me", SnapshotClusterIdentifier="prod")
    assert denied(excinfo) == (f"User: {USER} is not authorized to perform: redshift:DeleteClusterSnapshot on "
                               f"resource: {SNAPSHOT}:prod/keep-me with an explicit deny in an identity-based policy")
    assert rs.calls.last.decision.sid == "KeepKeepers" and rs.calls.last.decision.effect == "Deny"
    client.delete_cluster_snapshot(SnapshotIdentifier="old")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["keep-me"]
    assert rs.calls.last.decision.describe() == \
        f"allowed: redshift:DeleteClusterSnapshot on {SNAPSHOT}:*/old, by policy 0, statement 0"


def test_several_policies_are_one_decision(rs):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.add_identity("AKID", arn=USER, policies=[policy(allow("redshift:DeleteClusterSnapshot")),
                                                policy(deny("redshift:deleteclustersnapshot"))])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        make_client(access_key_id="AKID").delete_cluster_snapshot(SnapshotIdentifier="s")
    assert "with an explicit deny" in denied(excinfo)
    assert (rs.calls.last.decision.policy, rs.calls.last.decision.statement) == (1, 0)


# ---------------------------------------------------------------- conditions


def test_conditions_on_the_snapshots_tags(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="dev-1", Tags={"env": "dev"})
    rs.add_snapshot(SnapshotIdentifier="prod-1", Tags={"Env": "prod"})
    rs.add_snapshot(SnapshotIdentifier="untagged")
    client = as_user(allow("redshift:DeleteClusterSnapshot",
                           Condition={"StringEquals": {"aws:ResourceTag/env": "dev"}}))
    client.delete_cluster_snapshot(SnapshotIdentifier="dev-1")
    for snapshot_id in ("prod-1", "untagged", "ghost"):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
        denied(excinfo)  # a missing tag (or snapshot) makes the condition false
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["prod-1", "untagged"]


def test_a_keep_tag_guard_and_if_exists(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="kept", Tags={"keep": "true"})
    rs.add_snapshot(SnapshotIdentifier="free")
    keep = {"StringEquals": {"aws:ResourceTag/keep": "true"}}
    client = as_user(allow("redshift:*"), deny("redshift:DeleteClusterSnapshot", Condition=keep))
    client.delete_cluster_snapshot(SnapshotIdentifier="free")  # no keep tag: the condition is false
    with pytest.raises(botocore.exceptions.ClientError):
        client.delete_cluster_snapshot(SnapshotIdentifier="kept")
    # ...IfExists is true when the key is absent: this deny covers every untagged snapshot too.
    rs.add_snapshot(SnapshotIdentifier="untagged")
    strict = as_user(allow("redshift:*"), deny("redshift:DeleteClusterSnapshot", Condition={
        "StringNotEqualsIfExists": {"aws:ResourceTag/team": "bi"}}))
    with pytest.raises(botocore.exceptions.ClientError):
        strict.delete_cluster_snapshot(SnapshotIdentifier="untagged")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["kept", "untagged"]


def test_conditions_on_the_tags_in_the_request(rs, as_user, prod):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", Tags={"owner": "bi"})
    client = as_user(
        allow("redshift:CreateClusterSnapshot", Condition={"StringEquals": {"aws:RequestTag/team": "bi"}}),
        allow("redshift:CreateTags", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}),
        allow("redshift:DeleteTags", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "scratch"}}))
    client.create_cluster_snapshot(SnapshotIdentifier="mine", ClusterIdentifier="prod",
                                   Tags=[{"Key": "team", "Value": "bi"}])
    with pytest.raises(botocore.exceptions.ClientError):
        client.create_cluster_snapshot(SnapshotIdentifier="theirs", ClusterIdentifier="prod",
                                       Tags=[{"Key": "team", "Value": "ops"}])
    with pytest.raises(botocore.exceptions.ClientError):
        client.create_cluster_snapshot(SnapshotIdentifier="untagged", ClusterIdentifier="prod")

    arn = f"{SNAPSHOT}:prod/s"
    client.create_tags(ResourceName=arn, Tags=[{"Key": "team", "Value": "x"}, {"Key": "cost", "Value": "1"}])
    with pytest.raises(botocore.exceptions.ClientError):
        client.create_tags(ResourceName=arn, Tags=[{"Key": "team", "Value": "x"}, {"Key": "owner", "Value": "me"}])
    client.delete_tags(ResourceName=arn, TagKeys=["scratch", "cost"])
    with pytest.raises(botocore.exceptions.ClientError):
        client.delete_tags(ResourceName=arn, TagKeys=["team"])
    assert {t["Key"] for t in rs.snapshots()[0]["Tags"]} == {"owner", "team"}


def test_two_request_tags_differing_only_in_case_are_one_condition_key(rs, as_user, prod):
    client = as_user(allow("redshift:CreateClusterSnapshot", Condition={"StringEquals": {"aws:RequestTag/Team": "bi"}}))
    client.create_cluster_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod",
                                   Tags=[{"Key": "team", "Value": "bi"}, {"Key": "TEAM", "Value": "ops"}])
    assert rs.calls.last.decision.allowed  # the first of the two is the key's value


def test_a_tag_without_a_key_is_the_rules_to_refuse(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    client = as_user(allow("*", Condition={"StringEqualsIfExists": {"aws:RequestTag/team": "bi"}}))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.create_tags(ResourceName=f"{SNAPSHOT}:prod/s", Tags=[{"Key": "", "Value": "v"}])
    assert error_code(excinfo) != "AccessDenied" and rs.calls.last.decision.allowed
    assert rs.snapshots()[0]["Tags"] == []


def test_region_principal_and_time_conditions(rs):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.add_snapshot(SnapshotIdentifier="s", region="eu-west-1")
    role = f"arn:aws:sts::{ME}:assumed-role/Cleanup/nightly-run"
    rs.add_identity("AKID", arn=role, policies=[policy(allow("redshift:DeleteClusterSnapshot", Condition={
        "StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": ME,
                         "aws:PrincipalType": "AssumedRole"},
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ME}:role/Clean*"},
        "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))])
    rs.clock.set(dt.datetime(2030, 1, 1, tzinfo=UTC))
    client = make_client(access_key_id="AKID")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert denied(excinfo).startswith(f"User: {role} is not authorized")  # the session's ARN, as AWS shows it
    rs.clock.set(dt.datetime(2029, 12, 31, tzinfo=UTC))
    with pytest.raises(botocore.exceptions.ClientError):
        make_client("eu-west-1", access_key_id="AKID").delete_cluster_snapshot(SnapshotIdentifier="s")
    client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert rs.snapshots() == [] and len(rs.snapshots("eu-west-1")) == 1


def test_policy_variables_and_only_the_keys_a_policy_names(rs, as_user):
    """The context holds only the keys the statements for the action mention
    (a key nothing names cannot change a decision); variables resolve."""
    rs.add_snapshot(SnapshotIdentifier="cleanup-1")
    rs.add_snapshot(SnapshotIdentifier="other-1")
    client = as_user(allow("redshift:DeleteClusterSnapshot", f"{SNAPSHOT}:*/${{aws:username}}-*"),
                     allow("redshift:Describe*", Condition={"NumericGreaterThan": {"aws:EpochTime": 0}}))
    client.delete_cluster_snapshot(SnapshotIdentifier="cleanup-1")
    with pytest.raises(botocore.exceptions.ClientError):
        client.delete_cluster_snapshot(SnapshotIdentifier="other-1")
    identity = rs.identities[-1]
    assert identity.for_action("redshift:DeleteClusterSnapshot").uses == {"aws:username"}
    assert identity.for_action("redshift:DescribeClusters").uses == {"aws:epochtime"}
    assert client.describe_clusters()["Clusters"] == []


# ---------------------------------------------------------------- resources per operation


def test_describe_snapshots_needs_star(rs, as_user):
    narrow = as_user(allow("redshift:DescribeClusterSnapshots", f"{SNAPSHOT}:*/*"))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        narrow.describe_cluster_snapshots(SnapshotIdentifier="x")
    assert "on resource: * because no identity-based policy allows" in denied(excinfo)
    wide = as_user(allow("redshift:DescribeClusterSnapshots"))
    assert wide.describe_cluster_snapshots()["Snapshots"] == []


def test_describe_clusters_is_authorized_against_cluster_star_or_the_cluster(rs, as_user, prod):
    client = as_user(allow("redshift:DescribeClusters", f"{CLUSTER}:prod"))
    assert client.describe_clusters(ClusterIdentifier="prod")["Clusters"][0]["ClusterIdentifier"] == "prod"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.describe_clusters()
    assert f"on resource: {CLUSTER}:* because" in denied(excinfo)
    assert as_user(allow("redshift:DescribeClusters", f"arn:aws:redshift:*:{ME}:cluster:*")).describe_clusters()


def test_tags_are_authorized_against_the_resource_named(rs, as_user, prod):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", Tags={"a": "1"})
    client = as_user(allow("redshift:DescribeTags", f"{CLUSTER}:prod"), allow("redshift:CreateTags", f"{CLUSTER}:*"))
    client.describe_tags(ResourceName=f"{CLUSTER}:prod")
    client.create_tags(ResourceName=f"{CLUSTER}:prod", Tags=[{"Key": "b", "Value": "2"}])
    for call in (lambda: client.describe_tags(ResourceName=f"{SNAPSHOT}:prod/s"),
                 lambda: client.describe_tags(),  # names no resource: "*"
                 lambda: client.create_tags(ResourceName=f"{SNAPSHOT}:prod/s", Tags=[{"Key": "b", "Value": "2"}])):
        with pytest.raises(botocore.exceptions.ClientError):
            call()
    assert [d.resource for c in rs.calls for d in c.decisions] == [
        f"{CLUSTER}:prod", f"{CLUSTER}:prod", f"{SNAPSHOT}:prod/s", "*", f"{SNAPSHOT}:prod/s"]


def test_a_copy_needs_both_snapshots(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="rs:prod-1", ClusterIdentifier="prod", SnapshotType="automated")
    client = as_user(allow("redshift:CopyClusterSnapshot", f"{SNAPSHOT}:prod/rs:*"))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-1", SourceSnapshotClusterIdentifier="prod",
                                     TargetSnapshotIdentifier="kept-1")
    assert f"on resource: {SNAPSHOT}:prod/kept-1 because" in denied(excinfo)
    both = as_user(allow("redshift:CopyClusterSnapshot", [f"{SNAPSHOT}:prod/rs:*", f"{SNAPSHOT}:prod/kept-*"]))
    both.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-1", SourceSnapshotClusterIdentifier="prod",
                               TargetSnapshotIdentifier="kept-1")
    assert [d.resource for d in rs.calls.last.decisions] == [f"{SNAPSHOT}:prod/rs:prod-1", f"{SNAPSHOT}:prod/kept-1"]


def test_a_batch_delete_checks_each_entry(rs, as_user):
    for snapshot_id in ("a", "b", "keep"):
        rs.add_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier="prod")
    client = as_user(allow("redshift:BatchDeleteClusterSnapshots", f"{SNAPSHOT}:prod/*"),
                     deny("redshift:BatchDeleteClusterSnapshots", f"{SNAPSHOT}:*/keep"))
    result = client.batch_delete_cluster_snapshots(Identifiers=[
        {"SnapshotIdentifier": "a", "SnapshotClusterIdentifier": "prod"},
        {"SnapshotIdentifier": "b"},
        {"SnapshotIdentifier": "keep", "SnapshotClusterIdentifier": "prod"}])
    assert result["Resources"] == ["a"]
    assert result["Errors"] == [
        {"SnapshotIdentifier": "b", "FailureCode": "AccessDenied",
         "FailureReason": f"User: {USER} is not authorized to perform: redshift:BatchDeleteClusterSnapshots on "
                          f"resource: {SNAPSHOT}:*/b because no identity-based policy allows the "
                          "redshift:BatchDeleteClusterSnapshots action"},
        {"SnapshotIdentifier": "keep", "SnapshotClusterIdentifier": "prod", "FailureCode": "AccessDenied",
         "FailureReason": f"User: {USER} is not authorized to perform: redshift:BatchDeleteClusterSnapshots on "
                          f"resource: {SNAPSHOT}:prod/keep with an explicit deny in an identity-based policy"}]
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["b", "keep"]
    assert [d.allowed for d in rs.calls.last.decisions] == [True, False, False]
    assert rs.calls.last.decision.resource == f"{SNAPSHOT}:*/b"  # the first denial


# ---------------------------------------------------------------- the cluster operations


def new_cluster(client, cluster_id="etl", **params):
    return client.create_cluster(ClusterIdentifier=cluster_id, NodeType="ra3.xlplus", MasterUsername="admin",
                                 MasterUserPassword="Secret-123", **params)["Cluster"]


def state(rs) -> tuple:
    return rs.clusters(), rs.snapshots(), rs.events()


def test_a_policy_that_denies_delete_cluster_refuses_it_and_changes_nothing(rs, as_user):
    rs.add_cluster(ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="rs:prod-1", ClusterIdentifier="prod", SnapshotType="automated")
    client = as_user(allow("redshift:*"), deny("redshift:DeleteCluster", f"{CLUSTER}:prod"))
    before = state(rs)
    for params in ({"FinalClusterSnapshotIdentifier": "prod-final"}, {"SkipFinalClusterSnapshot": True}):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster(ClusterIdentifier="prod", **params)
        assert denied(excinfo) == (f"User: {USER} is not authorized to perform: redshift:DeleteCluster on resource: "
                                   f"{CLUSTER}:prod with an explicit deny in an identity-based policy")
    assert state(rs) == before  # no deletion started, no final snapshot, no event
    assert rs.calls.last.decision.sid is None and rs.calls.last.decision.statement == 1
    with pytest.raises(client.exceptions.ClusterNotFoundFault):  # another cluster: allowed, then not found
        client.delete_cluster(ClusterIdentifier="staging", SkipFinalClusterSnapshot=True)


def test_delete_cluster_is_authorized_against_the_cluster_alone(rs, as_user):
    """The Service Authorization Reference lists only the cluster for DeleteCluster, and no dependent
    action: the final snapshot is not a resource IAM checks, CreateClusterSnapshot is not needed."""
    rs.add_cluster(ClusterIdentifier="prod")
    client = as_user(allow("redshift:DeleteCluster", f"{CLUSTER}:prod"))
    client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final")
    assert [d.resource for d in rs.calls.last.decisions] == [f"{CLUSTER}:prod"]
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["prod-final"]


def test_create_cluster_and_the_tags_in_the_request(rs, as_user):
    client = as_user(allow("redshift:CreateCluster", f"{CLUSTER}:etl-*",
                           Condition={"StringEquals": {"aws:RequestTag/team": "bi"},
                                      "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:  # no tag: the key is absent, false
        new_cluster(client, "etl-1")
    assert "because no identity-based policy allows the redshift:CreateCluster action" in denied(excinfo)
    with pytest.raises(botocore.exceptions.ClientError):  # a key the policy does not list
        new_cluster(client, "etl-1", Tags=[{"Key": "team", "Value": "bi"}, {"Key": "owner", "Value": "me"}])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:  # a name the policy does not cover
        new_cluster(client, "prod", Tags=[{"Key": "team", "Value": "bi"}])
    assert f"on resource: {CLUSTER}:prod because" in denied(excinfo)
    assert rs.clusters() == []
    new_cluster(client, "etl-1", Tags=[{"Key": "team", "Value": "bi"}, {"Key": "cost", "Value": "42"}])
    assert [c["ClusterIdentifier"] for c in rs.clusters()] == ["etl-1"]


def test_modify_cluster_and_the_clusters_own_tags(rs, as_user):
    rs.add_cluster(ClusterIdentifier="dev", Tags={"env": "dev"})
    rs.add_cluster(ClusterIdentifier="prod", Tags={"env": "prod"})
    client = as_user(allow("redshift:ModifyCluster", f"{CLUSTER}:*",
                           Condition={"StringEquals": {"aws:ResourceTag/env": "dev"}}))
    client.modify_cluster(ClusterIdentifier="dev", AutomatedSnapshotRetentionPeriod=5)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=5)
    assert f"on resource: {CLUSTER}:prod because" in denied(excinfo)
    assert [c["AutomatedSnapshotRetentionPeriod"] for c in rs.clusters()] == [5, 1]


def test_describe_events_needs_star(rs, as_user):
    rs.add_cluster(ClusterIdentifier="prod")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        as_user(allow("redshift:DescribeEvents", f"{CLUSTER}:prod")).describe_events(SourceIdentifier="prod",
                                                                                      SourceType="cluster")
    assert "on resource: * because no identity-based policy allows the redshift:DescribeEvents action" in (
        denied(excinfo))
    as_user(allow("redshift:DescribeEvents")).describe_events(SourceIdentifier="prod", SourceType="cluster")
    assert rs.calls.last.decision.resource == "*"


def test_a_restore_needs_both_the_snapshot_and_the_new_cluster(rs, as_user):
    rs.add_snapshot(SnapshotIdentifier="nightly", ClusterIdentifier="prod", Tags={"classified": "yes"})
    only_cluster = as_user(allow("redshift:RestoreFromClusterSnapshot", f"{CLUSTER}:copy"))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        only_cluster.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="nightly")
    assert f"on resource: {SNAPSHOT}:*/nightly because" in denied(excinfo)
    assert [d.allowed for d in rs.calls.last.decisions] == [True, False]
    both_but_not_classified = as_user(
        allow("redshift:RestoreFromClusterSnapshot", [f"{CLUSTER}:copy", f"{SNAPSHOT}:*/*"]),
        deny("redshift:RestoreFromClusterSnapshot", f"{SNAPSHOT}:*",
             Condition={"StringEquals": {"aws:ResourceTag/classified": "yes"}}))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        both_but_not_classified.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="nightly",
                                                             SnapshotClusterIdentifier="prod")
    assert "with an explicit deny" in denied(excinfo)
    assert rs.clusters() == []
    rs.add_snapshot(SnapshotIdentifier="open", ClusterIdentifier="prod")
    both_but_not_classified.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="open")
    assert [c["ClusterIdentifier"] for c in rs.clusters()] == ["copy"]


@pytest.mark.parametrize(("operation", "params", "resources"), [
    ("DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, [f"{SNAPSHOT}:*/s"]),
    ("DeleteClusterSnapshot", {"SnapshotIdentifier": "s", "SnapshotClusterIdentifier": "prod"},
     [f"{SNAPSHOT}:prod/s"]),
    ("CreateClusterSnapshot", {"SnapshotIdentifier": "s", "ClusterIdentifier": "prod"}, [f"{SNAPSHOT}:prod/s"]),
    ("AuthorizeSnapshotAccess", {"SnapshotArn": "arn:aws:redshift:eu-west-1:210987654321:snapshot:c/s"},
     ["arn:aws:redshift:eu-west-1:210987654321:snapshot:c/s"]),
    ("RevokeSnapshotAccess", {"SnapshotIdentifier": "s", "SnapshotClusterIdentifier": "c"}, [f"{SNAPSHOT}:c/s"]),
    ("DescribeClusterSnapshots", {"ClusterIdentifier": "prod"}, ["*"]),
    ("DescribeEvents", {"SourceIdentifier": "prod"}, ["*"]),
    ("DescribeClusters", {}, [f"{CLUSTER}:*"]),
    ("DescribeTags", {"ResourceType": "snapshot"}, ["*"]),
    ("CreateCluster", {"ClusterIdentifier": "new"}, [f"{CLUSTER}:new"]),
    ("DeleteCluster", {"ClusterIdentifier": "old"}, [f"{CLUSTER}:old"]),
    ("ModifyCluster", {"ClusterIdentifier": "c", "NewClusterIdentifier": "d"}, [f"{CLUSTER}:c"]),
    ("RestoreFromClusterSnapshot", {"ClusterIdentifier": "new", "SnapshotIdentifier": "s"},
     [f"{CLUSTER}:new", f"{SNAPSHOT}:*/s"]),
    ("RestoreFromClusterSnapshot", {"ClusterIdentifier": "new", "SnapshotIdentifier": "s", "OwnerAccount":
                                    "210987654321", "SnapshotClusterIdentifier": "prod"},
     [f"{CLUSTER}:new", f"arn:aws:redshift:{REGION}:210987654321:snapshot:prod/s"]),
    ("BatchDeleteClusterSnapshots", {"Identifiers": []}, []),
])
def test_the_resources_of_each_operation(operation, params, resources):
    """The locator table, alone (the cluster operations through real clients are above)."""
    targets = LOCATORS[operation](params, REGION, ME, lambda account, snapshot_id: None)
    assert [t.resource for t in targets] == resources


def test_every_answered_operation_has_an_action_and_a_locator():
    assert set(OPERATIONS) <= set(ACTIONS) == set(LOCATORS)


# ---------------------------------------------------------------- what a denial leaves behind


def test_a_denied_call_changes_nothing_and_is_journaled_with_its_decision(tmp_path):
    with intercept(backend=MemoryBackend(), journal=True) as rs:
        rs.add_snapshot(SnapshotIdentifier="s", AccountsWithRestoreAccess=["222222222222"])
        rs.add_identity("AKID", arn=USER, policies=[policy(allow("redshift:Describe*"))])
        client = make_client(access_key_id="AKID")
        before = rs.snapshots()
        for call in (lambda: client.delete_cluster_snapshot(SnapshotIdentifier="s"),
                     lambda: client.revoke_snapshot_access(SnapshotIdentifier="s",
                                                           AccountWithRestoreAccess="222222222222"),
                     lambda: client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=1)):
            with pytest.raises(botocore.exceptions.ClientError) as excinfo:
                call()
            assert error_code(excinfo) == "AccessDenied"
        assert rs.snapshots() == before
        client.describe_cluster_snapshots()
        journal = rs.journal()
        assert [(c.error_code, c.principal) for c in journal] == [("AccessDenied", USER)] * 3 + [(None, USER)]
        assert journal[0].decisions == rs.calls[0].decisions and journal[3].decision.allowed


def test_the_default_identity_is_never_evaluated(rs):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.add_identity("AKID", arn=USER, policies=[])
    make_client().delete_cluster_snapshot(SnapshotIdentifier="s")
    assert rs.calls.last.decisions is None and rs.calls.last.decision is None
