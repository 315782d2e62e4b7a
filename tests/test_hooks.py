"""The botocore front door: which clients are reached, fail-closed and passthrough, and that callers get
exactly what botocore's own parser makes of a real response. Every client points at a closed loopback
port, so anything that escaped fails instead of reaching AWS."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading

import boto3
import botocore.exceptions
import botocore.session
import pytest

from redshift_intercept import RedshiftIntercept, UnhandledOperationError, intercept

from .conftest import make_client

ESCAPED = botocore.exceptions.EndpointConnectionError


def _seeded(**options) -> RedshiftIntercept:
    rs = intercept(**options)
    rs.add_snapshot(SnapshotIdentifier="snap")
    return rs


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
        client.reboot_cluster(ClusterIdentifier="prod")
    assert str(excinfo.value) == (
        "redshift-intercept does not answer Redshift RebootCluster (client.reboot_cluster()); "
        "the call was refused and nothing was sent to AWS. Answered operations: "
        "AuthorizeSnapshotAccess, BatchDeleteClusterSnapshots, CopyClusterSnapshot, CreateCluster, "
        "CreateClusterSnapshot, CreateTags, DeleteCluster, DeleteClusterSnapshot, DeleteTags, "
        "DescribeClusterSnapshots, DescribeClusters, DescribeEvents, DescribeTags, ModifyCluster, "
        "ModifyClusterSnapshot, RestoreFromClusterSnapshot, RevokeSnapshotAccess. To let unanswered "
        "Redshift calls through to AWS, use "
        "intercept(passthrough=True) or @pytest.mark.redshift_intercept(passthrough=True)."
    )
    assert excinfo.value.operation_name == "RebootCluster"
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


def test_a_client_of_another_service_is_refused_as_target():
    with pytest.raises(ValueError, match="target is a 's3' client; redshift-intercept answers Redshift "
                                         "clients only"):
        intercept(target=make_client(service="s3"))
    with pytest.raises(ValueError, match="client is a 's3' client"):
        intercept().attach(make_client(service="s3"))
    with pytest.raises(TypeError, match="attach\\(\\) takes a Redshift client, got NoneType"):
        intercept().attach(None)


def test_parser_produces_real_types(rs, client):
    rs.add_snapshot(SnapshotIdentifier="typed", SnapshotCreateTime="2024-05-01T12:34:56.789Z",
                    TotalBackupSizeInMegaBytes=10, Encrypted=True, NumberOfNodes=4)

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="typed")["Snapshot"]

    created = snapshot["SnapshotCreateTime"]
    assert isinstance(created, dt.datetime) and created.tzinfo is not None
    assert created == dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=dt.timezone.utc)
    assert isinstance(snapshot["TotalBackupSizeInMegaBytes"], float)
    assert snapshot["TotalBackupSizeInMegaBytes"] == 10.0
    assert snapshot["Encrypted"] is True and snapshot["EnhancedVpcRouting"] is False
    assert isinstance(snapshot["NumberOfNodes"], int) and snapshot["NumberOfNodes"] == 4
    assert snapshot["ManualSnapshotRetentionPeriod"] == -1
    assert snapshot["RestorableNodeTypes"] == ["ra3.xlplus"]


def test_response_metadata_is_real(rs, client):
    rs.add_snapshot(SnapshotIdentifier="meta")

    metadata = client.delete_cluster_snapshot(SnapshotIdentifier="meta")["ResponseMetadata"]

    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RetryAttempts"] == 0
    headers = metadata["HTTPHeaders"]
    assert headers["x-amzn-requestid"] == metadata["RequestId"]
    assert len(metadata["RequestId"]) == 36
    assert headers["content-type"] == "text/xml"
    assert int(headers["content-length"]) > 1000
    assert headers["date"].endswith(" GMT")
    assert all(key == key.lower() for key in headers)
    assert rs.calls.last.request_id == metadata["RequestId"]


def test_botocore_validation_stays_botocore(rs, client):
    with pytest.raises(botocore.exceptions.ParamValidationError, match="SnapshotIdentifier"):
        client.delete_cluster_snapshot()
    with pytest.raises(botocore.exceptions.ParamValidationError, match="SnapshotIdentifier"):
        client.delete_cluster_snapshot(SnapshotIdentifier=42)
    with pytest.raises(botocore.exceptions.ParamValidationError, match="Unknown parameter"):
        client.delete_cluster_snapshot(SnapshotIdentifier="x", Force=True)
    rs.calls.assert_not_called()


def test_a_session_with_a_custom_timestamp_parser_is_honoured(rs):
    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=lambda text: f"raw:{text}")
    client = make_client(session=boto3.Session(botocore_session=session))
    rs.add_snapshot(SnapshotIdentifier="raw", SnapshotCreateTime="2024-05-01T12:34:56.789Z")

    snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="raw")["Snapshot"]

    assert snapshot["SnapshotCreateTime"] == "raw:2024-05-01T12:34:56.789Z"


def test_user_after_call_handlers_still_run(rs, client):
    seen = []
    client.meta.events.register(
        "after-call.redshift.DeleteClusterSnapshot",
        lambda http_response, parsed, **_: seen.append((http_response.status_code, parsed)))
    rs.add_snapshot(SnapshotIdentifier="hooked")

    client.delete_cluster_snapshot(SnapshotIdentifier="hooked")
    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="hooked")

    assert [status for status, _ in seen] == [200, 404]
    assert seen[0][1]["Snapshot"]["Status"] == "deleted"
    assert seen[1][1]["Error"]["Code"] == "ClusterSnapshotNotFound"


def test_http_response_carries_the_rendered_body(rs, client):
    captured = []
    client.meta.events.register("after-call.redshift",
                                lambda http_response, **_: captured.append(http_response))
    rs.add_snapshot(SnapshotIdentifier="body", Tags={"k": "v=w"}, MasterUsername="v&w")

    client.delete_cluster_snapshot(SnapshotIdentifier="body")

    body = captured[0].content.decode()
    assert body.startswith('<DeleteClusterSnapshotResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">'
                           "<DeleteClusterSnapshotResult><Snapshot>")
    assert "<MasterUsername>v&amp;w</MasterUsername>" in body
    assert "<Tags><Tag><Key>k</Key><Value>v=w</Value></Tag></Tags>" in body
    assert "<RestorableNodeTypes><NodeType>ra3.xlplus</NodeType></RestorableNodeTypes>" in body
    assert "<Status>deleted</Status>" in body


def test_parser_defaults_changed_after_the_first_call_are_honoured(rs):
    session = botocore.session.get_session()
    client = make_client(session=boto3.Session(botocore_session=session))
    rs.add_snapshot(SnapshotIdentifier="a", SnapshotCreateTime="2024-05-01T12:34:56.789Z")
    rs.add_snapshot(SnapshotIdentifier="b", SnapshotCreateTime="2024-05-01T12:34:56.789Z")
    first = client.delete_cluster_snapshot(SnapshotIdentifier="a")["Snapshot"]["SnapshotCreateTime"]
    assert isinstance(first, dt.datetime)
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str.upper)
    second = client.delete_cluster_snapshot(SnapshotIdentifier="b")["Snapshot"]["SnapshotCreateTime"]
    assert second == "2024-05-01T12:34:56.789Z"
