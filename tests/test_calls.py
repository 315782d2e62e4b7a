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


def test_a_bounded_call_list_keeps_the_newest_and_counts_the_rest():
    calls = CallList([call(request_id=str(i)) for i in range(5)], maxlen=3)
    assert [c.request_id for c in calls] == ["2", "3", "4"] and calls.dropped == 2
    calls.append(call(request_id="5"))
    assert [c.request_id for c in calls] == ["3", "4", "5"] and calls.dropped == 3
    assert isinstance(calls, list) and calls.call_count == 3 and calls.last.request_id == "5"
    assert calls.of("DeleteClusterSnapshot").maxlen is None  # a selection is a plain, unbounded list
    nothing = CallList(maxlen=0)
    nothing.append(call())
    assert list(nothing) == [] and nothing.dropped == 1
    unbounded = CallList()
    for _ in range(1000):
        unbounded.append(call())
    assert (unbounded.maxlen, unbounded.dropped, len(unbounded)) == (None, 0, 1000)


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_max_calls_must_be_none_or_a_count(bad):
    from redshift_intercept import intercept

    with pytest.raises(ValueError, match=f"max_calls must be None \\(keep every call\\) or an int >= 0, got {bad!r}"):
        intercept(max_calls=bad)
    with pytest.raises(ValueError, match="maxlen must be None"):
        CallList(maxlen=bad)


def test_a_bounded_call_list_survives_pickle_and_copy():
    import copy
    import pickle

    calls = CallList([call(request_id=str(i)) for i in range(4)], maxlen=2)
    for clone in (pickle.loads(pickle.dumps(calls)), copy.copy(calls), copy.deepcopy(calls)):
        assert [c.request_id for c in clone] == ["2", "3"]
        assert (clone.maxlen, clone.dropped) == (2, 2)


def test_threads_appending_to_a_bounded_list_keep_exactly_the_bound():
    import threading

    calls = CallList(maxlen=50)

    def work():
        for _ in range(2000):
            calls.append(call())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 50 and calls.dropped == 8000 - 50


def test_intercept_max_calls_bounds_calls_and_unhandled(client):
    from redshift_intercept import UnhandledOperationError, intercept

    with intercept(max_calls=2, journal=True) as rs:
        for i in range(5):
            with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
                client.delete_cluster_snapshot(SnapshotIdentifier=f"s{i}")
        for _ in range(3):
            with pytest.raises(UnhandledOperationError):
                client.reboot_cluster(ClusterIdentifier="prod")
    assert [c.params["SnapshotIdentifier"] for c in rs.calls] == ["s3", "s4"] and rs.calls.dropped == 3
    assert len(rs.unhandled) == 2 and rs.unhandled.dropped == 1
    assert len(rs.journal()) == 8  # the journal keeps every call
