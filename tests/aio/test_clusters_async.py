"""The cluster operations and the service's clock (issue 14) through
aiobotocore clients: the same core answers them as for sync clients, its
catch-up with the clock included, and a decorated ``async def`` starts
without the clusters and events of its last call."""

from __future__ import annotations

import datetime as dt

import pytest

from redshift_intercept import intercept
from redshift_intercept.testing import make_client

from .conftest import aio_client
from .test_aiobotocore import COMPARED, record_wire, replayed

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CLUSTER = {"NodeType": "ra3.xlplus", "MasterUsername": "admin", "MasterUserPassword": "Secret-123"}
FAST = {"Delay": 0, "MaxAttempts": 2}


@pytest.mark.asyncio
async def test_a_clusters_life_through_an_aio_client_waiters_and_paginator_included():
    async with aio_client() as client:
        with intercept() as rs:
            created = await client.create_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=1,
                                                  **CLUSTER)
            assert created["Cluster"]["ClusterStatus"] == "creating"
            await client.get_waiter("cluster_available").wait(ClusterIdentifier="prod", WaiterConfig=FAST)

            rs.clock.advance(hours=17)  # caught up before the next call: taken at 0, 8 and 16 hours
            automated = (await client.describe_cluster_snapshots(SnapshotType="automated"))["Snapshots"]
            assert len(automated) == 3 and {s["ClusterIdentifier"] for s in automated} == {"prod"}
            modified = await client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=3)
            assert modified["Cluster"]["AutomatedSnapshotRetentionPeriod"] == 3

            await client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final",
                                        FinalClusterSnapshotRetentionPeriod=7)
            await client.get_waiter("cluster_deleted").wait(ClusterIdentifier="prod", WaiterConfig=FAST)
            final = (await client.describe_cluster_snapshots(SnapshotIdentifier="prod-final"))["Snapshots"][0]
            assert final["ManualSnapshotRetentionPeriod"] == 7
            await client.restore_from_cluster_snapshot(ClusterIdentifier="prod-copy", SnapshotIdentifier="prod-final")
            await client.get_waiter("cluster_restored").wait(ClusterIdentifier="prod-copy", WaiterConfig=FAST)

            pages = [page async for page in client.get_paginator("describe_events").paginate(
                Duration=24 * 60, PaginationConfig={"PageSize": 20})]
            published = [event for page in pages for event in page["Events"]]
            # a sync client sees the same log
            assert published == make_client().describe_events(Duration=24 * 60, MaxRecords=100)["Events"]
    assert {"prod", "prod-final", "prod-copy"} <= {event["SourceIdentifier"] for event in published}
    assert all(event["Date"].tzinfo is not None for event in published)
    assert [c.operation for c in rs.calls.of("RestoreFromClusterSnapshot")] == ["RestoreFromClusterSnapshot"]


@pytest.mark.asyncio
async def test_cluster_answers_and_refusals_are_what_aiobotocores_endpoint_makes_of_the_same_bytes():
    async with aio_client(retries=COMPARED) as client:
        seen = record_wire(client)
        with intercept(target=client) as rs:
            rs.clock.set(dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc))
            got = await client.create_cluster(ClusterIdentifier="prod", **CLUSTER)
            answered = seen[-1]
            with pytest.raises(client.exceptions.ClusterAlreadyExistsFault) as exists:
                await client.create_cluster(ClusterIdentifier="prod", **CLUSTER)
            refused = seen[-1]
            with pytest.raises(client.exceptions.ClientError) as no_final:
                await client.delete_cluster(ClusterIdentifier="prod")
            events = await client.describe_events(StartTime=dt.datetime(2026, 2, 28, tzinfo=dt.timezone.utc))
            listed = seen[-1]
    assert got == await replayed(answered[1:], "create_cluster", ClusterIdentifier="prod", **CLUSTER)
    assert exists.value.response == await replayed(refused[1:], "create_cluster", ClusterIdentifier="prod", **CLUSTER)
    assert no_final.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert events == await replayed(listed[1:], "describe_events")
    assert [e["SourceIdentifier"] for e in events["Events"]] == ["prod"]
    assert [c.error_code for c in rs.calls] == [None, "ClusterAlreadyExists", "InvalidParameterCombination", None]


@pytest.mark.asyncio
async def test_a_decorated_async_def_starts_without_the_clusters_and_events_of_its_last_call():
    rs = intercept()

    @rs
    async def create_and_age() -> int:
        async with aio_client() as client:
            assert (await client.describe_clusters())["Clusters"] == [] and rs.events() == []
            await client.create_cluster(ClusterIdentifier="prod", **CLUSTER)  # ClusterAlreadyExists if it leaked
            rs.clock.advance(days=2)
            rs.cluster_delay = 600
            return len((await client.describe_cluster_snapshots(SnapshotType="automated"))["Snapshots"])

    assert await create_and_age() == await create_and_age() == 3  # a day's retention: 8, 16 and 24 hours old
    assert rs.cluster_delay == 600 and not rs.active  # what the last call left, until the next one
