"""Fault injection: rendered, parsed and retried as real errors are."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from .conftest import CLOSED_ENDPOINT, error_code


def test_injected_error_is_rendered_and_parsed(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.fail("DeleteClusterSnapshot", "InvalidClusterSnapshotState", "Injected refusal.")
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert excinfo.value.response["Error"] == {"Code": "InvalidClusterSnapshotState",
                                               "Message": "Injected refusal.", "Type": "Sender"}
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(rs.snapshots()) == 1 and rs.faults == []
    client.delete_cluster_snapshot(SnapshotIdentifier="s")  # only the next call failed


def test_fault_for_given_parameters_and_unmodelled_codes(rs, client):
    rs.add_snapshot(SnapshotIdentifier="a")
    rs.add_snapshot(SnapshotIdentifier="b")
    rs.fail("DeleteClusterSnapshot", "InternalFailure", status=500, times=None, when={"SnapshotIdentifier": "b"})
    client.delete_cluster_snapshot(SnapshotIdentifier="a")
    for _ in range(2):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="b")
        assert excinfo.value.response["Error"] == {
            "Code": "InternalFailure", "Message": "InternalFailure (injected by redshift-intercept)",
            "Type": "Receiver"}
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert len(rs.faults) == 1


def test_throttling_is_retried_by_botocore_without_sleeping(rs):
    client = boto3.client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT,
                          aws_access_key_id="k", aws_secret_access_key="s",
                          config=Config(retries={"mode": "standard", "max_attempts": 3}))
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.fail("DeleteClusterSnapshot", "Throttling", "Rate exceeded", times=2)
    before = rs.clock.now()
    response = client.delete_cluster_snapshot(SnapshotIdentifier="s")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [c.error_code for c in rs.calls] == ["Throttling", "Throttling", None]
    assert rs.clock.now() > before  # botocore's back-off moved the fake clock, not the test

    rs.add_snapshot(SnapshotIdentifier="t")
    rs.fail("DeleteClusterSnapshot", "Throttling", "Rate exceeded", times=5)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="t")
    # max_attempts counts retries: 1 attempt + 3 retries, as against AWS
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert "reached max retries: 3" in str(excinfo.value)
    assert error_code(excinfo) == "Throttling"
    assert rs.faults[0].remaining == 1


def test_fault_on_an_unmodelled_operation_answers_it(rs, client):
    rs.fail("DescribeClusterParameterGroups", "Throttling", times=1)
    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        client.describe_cluster_parameter_groups()


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    (("DeleteSnapshot", "Throttling"), {}, ValueError,
     "operation 'DeleteSnapshot' is not a Redshift operation. Did you mean 'DeleteClusterSnapshot'?"),
    (("DeleteClusterSnapshot", ""), {}, TypeError, "code must be a Redshift error code"),
    (("DeleteClusterSnapshot", "X"), {"status": 200}, ValueError, "status must be an HTTP error status"),
    (("DeleteClusterSnapshot", "X"), {"times": 0}, ValueError, "times must be a positive int or None"),
    (("DeleteClusterSnapshot", "X"), {"when": ["a"]}, TypeError, "when must be a dict of API parameters"),
])
def test_bad_fault_arguments(rs, args, kwargs, error, message):
    with pytest.raises(error) as excinfo:
        rs.fail(*args, **kwargs)
    assert message in str(excinfo.value)
    assert rs.faults == []
