"""Accounts are real: snapshots live in their owner's account, an owner shares
them with another account, and what that account can and cannot do with
them. Two identities in two accounts, through real boto3 clients."""

from __future__ import annotations

import botocore.exceptions
import pytest

from redshift_intercept._backend import CLUSTER

from .conftest import error_code, make_client

A, B = "111111111111", "222222222222"
REGION = "us-east-1"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "redshift:*", "Resource": "*"}]}


@pytest.fixture
def owner_and_other(rs):
    """An identity of account A (the owner) and one of account B, both allowed every Redshift action."""
    rs.add_identity("AKIDOWNER", arn=f"arn:aws:iam::{A}:user/owner", policies=[ADMIN])
    rs.add_identity("AKIDOTHER", arn=f"arn:aws:sts::{B}:assumed-role/Restorer/run-1", policies=[ADMIN])
    rs.add_snapshot(SnapshotIdentifier="gold", ClusterIdentifier="prod", OwnerAccount=A, Tags={"team": "bi"})
    return make_client(access_key_id="AKIDOWNER"), make_client(access_key_id="AKIDOTHER")


def ids(client, **params):
    return [s["SnapshotIdentifier"] for s in client.describe_cluster_snapshots(**params)["Snapshots"]]


def test_sharing_between_two_accounts(rs, owner_and_other):
    owner, other = owner_and_other
    assert ids(other) == []
    with pytest.raises(other.exceptions.ClusterSnapshotNotFoundFault):
        other.describe_cluster_snapshots(SnapshotIdentifier="gold")

    shared = owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    assert shared["Snapshot"]["AccountsWithRestoreAccess"] == [{"AccountId": B}]

    seen = other.describe_cluster_snapshots()["Snapshots"]
    assert [(s["SnapshotIdentifier"], s["OwnerAccount"]) for s in seen] == [("gold", A)]
    assert "AccountsWithRestoreAccess" not in seen[0]  # visible to the owner only
    assert ids(other, OwnerAccount=A) == ["gold"] and ids(other, SnapshotIdentifier="gold") == ["gold"]
    assert ids(other, SnapshotArn=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold") == ["gold"]
    # "are not returned with the tag key and tag value request parameters"
    assert ids(other, TagKeys=["team"]) == [] and ids(other, TagValues=["bi"]) == []
    assert ids(owner, TagKeys=["team"]) == ["gold"]
    assert owner.describe_cluster_snapshots()["Snapshots"][0]["AccountsWithRestoreAccess"] == [{"AccountId": B}]

    owner.revoke_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    assert ids(other) == [] and ids(other, OwnerAccount=A) == []


@pytest.mark.parametrize(("call", "code"), [
    (lambda c: c.delete_cluster_snapshot(SnapshotIdentifier="gold"), "ClusterSnapshotNotFound"),
    (lambda c: c.delete_cluster_snapshot(SnapshotIdentifier="gold", SnapshotClusterIdentifier="prod"),
     "ClusterSnapshotNotFound"),
    (lambda c: c.batch_delete_cluster_snapshots(Identifiers=[{"SnapshotIdentifier": "gold"}]), None),
    (lambda c: c.modify_cluster_snapshot(SnapshotIdentifier="gold", ManualSnapshotRetentionPeriod=1),
     "ClusterSnapshotNotFound"),
    (lambda c: c.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess="333333333333"),
     "ClusterSnapshotNotFound"),
    (lambda c: c.authorize_snapshot_access(SnapshotArn=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold",
                                           AccountWithRestoreAccess="333333333333"), "ClusterSnapshotNotFound"),
    (lambda c: c.revoke_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B),
     "AccessToSnapshotDenied"),
    (lambda c: c.revoke_snapshot_access(SnapshotArn=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold",
                                        AccountWithRestoreAccess=B), "AccessToSnapshotDenied"),
    (lambda c: c.create_tags(ResourceName=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold",
                             Tags=[{"Key": "mine", "Value": "now"}]), "ResourceNotFoundFault"),
    (lambda c: c.delete_tags(ResourceName=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold",
                             TagKeys=["team"]), "ResourceNotFoundFault"),
    (lambda c: c.copy_cluster_snapshot(SourceSnapshotIdentifier="gold", TargetSnapshotIdentifier="mine"),
     "ClusterSnapshotNotFound"),
])
def test_the_other_account_cannot_change_a_snapshot_shared_with_it(rs, owner_and_other, call, code):
    owner, other = owner_and_other
    owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    before = rs.backend.get(A, REGION, "gold")
    if code is None:  # a batch reports it per entry: not found in the caller's own account
        result = call(other)
        assert result["Resources"] == [] and result["Errors"][0]["FailureCode"] == "ClusterSnapshotNotFound"
    else:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            call(other)
        assert error_code(excinfo) == code
    assert rs.backend.get(A, REGION, "gold") == before


def test_a_non_owners_revoke_says_why(rs, owner_and_other):
    owner, other = owner_and_other
    owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    with pytest.raises(other.exceptions.AccessToSnapshotDeniedFault) as excinfo:
        other.revoke_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    assert excinfo.value.response["Error"]["Message"] == (
        f"Account {B} cannot change access to the snapshot gold of account {A}: only a snapshot's owner can "
        "authorize or revoke access to it.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A snapshot that is not shared with the caller stays invisible: not found, not "denied".
    rs.add_snapshot(SnapshotIdentifier="private", OwnerAccount=A)
    with pytest.raises(other.exceptions.ClusterSnapshotNotFoundFault):
        other.revoke_snapshot_access(SnapshotIdentifier="private", AccountWithRestoreAccess=B)


def test_authorizing_the_owners_own_account_is_an_error(rs, owner_and_other):
    owner, _ = owner_and_other
    with pytest.raises(owner.exceptions.ClientError) as excinfo:
        owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=A)
    assert error_code(excinfo) == "InvalidParameterValue"
    assert excinfo.value.response["Error"]["Message"] == (
        f"Account {A} owns the snapshot gold: authorize another account to restore it; the owner always can.")
    assert "AccountsWithRestoreAccess" not in rs.backend.get(A, REGION, "gold")


def test_a_shared_snapshot_is_listed_but_its_owner_still_cannot_delete_it(rs, owner_and_other):
    owner, other = owner_and_other
    owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    with pytest.raises(owner.exceptions.InvalidClusterSnapshotStateFault):
        owner.delete_cluster_snapshot(SnapshotIdentifier="gold")
    owner.revoke_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    owner.delete_cluster_snapshot(SnapshotIdentifier="gold")
    assert ids(owner) == [] and ids(other) == []


# ---------------------------------------------------------------- restoring another account's snapshot


def restorer_policy(snapshot_resource: str) -> dict:
    """The Management Guide's policy for the account a snapshot is shared with (identity-based policy
    example 4): describe snapshots, restore from the owner's snapshots into clusters whose names start
    with from-other-account, in the restorer's own account."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowDescribeSnapshots", "Effect": "Allow", "Action": ["redshift:DescribeClusterSnapshots"],
         "Resource": ["*"]},
        {"Sid": "AllowUserRestoreFromSnapshot", "Effect": "Allow", "Action": ["redshift:RestoreFromClusterSnapshot"],
         "Resource": [snapshot_resource, f"arn:aws:redshift:{REGION}:{B}:cluster:from-other-account*"]}]}


@pytest.fixture
def owner_and_restorer(rs):
    rs.add_identity("AKIDOWNER", arn=f"arn:aws:iam::{A}:user/owner", policies=[ADMIN])
    rs.add_identity("AKIDRESTORER", arn=f"arn:aws:iam::{B}:user/restorer",
                    policies=[restorer_policy(f"arn:aws:redshift:{REGION}:{A}:snapshot:*/*")])
    rs.add_snapshot(SnapshotIdentifier="gold", ClusterIdentifier="prod", OwnerAccount=A, NodeType="ra3.xlplus",
                    NumberOfNodes=2)
    return make_client(access_key_id="AKIDOWNER"), make_client(access_key_id="AKIDRESTORER")


def restore_code(client, **params) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.restore_from_cluster_snapshot(**params)
    return error_code(excinfo)


def test_the_other_account_restores_a_shared_snapshot_with_owner_account(rs, owner_and_restorer):
    owner, other = owner_and_restorer
    # Not shared yet: IAM allows it (the policy covers any snapshot of A), the owner has not.
    assert restore_code(other, ClusterIdentifier="from-other-account-1", SnapshotIdentifier="gold",
                        OwnerAccount=A) == "AccessToSnapshotDenied"
    owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)

    # Without OwnerAccount the snapshot is B's own ("Required if you are restoring a snapshot you do not
    # own"): authorized as B's, which this policy does not allow; an identity allowed it finds none.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other.restore_from_cluster_snapshot(ClusterIdentifier="from-other-account-1", SnapshotIdentifier="gold")
    assert f"on resource: arn:aws:redshift:{REGION}:{B}:snapshot:*/gold because" in (
        excinfo.value.response["Error"]["Message"])
    rs.add_identity("AKIDADMIN", arn=f"arn:aws:iam::{B}:user/admin", policies=[ADMIN])
    assert restore_code(make_client(access_key_id="AKIDADMIN"), ClusterIdentifier="from-other-account-1",
                        SnapshotIdentifier="gold") == "ClusterSnapshotNotFound"
    # A cluster name the policy does not allow: denied on B's cluster, nothing restored.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        other.restore_from_cluster_snapshot(ClusterIdentifier="elsewhere", SnapshotIdentifier="gold", OwnerAccount=A)
    assert excinfo.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{B}:user/restorer is not authorized to perform: redshift:RestoreFromClusterSnapshot "
        f"on resource: arn:aws:redshift:{REGION}:{B}:cluster:elsewhere because no identity-based policy allows "
        "the redshift:RestoreFromClusterSnapshot action")

    cluster = other.restore_from_cluster_snapshot(ClusterIdentifier="from-other-account-1", SnapshotIdentifier="gold",
                                                  OwnerAccount=A)["Cluster"]
    assert (cluster["ClusterIdentifier"], cluster["NumberOfNodes"]) == ("from-other-account-1", 2)
    assert [d.resource for d in rs.calls.last.decisions] == [
        f"arn:aws:redshift:{REGION}:{B}:cluster:from-other-account-1",
        f"arn:aws:redshift:{REGION}:{A}:snapshot:*/gold"]  # the owner's account, the cluster not named
    assert rs.calls.last.account_id == B
    # The new cluster is B's; A's snapshot stays A's, untouched.
    assert rs.backend.get(B, REGION, "from-other-account-1", CLUSTER) is not None
    assert rs.backend.get(A, REGION, "from-other-account-1", CLUSTER) is None
    other.restore_from_cluster_snapshot(ClusterIdentifier="from-other-account-2",
                                        SnapshotArn=f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold")
    assert rs.calls.last.decisions[1].resource == f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/gold"

    owner.revoke_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    assert restore_code(other, ClusterIdentifier="from-other-account-3", SnapshotIdentifier="gold",
                        OwnerAccount=A) == "AccessToSnapshotDenied"
    assert "gold" not in ids(other) and ids(other, OwnerAccount=A) == []  # (its clusters' automated ones remain)
    assert rs.backend.get(B, REGION, "from-other-account-3", CLUSTER) is None
    assert rs.backend.get(B, REGION, "from-other-account-1", CLUSTER) is not None  # a restored cluster stays


def test_a_restorer_policy_naming_the_owners_cluster_needs_the_cluster_named(rs, owner_and_restorer):
    """The seed's SnapshotClusterIdentifier rule, across accounts: a policy on snapshot:prod/* allows
    the restore only when the request names the cluster (or the ARN does)."""
    owner, _ = owner_and_restorer
    owner.authorize_snapshot_access(SnapshotIdentifier="gold", AccountWithRestoreAccess=B)
    rs.add_identity("AKIDSCOPED", arn=f"arn:aws:iam::{B}:user/scoped",
                    policies=[restorer_policy(f"arn:aws:redshift:{REGION}:{A}:snapshot:prod/*")])
    scoped = make_client(access_key_id="AKIDSCOPED")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        scoped.restore_from_cluster_snapshot(ClusterIdentifier="from-other-account-1", SnapshotIdentifier="gold",
                                             OwnerAccount=A)
    assert error_code(excinfo) == "AccessDenied"
    assert f"on resource: arn:aws:redshift:{REGION}:{A}:snapshot:*/gold because" in (
        excinfo.value.response["Error"]["Message"])
    scoped.restore_from_cluster_snapshot(ClusterIdentifier="from-other-account-1", SnapshotIdentifier="gold",
                                         SnapshotClusterIdentifier="prod", OwnerAccount=A)
    assert rs.calls.last.decision.allowed
