"""The snapshot-backend conformance suite: what every ``SnapshotBackend`` must do.

Run it against a backend by subclassing and providing ``make_backend``::

    from redshift_intercept.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        def make_backend(self, tmp_path):
            return MyBackend(tmp_path / "snapshots")

Each test gets a fresh, empty backend; if it has a ``close()`` method, it is
called after the test. The suite covers every protocol method and its edge
cases (due times, counts and the event log included), concurrency from
threads, and the Redshift rules end to end through real boto3 clients (the
service's clock included), so the same rules hold on every backend.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Optional

import boto3
import pytest
from botocore.config import Config

from redshift_intercept import CallJournal, PageScan, SnapshotBackend, intercept
from redshift_intercept._backend import DUE, EVENT_ID
from redshift_intercept._records import new_cluster, new_snapshot

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
UTC = dt.timezone.utc
T0 = dt.datetime(2024, 5, 1, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
TRICKY = "a&b <c> \"d\" 'e' é ü 雪 🎉 \r\n\ttrail ]]> &amp; \\ \u2028"
# Tags hold only what Redshift allows in them: letters, digits, white space, _ . : / = + - @.
TAG_TRICKY = "é ü 雪 ٣ ²\u2028\u00a0_.:/=+-@ trail "


CLOSED_ENDPOINT = "http://127.0.0.1:9"
"""A loopback port nothing listens on: a call that escaped interception fails here."""
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2)


def make_client(region: str = "us-east-1", *, session: Any = None, service: str = "redshift",
                access_key_id: str = "testing", endpoint_url: Optional[str] = CLOSED_ENDPOINT) -> Any:
    """A client (of ``session``, a ``boto3.Session``; a new one by default)
    that can only reach a closed port on this machine, with dummy
    credentials (``access_key_id`` names an identity added with
    ``rs.add_identity``) and no retries: anything our interception missed
    fails with ``EndpointConnectionError`` instead of reaching AWS.
    ``endpoint_url`` replaces the closed port (``None``: the service's real
    endpoint, which only another fake such as moto should answer)."""
    session = session or boto3.Session()
    return session.client(service, region_name=region, endpoint_url=endpoint_url,
                          aws_access_key_id=access_key_id, aws_secret_access_key="testing", config=NO_RETRIES)


def record(snapshot_id: str, **fields: Any) -> dict:
    """A complete, validated record, as ``add_snapshot`` stores it (``DUE``,
    the service's bookkeeping, is added as given)."""
    due = fields.pop(DUE, None)
    built = new_snapshot(ACCOUNT, REGION, {"SnapshotIdentifier": snapshot_id, **fields})
    return built if due is None else {**built, DUE: due}


def cluster(cluster_id: str, **fields: Any) -> dict:
    """A complete, validated cluster record, as ``add_cluster`` stores it."""
    due = fields.pop(DUE, None)
    built = new_cluster(ACCOUNT, REGION, {"ClusterIdentifier": cluster_id, **fields})
    return built if due is None else {**built, DUE: due}


_event_ids = iter(range(10**9))


def event(message: str, date: dt.datetime, event_id: str = "", **fields: Any) -> dict:
    """An event as the rules append it: a ``Date`` and a unique ``EVENT_ID``."""
    return {"Date": date, "Message": message, EVENT_ID: event_id or f"made-{next(_event_ids):09d}", **fields}


def ids(records: List[dict]) -> List[str]:
    return [r.get("SnapshotIdentifier") or r["ClusterIdentifier"] for r in records]


def assert_identical(got: Any, expected: Any, where: str = "record") -> None:
    """Equal, and of the same types all the way down (1.0 is not 1, and a
    datetime must stay aware with the same UTC offset)."""
    assert type(got) is type(expected), f"{where}: {type(got).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(got) == list(expected), f"{where}: keys differ"
        for key in expected:
            assert_identical(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), f"{where}: lengths differ"
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_identical(a, b, f"{where}[{i}]")
    elif isinstance(expected, dt.datetime):
        assert got == expected and got.utcoffset() == expected.utcoffset(), where
    else:
        assert got == expected, where


class Boom(Exception):
    """Raised by callbacks in these tests."""


def raiser(error: BaseException) -> Callable[[dict], Any]:
    def callback(record: dict) -> Any:
        raise error
    return callback


def no_check(record: dict) -> None:
    pass


class BackendConformance:
    """Subclass as ``Test...`` and implement :meth:`make_backend`."""

    def make_backend(self, tmp_path) -> SnapshotBackend:
        """A new, empty backend; ``tmp_path`` is this test's own directory."""
        raise NotImplementedError("BackendConformance subclasses implement make_backend(tmp_path)")

    @pytest.fixture
    def backend(self, tmp_path) -> Iterator[SnapshotBackend]:
        backend = self.make_backend(tmp_path)
        yield backend
        close = getattr(backend, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------ insert / get / list

    def test_implements_the_protocol(self, backend):
        assert isinstance(backend, SnapshotBackend)
        assert backend.list(ACCOUNT, REGION) == []

    def test_insert_then_get(self, backend):
        stored = record("a")
        assert backend.insert(ACCOUNT, REGION, stored) is True
        assert_identical(backend.get(ACCOUNT, REGION, "a"), stored)

    def test_duplicate_insert_returns_false_and_changes_nothing(self, backend):
        first = record("a", ClusterIdentifier="first")
        backend.insert(ACCOUNT, REGION, first)

        assert backend.insert(ACCOUNT, REGION, record("a", ClusterIdentifier="second")) is False

        assert_identical(backend.list(ACCOUNT, REGION), [first])

    def test_get_missing_is_none(self, backend):
        backend.insert(ACCOUNT, REGION, record("a"))
        assert backend.get(ACCOUNT, REGION, "b") is None
        assert backend.get(ACCOUNT, OTHER_REGION, "a") is None
        assert backend.get(OTHER_ACCOUNT, REGION, "a") is None

    def test_list_keeps_insertion_order(self, backend):
        for snapshot_id in ["c", "a", "b"]:
            backend.insert(ACCOUNT, REGION, record(snapshot_id))
        assert ids(backend.list(ACCOUNT, REGION)) == ["c", "a", "b"]

        backend.remove(ACCOUNT, REGION, "a", no_check)
        backend.insert(ACCOUNT, REGION, record("a"))
        backend.update(ACCOUNT, REGION, "c", lambda r: {**r, "Status": "failed"})

        assert ids(backend.list(ACCOUNT, REGION)) == ["c", "b", "a"]  # update keeps the place

    def test_accounts_and_regions_are_isolated(self, backend):
        scopes = [(ACCOUNT, REGION), (ACCOUNT, OTHER_REGION), (OTHER_ACCOUNT, REGION)]
        for n, (account, region) in enumerate(scopes):
            assert backend.insert(account, region, record("same", NumberOfNodes=n + 1)) is True
        backend.insert(ACCOUNT, OTHER_REGION, record("west-only", NumberOfNodes=7))

        assert [r["NumberOfNodes"] for r in backend.list(ACCOUNT, REGION)] == [1]
        assert ids(backend.list(ACCOUNT, OTHER_REGION)) == ["same", "west-only"]
        assert backend.list(OTHER_ACCOUNT, OTHER_REGION) == []

        backend.update(ACCOUNT, REGION, "same", lambda r: {**r, "NumberOfNodes": 9})
        assert backend.remove(OTHER_ACCOUNT, REGION, "same", no_check) is not None

        assert [r["NumberOfNodes"] for r in backend.list(ACCOUNT, REGION)] == [9]
        assert [r["NumberOfNodes"] for r in backend.list(ACCOUNT, OTHER_REGION)] == [2, 7]
        assert backend.list(OTHER_ACCOUNT, REGION) == []

    def test_list_of_every_account_in_a_region(self, backend):
        backend.insert(ACCOUNT, REGION, record("a"))
        backend.insert(OTHER_ACCOUNT, REGION, record("b"))
        backend.insert(OTHER_ACCOUNT, REGION, record("a", ClusterIdentifier="theirs"))
        backend.insert(ACCOUNT, OTHER_REGION, record("elsewhere"))

        listed = backend.list(None, REGION)

        assert sorted((r["SnapshotIdentifier"], r["ClusterIdentifier"]) for r in listed) == [
            ("a", "examplecluster"), ("a", "theirs"), ("b", "examplecluster")]
        assert ids(backend.list(None, OTHER_REGION)) == ["elsewhere"]
        assert backend.list(None, "ap-south-1") == []

    # ------------------------------------------------------------ round trip

    def test_records_round_trip_exactly(self, backend):
        stored = record(
            "typed",
            SnapshotCreateTime=dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC),
            ClusterCreateTime=dt.datetime(2020, 1, 1, tzinfo=UTC),
            TotalBackupSizeInMegaBytes=10.0,
            ActualIncrementalBackupSizeInMegaBytes=0.1,
            NumberOfNodes=4,
            ElapsedTimeInSeconds=2**40,
            Encrypted=True,
            Tags={TAG_TRICKY: TAG_TRICKY, "empty": ""},
            MaintenanceTrackName=TRICKY,
            AccountsWithRestoreAccess=["111122223333", "amazon-redshift-support"],
            RestorableNodeTypes=["ra3.xlplus", "ra3.4xlarge"],
            MasterUsername="o'brien&co",
        )
        assert isinstance(stored["TotalBackupSizeInMegaBytes"], float)
        backend.insert(ACCOUNT, REGION, stored)

        assert_identical(backend.get(ACCOUNT, REGION, "typed"), stored)
        assert_identical(backend.list(ACCOUNT, REGION), [stored])
        assert_identical(backend.remove(ACCOUNT, REGION, "typed", no_check), stored)

    def test_every_field_type_round_trips_through_update(self, backend):
        backend.insert(ACCOUNT, REGION, record("u"))
        changed = {
            **record("u"),
            "SnapshotCreateTime": dt.datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            "CurrentBackupRateInMegaBytesPerSecond": 2.0,
            "EstimatedSecondsToCompletion": 0,
            "EnhancedVpcRouting": True,
            "Tags": [{"Key": "雪", "Value": TRICKY}],
        }

        assert_identical(backend.update(ACCOUNT, REGION, "u", lambda r: changed), changed)
        assert_identical(backend.get(ACCOUNT, REGION, "u"), changed)

    # ------------------------------------------------------------ update

    def test_update_applies_the_change(self, backend):
        original = record("a")
        backend.insert(ACCOUNT, REGION, original)
        seen = []

        def change(current: dict) -> dict:
            seen.append(current)
            return {**current, "Status": "failed", "NumberOfNodes": 3}

        updated = backend.update(ACCOUNT, REGION, "a", change)

        assert_identical(seen, [original])
        assert updated == {**original, "Status": "failed", "NumberOfNodes": 3}
        assert_identical(backend.get(ACCOUNT, REGION, "a"), updated)

    def test_update_of_a_missing_record_is_none_and_calls_nothing(self, backend):
        backend.insert(ACCOUNT, OTHER_REGION, record("a"))
        assert backend.update(ACCOUNT, REGION, "a", raiser(AssertionError("called"))) is None
        assert backend.list(ACCOUNT, REGION) == []

    def test_a_raising_change_propagates_and_leaves_the_record(self, backend):
        original = record("a")
        backend.insert(ACCOUNT, REGION, original)
        error = Boom("no")

        with pytest.raises(Boom) as excinfo:
            backend.update(ACCOUNT, REGION, "a", raiser(error))

        assert excinfo.value is error
        assert_identical(backend.list(ACCOUNT, REGION), [original])
        # Nothing stays locked: the next change goes through.
        assert backend.update(ACCOUNT, REGION, "a", lambda r: {**r, "Port": 1})["Port"] == 1

    # ------------------------------------------------------------ remove

    def test_remove_checks_then_removes_and_returns_the_record(self, backend):
        original = record("a")
        backend.insert(ACCOUNT, REGION, original)
        backend.insert(ACCOUNT, REGION, record("b"))
        seen = []

        removed = backend.remove(ACCOUNT, REGION, "a", seen.append)

        assert_identical(seen, [original])
        assert_identical(removed, original)
        assert backend.get(ACCOUNT, REGION, "a") is None
        assert ids(backend.list(ACCOUNT, REGION)) == ["b"]

    def test_a_raising_check_propagates_and_keeps_the_record(self, backend):
        original = record("a")
        backend.insert(ACCOUNT, REGION, original)
        error = Boom("refused")

        with pytest.raises(Boom) as excinfo:
            backend.remove(ACCOUNT, REGION, "a", raiser(error))

        assert excinfo.value is error
        assert_identical(backend.list(ACCOUNT, REGION), [original])
        assert_identical(backend.remove(ACCOUNT, REGION, "a", no_check), original)

    def test_remove_of_a_missing_record_is_none_and_checks_nothing(self, backend):
        backend.insert(OTHER_ACCOUNT, REGION, record("a"))
        assert backend.remove(ACCOUNT, REGION, "a", raiser(AssertionError("called"))) is None
        assert backend.remove(ACCOUNT, REGION, "a", raiser(AssertionError("called"))) is None
        assert ids(backend.list(OTHER_ACCOUNT, REGION)) == ["a"]

    def test_removed_identifier_can_be_reused(self, backend):
        backend.insert(ACCOUNT, REGION, record("a", ClusterIdentifier="old"))
        backend.remove(ACCOUNT, REGION, "a", no_check)

        assert backend.insert(ACCOUNT, REGION, record("a", ClusterIdentifier="new")) is True
        assert backend.get(ACCOUNT, REGION, "a")["ClusterIdentifier"] == "new"

    # ------------------------------------------------------------ threads

    def test_concurrent_removes_remove_each_record_exactly_once(self, backend):
        wanted = [f"snap-{i}" for i in range(300)]
        for snapshot_id in wanted:
            backend.insert(ACCOUNT, REGION, record(snapshot_id))
        checks = []
        start = threading.Barrier(8)

        def worker(_: int) -> List[str]:
            start.wait()
            return [snapshot_id for snapshot_id in wanted
                    if backend.remove(ACCOUNT, REGION, snapshot_id, checks.append) is not None]

        with ThreadPoolExecutor(8) as pool:
            removed = [snapshot_id for got in pool.map(worker, range(8)) for snapshot_id in got]

        assert sorted(removed) == sorted(wanted)
        assert sorted(ids(checks)) == sorted(wanted)  # a check only for the removal that won
        assert backend.list(ACCOUNT, REGION) == []

    def test_concurrent_updates_lose_nothing(self, backend):
        backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=0))
        start = threading.Barrier(8)

        def worker(_: int) -> None:
            start.wait()
            for _ in range(50):
                backend.update(ACCOUNT, REGION, "counter",
                               lambda r: {**r, "ElapsedTimeInSeconds": r["ElapsedTimeInSeconds"] + 1})

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(worker, range(8)))

        assert backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"] == 400

    # ------------------------------------------------------------ kinds

    def test_clusters_and_snapshots_are_kept_apart(self, backend):
        snapshot, stored_cluster = record("same"), cluster("same", NumberOfNodes=3)
        assert backend.insert(ACCOUNT, REGION, snapshot) is True
        assert backend.insert(ACCOUNT, REGION, stored_cluster, "cluster") is True  # same id, other kind
        assert backend.insert(ACCOUNT, REGION, cluster("same"), "cluster") is False

        assert_identical(backend.get(ACCOUNT, REGION, "same"), snapshot)
        assert_identical(backend.get(ACCOUNT, REGION, "same", "cluster"), stored_cluster)
        assert_identical(backend.list(ACCOUNT, REGION, "cluster"), [stored_cluster])
        assert_identical(backend.list(None, REGION, "cluster"), [stored_cluster])
        changed = backend.update(ACCOUNT, REGION, "same", lambda r: {**r, "NumberOfNodes": 4}, "cluster")
        assert changed["NumberOfNodes"] == 4
        assert_identical(backend.remove(ACCOUNT, REGION, "same", no_check, "cluster"), changed)
        assert backend.list(ACCOUNT, REGION, "cluster") == []
        assert_identical(backend.list(ACCOUNT, REGION), [snapshot])

    def test_clusters_round_trip_exactly(self, backend):
        stored = cluster("typed", Tags={TAG_TRICKY: TAG_TRICKY}, MasterUsername=TRICKY, Encrypted=True, NumberOfNodes=8,
                         ClusterCreateTime=dt.datetime(2020, 2, 29, 1, 2, 3, 4000, tzinfo=UTC))
        backend.insert(OTHER_ACCOUNT, OTHER_REGION, stored, "cluster")
        assert_identical(backend.get(OTHER_ACCOUNT, OTHER_REGION, "typed", "cluster"), stored)

    def test_an_unknown_kind_is_refused(self, backend):
        with pytest.raises(ValueError, match="kind must be one of"):
            backend.list(ACCOUNT, REGION, "parametergroup")

    # ------------------------------------------------------------ atomic units

    def test_a_unit_returns_what_its_work_returns_and_keeps_its_changes(self, backend):
        backend.insert(ACCOUNT, REGION, record("old"))

        def work() -> str:
            backend.insert(ACCOUNT, REGION, record("new"))
            backend.insert(ACCOUNT, REGION, cluster("c"), "cluster")
            backend.update(ACCOUNT, REGION, "old", lambda r: {**r, "Status": "failed"})
            assert backend.get(ACCOUNT, REGION, "new") is not None  # a unit sees its own changes
            return "done"

        assert backend.atomic(work) == "done"
        assert ids(backend.list(ACCOUNT, REGION)) == ["old", "new"]
        assert backend.get(ACCOUNT, REGION, "old")["Status"] == "failed"
        assert ids(backend.list(ACCOUNT, REGION, "cluster")) == ["c"]

    def test_a_unit_that_raises_changes_nothing(self, backend):
        originals = [record(name, NumberOfNodes=n) for n, name in enumerate(["a", "b", "c"], 1)]
        for original in originals:
            backend.insert(ACCOUNT, REGION, original)
        backend.insert(ACCOUNT, REGION, cluster("kept"), "cluster")
        error = Boom("half way")

        def work() -> None:
            backend.remove(ACCOUNT, REGION, "b", no_check)
            backend.update(ACCOUNT, REGION, "a", lambda r: {**r, "NumberOfNodes": 9})
            backend.insert(ACCOUNT, REGION, record("d"))
            backend.remove(ACCOUNT, REGION, "kept", no_check, "cluster")
            backend.insert(ACCOUNT, REGION, cluster("new"), "cluster")
            if isinstance(backend, CallJournal):
                backend.append_call({"operation": "Lost"})
            raise error

        with pytest.raises(Boom) as excinfo:
            backend.atomic(work)

        assert excinfo.value is error
        assert_identical(backend.list(ACCOUNT, REGION), originals)  # in their places
        assert ids(backend.list(ACCOUNT, REGION, "cluster")) == ["kept"]
        if isinstance(backend, CallJournal):
            assert backend.read_calls() == []
        backend.insert(ACCOUNT, REGION, record("e"))  # nothing stays locked
        assert ids(backend.list(ACCOUNT, REGION)) == ["a", "b", "c", "e"]

    def test_a_nested_unit_is_part_of_the_outer_one(self, backend):
        def inner() -> None:
            backend.insert(ACCOUNT, REGION, record("inner"))

        def outer() -> None:
            backend.atomic(inner)
            backend.atomic(inner, write=False)  # a second insert of the same id: refused, not an error
            raise Boom("outer")

        with pytest.raises(Boom):
            backend.atomic(outer)
        assert backend.list(ACCOUNT, REGION) == []

        def outer_keeps() -> None:
            with pytest.raises(Boom):
                backend.atomic(lambda: (backend.insert(ACCOUNT, REGION, record("x")), raiser(Boom("in"))({})))
            # the inner unit's change stays: it joined this one, which goes on

        backend.atomic(outer_keeps)
        assert ids(backend.list(ACCOUNT, REGION)) == ["x"]

    def test_a_reading_unit_can_write_after_all(self, backend):
        backend.insert(ACCOUNT, REGION, record("a"))

        def work() -> int:
            seen = len(backend.list(ACCOUNT, REGION))
            backend.update(ACCOUNT, REGION, "a", lambda r: {**r, "ElapsedTimeInSeconds": seen})
            return seen

        assert backend.atomic(work, write=False) == 1
        assert backend.get(ACCOUNT, REGION, "a")["ElapsedTimeInSeconds"] == 1

    def test_concurrent_units_do_not_interleave(self, backend):
        backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=0))
        start = threading.Barrier(6)

        def increment() -> None:  # read, then write what was read plus one: a lost update if units interleave
            current = backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"]
            backend.remove(ACCOUNT, REGION, "counter", no_check)
            backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=current + 1))

        def worker(_: int) -> None:
            start.wait()
            for _ in range(25):
                backend.atomic(increment)

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(worker, range(6)))

        assert backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"] == 150

    def test_concurrent_reading_units_that_write_lose_nothing(self, backend):
        backend.insert(ACCOUNT, REGION, record("counter", ElapsedTimeInSeconds=0))
        start = threading.Barrier(4)

        def increment() -> None:
            current = backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"]
            backend.update(ACCOUNT, REGION, "counter", lambda r: {**r, "ElapsedTimeInSeconds": current + 1})

        def worker(_: int) -> None:
            start.wait()
            for _ in range(25):
                backend.atomic(increment, write=False)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(worker, range(4)))

        assert backend.get(ACCOUNT, REGION, "counter")["ElapsedTimeInSeconds"] == 100

    # ------------------------------------------------------------ due times (the service's clock)

    def test_records_are_found_by_due_time_earliest_first(self, backend):
        assert backend.next_due() is None and backend.due(T0 + 1000 * HOUR, 10) == []
        backend.insert(ACCOUNT, REGION, record("late", **{DUE: T0 + 3 * HOUR}))
        backend.insert(OTHER_ACCOUNT, OTHER_REGION, record("early", **{DUE: T0 + HOUR}))
        backend.insert(ACCOUNT, REGION, cluster("middle", **{DUE: T0 + 2 * HOUR}), "cluster")
        backend.insert(ACCOUNT, REGION, record("never"))

        assert backend.next_due() == T0 + HOUR
        found = backend.due(T0 + 2 * HOUR, 10)
        assert [(kind, account, region, ids([r])[0]) for kind, account, region, r in found] == [
            ("snapshot", OTHER_ACCOUNT, OTHER_REGION, "early"), ("cluster", ACCOUNT, REGION, "middle")]
        assert_identical(found[1][3], backend.get(ACCOUNT, REGION, "middle", "cluster"))
        assert ids([r for *_, r in backend.due(T0 + 9 * HOUR, 2)]) == ["early", "middle"]  # at most limit
        assert backend.due(T0, 10) == []
        assert backend.next_due() == T0 + HOUR  # reading what is due changes nothing

    def test_due_times_follow_updates_and_removals(self, backend):
        backend.insert(ACCOUNT, REGION, record("a", **{DUE: T0 + HOUR}))
        backend.insert(ACCOUNT, REGION, record("b", **{DUE: T0 + 2 * HOUR}))

        backend.update(ACCOUNT, REGION, "a", lambda r: {**r, DUE: T0 + 5 * HOUR})
        assert backend.next_due() == T0 + 2 * HOUR
        backend.update(ACCOUNT, REGION, "b", lambda r: {k: v for k, v in r.items() if k != DUE})
        assert backend.next_due() == T0 + 5 * HOUR
        assert ids([r for *_, r in backend.due(T0 + 9 * HOUR, 10)]) == ["a"]
        backend.remove(ACCOUNT, REGION, "a", no_check)
        assert backend.next_due() is None and backend.due(T0 + 9 * HOUR, 10) == []
        backend.update(ACCOUNT, REGION, "b", lambda r: {**r, DUE: T0})  # due again
        assert backend.next_due() == T0

    def test_due_times_are_exact_and_round_trip(self, backend):
        precise = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
        stored = record("p", **{DUE: precise})
        backend.insert(ACCOUNT, REGION, stored)
        backend.insert(ACCOUNT, REGION, record("q", **{DUE: precise + dt.timedelta(microseconds=1)}))

        assert backend.next_due() == precise
        assert ids([r for *_, r in backend.due(precise, 10)]) == ["p"]
        assert_identical(backend.get(ACCOUNT, REGION, "p"), stored)

    def test_due_times_roll_back_with_a_failed_unit(self, backend):
        backend.insert(ACCOUNT, REGION, record("a", **{DUE: T0 + HOUR}))
        backend.insert(ACCOUNT, REGION, record("b", **{DUE: T0 + 2 * HOUR}))

        def work() -> None:
            backend.update(ACCOUNT, REGION, "a", lambda r: {**r, DUE: T0 + 9 * HOUR})
            backend.remove(ACCOUNT, REGION, "b", no_check)
            backend.insert(ACCOUNT, REGION, record("c", **{DUE: T0}))
            assert backend.next_due() == T0  # a unit sees its own changes
            assert ids([r for *_, r in backend.due(T0 + 3 * HOUR, 10)]) == ["c"]
            raise Boom("undo")

        with pytest.raises(Boom):
            backend.atomic(work)

        assert backend.next_due() == T0 + HOUR
        assert ids([r for *_, r in backend.due(T0 + 3 * HOUR, 10)]) == ["a", "b"]

    def test_due_times_survive_many_changes(self, backend):
        for i in range(30):
            backend.insert(ACCOUNT, REGION, record(f"s{i}", **{DUE: T0 + i * HOUR}))
        for step in range(200):  # every change moves one record's due time
            target = f"s{step % 30}"
            backend.update(ACCOUNT, REGION, target, lambda r, step=step: {**r, DUE: T0 + (100 + step) * HOUR})
        expected = sorted((backend.get(ACCOUNT, REGION, f"s{i}")[DUE], f"s{i}") for i in range(30))

        assert backend.next_due() == expected[0][0]
        assert ids([r for *_, r in backend.due(T0 + 1000 * HOUR, 100)]) == [name for _, name in expected]

    def test_count_counts_matching_records_up_to_the_limit(self, backend):
        for i in range(5):
            backend.insert(ACCOUNT, REGION, record(f"m{i}"))
        backend.insert(ACCOUNT, REGION, record("rs:prod-2024-05-01-00-00-00", SnapshotType="automated"))
        backend.insert(OTHER_ACCOUNT, REGION, record("theirs"))
        backend.insert(ACCOUNT, OTHER_REGION, record("elsewhere"))

        assert backend.count(ACCOUNT, REGION, "SnapshotType", "manual", 100) == 5
        assert backend.count(ACCOUNT, REGION, "SnapshotType", "manual", 3) == 3
        assert backend.count(ACCOUNT, REGION, "SnapshotType", "automated", 100) == 1
        assert backend.count(ACCOUNT, REGION, "ClusterIdentifier", "examplecluster", 100) == 6
        assert backend.count(OTHER_ACCOUNT, OTHER_REGION, "SnapshotType", "manual", 100) == 0
        backend.remove(ACCOUNT, REGION, "m0", no_check)
        backend.update(ACCOUNT, REGION, "m1", lambda r: {**r, "SnapshotType": "automated"})
        assert backend.count(ACCOUNT, REGION, "SnapshotType", "manual", 100) == 3
        backend.insert(ACCOUNT, REGION, cluster("c1", NumberOfNodes=4), "cluster")
        assert backend.count(ACCOUNT, REGION, "NumberOfNodes", 4, 100, "cluster") == 1

    # ------------------------------------------------------------ events

    def test_events_are_read_by_date_and_id(self, backend):
        late = event("late", T0 + 2 * HOUR, EventCategories=["management"])
        first, second = event("first " + TRICKY, T0, "id-1"), event("second", T0, "id-2")
        for made in (late, second, first):  # appended out of order: read back in (Date, id) order
            backend.append_event(ACCOUNT, REGION, made)
        backend.append_event(OTHER_ACCOUNT, REGION, event("theirs", T0))
        backend.append_event(ACCOUNT, OTHER_REGION, event("elsewhere", T0))

        assert_identical(backend.read_events(ACCOUNT, REGION), [first, second, late])
        assert backend.read_events(ACCOUNT, REGION, start=T0 + HOUR) == [late]
        assert backend.read_events(ACCOUNT, REGION, end=T0) == [first, second]  # bounds are inclusive
        assert backend.read_events(ACCOUNT, REGION, T0 + 2 * HOUR, T0 + 2 * HOUR) == [late]
        assert backend.read_events(ACCOUNT, REGION, T0 + HOUR, T0 + HOUR) == []
        assert [e["Message"] for e in backend.read_events(OTHER_ACCOUNT, REGION)] == ["theirs"]
        assert backend.read_events(OTHER_ACCOUNT, OTHER_REGION) == []

    def test_events_are_read_after_a_key_a_page_at_a_time(self, backend):
        made = [event(f"e{i}", T0 + (i // 3) * HOUR, f"id-{i:02d}") for i in range(10)]
        for one in reversed(made):
            backend.append_event(ACCOUNT, REGION, one)

        assert backend.read_events(ACCOUNT, REGION, limit=4) == made[:4]
        assert backend.read_events(ACCOUNT, REGION, after=(T0, "id-01"), limit=3) == made[2:5]
        assert backend.read_events(ACCOUNT, REGION, after=(T0 + HOUR, "id-05")) == made[6:]
        assert backend.read_events(ACCOUNT, REGION, start=T0 + HOUR, end=T0 + 2 * HOUR,
                                   after=(T0, "id-99"), limit=100) == made[3:9]
        assert backend.read_events(ACCOUNT, REGION, after=(T0 + 9 * HOUR, "")) == []
        assert backend.read_events(ACCOUNT, REGION, limit=0) == []

    def test_events_roll_back_with_a_failed_unit(self, backend):
        backend.append_event(ACCOUNT, REGION, event("kept", T0))

        def work() -> None:
            backend.append_event(ACCOUNT, REGION, event("lost", T0))
            backend.append_event(ACCOUNT, REGION, event("lost too", T0 - HOUR))
            assert len(backend.read_events(ACCOUNT, REGION)) == 3
            raise Boom("undo")

        with pytest.raises(Boom):
            backend.atomic(work)
        assert [e["Message"] for e in backend.read_events(ACCOUNT, REGION)] == ["kept"]

    # ------------------------------------------------------------ rules, end to end

    @pytest.fixture
    def rs(self, backend):
        with intercept(backend=backend, account_id=ACCOUNT, region=REGION) as rs:
            yield rs

    @pytest.fixture
    def client(self):
        return make_client(REGION)

    def test_rule_delete_returns_the_record_marked_deleted(self, rs, client, backend):
        stored = rs.add_snapshot(SnapshotIdentifier="nightly", ClusterIdentifier="prod",
                                 Tags={"team": TAG_TRICKY}, MaintenanceTrackName=TRICKY)

        snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="nightly")["Snapshot"]

        assert snapshot == {**stored, "Status": "deleted"}
        assert backend.get(ACCOUNT, REGION, "nightly") is None
        assert rs.snapshots() == []

    def test_rule_delete_twice_is_not_found(self, rs, client):
        rs.add_snapshot(SnapshotIdentifier="once")
        client.delete_cluster_snapshot(SnapshotIdentifier="once")

        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
            client.delete_cluster_snapshot(SnapshotIdentifier="once")
        assert [c.error_code for c in rs.calls] == [None, "ClusterSnapshotNotFound"]

    def test_rule_shared_snapshot_is_refused_and_unchanged(self, rs, client):
        rs.add_snapshot(SnapshotIdentifier="shared", AccountsWithRestoreAccess=["111122223333"])
        before = rs.snapshots()

        with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="shared")

        assert "111122223333" in excinfo.value.response["Error"]["Message"]
        assert_identical(rs.snapshots(), before)

    def test_rule_automated_snapshot_is_refused(self, rs, client):
        rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-12", SnapshotType="automated")
        before = rs.snapshots()

        with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-12")

        assert "only manual snapshots" in excinfo.value.response["Error"]["Message"]
        assert_identical(rs.snapshots(), before)

    def test_rule_cluster_mismatch_is_not_found(self, rs, client):
        rs.add_snapshot(SnapshotIdentifier="s1", ClusterIdentifier="prod")
        before = rs.snapshots()

        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
            client.delete_cluster_snapshot(SnapshotIdentifier="s1", SnapshotClusterIdentifier="staging")

        assert_identical(rs.snapshots(), before)
        client.delete_cluster_snapshot(SnapshotIdentifier="s1", SnapshotClusterIdentifier="prod")
        assert rs.snapshots() == []

    def test_rule_lifecycle_share_revoke_delete(self, rs, client):
        rs.add_cluster(ClusterIdentifier="prod")
        client.create_cluster_snapshot(SnapshotIdentifier="made", ClusterIdentifier="prod",
                                       Tags=[{"Key": "k", "Value": TAG_TRICKY}])
        described = client.describe_cluster_snapshots(SnapshotIdentifier="made")["Snapshots"][0]
        assert described["Status"] == "available" and described["Tags"] == [{"Key": "k", "Value": TAG_TRICKY}]
        client.authorize_snapshot_access(SnapshotIdentifier="made", AccountWithRestoreAccess=OTHER_ACCOUNT)
        with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
            client.delete_cluster_snapshot(SnapshotIdentifier="made")
        client.revoke_snapshot_access(SnapshotIdentifier="made", AccountWithRestoreAccess=OTHER_ACCOUNT)
        client.modify_cluster_snapshot(SnapshotIdentifier="made", ManualSnapshotRetentionPeriod=7)
        assert rs.snapshots()[0]["ManualSnapshotRetentionPeriod"] == 7
        assert client.delete_cluster_snapshot(SnapshotIdentifier="made")["Snapshot"]["Status"] == "deleted"
        assert rs.snapshots() == []

    def test_rule_batch_delete_and_paginated_describe(self, rs, client):
        for i in range(45):
            rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}",
                            SnapshotCreateTime=dt.datetime(2024, 1, 1 + i % 28, tzinfo=UTC))
        pages = client.get_paginator("describe_cluster_snapshots").paginate(PaginationConfig={"PageSize": 20})
        listed = [s["SnapshotIdentifier"] for page in pages for s in page["Snapshots"]]
        assert sorted(listed) == [f"s{i:02d}" for i in range(45)] and len(set(listed)) == 45
        response = client.batch_delete_cluster_snapshots(
            Identifiers=[{"SnapshotIdentifier": f"s{i:02d}"} for i in range(40)] + [{"SnapshotIdentifier": "nope"}])
        assert len(response["Resources"]) == 40 and response["Errors"][0]["FailureCode"] == "ClusterSnapshotNotFound"
        assert sorted(ids(rs.snapshots())) == [f"s{i:02d}" for i in range(40, 45)]

    def test_rule_the_clock_takes_and_expires_automated_snapshots(self, rs, client):
        born = client.create_cluster(ClusterIdentifier="prod", NodeType="ra3.xlplus", MasterUsername="admin",
                                     MasterUserPassword="Secret-123", AutomatedSnapshotRetentionPeriod=1,
                                     ManualSnapshotRetentionPeriod=2)["Cluster"]["ClusterCreateTime"]
        client.create_cluster_snapshot(SnapshotIdentifier="short", ClusterIdentifier="prod")
        now = rs.clock.advance(days=3)

        listed = client.describe_cluster_snapshots(ClusterIdentifier="prod")["Snapshots"]

        eight_hours = dt.timedelta(hours=8)
        kept = [born + k * eight_hours for k in range(10) if now - dt.timedelta(days=1) < born + k * eight_hours]
        assert [s["SnapshotIdentifier"] for s in listed] == [
            f"rs:prod-{at:%Y-%m-%d-%H-%M-%S}" for at in kept]  # "short" expired after its 2 days
        actions = [(e["SourceIdentifier"], e["Action"]) for e in rs.events()]
        assert ("short", "expired") in actions and len(actions) == len(set(actions))

    def test_rule_delete_cluster_with_a_final_snapshot_then_restore(self, rs, client):
        rs.add_cluster(ClusterIdentifier="prod", NodeType="ra3.4xlarge", NumberOfNodes=4)
        rs.clock.advance(hours=9)
        client.describe_clusters()  # its first automated snapshot
        deleting = client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="last")
        assert deleting["Cluster"]["ClusterStatus"] == "final-snapshot"

        assert [(s["SnapshotIdentifier"], s["Status"]) for s in client.describe_cluster_snapshots()["Snapshots"]] == [
            ("last", "available")]
        restored = client.restore_from_cluster_snapshot(ClusterIdentifier="back", SnapshotIdentifier="last")
        assert (restored["Cluster"]["NodeType"], restored["Cluster"]["NumberOfNodes"]) == ("ra3.4xlarge", 4)
        assert [c["ClusterIdentifier"] for c in client.describe_clusters()["Clusters"]] == ["back"]
        assert [e["EventId"] for e in client.describe_events()["Events"]] == [
            "REDSHIFT-EVENT-2012", "REDSHIFT-EVENT-3005", "REDSHIFT-EVENT-2001", "REDSHIFT-EVENT-2008",
            "REDSHIFT-EVENT-3003"]

    # ------------------------------------------------------------ page scans (optional)

    def _scanning(self, backend: Any) -> Any:
        if not isinstance(backend, PageScan):
            pytest.skip(f"{type(backend).__name__} has no scan_snapshots (optional)")
        return backend

    def test_page_scan_follows_create_time_then_owner_then_id(self, backend):
        scan = self._scanning(backend).scan_snapshots
        early, late = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 6, 1, tzinfo=UTC)
        backend.insert(ACCOUNT, REGION, record("z-early", SnapshotCreateTime=early))
        backend.insert(ACCOUNT, REGION, record("b-late", SnapshotCreateTime=late))
        backend.insert(ACCOUNT, REGION, record("a-late", SnapshotCreateTime=late))
        theirs = new_snapshot(OTHER_ACCOUNT, REGION, {"SnapshotIdentifier": "a-late", "SnapshotCreateTime": late})
        backend.insert(OTHER_ACCOUNT, REGION, theirs)
        backend.insert(ACCOUNT, OTHER_REGION, record("elsewhere", SnapshotCreateTime=early))
        backend.insert(ACCOUNT, REGION, cluster("a-cluster"), "cluster")  # never in a snapshot scan

        def keys(records: List[dict]) -> List[tuple]:
            return [(r["SnapshotCreateTime"], r["OwnerAccount"], r["SnapshotIdentifier"]) for r in records]

        everyone = scan(None, REGION, None, 10)
        assert keys(everyone) == [(early, ACCOUNT, "z-early"), (late, ACCOUNT, "a-late"),
                                  (late, ACCOUNT, "b-late"), (late, OTHER_ACCOUNT, "a-late")]
        assert_identical(everyone[3], theirs)
        assert keys(scan(ACCOUNT, REGION, None, 10)) == keys(everyone)[:3]
        assert keys(scan(None, REGION, None, 2)) == keys(everyone)[:2]
        assert keys(scan(None, REGION, (late, ACCOUNT, "a-late"), 10)) == keys(everyone)[2:]  # after: exclusive
        assert keys(scan(None, REGION, (late, ACCOUNT, "a-lat"), 1)) == keys(everyone)[1:2]  # needs no real key
        assert keys(scan(ACCOUNT, REGION, (late, ACCOUNT, "b-late"), 10)) == []
        assert keys(scan(None, OTHER_REGION, None, 10)) == [(early, ACCOUNT, "elsewhere")]

    def test_page_scan_sees_changes_and_removals(self, backend):
        scan = self._scanning(backend).scan_snapshots
        for i in range(5):
            backend.insert(ACCOUNT, REGION, record(f"s{i}", SnapshotCreateTime=dt.datetime(2024, 1, 1 + i, tzinfo=UTC)))
        later = dt.datetime(2025, 1, 1, tzinfo=UTC)
        backend.update(ACCOUNT, REGION, "s0", lambda r: {**r, "SnapshotCreateTime": later})
        backend.remove(ACCOUNT, REGION, "s2", no_check)

        assert ids(scan(ACCOUNT, REGION, None, 10)) == ["s1", "s3", "s4", "s0"]
        assert backend.get(ACCOUNT, REGION, "s0")["SnapshotCreateTime"].year == 2025

    def test_rule_describe_pages_from_a_scan_match_a_sorted_listing(self, rs, client, backend):
        self._scanning(backend)
        when = [dt.datetime(2024, 1, 1 + i % 5, tzinfo=UTC) for i in range(60)]
        for i in range(60):
            rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}", SnapshotCreateTime=when[i],
                            ClusterIdentifier="even" if i % 2 == 0 else "odd")
        other = intercept(backend=backend, account_id=OTHER_ACCOUNT, region=REGION)
        other.add_snapshot(SnapshotIdentifier="shared-with-us", SnapshotCreateTime=when[3],
                           AccountsWithRestoreAccess=[ACCOUNT])
        other.add_snapshot(SnapshotIdentifier="not-shared", SnapshotCreateTime=when[3])
        expected = sorted([(when[i], ACCOUNT, f"s{i:02d}") for i in range(60)] + [
            (when[3], OTHER_ACCOUNT, "shared-with-us")])
        paginator = client.get_paginator("describe_cluster_snapshots")

        def listed(**params: Any) -> List[tuple]:
            pages = paginator.paginate(**params, PaginationConfig={"PageSize": 20})
            return [(s["SnapshotCreateTime"], s["OwnerAccount"], s["SnapshotIdentifier"])
                    for page in pages for s in page["Snapshots"]]

        assert listed() == expected
        assert listed(OwnerAccount=ACCOUNT) == [key for key in expected if key[1] == ACCOUNT]
        assert listed(ClusterIdentifier="odd") == [key for key in expected
                                                   if key[1] == ACCOUNT and int(key[2][1:]) % 2]
        first = client.describe_cluster_snapshots(MaxRecords=20)
        for snapshot in [*first["Snapshots"][:5], first["Snapshots"][-1]]:  # deletes between pages
            if snapshot["OwnerAccount"] == ACCOUNT:
                client.delete_cluster_snapshot(SnapshotIdentifier=snapshot["SnapshotIdentifier"])
        rest = client.describe_cluster_snapshots(MaxRecords=100, Marker=first["Marker"])["Snapshots"]
        assert [s["SnapshotIdentifier"] for s in rest] == [key[2] for key in expected[20:]]  # none repeated or lost
        with pytest.raises(client.exceptions.ClientError, match="Invalid Marker"):
            client.describe_cluster_snapshots(Marker="bm90IG91cnM=")

    # ------------------------------------------------------------ call journal (optional)

    def test_call_journal_if_the_backend_keeps_one(self, backend, client):
        if not isinstance(backend, CallJournal):
            pytest.skip(f"{type(backend).__name__} keeps no call journal (optional)")
        assert backend.read_calls() == []
        backend.append_call({"operation": "Forgotten"})
        assert backend.clear_calls() == 1 and backend.read_calls() == []
        when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        backend.append_call({"operation": "X", "params": {"When": when, "Text": TRICKY}})
        assert backend.read_calls() == [{"operation": "X", "params": {"When": when, "Text": TRICKY}}]
        with intercept(backend=backend, account_id=ACCOUNT, journal=True) as writer:
            writer.add_snapshot(SnapshotIdentifier="j")
            client.delete_cluster_snapshot(SnapshotIdentifier="j")
            with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault):
                client.delete_cluster_snapshot(SnapshotIdentifier="j")
        reader = intercept(backend=backend, account_id=ACCOUNT, journal=True)
        journal = reader.journal()
        assert [(c.operation, c.error_code) for c in journal[1:]] == [
            ("DeleteClusterSnapshot", None), ("DeleteClusterSnapshot", "ClusterSnapshotNotFound")]
        assert journal[1].params == {"SnapshotIdentifier": "j"}
        assert journal[1].response["Snapshot"]["Status"] == "deleted"
        assert journal[2].error["Error"]["Message"] == "Snapshot j not found."
