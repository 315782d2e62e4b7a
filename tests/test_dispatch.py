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


def test_answers_are_journaled_with_their_changes_and_refusals_on_their_own():
    backend = MemoryBackend()
    service = Service(backend, journal=backend)
    backend.insert(ME.account_id, ME.region, new_snapshot(ME.account_id, ME.region, {"SnapshotIdentifier": "s"}))

    service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, ME, request_id="r1",
                   caller_params={"SnapshotIdentifier": "s", "as": "passed"})
    with pytest.raises(ServiceError):
        service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, ME, request_id="r2")
    refused = Call("DescribeClusterParameterGroups", {}, ME.region, ME.account_id, None, "UnhandledOperation",
                   {"Error": {"Code": "UnhandledOperation", "Message": "not modelled; refused"}})
    service.record_refused(refused)

    entries = backend.read_calls()
    assert [(e["request_id"], e["error_code"]) for e in entries] == [
        ("r1", None), ("r2", "ClusterSnapshotNotFound"), ("", "UnhandledOperation")]
    assert entries[0]["params"] == {"SnapshotIdentifier": "s", "as": "passed"}
    assert entries[0]["response"]["Snapshot"]["Status"] == "deleted"
    assert entries[1]["error"] == {"Error": {"Type": "Sender", "Code": "ClusterSnapshotNotFound",
                                             "Message": "Snapshot s not found."}}
    assert service.unhandled == [refused] and service.calls == []  # record() is the door's


def test_a_unit_that_fails_leaves_neither_change_nor_journal_entry(monkeypatch):
    from redshift_intercept import _rules

    backend = MemoryBackend()
    service = Service(backend, journal=backend)
    backend.insert(ME.account_id, ME.region, new_snapshot(ME.account_id, ME.region, {"SnapshotIdentifier": "s"}))
    real = _rules.OPERATIONS["DeleteClusterSnapshot"]

    def delete_then_fail(scope, params):
        real(scope, params)
        raise ServiceError("InternalFailure", "after the change")

    monkeypatch.setitem(_rules.OPERATIONS, "DeleteClusterSnapshot", delete_then_fail)
    with pytest.raises(ServiceError, match="InternalFailure"):
        service.answer("DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, ME)

    assert [r["SnapshotIdentifier"] for r in backend.list(ME.account_id, ME.region)] == ["s"]
    assert [e["error_code"] for e in backend.read_calls()] == ["InternalFailure"]  # the refusal, journaled alone


def test_the_journal_holds_exactly_what_each_caller_got():
    """Journal entries are built from the rule's result inside the backend unit, not from the
    parsed response: for every answered operation they must still be that response, as JSON."""
    import json

    from redshift_intercept import intercept
    from redshift_intercept._files import json_default
    from redshift_intercept.testing import make_client

    client = make_client()
    arn = "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/made"
    with intercept(journal=True) as rs:
        rs.add_cluster(ClusterIdentifier="prod", Tags={"team": "bi"})
        rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-01-01-00-00-00", ClusterIdentifier="prod",
                        SnapshotType="automated")
        client.create_cluster_snapshot(SnapshotIdentifier="made", ClusterIdentifier="prod",
                                       Tags=[{"Key": "why", "Value": "test"}])
        client.copy_cluster_snapshot(SourceSnapshotIdentifier="rs:prod-2024-01-01-00-00-00",
                                     TargetSnapshotIdentifier="copied")
        client.describe_cluster_snapshots()
        client.describe_clusters()
        client.create_tags(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])
        client.describe_tags(ResourceName=arn)
        client.delete_tags(ResourceName=arn, TagKeys=["k"])
        client.authorize_snapshot_access(SnapshotIdentifier="made", AccountWithRestoreAccess="210987654321")
        client.revoke_snapshot_access(SnapshotIdentifier="made", AccountWithRestoreAccess="210987654321")
        client.modify_cluster_snapshot(SnapshotIdentifier="made", ManualSnapshotRetentionPeriod=7)
        client.delete_cluster_snapshot(SnapshotIdentifier="made")
        client.batch_delete_cluster_snapshots(Identifiers=[{"SnapshotIdentifier": "copied"},
                                                           {"SnapshotIdentifier": "ghost"}])
        journaled = rs.journal()
    assert len({c.operation for c in rs.calls}) == 12
    assert [c.request_id for c in journaled] == [c.request_id for c in rs.calls]
    for call, entry in zip(rs.calls, journaled, strict=True):
        parsed = {k: v for k, v in call.response.items() if k != "ResponseMetadata"}
        assert entry.response == json.loads(json.dumps(parsed, default=json_default)), call.operation
