"""Identities and IAM policies (issue 15) through aiobotocore clients: the
key an aio client signs with is read as aiobotocore's signer reads it (its
credentials' frozen form is awaited), and the same core authorizes the
call, records its decisions and builds ``required_policy()`` from them."""

from __future__ import annotations

import datetime as dt

import botocore.exceptions
import pytest

from redshift_intercept import intercept
from redshift_intercept.testing import make_client

from .conftest import aio_client

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

A, B = "111111111111", "222222222222"
CLEANUP = f"arn:aws:iam::{A}:user/cleanup"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "redshift:*", "Resource": "*"}]}
NO_PROD_DELETES = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "redshift:*", "Resource": "*"},
    {"Sid": "KeepProd", "Effect": "Deny", "Action": "redshift:DeleteClusterSnapshot",
     "Resource": f"arn:aws:redshift:us-east-1:{A}:snapshot:prod/*"}]}


@pytest.mark.asyncio
async def test_a_denied_delete_through_an_aio_client_is_access_denied_and_changes_nothing():
    with intercept() as rs:
        rs.add_identity("AKIDCLEANUP", arn=CLEANUP, policies=[NO_PROD_DELETES])
        rs.add_snapshot(SnapshotIdentifier="nightly", ClusterIdentifier="prod", OwnerAccount=A)
        async with aio_client(access_key_id="AKIDCLEANUP") as client:
            with pytest.raises(client.exceptions.ClientError) as denied:
                await client.delete_cluster_snapshot(SnapshotIdentifier="nightly", SnapshotClusterIdentifier="prod")
            left = (await client.describe_cluster_snapshots())["Snapshots"]
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied" and denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Message"] == (
        f"User: {CLEANUP} is not authorized to perform: redshift:DeleteClusterSnapshot on resource: "
        f"arn:aws:redshift:us-east-1:{A}:snapshot:prod/nightly with an explicit deny in an identity-based policy")
    assert [s["SnapshotIdentifier"] for s in left] == ["nightly"]
    assert rs.backend.get(A, "us-east-1", "nightly") is not None
    refused = rs.calls[0]
    assert (refused.error_code, refused.account_id, refused.principal) == ("AccessDenied", A, CLEANUP)
    assert refused.decision.effect == "Deny" and refused.decision.sid == "KeepProd"


@pytest.mark.asyncio
async def test_an_allowed_identity_deletes_in_its_own_account_beside_a_client_of_another():
    with intercept() as rs:
        rs.add_identity("AKIDCLEANUP", arn=CLEANUP, policies=[ALLOW_ALL])
        rs.add_identity("AKIDB", arn=f"arn:aws:iam::{B}:user/bi")
        rs.add_snapshot(SnapshotIdentifier="same-name", OwnerAccount=A)
        rs.add_snapshot(SnapshotIdentifier="same-name", OwnerAccount=B)
        async with aio_client(access_key_id="AKIDCLEANUP") as a, aio_client(access_key_id="AKIDB") as b:
            deleted = await a.delete_cluster_snapshot(SnapshotIdentifier="same-name")
            seen_by_b = (await b.describe_cluster_snapshots())["Snapshots"]
    assert deleted["Snapshot"]["Status"] == "deleted" and deleted["Snapshot"]["OwnerAccount"] == A
    assert [s["OwnerAccount"] for s in seen_by_b] == [B]
    assert rs.backend.get(A, "us-east-1", "same-name") is None
    assert [(c.account_id, c.principal) for c in rs.calls] == [(A, CLEANUP), (B, f"arn:aws:iam::{B}:user/bi")]
    assert rs.calls[0].decision.allowed and rs.calls[1].decisions is None  # bi has no policies: not evaluated


@pytest.mark.asyncio
async def test_strict_identities_refuse_an_unknown_key_and_a_client_without_credentials():
    from aiobotocore.session import get_session

    with intercept(strict_identities=True) as rs:
        rs.add_identity("AKIDCLEANUP", arn=CLEANUP)
        rs.add_snapshot(SnapshotIdentifier="nightly", OwnerAccount=A)
        async with aio_client(access_key_id="AKIDNOBODY") as client:
            with pytest.raises(client.exceptions.ClientError) as unknown:
                await client.delete_cluster_snapshot(SnapshotIdentifier="nightly")
        async with aio_client(session=get_session(), access_key_id=None) as anonymous:
            with pytest.raises(botocore.exceptions.NoCredentialsError):  # as signing the real request raises
                await anonymous.describe_cluster_snapshots()
    assert unknown.value.response["Error"] == {
        "Code": "InvalidClientTokenId", "Type": "Sender",
        "Message": "The security token included in the request is invalid."}
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert rs.backend.get(A, "us-east-1", "nightly") is not None
    assert [(c.error_code, c.principal) for c in rs.calls] == [("InvalidClientTokenId", None)]


@pytest.mark.asyncio
async def test_required_policy_covers_async_calls_and_the_same_run_passes_with_only_it():
    async def cleanup(rs, key):
        rs.add_snapshot(SnapshotIdentifier="old", ClusterIdentifier="prod", OwnerAccount=A,
                        SnapshotCreateTime="2020-01-01T00:00:00Z")
        async with aio_client(access_key_id=key) as client:
            pages = client.get_paginator("describe_cluster_snapshots").paginate(SnapshotType="manual")
            async for page in pages:
                for snapshot in page["Snapshots"]:
                    await client.delete_cluster_snapshot(SnapshotIdentifier=snapshot["SnapshotIdentifier"])

    with intercept() as first:
        first.add_identity("AKIDCLEANUP", arn=CLEANUP)  # no policies: everything allowed, every call recorded
        await cleanup(first, "AKIDCLEANUP")
    policy = first.required_policy(identity="cleanup")
    assert policy == {"Version": "2012-10-17", "Statement": [  # the delete did not name the cluster: */old
        {"Effect": "Allow", "Action": "redshift:DeleteClusterSnapshot",
         "Resource": f"arn:aws:redshift:us-east-1:{A}:snapshot:*/old"},
        {"Effect": "Allow", "Action": "redshift:DescribeClusterSnapshots", "Resource": "*"}]}

    with intercept(strict_identities=True) as again:
        again.add_identity("AKIDCLEANUP", arn=CLEANUP, policies=[policy])
        await cleanup(again, "AKIDCLEANUP")
    assert [(c.operation, c.error_code) for c in again.calls] == [("DescribeClusterSnapshots", None),
                                                                  ("DeleteClusterSnapshot", None)]
    assert all(c.decision.allowed for c in again.calls)


@pytest.mark.asyncio
async def test_refreshable_credentials_are_awaited_as_aiobotocores_signer_awaits_them():
    """aiobotocore's signer awaits the client's credentials' frozen form for
    each request, refreshing them when due: the refreshed key is the caller."""
    from aiobotocore.credentials import AioRefreshableCredentials
    from aiobotocore.session import get_session

    keys = iter(["AKIDFIRST", "AKIDSECOND"])
    now = dt.datetime.now(dt.timezone.utc)

    async def refresh():
        return {"access_key": next(keys), "secret_key": "s", "token": None,
                "expiry_time": (now + dt.timedelta(minutes=1)).isoformat()}  # always inside the refresh window

    session = get_session()
    session._credentials = AioRefreshableCredentials.create_from_metadata(await refresh(), refresh, "test")
    with intercept() as rs:
        rs.add_identity("AKIDFIRST", arn=f"arn:aws:iam::{A}:user/first")
        rs.add_identity("AKIDSECOND", arn=f"arn:aws:iam::{B}:user/second")
        async with aio_client(session=session, access_key_id=None) as client:
            await client.describe_cluster_snapshots()
    assert rs.calls.last.account_id == B  # refreshed before the call, as signing would have


def test_a_sync_client_given_aio_credentials_is_refused_with_a_clear_error():
    from aiobotocore.credentials import AioCredentials

    client = make_client()
    client._request_signer._credentials = AioCredentials("AKIDCLEANUP", "testing")
    with intercept(target=client) as rs:
        rs.add_identity("AKIDCLEANUP", arn=CLEANUP)
        with pytest.raises(TypeError, match=r"an async parser, emitter or credentials \(coroutine\) answered a sync "):
            client.describe_cluster_snapshots()
    assert rs.calls == []
