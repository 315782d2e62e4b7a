"""DescribeEvents: the window (Duration, StartTime/EndTime, 14 days), the
source filters, paging, and its refusals. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import make_client

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def rs(rs_both):
    return rs_both


@pytest.fixture
def history(rs, client):
    """Snapshots deleted 90, 30 and 0 minutes ago and 20 days ago; a cluster created 10 minutes ago."""
    start = rs.clock.now()
    rs.clock.set(start - dt.timedelta(days=20))
    for name in ("ancient", "old", "recent", "now"):
        rs.add_snapshot(SnapshotIdentifier=name, ClusterIdentifier="prod")
    client.delete_cluster_snapshot(SnapshotIdentifier="ancient")
    for name, ago in (("old", 90), ("recent", 30)):
        rs.clock.set(start - ago * MINUTE)
        client.delete_cluster_snapshot(SnapshotIdentifier=name)
    rs.clock.set(start - 10 * MINUTE)
    client.create_cluster(ClusterIdentifier="prod", NodeType="ra3.xlplus", MasterUsername="admin",
                          MasterUserPassword="Secret-123")
    client.describe_clusters()
    rs.clock.set(start)
    client.delete_cluster_snapshot(SnapshotIdentifier="now")
    return start


def sources(events):
    return [e["SourceIdentifier"] for e in events]


def test_the_past_hour_by_default_or_the_window_asked_for(rs, client, history):
    assert sources(client.describe_events()["Events"]) == ["recent", "prod", "now"]
    assert sources(client.describe_events(Duration=120)["Events"]) == ["old", "recent", "prod", "now"]
    assert sources(client.describe_events(Duration=0)["Events"]) == []  # only what happens at this very instant
    window = client.describe_events(StartTime=history - 100 * MINUTE, EndTime=history - 20 * MINUTE)["Events"]
    assert sources(window) == ["old", "recent"]
    assert sources(client.describe_events(StartTime=history - dt.timedelta(days=30))["Events"]) == [
        "old", "recent", "prod", "now"]  # 20 days ago is past the 14 days Redshift keeps answering for
    event = client.describe_events()["Events"][0]
    assert event == {"SourceIdentifier": "recent", "SourceType": "cluster-snapshot", "EventId": "REDSHIFT-EVENT-2011",
                     "Message": f"The cluster snapshot 'recent' for Amazon Redshift cluster 'prod' was deleted at "
                                f"{(history - 30 * MINUTE):%Y-%m-%d %H:%M} UTC.",
                     "EventCategories": ["management"], "Severity": "INFO", "Date": event["Date"]}
    assert abs(event["Date"] - (history - 30 * MINUTE)) < dt.timedelta(seconds=1)


def test_filters_by_source(rs, client, history):
    assert sources(client.describe_events(SourceType="cluster", Duration=120)["Events"]) == ["prod"]
    assert sources(client.describe_events(SourceType="cluster-snapshot", SourceIdentifier="old",
                                          Duration=120)["Events"]) == ["old"]
    assert client.describe_events(SourceType="cluster-parameter-group")["Events"] == []
    assert make_client("eu-west-1").describe_events()["Events"] == []


def test_other_accounts_events_are_not_shown(rs, history):
    from redshift_intercept import intercept

    with intercept(backend=rs.backend, account_id="444455556666"):
        assert make_client().describe_events(Duration=120)["Events"] == []


def test_paging(rs, client):
    rs.add_cluster(ClusterIdentifier="prod")
    for i in range(45):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}", ClusterIdentifier="prod")
    for i in range(45):
        client.delete_cluster_snapshot(SnapshotIdentifier=f"s{i:02d}")
    first = client.describe_events(MaxRecords=20)
    assert len(first["Events"]) == 20 and "Marker" in first
    pages = client.get_paginator("describe_events").paginate(PaginationConfig={"PageSize": 20})
    assert sources(e for page in pages for e in page["Events"]) == [f"s{i:02d}" for i in range(45)]


@pytest.mark.parametrize(("params", "code", "message"), [
    ({"SourceType": "cluster-snaphot"}, "InvalidParameterValue",
     "Invalid SourceType 'cluster-snaphot': use one of cluster, cluster-parameter-group, cluster-security-group, "
     "cluster-snapshot, scheduled-action."),
    ({"SourceIdentifier": "prod"}, "InvalidParameterCombination",
     "SourceType must be provided when SourceIdentifier is given."),
    ({"Duration": -1}, "InvalidParameterValue", "Invalid Duration -1: it is a number of minutes, 0 or more."),
    ({"MaxRecords": 19}, "InvalidParameterValue", "MaxRecords must be between 20 and 100; got 19."),
    ({"Marker": "not-ours"}, "InvalidParameterValue",
     "Invalid Marker 'not-ours': pass the Marker of a previous DescribeEvents response."),
])
def test_refusals(rs, client, params, code, message):
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.describe_events(**params)
    assert excinfo.value.response["Error"] == {"Code": code, "Message": message, "Type": "Sender"}


def test_a_page_reads_a_page_of_the_log_not_the_window():
    from redshift_intercept import MemoryBackend, intercept

    class Counting(MemoryBackend):
        read = 0

        def read_events(self, *args, **kwargs):
            found = super().read_events(*args, **kwargs)
            self.read += len(found)
            return found

    backend = Counting()
    with intercept(backend=backend) as rs:
        client = make_client()
        rs.add_cluster(ClusterIdentifier="prod")
        for i in range(1000):  # 1,000 deletes within the hour: 1,000 events in the default window
            rs.add_snapshot(SnapshotIdentifier=f"s{i:04d}", ClusterIdentifier="prod")
            client.delete_cluster_snapshot(SnapshotIdentifier=f"s{i:04d}")
        backend.read = 0
        first = client.describe_events(MaxRecords=20)
        second = client.describe_events(MaxRecords=20, Marker=first["Marker"])
        assert backend.read <= 2 * 101
        assert sources(first["Events"] + second["Events"]) == [f"s{i:04d}" for i in range(40)]
        one = client.describe_events(SourceType="cluster-snapshot", SourceIdentifier="s0999")["Events"]
        assert sources(one) == ["s0999"]  # a filter reads on until the page is full or the window ends


def test_event_messages_write_times_as_aws_does_in_utc():
    from redshift_intercept._events import message_time

    utc = dt.timezone.utc
    assert message_time(dt.datetime(2019, 12, 27, 0, 16, 59, 999000, tzinfo=utc)) == "2019-12-27 00:16"
    assert message_time(dt.datetime(2020, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == "2020-05-06 05:08"
    assert message_time(dt.datetime(2020, 5, 6, 7, 8)) == "2020-05-06 07:08"  # naive means UTC
    assert message_time(dt.datetime(999, 1, 2, 3, 4, tzinfo=utc)) == "0999-01-02 03:04"
