"""Call records: the CallList helpers and the journal entries a backend keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from redshift_intercept import Call, CallList
from redshift_intercept._calls import call_from_entry, journal_entry_of

UTC = dt.timezone.utc


def call(operation="DeleteClusterSnapshot", **changes) -> Call:
    fields = dict(operation=operation, params={"SnapshotIdentifier": "s"}, region="us-east-1",
                  account_id="123456789012", response=None, error_code=None)
    fields.update(changes)
    return Call(**fields)


def test_call_list_helpers():
    calls = CallList([call(), call("DescribeClusterSnapshots"), call()])
    assert calls.called and calls.call_count == 3 and calls.last.operation == "DeleteClusterSnapshot"
    assert calls.of("DescribeClusterSnapshots").assert_called_once().operation == "DescribeClusterSnapshots"
    with pytest.raises(AssertionError, match="expected exactly 1 Redshift call, got 3"):
        calls.assert_called_once()
    with pytest.raises(AssertionError, match="expected no Redshift call, got 3"):
        calls.assert_not_called()
    with pytest.raises(IndexError, match="no Redshift call has been answered yet"):
        _ = CallList().last


def test_a_journal_entry_round_trips_to_a_call():
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    ok = call(response={"Snapshot": {"SnapshotCreateTime": when}, "ResponseMetadata": {"RequestId": "r"}},
              request_id="r")
    failed = call(error_code="ClusterSnapshotNotFound",
                  error={"Error": {"Code": "ClusterSnapshotNotFound", "Message": "gone"}, "ResponseMetadata": {}})

    entry = journal_entry_of(ok)
    assert entry["response"] == {"Snapshot": {"SnapshotCreateTime": "2024-05-01T12:00:00.123Z"}}
    assert isinstance(entry["pid"], int)
    back = call_from_entry(entry)
    assert (back.operation, back.params, back.request_id, back.error_code) == (
        "DeleteClusterSnapshot", {"SnapshotIdentifier": "s"}, "r", None)
    entry = journal_entry_of(failed)
    assert entry["error"] == {"Error": {"Code": "ClusterSnapshotNotFound", "Message": "gone"}}
    assert entry["error_message"] == "gone" and "response" not in entry
    assert call_from_entry(entry).error_code == "ClusterSnapshotNotFound"
