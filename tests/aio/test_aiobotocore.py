"""aiobotocore clients: answered with the same fidelity as sync ones, through
the same core (issue 12, part 1).

Fidelity is checked against aiobotocore itself: the exact status, headers
and body we answered with are replayed by a loopback server to a client
that talks to it over HTTP, and both parsed results must be equal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from typing import Any, AsyncIterator, List, Tuple

import botocore.exceptions
import pytest

from redshift_intercept import RedshiftIntercept, UnhandledOperationError, intercept
from redshift_intercept.testing import make_client

from .conftest import aio_client

# An un-awaited coroutine anywhere (ours or one we forgot to await) fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

ESCAPED = botocore.exceptions.EndpointConnectionError
# Clients compared with the replayed endpoint allow a retry: with
# total_max_attempts=1 botocore's retry handler marks even a real success
# MaxAttemptsReached, and this door asks needs-retry after errors only.
COMPARED = {"mode": "standard", "total_max_attempts": 2}


class ReplayServer:
    """A loopback HTTP server answering each request with the next queued
    (status, headers, body), byte for byte."""

    def __init__(self) -> None:
        self.queue: List[Tuple[int, dict, bytes]] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        status, headers, body = self.queue.pop(0)
        lines = [f"HTTP/1.1 {status} X", *(f"{key}: {value}" for key, value in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        finally:
            server.close()
            await server.wait_closed()


def record_wire(client: Any) -> list:
    """What ``after-call`` handlers receive, read the way aiobotocore's own
    handlers read it (``await http_response.content``)."""
    seen: list = []

    async def after_call(http_response: Any, **_: Any) -> None:
        seen.append((type(http_response).__name__, http_response.status_code, dict(http_response.headers),
                     await http_response.content))

    client.meta.events.register("after-call.redshift", after_call)
    return seen


async def replayed(wire: tuple, operation: str, **params: Any) -> dict:
    """What aiobotocore's own endpoint makes of ``wire`` (status, headers, body) over HTTP."""
    server = ReplayServer()
    server.queue.append(wire)
    async with server.running() as url, aio_client(endpoint_url=url, retries=COMPARED) as reference:
        try:
            return await getattr(reference, operation)(**params)
        except botocore.exceptions.ClientError as error:
            return error.response


@pytest.mark.asyncio
async def test_a_success_is_what_aiobotocores_endpoint_makes_of_the_same_bytes():
    async with aio_client(retries=COMPARED) as client:
        seen = record_wire(client)
        with intercept(target=client) as rs:
            rs.add_snapshot(SnapshotIdentifier="snap", Tags={"env": "prod"})
            got = await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    kind, status, headers, body = seen[-1]
    assert kind == "AioAWSResponse"  # what aiobotocore's after-call handlers expect; .content awaited above
    assert status == 200 and body.startswith(b"<DeleteClusterSnapshotResponse")
    assert got == await replayed((status, headers, body), "delete_cluster_snapshot", SnapshotIdentifier="snap")
    assert got["Snapshot"]["Status"] == "deleted" and got["Snapshot"]["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert got["Snapshot"]["SnapshotCreateTime"].utcoffset() is not None
    assert set(got["ResponseMetadata"]) == {"RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts"}
    assert got["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]
    assert rs.calls.assert_called_once().response == got


@pytest.mark.asyncio
async def test_a_modelled_error_raises_its_class_with_what_the_endpoint_would_give():
    async with aio_client(retries=COMPARED) as client:
        seen = record_wire(client)
        with intercept(target=client) as rs, pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as raised:
            await client.delete_cluster_snapshot(SnapshotIdentifier="missing")
    _, status, headers, body = seen[-1]
    assert status == 404
    expected = await replayed((status, headers, body), "delete_cluster_snapshot", SnapshotIdentifier="missing")
    assert raised.value.response == expected
    assert expected["Error"] == {"Code": "ClusterSnapshotNotFound", "Message": "Snapshot missing not found.",
                                 "Type": "Sender"}
    assert rs.calls.assert_called_once().error == expected


@pytest.mark.asyncio
async def test_throttling_is_retried_through_the_async_needs_retry_without_sleeping(no_sleep):
    async with aio_client(retries={"mode": "legacy"}) as client:
        with intercept() as rs:
            rs.add_snapshot(SnapshotIdentifier="snap")
            rs.fail("DeleteClusterSnapshot", "Throttling", times=2)
            before = rs.clock.now()
            got = await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert got["ResponseMetadata"]["RetryAttempts"] == 2
    assert [call.error_code for call in rs.calls] == ["Throttling", "Throttling", None]
    assert rs.clock.now() > before  # the back-off moved the fake clock...
    assert not [delay for delay in no_sleep if delay > 0]  # ...and nothing slept


@pytest.mark.asyncio
@pytest.mark.parametrize(("mode", "attempts"), [("standard", 3), ("legacy", 2)])
async def test_the_clients_retry_config_decides_when_to_give_up(no_sleep, mode, attempts):
    async with aio_client(retries={"mode": mode, "total_max_attempts": attempts}) as client:
        with intercept() as rs, pytest.raises(botocore.exceptions.ClientError) as raised:
            rs.add_snapshot(SnapshotIdentifier="snap")
            rs.fail("DeleteClusterSnapshot", "Throttling", times=None)
            await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert raised.value.response["Error"]["Code"] == "Throttling"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == attempts - 1
    assert f"(reached max retries: {attempts - 1})" in str(raised.value)
    assert rs.calls.call_count == attempts


@pytest.mark.asyncio
async def test_paginators_iterate_with_async_for():
    async with aio_client() as client:
        with intercept() as rs:
            for number in range(45):
                rs.add_snapshot(SnapshotIdentifier=f"snap-{number:02d}")
            pages = [[s["SnapshotIdentifier"] for s in page["Snapshots"]] async for page in
                     client.get_paginator("describe_cluster_snapshots").paginate(PaginationConfig={"PageSize": 20})]
    assert [len(page) for page in pages] == [20, 20, 5]
    assert sorted(name for page in pages for name in page) == [f"snap-{number:02d}" for number in range(45)]


@pytest.mark.asyncio
async def test_waiters_poll_until_available_or_fail():
    fast = {"Delay": 0, "MaxAttempts": 3}
    async with aio_client() as client:
        with intercept() as rs:
            rs.add_snapshot(SnapshotIdentifier="ready")
            await client.get_waiter("snapshot_available").wait(SnapshotIdentifier="ready")

            rs.add_cluster(ClusterIdentifier="prod")
            rs.creation_delay = None  # stays creating until complete_creation()
            await client.create_cluster_snapshot(SnapshotIdentifier="new", ClusterIdentifier="prod")
            with pytest.raises(botocore.exceptions.WaiterError, match="Max attempts exceeded"):
                await client.get_waiter("snapshot_available").wait(SnapshotIdentifier="new", WaiterConfig=fast)
            rs.complete_creation("new")
            await client.get_waiter("snapshot_available").wait(SnapshotIdentifier="new", WaiterConfig=fast)

            rs.add_snapshot(SnapshotIdentifier="broken", Status="failed")
            with pytest.raises(botocore.exceptions.WaiterError, match="terminal failure state"):
                await client.get_waiter("snapshot_available").wait(SnapshotIdentifier="broken", WaiterConfig=fast)
    polls = [call.params.get("SnapshotIdentifier") for call in rs.calls.of("DescribeClusterSnapshots")]
    assert polls == ["ready", "new", "new", "new", "new", "broken"]


@pytest.mark.asyncio
async def test_concurrent_calls_on_one_client_each_get_their_answer():
    async with aio_client() as client:
        with intercept() as rs:
            for number in range(20):
                rs.add_snapshot(SnapshotIdentifier=f"snap-{number}")
            results = await asyncio.gather(*(client.delete_cluster_snapshot(SnapshotIdentifier=f"snap-{number}")
                                             for number in range(20)))
            assert rs.snapshots() == []
    assert [r["Snapshot"]["SnapshotIdentifier"] for r in results] == [f"snap-{number}" for number in range(20)]
    assert rs.calls.call_count == 20


@pytest.mark.asyncio
async def test_an_operation_we_do_not_answer_is_refused_inside_the_awaited_call():
    async with aio_client() as client:
        with intercept() as rs, pytest.raises(UnhandledOperationError, match="DescribeClusterParameters"):
            await client.describe_cluster_parameters(ParameterGroupName="default")
    assert [call.operation for call in rs.unhandled] == ["DescribeClusterParameters"]


@pytest.mark.asyncio
async def test_a_target_aio_client_is_answered_and_no_other():
    async with aio_client() as mine, aio_client() as other:
        with intercept(target=mine) as rs:
            rs.add_snapshot(SnapshotIdentifier="snap")
            assert rs.attach(mine) is mine
            assert (await mine.delete_cluster_snapshot(SnapshotIdentifier="snap"))["Snapshot"]["Status"] == "deleted"
            with pytest.raises(ESCAPED):  # not ours: it goes to the (closed) endpoint
                await other.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.call_count == 1


@pytest.mark.asyncio
async def test_sync_and_aio_clients_share_one_interceptor():
    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="one")
        rs.add_snapshot(SnapshotIdentifier="two")
        make_client().delete_cluster_snapshot(SnapshotIdentifier="one")
        async with aio_client() as client:
            await client.delete_cluster_snapshot(SnapshotIdentifier="two")
            with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
                await client.delete_cluster_snapshot(SnapshotIdentifier="one")
    assert [(c.params["SnapshotIdentifier"], c.error_code) for c in rs.calls] == [
        ("one", None), ("two", None), ("one", "ClusterSnapshotNotFound")]


@pytest.mark.asyncio
async def test_async_with_and_a_decorated_async_def():
    async with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="snap")
        async with aio_client() as client:
            await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert not rs.active and rs.calls.call_count == 1

    @intercept()
    async def cleanup(snapshot_id: str, rs: RedshiftIntercept) -> str:
        rs.add_snapshot(SnapshotIdentifier=snapshot_id)
        async with aio_client() as client:
            return (await client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id))["Snapshot"]["Status"]

    assert await cleanup("snap") == "deleted"
    assert await cleanup("snap") == "deleted"  # a fresh state for each call


@pytest.mark.asyncio
async def test_the_pytest_fixture_works_in_an_asyncio_test(redshift_intercept):
    redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
    async with aio_client() as client:
        await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert redshift_intercept.snapshots() == []


@pytest.mark.anyio
async def test_the_pytest_fixture_works_in_an_anyio_test(redshift_intercept):
    redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
    async with aio_client() as client:
        await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert redshift_intercept.calls.assert_called_once().error_code is None


@pytest.mark.asyncio
@intercept()
async def test_a_decorated_asyncio_test_gets_rs(rs):
    rs.add_snapshot(SnapshotIdentifier="snap")
    async with aio_client() as client:
        await client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.active and rs.calls.call_count == 1


def test_a_sync_client_given_an_async_parser_is_refused_with_a_clear_error():
    from aiobotocore.parsers import AioResponseParserFactory

    if not asyncio.iscoroutinefunction(AioResponseParserFactory().create_parser("query").parse):
        pytest.skip("this aiobotocore's query parser is sync (before 2.22)")
    client = make_client()
    client._endpoint._response_parser_factory = AioResponseParserFactory()
    with intercept(target=client) as rs:
        rs.add_snapshot(SnapshotIdentifier="snap")
        with pytest.raises(TypeError, match=r"an async parser, emitter or credentials \(\w+\) answered a sync "):
            client.delete_cluster_snapshot(SnapshotIdentifier="snap")


def test_nothing_of_ours_imports_aiobotocore():
    code = ("import sys, redshift_intercept\n"
            "from redshift_intercept.testing import make_client\n"
            "with redshift_intercept.intercept() as rs:\n"
            "    rs.add_snapshot(SnapshotIdentifier='s')\n"
            "    make_client().delete_cluster_snapshot(SnapshotIdentifier='s')\n"
            "print(sorted(name for name in sys.modules if name.startswith('aio')))\n")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
