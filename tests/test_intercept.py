"""The interceptor object: context manager, decorator, start/stop, nesting, options and their errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import os

import botocore.exceptions
import botocore.session
import pytest

from redshift_intercept import MemoryBackend, RedshiftIntercept, UnhandledOperationError, intercept
from redshift_intercept._files import json_default

from .conftest import make_client

ESCAPED = botocore.exceptions.EndpointConnectionError


def _seeded(**options) -> RedshiftIntercept:
    rs = intercept(**options)
    rs.add_snapshot(SnapshotIdentifier="snap")
    return rs


def test_context_manager_answers_then_lets_go(client):
    with _seeded() as rs:
        assert rs.active
        assert client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"] == "deleted"
    assert not rs.active
    with pytest.raises(ESCAPED):  # nothing of ours answers any more: the call hits the closed port
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.call_count == 1


def test_start_and_stop(client):
    rs = _seeded()
    assert rs.start() is rs
    try:
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    finally:
        rs.stop()
    with pytest.raises(ESCAPED):
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")


def test_start_twice_and_stop_when_inactive_are_errors():
    rs = intercept()
    with pytest.raises(RuntimeError, match="already active"):
        with rs:
            rs.start()
    with pytest.raises(RuntimeError, match="not active; stop\\(\\) follows start\\(\\)"):
        rs.stop()


def test_decorator_runs_the_function_intercepted(client):
    rs = intercept()

    @rs
    def cleanup(snapshot_id):
        rs.add_snapshot(SnapshotIdentifier=snapshot_id)
        return client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)["Snapshot"]["Status"]

    assert cleanup("snap") == "deleted"
    assert not rs.active
    assert rs.calls.assert_called_once().params == {"SnapshotIdentifier": "snap"}


def test_decorator_passes_the_interceptor_as_rs_and_hides_it_from_the_signature(client):
    @intercept(region="eu-west-1")
    def job(limit, rs):
        rs.add_snapshot(SnapshotIdentifier="snap")
        return rs, limit

    assert list(inspect.signature(job).parameters) == ["limit"]
    rs, limit = job(3)
    assert isinstance(rs, RedshiftIntercept) and limit == 3
    assert rs.snapshots()[0]["AvailabilityZone"].startswith("eu-west-1")


def test_async_decorator_and_async_context_manager(client):
    rs = intercept()

    @rs
    async def delete():
        rs.add_snapshot(SnapshotIdentifier="snap")
        return client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"]

    assert inspect.iscoroutinefunction(delete)
    assert asyncio.run(delete()) == "deleted"
    assert not rs.active

    async def with_block():
        async with intercept() as inner:
            inner.add_snapshot(SnapshotIdentifier="other")
            client.delete_cluster_snapshot(SnapshotIdentifier="other")
            return inner

    assert asyncio.run(with_block()).calls.call_count == 1


def test_with_and_start_keep_the_state_across_activations(client):
    rs = intercept()
    rs.add_snapshot(SnapshotIdentifier="one")
    rs.add_snapshot(SnapshotIdentifier="two")
    with rs:
        client.delete_cluster_snapshot(SnapshotIdentifier="one")
    rs.start()
    try:
        client.delete_cluster_snapshot(SnapshotIdentifier="two")
    finally:
        rs.stop()
    assert rs.calls.call_count == 2 and rs.snapshots() == []


@pytest.mark.parametrize("backend", [None, "memory", "sqlite://"])
def test_reset_empties_a_backend_the_interceptor_made(client, backend):
    rs = intercept(backend=backend, journal=backend is not None)
    rs.add_snapshot(SnapshotIdentifier="snap")
    rs.add_cluster(ClusterIdentifier="prod")
    with rs:
        rs.fail("DeleteClusterSnapshot", "Throttling", times=None)
        with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
            client.delete_cluster_snapshot(SnapshotIdentifier="snap")
        with pytest.raises(UnhandledOperationError):
            client.describe_cluster_parameters(ParameterGroupName="default")
    assert rs.calls and rs.unhandled and rs.faults
    rs.clock.advance(days=3)
    rs.creation_delay = None
    old = rs.backend
    rs.reset()
    assert rs.snapshots() == [] and rs.clusters() == []
    assert rs.calls == [] and rs.unhandled == [] and rs.faults == [] and rs.creation_delay == 0
    assert abs((rs.clock.now() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    assert rs.backend is not old and type(rs.backend) is type(old)
    if backend is not None:
        assert rs.journal() == []
    if backend == "sqlite://":
        assert not os.path.exists(old.path)  # the old temporary file went with its directory
    with rs:
        rs.add_snapshot(SnapshotIdentifier="snap")
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.call_count == 1


@pytest.mark.parametrize("kind", ["object", "file"])
def test_reset_keeps_a_backend_you_passed_in(tmp_path, kind):
    backend = MemoryBackend() if kind == "object" else f"sqlite:///{tmp_path / 'state.db'}"
    rs = intercept(backend=backend)
    rs.add_snapshot(SnapshotIdentifier="snap")
    rs.add_cluster(ClusterIdentifier="prod")
    kept = rs.backend
    rs.reset()
    assert rs.backend is kept
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["snap"]
    assert [c["ClusterIdentifier"] for c in rs.clusters()] == ["prod"]


def test_nested_interceptors_innermost_answers_and_outer_resumes(client):
    outer, inner = intercept(), intercept()
    outer.add_snapshot(SnapshotIdentifier="outer-only")
    inner.add_snapshot(SnapshotIdentifier="inner-only")
    with outer:
        with inner:
            with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
                client.delete_cluster_snapshot(SnapshotIdentifier="outer-only")
            client.delete_cluster_snapshot(SnapshotIdentifier="inner-only")
        client.delete_cluster_snapshot(SnapshotIdentifier="outer-only")
    assert [c.error_code for c in inner.calls] == ["ClusterSnapshotNotFound", None]
    assert outer.calls.assert_called_once().error_code is None
    with pytest.raises(ESCAPED):
        client.delete_cluster_snapshot(SnapshotIdentifier="outer-only")


def test_stopping_out_of_order_keeps_the_other_active(client):
    first, second = _seeded(), intercept()
    first.start()
    second.start()
    first.stop()
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    second.stop()
    assert second.calls.call_count == 1 and first.calls.call_count == 0


def test_call_journal_records_what_the_caller_passed(client):
    with _seeded() as rs:
        rs.add_snapshot(SnapshotIdentifier="two", ClusterIdentifier="prod")
        client.delete_cluster_snapshot(SnapshotIdentifier="two", SnapshotClusterIdentifier="prod")
        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="nope")
    first, second = rs.calls
    assert first.operation == "DeleteClusterSnapshot"
    assert first.params == {"SnapshotIdentifier": "two", "SnapshotClusterIdentifier": "prod"}
    assert first.region == "us-east-1" and first.account_id == "123456789012"
    assert first.response["Snapshot"]["SnapshotIdentifier"] == "two" and first.error_code is None
    assert second.response is None and second.error_code == "ClusterSnapshotNotFound"
    assert second.error == excinfo.value.response
    assert rs.calls.called and rs.calls.last is second
    assert rs.calls.of("DeleteClusterSnapshot") == [first, second]
    assert rs.calls.of("DescribeClusterSnapshots") == []
    with pytest.raises(AssertionError, match="expected exactly 1 Redshift call, got 2"):
        rs.calls.assert_called_once()
    with pytest.raises(AssertionError, match="expected no Redshift call, got 2"):
        rs.calls.assert_not_called()


def test_empty_journal_helpers():
    rs = intercept()
    assert not rs.calls.called and rs.calls.call_count == 0
    with pytest.raises(IndexError, match="no Redshift call has been answered yet"):
        _ = rs.calls.last


def test_interceptors_can_share_a_backend(client):
    backend = MemoryBackend()
    intercept(backend=backend).add_snapshot(SnapshotIdentifier="shared-state")
    with intercept(backend=backend) as rs:
        client.delete_cluster_snapshot(SnapshotIdentifier="shared-state")
        assert rs.backend is backend
    assert backend.list("123456789012", "us-east-1") == []


def test_region_defaults_to_aws_default_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    rs = intercept()
    assert rs.region == "ap-southeast-2"
    assert rs.add_snapshot(SnapshotIdentifier="s")["SnapshotArn"].startswith(
        "arn:aws:redshift:ap-southeast-2:")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert intercept().region == "us-east-1"


def test_region_option_does_not_restrict_which_clients_are_answered():
    with intercept(region="eu-west-1") as rs:
        rs.add_snapshot(region="us-east-1", SnapshotIdentifier="snap")
        make_client("us-east-1").delete_cluster_snapshot(SnapshotIdentifier="snap")


def test_repr_says_what_it_is():
    rs = intercept()
    assert repr(rs) == ("<RedshiftIntercept inactive, all clients, account 123456789012, "
                        "region us-east-1, 0 call(s)>")


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"target": 3}, TypeError,
     "target must be a Redshift client, a boto3.Session, a botocore Session or None, got int"),
    ({"backend": object()}, TypeError, "backend must implement redshift_intercept.SnapshotBackend"),
    ({"backend": "memory:"}, ValueError,
     "backend 'memory:' is not a backend short form: use 'memory', 'sqlite://' (a new temporary file), "
     "'sqlite:///path/to/file.db' or 'postgresql://user@host:port/dbname'"),
    ({"backend": 3}, TypeError, "or be a short form such as 'sqlite:///state.db'; got int"),
    ({"journal": 1}, TypeError, "journal must be True or False, got 1"),
    ({"region": "nowhere"}, ValueError,
     "region must be an AWS region name such as 'us-east-1'; got 'nowhere'"),
    ({"region": 5}, TypeError, "region must be a str"),
    ({"account_id": "123"}, ValueError, "account_id must be 12 digits, like '123456789012'; got '123'"),
    ({"account_id": 123456789012}, TypeError, "account_id must be a str of 12 digits"),
    ({"passthrough": "yes"}, TypeError, "passthrough must be True or False, got 'yes'"),
])
def test_bad_options_name_the_argument(kwargs, error, message):
    with pytest.raises(error) as excinfo:
        intercept(**kwargs)
    assert message in str(excinfo.value)


def test_bad_region_from_the_environment_says_where_it_came_from(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "bogus")
    with pytest.raises(ValueError, match=r"region \(from AWS_DEFAULT_REGION\) must be"):
        intercept()


def test_decorating_without_parentheses_explains_the_fix():
    with pytest.raises(TypeError, match=r"To decorate, call intercept: @intercept\(\), not @intercept"):
        @intercept
        def job():  # pragma: no cover
            pass


def test_decorating_a_non_callable_is_an_error():
    with pytest.raises(TypeError, match=r"intercept\(\) decorates a function .* or a class .*, got int"):
        intercept()(5)


@pytest.mark.parametrize("backend", ["memory", "sqlite://"])
def test_the_journal_can_be_read_and_emptied(client, backend):
    with intercept(backend=backend, journal=True) as rs:
        rs.add_snapshot(SnapshotIdentifier="a")
        client.delete_cluster_snapshot(SnapshotIdentifier="a")
        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
            client.delete_cluster_snapshot(SnapshotIdentifier="a")
        journaled = rs.journal()
        assert [(c.operation, c.error_code) for c in journaled] == [
            ("DeleteClusterSnapshot", None), ("DeleteClusterSnapshot", "ClusterSnapshotNotFound")]
        # The journal keeps the result the caller got, as JSON: the same as the parsed response.
        parsed = {k: v for k, v in rs.calls[0].response.items() if k != "ResponseMetadata"}
        assert journaled[0].response == json.loads(json.dumps(parsed, default=json_default))
        assert journaled[1].error == {"Error": rs.calls[1].error["Error"]}

        assert rs.clear_journal() == 2
        assert rs.journal() == [] and len(rs.calls) == 2  # the in-process record is the caller's to clear
        client.describe_cluster_snapshots()
        assert [c.operation for c in rs.journal()] == ["DescribeClusterSnapshots"]


def test_an_interceptor_without_a_journal_says_how_to_get_one():
    rs = intercept()
    for method in (rs.journal, rs.clear_journal):
        with pytest.raises(RuntimeError, match=r"keeps no journal: create it with intercept\(journal=True\)"):
            method()


def test_lifecycle_settings_are_checked_and_named():
    rs = intercept()
    assert (rs.cluster_delay, rs.restore_delay, rs.restore_hold) == (0.0, 0.0, 86400.0)
    rs.cluster_delay, rs.restore_delay, rs.restore_hold = 30, 1.5, None
    assert (rs.cluster_delay, rs.restore_delay, rs.restore_hold) == (30.0, 1.5, None)
    with pytest.raises(TypeError, match=r"^cluster_delay must be a number of seconds, got '30'$"):
        rs.cluster_delay = "30"
    with pytest.raises(ValueError, match=r"^restore_delay must be >= 0 seconds, got -1$"):
        rs.restore_delay = -1
    with pytest.raises(TypeError, match=r"^restore_hold must be a number of seconds, got True$"):
        rs.restore_hold = True
    assert rs.quotas.manual_snapshots == 20
    with pytest.raises(AttributeError):
        rs.quotas = None
