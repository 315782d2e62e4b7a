"""Every way in: context manager, decorator, start/stop, nesting, targets,
threads, fail-closed and passthrough. Proves nothing escapes to the network:
every client points at a closed loopback port."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import textwrap
import threading

import boto3
import botocore.exceptions
import botocore.session
import pytest

from redshift_intercept import (
    MemoryBackend,
    RedshiftIntercept,
    UnhandledOperationError,
    intercept,
)

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
    rs = _seeded()

    @rs
    def cleanup(snapshot_id):
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
    rs = _seeded()

    @rs
    async def delete():
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


def test_clients_created_before_start_and_in_other_threads_are_answered():
    early = make_client()
    with _seeded() as rs:
        results = []

        def work():
            late = make_client()
            results.append(late.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"])
            try:
                early.delete_cluster_snapshot(SnapshotIdentifier="snap")
            except early.exceptions.ClusterSnapshotNotFoundFault as error:
                results.append(error.response["Error"]["Code"])

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert results == ["deleted", "ClusterSnapshotNotFound"]
    assert rs.calls.call_count == 2


def test_botocore_clients_are_answered_too():
    client = botocore.session.get_session().create_client(
        "redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing", aws_secret_access_key="testing")
    with _seeded():
        assert client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"] == "deleted"


def test_target_client_answers_that_client_only():
    mine, other = make_client(), make_client()
    with _seeded(target=mine) as rs:
        with pytest.raises(ESCAPED):
            other.delete_cluster_snapshot(SnapshotIdentifier="snap")
        mine.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.call_count == 1


def test_target_client_is_also_refused_fail_closed_for_its_unanswered_operations():
    mine = make_client()
    with intercept(target=mine), pytest.raises(UnhandledOperationError):
        mine.describe_cluster_parameter_groups()


@pytest.mark.parametrize("kind", ["boto3", "botocore"])
def test_target_session_answers_the_clients_it_creates(kind):
    session = boto3.Session()
    target = session if kind == "boto3" else session._session
    before = make_client(session=session)  # created before start: still that session's
    with _seeded(target=target) as rs:
        after = make_client(session=session)
        stranger = make_client()
        before.delete_cluster_snapshot(SnapshotIdentifier="snap")
        with pytest.raises(after.exceptions.ClusterSnapshotNotFoundFault):
            after.delete_cluster_snapshot(SnapshotIdentifier="snap")
        with pytest.raises(ESCAPED):
            stranger.delete_cluster_snapshot(SnapshotIdentifier="snap")
    assert rs.calls.call_count == 2


def test_session_target_made_before_import_is_reached_through_start():
    script = textwrap.dedent("""
        import boto3, botocore.exceptions
        session = boto3.Session()
        from redshift_intercept import intercept
        with intercept(target=session) as rs:
            rs.add_snapshot(SnapshotIdentifier="snap")
            client = session.client("redshift", region_name="us-east-1",
                                    endpoint_url="http://127.0.0.1:9",
                                    aws_access_key_id="k", aws_secret_access_key="s")
            print(client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["deleted"]


def test_client_created_before_import_needs_attach():
    script = textwrap.dedent("""
        import boto3, botocore.exceptions
        from botocore.config import Config
        client = boto3.client("redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                              aws_access_key_id="k", aws_secret_access_key="s",
                              config=Config(retries={"total_max_attempts": 1}))
        from redshift_intercept import intercept
        with intercept() as rs:
            rs.add_snapshot(SnapshotIdentifier="snap")
            try:
                client.delete_cluster_snapshot(SnapshotIdentifier="snap")
            except botocore.exceptions.EndpointConnectionError:
                print("escaped-before-attach")
            assert rs.attach(client) is client
            print(client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"])
        with intercept(target=boto3.client("redshift", region_name="us-east-1")):
            pass
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["escaped-before-attach", "deleted"]


def test_fail_closed_refuses_unanswered_operations_without_touching_the_network(client):
    with intercept() as rs, pytest.raises(UnhandledOperationError) as excinfo:
        client.delete_cluster(ClusterIdentifier="prod", SkipFinalClusterSnapshot=True)
    assert str(excinfo.value) == (
        "redshift-intercept does not answer Redshift DeleteCluster (client.delete_cluster()); "
        "the call was refused and nothing was sent to AWS. Answered operations: "
        "AuthorizeSnapshotAccess, BatchDeleteClusterSnapshots, CopyClusterSnapshot, "
        "CreateClusterSnapshot, CreateTags, DeleteClusterSnapshot, DeleteTags, "
        "DescribeClusterSnapshots, DescribeClusters, DescribeTags, ModifyClusterSnapshot, "
        "RevokeSnapshotAccess. To let unanswered Redshift calls through to AWS, use "
        "intercept(passthrough=True) or @pytest.mark.redshift_intercept(passthrough=True)."
    )
    assert excinfo.value.operation_name == "DeleteCluster"
    rs.calls.assert_not_called()


def test_passthrough_lets_unanswered_operations_go_out(client):
    with _seeded(passthrough=True):
        with pytest.raises(ESCAPED):  # it really went to the (closed) endpoint
            client.describe_cluster_parameter_groups()
        assert client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"] == "deleted"


def test_other_services_are_untouched():
    s3 = make_client(service="s3")
    redshift_data = make_client(service="redshift-data")
    with intercept():
        with pytest.raises(ESCAPED):
            s3.list_buckets()
        with pytest.raises(ESCAPED):
            redshift_data.list_statements()


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
     "backend 'memory:' is not a backend short form: use 'memory', 'sqlite://' (a new temporary file) or "
     "'sqlite:///path/to/file.db'"),
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


def test_a_client_of_another_service_is_refused_as_target():
    with pytest.raises(ValueError, match="target is a 's3' client; redshift-intercept answers Redshift "
                                         "clients only"):
        intercept(target=make_client(service="s3"))
    with pytest.raises(ValueError, match="client is a 's3' client"):
        intercept().attach(make_client(service="s3"))
    with pytest.raises(TypeError, match="attach\\(\\) takes a Redshift client, got NoneType"):
        intercept().attach(None)


def test_decorating_without_parentheses_explains_the_fix():
    with pytest.raises(TypeError, match=r"To decorate, call intercept: @intercept\(\), not @intercept"):
        @intercept
        def job():  # pragma: no cover
            pass


def test_decorating_a_non_callable_is_an_error():
    with pytest.raises(TypeError, match="intercept\\(\\) decorates functions, got int"):
        intercept()(5)
