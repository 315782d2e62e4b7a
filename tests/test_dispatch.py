"""The service core on its own: no botocore client, no wire. What a front
door hands it is (operation, decoded params, caller); what it gives back is
the result in the output shape, a ServiceError, or NotAnswered."""

from __future__ import annotations

import pytest

from redshift_intercept import MemoryBackend
from redshift_intercept._calls import Call
from redshift_intercept._dispatch import Caller, Service
from redshift_intercept._errors import NotAnswered, ServiceError
from redshift_intercept._records import new_snapshot

ME = Caller("123456789012", "us-east-1")


@pytest.fixture
def service():
    service = Service(MemoryBackend())
    service.backend.insert(ME.account_id, ME.region, new_snapshot(ME.account_id, ME.region,
                                                                  {"SnapshotIdentifier": "snap"}))
    return service


def test_a_rule_answers_with_the_result_in_the_output_shape(service):
    result = service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "snap"}, ME)

    assert result["Snapshot"]["SnapshotIdentifier"] == "snap" and result["Snapshot"]["Status"] == "deleted"
    assert service.backend.list(ME.account_id, ME.region) == []
    assert service.calls == []  # recording is the front door's job


def test_a_refusal_is_a_service_error_with_the_modelled_code(service):
    with pytest.raises(ServiceError) as excinfo:
        service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "ghost"}, ME)
    assert (excinfo.value.code, excinfo.value.message) == ("ClusterSnapshotNotFound", "Snapshot ghost not found.")


def test_the_caller_decides_what_is_seen(service):
    elsewhere = Caller(ME.account_id, "eu-west-1")
    other = Caller("210987654321", ME.region)
    for caller in (elsewhere, other):
        with pytest.raises(ServiceError, match="ClusterSnapshotNotFound"):
            service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "snap"}, caller)
    assert len(service.backend.list(ME.account_id, ME.region)) == 1


def test_an_operation_without_a_rule_is_not_answered(service):
    with pytest.raises(NotAnswered):
        service.answer("DescribeClusterParameterGroups", {}, ME)


def test_a_fault_answers_one_attempt_each_and_then_the_rule_does(service):
    service.faults.add("DeleteClusterSnapshot", "Throttling", "slow down", times=2)
    for _ in range(2):
        with pytest.raises(ServiceError, match="Throttling"):
            service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "snap"}, ME)
    assert service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "snap"}, ME)["Snapshot"]
    service.faults.add("DescribeClusterParameterGroups", "Throttling")
    with pytest.raises(ServiceError, match="Throttling"):  # a fault answers an unmodelled operation too
        service.answer("DescribeClusterParameterGroups", {}, ME)


def test_recorded_calls_are_kept_and_journaled():
    backend = MemoryBackend()
    service = Service(backend, journal=backend)
    call = Call("DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, ME.region, ME.account_id, None,
                "ClusterSnapshotNotFound", {"Error": {"Code": "ClusterSnapshotNotFound", "Message": "m"}})
    service.record(call)
    service.record_refused(call)

    assert service.calls == [call] and service.unhandled == [call]
    assert [entry["error_code"] for entry in backend.read_calls()] == ["ClusterSnapshotNotFound"] * 2
