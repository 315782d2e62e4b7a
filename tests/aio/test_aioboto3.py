"""aioboto3: its sessions make aiobotocore clients, answered as every other."""

from __future__ import annotations

import aioboto3
import pytest

from redshift_intercept import intercept
from redshift_intercept.testing import CLOSED_ENDPOINT

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

OPTIONS = {"region_name": "us-east-1", "endpoint_url": CLOSED_ENDPOINT, "aws_access_key_id": "testing",
           "aws_secret_access_key": "testing"}


@pytest.mark.asyncio
async def test_an_aioboto3_client_is_answered():
    with intercept() as rs:
        for number in range(25):
            rs.add_snapshot(SnapshotIdentifier=f"snap-{number:02d}")
        async with aioboto3.Session().client("redshift", **OPTIONS) as client:
            deleted = await client.delete_cluster_snapshot(SnapshotIdentifier="snap-00")
            with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
                await client.delete_cluster_snapshot(SnapshotIdentifier="snap-00")
            pages = [len(page["Snapshots"]) async for page in
                     client.get_paginator("describe_cluster_snapshots").paginate(PaginationConfig={"PageSize": 20})]
    assert deleted["Snapshot"]["Status"] == "deleted"
    assert pages == [20, 4]
    assert [call.error_code for call in rs.calls.of("DeleteClusterSnapshot")] == [None, "ClusterSnapshotNotFound"]


@pytest.mark.asyncio
async def test_an_aioboto3_session_as_target():
    session = aioboto3.Session()
    with intercept(target=session) as rs:
        rs.add_snapshot(SnapshotIdentifier="snap")
        async with session.client("redshift", **OPTIONS) as client:
            await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.assert_called_once().error_code is None
