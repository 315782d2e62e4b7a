"""AuthorizeSnapshotAccess and RevokeSnapshotAccess."""

from __future__ import annotations

import botocore.exceptions
import pytest

from .conftest import ARN, error_code


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
    assert error_code(excinfo) == error
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
