"""``rs.required_policy()``: the smallest identity policy that allows every
call a program made and nothing else. The test that matters: run the same
program again with only that policy, and it does exactly what it did."""

from __future__ import annotations

import datetime as dt

import botocore.exceptions
import pytest

from redshift_intercept import intercept
from redshift_intercept._authorize import requests_of

from .conftest import UTC, make_client

ME = "123456789012"
SNAPSHOT = f"arn:aws:redshift:us-east-1:{ME}:snapshot"
OLD = dt.datetime(2020, 1, 1, tzinfo=UTC)


def seed(rs) -> None:
    rs.add_cluster(ClusterIdentifier="prod", Tags={"team": "bi"})
    rs.add_snapshot(SnapshotIdentifier="old-1", ClusterIdentifier="prod", SnapshotCreateTime=OLD)
    rs.add_snapshot(SnapshotIdentifier="old-2", ClusterIdentifier="prod", SnapshotCreateTime=OLD,
                    AccountsWithRestoreAccess=["222222222222"])
    rs.add_snapshot(SnapshotIdentifier="old-3", ClusterIdentifier="staging", SnapshotCreateTime=OLD)
    rs.add_snapshot(SnapshotIdentifier="old-4", ClusterIdentifier="staging", SnapshotCreateTime=OLD)
    rs.add_snapshot(SnapshotIdentifier="new-1", ClusterIdentifier="prod")
    rs.add_snapshot(SnapshotIdentifier="rs:prod-1", ClusterIdentifier="prod", SnapshotType="automated")


def program(client) -> list:
    """A cleanup touching most operations, some with the cluster named and some without."""
    outcomes = []

    def attempt(name, call):
        try:
            call()
            outcomes.append((name, "ok"))
        except botocore.exceptions.ClientError as error:
            outcomes.append((name, error.response["Error"]["Code"]))

    client.describe_clusters(ClusterIdentifier="prod")
    old = [s for page in client.get_paginator("describe_cluster_snapshots").paginate(SnapshotType="manual")
           for s in page["Snapshots"] if s["SnapshotCreateTime"] < dt.datetime(2021, 1, 1, tzinfo=UTC)]
    for snapshot in old:
        for account in snapshot.get("AccountsWithRestoreAccess", []):
            attempt("revoke", lambda s=snapshot, a=account: client.revoke_snapshot_access(
                SnapshotIdentifier=s["SnapshotIdentifier"], SnapshotClusterIdentifier=s["ClusterIdentifier"],
                AccountWithRestoreAccess=a["AccountId"]))
    attempt("delete", lambda: client.delete_cluster_snapshot(SnapshotIdentifier="old-1",
                                                             SnapshotClusterIdentifier="prod"))
    attempt("delete", lambda: client.delete_cluster_snapshot(SnapshotIdentifier="old-2"))
    attempt("batch", lambda: outcomes.append(("batch-errors", [e["FailureCode"] for e in
                                                               client.batch_delete_cluster_snapshots(Identifiers=[
                                                                   {"SnapshotIdentifier": "old-3"},
                                                                   {"SnapshotIdentifier": "old-4",
                                                                    "SnapshotClusterIdentifier": "staging"},
                                                                   {"SnapshotIdentifier": "ghost"}])["Errors"]])))
    attempt("retention", lambda: client.modify_cluster_snapshot(SnapshotIdentifier="new-1",
                                                                ManualSnapshotRetentionPeriod=7))
    attempt("copy", lambda: client.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-1",
                                                         TargetSnapshotIdentifier="kept-1"))
    attempt("tag", lambda: client.create_tags(ResourceName=f"{SNAPSHOT}:prod/new-1",
                                              Tags=[{"Key": "checked", "Value": "yes"}]))
    attempt("missing", lambda: client.delete_cluster_snapshot(SnapshotIdentifier="never-was"))
    return outcomes


def run(policies=None):
    """The program on a fresh seed: as the default identity, or as an identity with ``policies``."""
    with intercept(strict_identities=policies is not None) as rs:
        seed(rs)
        key = "testing"
        if policies is not None:
            rs.add_identity("AKIDCLEANUP", arn=f"arn:aws:iam::{ME}:user/cleanup", policies=policies)
            key = "AKIDCLEANUP"
        outcomes = program(make_client(access_key_id=key))
        return rs, outcomes


def test_the_program_runs_again_with_only_the_policy_it_needs():
    first, outcomes = run()
    policy = first.required_policy()
    assert ("missing", "ClusterSnapshotNotFound") in outcomes  # failed calls were authorized first: included

    second, again = run([policy])
    assert again == outcomes
    assert [(c.operation, c.error_code) for c in second.calls] == [(c.operation, c.error_code) for c in first.calls]
    assert all(d.allowed for c in second.calls for d in c.decisions)
    assert [s["SnapshotIdentifier"] for s in second.snapshots()] == [s["SnapshotIdentifier"] for s in first.snapshots()]


def test_the_policy_is_exact():
    rs, _ = run()
    assert rs.required_policy() == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "redshift:BatchDeleteClusterSnapshots",
         "Resource": [f"{SNAPSHOT}:*/ghost", f"{SNAPSHOT}:*/old-3", f"{SNAPSHOT}:staging/old-4"]},
        {"Effect": "Allow", "Action": "redshift:CopyClusterSnapshot",
         "Resource": [f"{SNAPSHOT}:*/kept-1", f"{SNAPSHOT}:*/rs:prod-1"]},
        # ModifyClusterSnapshot resolves the cluster itself: the exact ARN, which CreateTags named too.
        {"Effect": "Allow", "Action": ["redshift:CreateTags", "redshift:ModifyClusterSnapshot"],
         "Resource": f"{SNAPSHOT}:prod/new-1"},
        {"Effect": "Allow", "Action": "redshift:DeleteClusterSnapshot",
         "Resource": [f"{SNAPSHOT}:*/never-was", f"{SNAPSHOT}:*/old-2", f"{SNAPSHOT}:prod/old-1"]},
        {"Effect": "Allow", "Action": "redshift:DescribeClusterSnapshots", "Resource": "*"},
        {"Effect": "Allow", "Action": "redshift:DescribeClusters",
         "Resource": f"arn:aws:redshift:us-east-1:{ME}:cluster:prod"},
        {"Effect": "Allow", "Action": "redshift:RevokeSnapshotAccess", "Resource": f"{SNAPSHOT}:prod/old-2"}]}


@pytest.mark.parametrize("extra", [
    lambda c: c.delete_cluster_snapshot(SnapshotIdentifier="new-1"),  # another snapshot
    lambda c: c.delete_cluster_snapshot(SnapshotIdentifier="old-1"),  # the same one, without its cluster
    lambda c: c.describe_clusters(),  # every cluster, not prod
    lambda c: c.describe_tags(),  # another action
    lambda c: c.modify_cluster_snapshot(SnapshotIdentifier="old-1", ManualSnapshotRetentionPeriod=1),
])
def test_and_nothing_else(extra):
    first, _ = run()
    with intercept() as rs:
        seed(rs)
        rs.add_identity("AKID", arn=f"arn:aws:iam::{ME}:user/cleanup", policies=[first.required_policy()])
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            extra(make_client(access_key_id="AKID"))
        assert excinfo.value.response["Error"]["Code"] == "AccessDenied"


def test_a_pattern_in_the_resources_covers_the_exact_arns_it_matches(rs):
    rs.add_cluster(ClusterIdentifier="prod")
    client = make_client()
    client.describe_clusters(ClusterIdentifier="prod")
    client.describe_clusters()
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    client.describe_tags(ResourceName=f"{SNAPSHOT}:prod/s")
    client.describe_tags()
    assert rs.required_policy()["Statement"] == [
        {"Effect": "Allow", "Action": "redshift:DescribeClusters",
         "Resource": f"arn:aws:redshift:us-east-1:{ME}:cluster:*"},
        {"Effect": "Allow", "Action": "redshift:DescribeTags", "Resource": "*"}]


def test_actions_with_the_same_resources_share_a_statement(rs):
    client = make_client()
    client.describe_cluster_snapshots()
    client.describe_tags()
    assert rs.required_policy()["Statement"] == [
        {"Effect": "Allow", "Action": ["redshift:DescribeClusterSnapshots", "redshift:DescribeTags"], "Resource": "*"}]


def test_a_resolving_call_that_failed_is_covered_with_star_for_the_cluster(rs):
    rs.add_snapshot(SnapshotIdentifier="rs:s", ClusterIdentifier="prod", SnapshotType="automated")
    with pytest.raises(botocore.exceptions.ClientError):
        make_client().modify_cluster_snapshot(SnapshotIdentifier="rs:s", ManualSnapshotRetentionPeriod=1)
    # The response does not tell the cluster; snapshot:*/rs:s covers the prod/rs:s AWS authorizes against.
    assert requests_of(rs.calls.last) == [("redshift:ModifyClusterSnapshot", f"{SNAPSHOT}:*/rs:s")]


def test_per_identity_and_the_denied_calls_it_made(rs):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.add_identity("AKIDA", arn=f"arn:aws:iam::{ME}:user/a", policies=[])
    rs.add_identity("AKIDB", arn="arn:aws:iam::222222222222:user/b")
    with pytest.raises(botocore.exceptions.ClientError):
        make_client(access_key_id="AKIDA").delete_cluster_snapshot(SnapshotIdentifier="s")
    make_client(access_key_id="AKIDB").describe_cluster_snapshots()
    assert rs.required_policy("a")["Statement"] == [
        {"Effect": "Allow", "Action": "redshift:DeleteClusterSnapshot", "Resource": f"{SNAPSHOT}:*/s"}]
    assert rs.required_policy("AKIDB")["Statement"] == [
        {"Effect": "Allow", "Action": "redshift:DescribeClusterSnapshots", "Resource": "*"}]
    assert len(rs.required_policy()["Statement"]) == 2
    with pytest.raises(LookupError, match="identity: no identity has the access key id, name or ARN 'c'; "
                                          r"identities: a \(AKIDA\), b \(AKIDB\)"):
        rs.required_policy("c")
    with pytest.raises(TypeError, match="identity must be an access key id, name or ARN"):
        rs.required_policy(42)


def test_no_call_no_policy(rs):
    with pytest.raises(ValueError, match="no answered Redshift call to allow, so no policy is needed"):
        rs.required_policy()


# ---------------------------------------------------------------- the cluster operations

CLUSTER = f"arn:aws:redshift:us-east-1:{ME}:cluster"


def cluster_program(client) -> list:
    """A cluster's life through the API: create, retention, a snapshot, its events, a restore, both
    deleted (one with a final snapshot)."""
    client.create_cluster(ClusterIdentifier="etl", NodeType="ra3.xlplus", MasterUsername="admin",
                          MasterUserPassword="Secret-123", Tags=[{"Key": "team", "Value": "bi"}])
    client.modify_cluster(ClusterIdentifier="etl", AutomatedSnapshotRetentionPeriod=3)
    client.create_cluster_snapshot(SnapshotIdentifier="before-copy", ClusterIdentifier="etl")
    events = client.describe_events(SourceType="cluster-snapshot")["Events"]
    client.restore_from_cluster_snapshot(ClusterIdentifier="etl-copy", SnapshotIdentifier="before-copy")
    client.delete_cluster(ClusterIdentifier="etl-copy", SkipFinalClusterSnapshot=True)
    final = client.delete_cluster(ClusterIdentifier="etl", FinalClusterSnapshotIdentifier="etl-final")["Cluster"]
    return [e["EventId"] for e in events] + [final["ClusterStatus"]]


def run_clusters(policies=None):
    with intercept(strict_identities=policies is not None) as rs:
        key = "testing"
        if policies is not None:
            rs.add_identity("AKIDETL", arn=f"arn:aws:iam::{ME}:user/etl", policies=policies)
            key = "AKIDETL"
        outcome = cluster_program(make_client(access_key_id=key))
        return rs, outcome


def test_the_policy_of_the_cluster_operations_and_the_run_it_allows():
    first, outcome = run_clusters()
    policy = first.required_policy()
    assert policy == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["redshift:CreateCluster", "redshift:ModifyCluster"],
         "Resource": f"{CLUSTER}:etl"},
        {"Effect": "Allow", "Action": "redshift:CreateClusterSnapshot", "Resource": f"{SNAPSHOT}:etl/before-copy"},
        # The final snapshot is not a resource of DeleteCluster (the Service Authorization Reference).
        {"Effect": "Allow", "Action": "redshift:DeleteCluster", "Resource": [f"{CLUSTER}:etl", f"{CLUSTER}:etl-copy"]},
        {"Effect": "Allow", "Action": "redshift:DescribeEvents", "Resource": "*"},
        {"Effect": "Allow", "Action": "redshift:RestoreFromClusterSnapshot",
         "Resource": [f"{CLUSTER}:etl-copy", f"{SNAPSHOT}:*/before-copy"]}]}

    second, again = run_clusters([policy])
    assert again == outcome and outcome[-1] == "final-snapshot"
    assert [(c.operation, c.error_code) for c in second.calls] == [(c.operation, c.error_code) for c in first.calls]
    assert all(d.allowed for c in second.calls for d in c.decisions)
    assert [s["SnapshotIdentifier"] for s in second.snapshots()] == ["before-copy", "etl-final"]


@pytest.mark.parametrize("extra", [
    lambda c: c.delete_cluster(ClusterIdentifier="other", SkipFinalClusterSnapshot=True),
    lambda c: c.modify_cluster(ClusterIdentifier="etl-copy", AutomatedSnapshotRetentionPeriod=2),
    lambda c: c.restore_from_cluster_snapshot(ClusterIdentifier="etl-2", SnapshotIdentifier="before-copy"),
    lambda c: c.describe_clusters(),
])
def test_and_no_other_cluster_operation(extra):
    first, _ = run_clusters()
    with intercept() as rs:
        rs.add_identity("AKID", arn=f"arn:aws:iam::{ME}:user/etl", policies=[first.required_policy()])
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            extra(make_client(access_key_id="AKID"))
        assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
