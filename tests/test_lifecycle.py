"""Time moves the service: automated snapshots on AWS's schedule and their
expiry, manual snapshots expiring past their retention, creations settling
with their events, what rs.events() and DescribeEvents show, and that all of
it is done lazily, once, without scanning the store. On every backend (PostgreSQL
when the tests have a server)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Tuple

import pytest

from redshift_intercept import MemoryBackend, intercept
from redshift_intercept._rules.lifecycle import automated_id

from .conftest import make_client

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
EIGHT_HOURS = 8 * HOUR


@pytest.fixture
def rs(rs_both):
    return rs_both


def create(client, cluster_id="prod", **params):
    fields = {"ClusterIdentifier": cluster_id, "NodeType": "ra3.xlplus", "MasterUsername": "admin",
              "MasterUserPassword": "Secret-123", **params}
    return client.create_cluster(**fields)["Cluster"]


def automated(client, cluster_id="prod"):
    return [s["SnapshotIdentifier"] for s in client.describe_cluster_snapshots(
        ClusterIdentifier=cluster_id, SnapshotType="automated")["Snapshots"]]


def ids_at(cluster_id, times):
    return [automated_id(cluster_id, at) for at in times]


# ---------------------------------------------------------------- automated snapshots


def test_automated_snapshots_every_eight_hours_from_when_the_cluster_is_available(rs, client):
    born = create(client, AutomatedSnapshotRetentionPeriod=1)["ClusterCreateTime"]
    assert automated(client) == ids_at("prod", [born])  # taken as soon as it is available

    rs.clock.advance(hours=8)
    assert automated(client) == ids_at("prod", [born, born + EIGHT_HOURS])
    rs.clock.advance(hours=16)  # one day: the first one's retention has run out
    assert automated(client) == ids_at("prod", [born + k * EIGHT_HOURS for k in (1, 2, 3)])
    snapshot = client.describe_cluster_snapshots(SnapshotIdentifier=automated_id("prod", born + 3 * EIGHT_HOURS))
    taken = snapshot["Snapshots"][0]
    assert (taken["SnapshotType"], taken["Status"], taken["ClusterIdentifier"]) == ("automated", "available", "prod")
    assert taken["SnapshotCreateTime"] == born + 3 * EIGHT_HOURS
    assert taken["SnapshotIdentifier"] == "rs:prod-" + (born + 3 * EIGHT_HOURS).strftime("%Y-%m-%d-%H-%M-%S")


def test_the_newest_automated_snapshot_is_kept_until_a_newer_one_is_taken(rs, client):
    now = rs.clock.now()
    rs.add_cluster(ClusterIdentifier="paused", ClusterStatus="paused", AutomatedSnapshotRetentionPeriod=1)
    rs.add_cluster(ClusterIdentifier="live", AutomatedSnapshotRetentionPeriod=1)
    for cluster_id in ("paused", "live"):
        for age in (5, 3):
            rs.add_snapshot(SnapshotIdentifier=automated_id(cluster_id, now - age * DAY), ClusterIdentifier=cluster_id,
                            SnapshotType="automated", SnapshotCreateTime=now - age * DAY)

    # Each cluster's older one is past its retention; the newest stays, however old.
    assert automated(client, "paused") == ids_at("paused", [now - 3 * DAY])
    assert automated(client, "live") == ids_at("live", [now - 3 * DAY])
    rs.clock.advance(days=10)
    assert automated(client, "paused") == ids_at("paused", [now - 3 * DAY])  # a paused cluster takes none
    live = automated(client, "live")  # the live one took its own (8 h after it was seeded): the old one went
    assert automated_id("live", now - 3 * DAY) not in live and len(live) == 3  # a day's worth


def test_a_long_jump_makes_only_what_retention_still_keeps(rs, client):
    born = create(client, AutomatedSnapshotRetentionPeriod=3)["ClusterCreateTime"]
    rs.clock.advance(hours=1)
    client.describe_clusters()

    now = rs.clock.advance(days=365)

    kept = [born + k * EIGHT_HOURS for k in range(1, 1100) if now - 3 * DAY < born + k * EIGHT_HOURS <= now]
    assert automated(client) == ids_at("prod", kept) and len(kept) == 9
    events = rs.events()
    taken = [e["SourceIdentifier"] for e in events if e["Action"] == "taken"]
    expired = [e for e in events if e["Action"] == "expired"]
    assert taken == ids_at("prod", [born, *kept])  # the ~1,090 that came and went in the jump left nothing
    assert [(e["SourceIdentifier"], e["Date"]) for e in expired] == [(automated_id("prod", born), born + 3 * DAY)]


def test_a_cluster_without_automated_snapshots_takes_none(rs, client):
    create(client, "legacy", NodeType="dc2.large", AutomatedSnapshotRetentionPeriod=0)
    rs.clock.advance(days=3)
    assert automated(client, "legacy") == []
    assert client.describe_clusters()["Clusters"][0]["AutomatedSnapshotRetentionPeriod"] == 0


def test_a_seeded_cluster_takes_its_next_automated_snapshot_eight_hours_after_it_was_seeded(rs, client):
    seeded = rs.clock.now()
    rs.add_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=2)
    assert automated(client) == []
    rs.clock.advance(hours=7, minutes=59)
    assert automated(client) == []
    rs.clock.advance(minutes=2)
    [taken] = automated(client)
    assert taken == automated_id("prod", seeded + EIGHT_HOURS)


def test_seeded_automated_snapshots_join_their_cluster_whichever_comes_first(rs, client):
    now = rs.clock.now()
    old, newer = now - 10 * DAY, now - 6 * DAY
    rs.add_snapshot(SnapshotIdentifier=automated_id("first", old), ClusterIdentifier="first",
                    SnapshotType="automated", SnapshotCreateTime=old)
    rs.add_snapshot(SnapshotIdentifier=automated_id("first", newer), ClusterIdentifier="first",
                    SnapshotType="automated", SnapshotCreateTime=newer)
    rs.add_cluster(ClusterIdentifier="first", AutomatedSnapshotRetentionPeriod=7)  # the snapshots came first
    rs.add_cluster(ClusterIdentifier="second", AutomatedSnapshotRetentionPeriod=7)
    rs.add_snapshot(SnapshotIdentifier=automated_id("second", old), ClusterIdentifier="second",
                    SnapshotType="automated", SnapshotCreateTime=old)
    rs.add_snapshot(SnapshotIdentifier=automated_id("second", newer), ClusterIdentifier="second",
                    SnapshotType="automated", SnapshotCreateTime=newer)
    rs.add_snapshot(SnapshotIdentifier=automated_id("orphan", old), ClusterIdentifier="orphan",
                    SnapshotType="automated", SnapshotCreateTime=old)

    for cluster_id in ("first", "second"):  # 10 days old: past 7 days; 6 days old: still within them
        assert automated(client, cluster_id) == ids_at(cluster_id, [newer])
    assert automated(client, "orphan") == ids_at("orphan", [old])  # no cluster, nothing expires it
    rs.clock.advance(days=2)
    assert automated(client, "orphan") == ids_at("orphan", [old])


# ---------------------------------------------------------------- manual snapshots


def test_manual_snapshots_count_down_and_expire_when_their_retention_ends(rs, client):
    create(client)
    client.create_cluster_snapshot(SnapshotIdentifier="short", ClusterIdentifier="prod",
                                   ManualSnapshotRetentionPeriod=3)
    client.create_cluster_snapshot(SnapshotIdentifier="forever", ClusterIdentifier="prod")

    def remaining():
        return {s["SnapshotIdentifier"]: s["ManualSnapshotRemainingDays"]
                for s in client.describe_cluster_snapshots(SnapshotType="manual")["Snapshots"]}

    start = client.describe_cluster_snapshots(SnapshotIdentifier="short")["Snapshots"][0]["SnapshotRetentionStartTime"]
    assert remaining() == {"short": 3, "forever": -1}
    rs.clock.advance(days=1)
    assert remaining() == {"short": 2, "forever": -1}
    rs.clock.set(start + 3 * DAY - dt.timedelta(seconds=1))
    assert remaining() == {"short": 1, "forever": -1}
    rs.clock.advance(seconds=2)
    assert remaining() == {"forever": -1}
    rs.clock.advance(days=5000)
    assert remaining() == {"forever": -1}
    [expired] = [e for e in rs.events() if e["Action"] == "expired" and e["SourceType"] == "cluster-snapshot"
                 and e["SourceIdentifier"] == "short"]
    assert (expired["Date"], expired["By"], expired["EventId"]) == (start + 3 * DAY, "Redshift", "REDSHIFT-EVENT-2011")
    assert expired["Message"] == (f"The cluster snapshot 'short' for Amazon Redshift cluster 'prod' was deleted at "
                                  f"{(start + 3 * DAY):%Y-%m-%d %H:%M} UTC.")


def test_a_seeded_snapshot_past_its_retention_is_gone_on_the_next_look(rs, client):
    now = rs.clock.now()
    rs.add_snapshot(SnapshotIdentifier="stale", ManualSnapshotRetentionPeriod=1, SnapshotCreateTime=now - 2 * DAY)
    rs.add_snapshot(SnapshotIdentifier="fresh", ManualSnapshotRetentionPeriod=5, SnapshotCreateTime=now - 2 * DAY)

    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["fresh"]
    assert [(e["SourceIdentifier"], e["Action"], e["Date"]) for e in rs.events()] == [
        ("stale", "expired", now - DAY)]


def test_changing_a_manual_retention_moves_its_expiry(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=3)
    client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=10)
    rs.clock.advance(days=5)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="s")["Snapshots"][0][
        "ManualSnapshotRemainingDays"] == 5
    client.modify_cluster_snapshot(SnapshotIdentifier="s", ManualSnapshotRetentionPeriod=-1)
    rs.clock.advance(days=100)
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["s"]


def test_a_snapshot_expires_even_when_shared_and_the_cluster_setting_applies_to_new_ones_only(rs, client):
    create(client, ManualSnapshotRetentionPeriod=2)
    client.create_cluster_snapshot(SnapshotIdentifier="old-setting", ClusterIdentifier="prod")
    client.authorize_snapshot_access(SnapshotIdentifier="old-setting", AccountWithRestoreAccess="444455556666")
    client.modify_cluster(ClusterIdentifier="prod", ManualSnapshotRetentionPeriod=30)
    client.create_cluster_snapshot(SnapshotIdentifier="new-setting", ClusterIdentifier="prod")
    rs.clock.advance(days=2, seconds=1)
    assert [s["SnapshotIdentifier"] for s in rs.snapshots() if s["SnapshotType"] == "manual"] == ["new-setting"]


# ---------------------------------------------------------------- settling


def test_a_creation_settles_on_the_clock_with_its_events(rs, client):
    create(client)
    rs.creation_delay = 600
    started = client.create_cluster_snapshot(SnapshotIdentifier="slow", ClusterIdentifier="prod")["Snapshot"]
    rs.clock.advance(seconds=599)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="slow")["Snapshots"][0]["Status"] == "creating"
    rs.clock.advance(seconds=2)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="slow")["Snapshots"][0]["Status"] == "available"
    rs.creation_outcome = "failed"
    client.create_cluster_snapshot(SnapshotIdentifier="doomed", ClusterIdentifier="prod")
    rs.clock.advance(seconds=601)
    client.describe_clusters()
    events = [(e["SourceIdentifier"], e.get("EventId"), e["Severity"], e["Action"], e["By"]) for e in rs.events()
              if e["SourceType"] == "cluster-snapshot" and e["Action"] != "taken"]
    assert events == [
        ("slow", "REDSHIFT-EVENT-2009", "INFO", "started", "CreateClusterSnapshot"),
        ("slow", "REDSHIFT-EVENT-3004", "INFO", "completed", "Redshift"),
        ("doomed", "REDSHIFT-EVENT-2009", "INFO", "started", "CreateClusterSnapshot"),
        ("doomed", "REDSHIFT-EVENT-3503", "ERROR", "failed", "Redshift")]
    completed = [e for e in rs.events() if e["SourceIdentifier"] == "slow"][1]
    assert completed["Date"] == started["SnapshotCreateTime"] + dt.timedelta(seconds=600)


def test_a_cluster_becomes_available_after_cluster_delay(rs, client):
    rs.cluster_delay = 300
    born = create(client)["ClusterCreateTime"]
    rs.clock.advance(seconds=299)
    cluster = client.describe_clusters()["Clusters"][0]
    assert (cluster["ClusterStatus"], cluster["ClusterAvailabilityStatus"]) == ("creating", "Modifying")
    assert "Endpoint" not in cluster and automated(client) == []
    rs.clock.advance(seconds=2)
    cluster = client.describe_clusters()["Clusters"][0]
    assert (cluster["ClusterStatus"], cluster["ClusterAvailabilityStatus"]) == ("available", "Available")
    assert cluster["Endpoint"]["Address"].startswith("prod.") and cluster["PendingModifiedValues"] == {}
    assert automated(client) == ids_at("prod", [born + dt.timedelta(seconds=300)])
    [available] = [e for e in rs.events() if e["SourceType"] == "cluster"]
    assert (available["EventId"], available["Date"]) == ("REDSHIFT-EVENT-2000", born + dt.timedelta(seconds=300))
    assert available["Message"] == (f"Amazon Redshift cluster 'prod' has been created at "
                                    f"{born + dt.timedelta(seconds=300):%Y-%m-%d %H:%M} UTC and is ready for use.")


# ---------------------------------------------------------------- events


def test_describe_events_shows_only_what_aws_publishes(rs, client):
    create(client, AutomatedSnapshotRetentionPeriod=1)
    client.describe_clusters()  # available, first automated snapshot taken
    rs.clock.advance(days=2)
    client.describe_clusters()

    published = client.describe_events(Duration=3 * 24 * 60)["Events"]
    everything = rs.events()
    assert [e["EventId"] for e in published] == ["REDSHIFT-EVENT-2000"]
    assert {e["Action"] for e in everything} == {"available", "taken", "expired"}
    assert all("EventId" not in e for e in everything if e["Action"] in ("taken", "expired"))
    assert published[0] == {k: v for k, v in everything[0].items() if k not in ("Action", "By")}


# ---------------------------------------------------------------- cost and atomicity


class Spy(MemoryBackend):
    """Counts the backend calls that could cost more than a lookup."""

    def __init__(self) -> None:
        super().__init__()
        self.counts = {"list": 0, "due": 0, "next_due": 0}

    def list(self, *args, **kwargs):
        self.counts["list"] += 1
        return super().list(*args, **kwargs)

    def due(self, *args, **kwargs):
        self.counts["due"] += 1
        return super().due(*args, **kwargs)

    def next_due(self):
        self.counts["next_due"] += 1
        return super().next_due()


def test_a_call_looks_at_what_is_due_through_the_index_and_never_lists_the_store():
    spy = Spy()
    with intercept(backend=spy) as rs:
        client = make_client()
        create(client, AutomatedSnapshotRetentionPeriod=2)
        for i in range(50):
            rs.add_snapshot(SnapshotIdentifier=f"s{i}", ManualSnapshotRetentionPeriod=1 + i % 5)
        spy.counts = dict.fromkeys(spy.counts, 0)

        client.delete_cluster_snapshot(SnapshotIdentifier="s0")  # something is due: the first backup
        assert spy.counts == {"list": 0, "due": 2, "next_due": 1}
        client.delete_cluster_snapshot(SnapshotIdentifier="s1")  # nothing is due: one look at the index
        assert spy.counts == {"list": 0, "due": 2, "next_due": 2}
        rs.clock.advance(days=3)
        client.delete_cluster_snapshot(SnapshotIdentifier="s4")  # backups and expiries, by due time only
        assert spy.counts["list"] == 0 and spy.counts["next_due"] == 3
        left = [s["SnapshotIdentifier"] for s in rs.snapshots() if s["SnapshotType"] == "manual"]
        assert left == [f"s{i}" for i in range(50) if i != 4 and 1 + i % 5 > 3]  # retention 4 and 5 days


def test_a_refused_call_changes_nothing_not_even_what_came_due(rs, client):
    rs.add_snapshot(SnapshotIdentifier="short", ManualSnapshotRetentionPeriod=1)
    rs.clock.advance(days=2)
    before = rs.clock.now()

    with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="ghost")

    stored = rs.backend.list(rs.account_id, rs.region)  # the backend as the refused call left it
    assert [s["SnapshotIdentifier"] for s in stored] == ["short"]
    assert rs.backend.read_events(rs.account_id, rs.region) == []
    assert rs.clock.now() - before < dt.timedelta(seconds=5)
    assert rs.snapshots() == []  # the next look catches up


def test_threads_catching_up_at_once_do_each_step_once(rs):
    clients = [make_client() for _ in range(6)]
    create(clients[0], AutomatedSnapshotRetentionPeriod=3)
    for i in range(30):
        rs.add_snapshot(SnapshotIdentifier=f"m{i}", ManualSnapshotRetentionPeriod=1 + i % 3)
    rs.clock.advance(days=2)
    clients[0].describe_clusters()  # build the exception classes before the threads race
    barrier = threading.Barrier(6)

    def look(client):
        barrier.wait()
        return len(client.describe_cluster_snapshots()["Snapshots"])

    with ThreadPoolExecutor(6) as pool:
        seen = list(pool.map(look, clients))

    assert len(set(seen)) == 1
    events = rs.events()
    keys = [(e["SourceIdentifier"], e["Action"]) for e in events]
    assert len(keys) == len(set(keys))
    assert sum(1 for e in events if e["Action"] == "expired") == 20  # retention 1 and 2 days: gone


def test_time_going_back_undoes_nothing_and_breaks_nothing(rs, client):
    born = create(client)["ClusterCreateTime"]
    rs.clock.advance(hours=9)
    assert len(automated(client)) == 2
    rs.clock.set(born - DAY)
    assert len(automated(client)) == 2  # what happened stays happened
    rs.clock.set(born + 17 * HOUR)
    assert automated(client) == ids_at("prod", [born, born + EIGHT_HOURS, born + 2 * EIGHT_HOURS])


# ---------------------------------------------------------------- processes sharing a backend


def _open_shared(where: Tuple[str, ...]) -> Any:
    """The shared backend ``where`` names: ("sqlite", path) or ("postgresql", dsn, namespace)."""
    if where[0] == "sqlite":
        from redshift_intercept import SqliteBackend

        return SqliteBackend(where[1])
    from redshift_intercept._postgres import PostgresBackend

    return PostgresBackend(where[1], namespace=where[2])


def _catch_up_in_a_process(where: Tuple[str, ...], when: str, start, results) -> None:
    """Child process: look at the shared state at service time ``when``."""
    with _open_shared(where) as backend, intercept(backend=backend) as child:
        child.clock.set(dt.datetime.fromisoformat(when))
        client = make_client()
        start.wait(timeout=60)
        results.put(len(client.describe_cluster_snapshots()["Snapshots"]))


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request, tmp_path):
    """Where processes share state: a SQLite file, then a namespace of its own on the
    test PostgreSQL server (skipped without one; cleared at the end)."""
    if request.param == "sqlite":
        yield ("sqlite", str(tmp_path / "shared.db"))
        return
    from tests.postgres_support import require_postgres, unique

    where = ("postgresql", require_postgres(), unique("shared"))
    try:
        yield where
    finally:
        with _open_shared(where) as backend:
            backend.clear()


def test_processes_sharing_a_backend_do_each_step_once(shared):
    import multiprocessing

    with _open_shared(shared) as backend, intercept(backend=backend) as rs:
        client = make_client()
        for name in ("a", "b", "c"):
            create(client, name, AutomatedSnapshotRetentionPeriod=2)
        for i in range(40):
            rs.add_snapshot(SnapshotIdentifier=f"m{i}", ManualSnapshotRetentionPeriod=1 + i % 4)
        client.describe_clusters()
        when = rs.clock.now() + 3 * DAY
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_catch_up_in_a_process, args=(shared, when.isoformat(), start, results))
                 for _ in range(4)]
    for process in processes:
        process.start()
    seen = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert len(set(seen)) == 1
    with _open_shared(shared) as backend, intercept(backend=backend) as rs:
        rs.clock.set(when)
        events = rs.events()
        keys = [(e["SourceIdentifier"], e["Action"]) for e in events]
        assert len(keys) == len(set(keys))  # no step done twice
        assert sum(1 for key in keys if key[1] == "expired" and key[0].startswith("m")) == 30
        assert len(rs.snapshots()) == seen[0] == 10 + 3 * 6  # retention 4 days; each cluster: 2 days of 8 hours


def test_retention_at_the_edges_of_time(rs, client):
    rs.add_snapshot(SnapshotIdentifier="ancient", SnapshotCreateTime="0001-01-01T00:00:00Z",
                    ManualSnapshotRetentionPeriod=1)
    rs.add_snapshot(SnapshotIdentifier="far-future", SnapshotCreateTime="9999-12-31T00:00:00Z",
                    ManualSnapshotRetentionPeriod=3653)  # its end is past the year 9999: it never comes
    rs.add_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=35)
    for when in ("9999-12-30T00:00:00Z", "9999-12-31T00:00:00Z"):
        rs.add_snapshot(SnapshotIdentifier=f"rs:prod-{when[:10]}-00-00-00", ClusterIdentifier="prod",
                        SnapshotType="automated", SnapshotCreateTime=when)

    assert sorted(s["SnapshotIdentifier"] for s in rs.snapshots()) == [
        "far-future", "rs:prod-9999-12-30-00-00-00", "rs:prod-9999-12-31-00-00-00"]
    [expired] = rs.events()
    assert (expired["SourceIdentifier"], expired["Date"]) == ("ancient", dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc))
    rs.clock.advance(days=3)
    assert len(rs.snapshots()) == 3 + 9  # and prod's own, every 8 hours
