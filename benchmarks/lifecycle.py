#!/usr/bin/env python
"""Benchmarks for issue 14: what the service's clock, its event log and the
cluster operations cost a call, and that the cost stays flat in store size.

    python benchmarks/lifecycle.py            # full run: about 6 minutes on 2 cores
    python benchmarks/lifecycle.py --quick    # smaller stores, fewer rounds: about 2 minutes

Three tables, every number from this one run (benchmarks/README.md says how
to read them):

1. What the lifecycle adds to a call: a delete and a describe-by-id with the
   lifecycle switched off (no catch-up, no event), with the catch-up only,
   and whole; paired ratios, on MemoryBackend and SqliteBackend.
2. Store size: with 10 and 100,000 snapshots stored (a quarter of them due
   to expire, ten clusters with their automated snapshots, an event log of a
   tenth of the store), per call: delete, describe-by-id, DescribeEvents,
   ModifyCluster (a retention change), CreateCluster + DeleteCluster,
   RestoreFromClusterSnapshot + DeleteCluster, CreateClusterSnapshot. Both
   backends; the ratio to 10 stored.
3. The clock moving: a call that finds work due (20 clusters each taking an
   automated snapshot and expiring one; 200 manual snapshots expiring), per
   step, with 10 and 100,000 other snapshots stored.

Nothing leaves the machine: clients point at a closed loopback port.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Tuple

import boto3
from botocore.config import Config

from redshift_intercept import MemoryBackend, SqliteBackend, intercept
from redshift_intercept import _dispatch as dispatch
from redshift_intercept._backend import DUE
from redshift_intercept._records import new_snapshot
from redshift_intercept._rules import delete as delete_rule
from redshift_intercept._sqlite import _micros, encode_record

ACCOUNT, REGION = "123456789012", "us-east-1"
CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2)
DAY = datetime.timedelta(days=1)
PASSWORD = "Secret-123"


def make_client() -> Any:
    return boto3.session.Session().client("redshift", region_name=REGION, endpoint_url="http://127.0.0.1:9",
                                          aws_access_key_id="testing", aws_secret_access_key="testing",
                                          config=CONFIG)


def median(values: List[float]) -> float:
    return statistics.median(values)


def paired(numerator: List[float], denominator: List[float]) -> float:
    """The median of the per-round ratios: drift between rounds cancels."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def timed(calls: List[Callable[[], Any]], after: Callable[[int], None] = lambda i: None) -> float:
    """us per call; ``after(i)`` (untimed) runs after call i."""
    gc.collect()
    gc.disable()
    total = 0
    try:
        for index, call in enumerate(calls):
            start = time.perf_counter_ns()
            call()
            total += time.perf_counter_ns() - start
            after(index)
    finally:
        gc.enable()
    return total / len(calls) / 1000.0


# ---------------------------------------------------------------- stores


class Store:
    """A backend holding ``size`` snapshots as real life has them: a quarter
    with a finite manual retention (due years from now), ten clusters with
    35 days of automated snapshots (taken by the service's own clock), an
    event log of a tenth of the store."""

    def __init__(self, kind: str, size: int, directory: str) -> None:
        self.kind, self.size = kind, size
        self.backend: Any = (MemoryBackend() if kind == "memory"
                             else SqliteBackend(os.path.join(directory, f"{kind}-{size}.db")))
        self.rs = intercept(backend=self.backend, account_id=ACCOUNT, region=REGION)
        self.rs.quotas.manual_snapshots = None  # measured on its own (README: counted up to the quota)
        self.ids = [f"s-{i:07d}" for i in range(size)]
        start = time.perf_counter()
        self._seed()
        self.seconds = time.perf_counter() - start

    def template(self, snapshot_id: str, finite: bool) -> dict:
        record = dict(self._template)
        record["SnapshotIdentifier"] = snapshot_id
        record["SnapshotArn"] = self._arn + snapshot_id
        if finite:
            record["ManualSnapshotRetentionPeriod"] = 3000
            record[DUE] = record["SnapshotCreateTime"] + 3000 * DAY
        return record

    def _seed(self) -> None:
        self._template = new_snapshot(ACCOUNT, REGION, {"SnapshotIdentifier": "t", "ClusterIdentifier": "bulk"})
        self._arn = f"arn:aws:redshift:{REGION}:{ACCOUNT}:snapshot:bulk/"
        records = [self.template(i, n % 4 == 0) for n, i in enumerate(self.ids)]
        events = [{"Date": self._template["SnapshotCreateTime"] - DAY + n * datetime.timedelta(seconds=7),
                   "SourceIdentifier": f"old-{n}", "SourceType": "cluster-snapshot", "Message": "m",
                   "EventCategories": ["management"], "Severity": "INFO", "EventId": "REDSHIFT-EVENT-2011",
                   "redshift_intercept:event": f"{n:020d}"} for n in range(self.size // 10)]
        if self.kind == "memory":
            for record in records:
                self.backend.insert(ACCOUNT, REGION, record)
            for event in events:
                self.backend.append_event(ACCOUNT, REGION, event)
        else:  # as the backend stores them, in bulk: insert() would take minutes for 100,000
            connection = sqlite3.connect(self.backend.path, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO snapshots (account_id, region, snapshot_id, record, due, snapshot_type) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(ACCOUNT, REGION, r["SnapshotIdentifier"], encode_record(r), _micros(r.get(DUE)), "manual")
                 for r in records])
            connection.executemany(
                "INSERT INTO events (account_id, region, date, event_id, event) VALUES (?, ?, ?, ?, ?)",
                [(ACCOUNT, REGION, _micros(e["Date"]), e["redshift_intercept:event"], encode_record(e))
                 for e in events])
            connection.execute("COMMIT")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
        client = make_client()
        with self.rs:
            for n in range(10):
                client.create_cluster(ClusterIdentifier=f"c{n}", NodeType="ra3.xlplus", MasterUsername="admin",
                                      MasterUserPassword=PASSWORD, AutomatedSnapshotRetentionPeriod=35)
            client.describe_clusters()
            self.rs.clock.advance(days=36)  # 10 clusters x 106 automated snapshots, the oldest expired
            client.describe_clusters()
            client.create_cluster_snapshot(SnapshotIdentifier="restore-source", ClusterIdentifier="c0")
        self.automated = sum(1 for s in self.backend.list(ACCOUNT, REGION) if s["SnapshotType"] == "automated") \
            if self.size <= 1000 else None

    def close(self) -> None:
        if self.kind == "sqlite":
            self.backend.close()


# ---------------------------------------------------------------- 1. what the lifecycle adds


VARIANTS = ("off", "catch-up", "whole")


def switch(variant: str) -> None:
    """Swap the lifecycle in and out (module attributes; untimed)."""
    dispatch.catch_up = _no_op if variant == "off" else _REAL_CATCH_UP  # type: ignore[assignment]
    delete_rule.record_event = _REAL_EVENT if variant == "whole" else _no_op  # type: ignore[assignment]


def _no_op(*args: Any, **kwargs: Any) -> None:
    return None


_REAL_CATCH_UP, _REAL_EVENT = dispatch.catch_up, delete_rule.record_event


def bench_overhead(stores: List[Store], rounds: int, batch: int) -> Dict[Tuple[str, str, str], List[float]]:
    client = make_client()
    rng = random.Random(14)
    samples: Dict[Tuple[str, str, str], List[float]] = {}
    for round_no in range(rounds + 1):
        for store in stores:
            for op in ("delete", "describe"):
                for variant in VARIANTS:
                    switch(variant)
                    us = store_batch(client, store, op, rng, batch)
                    if round_no:  # the first round warms up
                        samples.setdefault((store.kind, op, variant), []).append(us)
    switch("whole")
    return samples


def store_batch(client: Any, store: Store, op: str, rng: random.Random, batch: int) -> float:
    victims = [rng.choice(store.ids) for _ in range(batch)]
    with store.rs:
        if op == "delete":
            records = [store.backend.get(ACCOUNT, REGION, v) for v in victims]
            us = timed([lambda v=v: client.delete_cluster_snapshot(SnapshotIdentifier=v) for v in victims],
                       lambda i: store.backend.insert(ACCOUNT, REGION, records[i]))
        else:
            us = timed([lambda v=v: client.describe_cluster_snapshots(SnapshotIdentifier=v) for v in victims])
    store.rs.calls.clear()
    return us


def _delete_unit(backend: Any, snapshot_id: str, record: dict, event: Any) -> Callable[[], None]:
    """A unit as a delete's: remove a record (and record its event), then put it back."""
    def unit() -> None:
        backend.remove(ACCOUNT, REGION, snapshot_id, lambda r: None)
        if event is not None:
            backend.append_event(ACCOUNT, REGION, event)
        backend.insert(ACCOUNT, REGION, record)
    return unit


def bench_parts(stores: List[Store], loops: int) -> Dict[Tuple[str, int, str], float]:
    """The lifecycle's parts alone, in tight loops (hot caches: a lower bound
    of their cost inside a call): the due-time lookup every call makes, and a
    delete's event (built, and appended inside a unit that also removes a
    record, as a delete's unit does)."""
    from redshift_intercept._events import new_event

    result: Dict[Tuple[str, int, str], float] = {}
    now = datetime.datetime.now(datetime.timezone.utc)
    start = time.perf_counter_ns()
    for _ in range(loops):
        new_event("snapshot-deleted", now, "deleted", "DeleteClusterSnapshot", "bulk", "s-0000001")
    built = (time.perf_counter_ns() - start) / loops / 1000
    for store in stores:
        backend = store.backend
        next_due = backend.next_due
        start = time.perf_counter_ns()
        for _ in range(loops):
            next_due()
        result[(store.kind, store.size, "next_due()")] = (time.perf_counter_ns() - start) / loops / 1000
        event = new_event("snapshot-deleted", now, "deleted", "DeleteClusterSnapshot", "bulk", "s-0000001")
        record = backend.get(ACCOUNT, REGION, store.ids[1])
        rounds = max(50, loops // 20)
        timings: Dict[bool, List[float]] = {}
        for with_event in (False, True, False, True):
            unit = _delete_unit(backend, store.ids[1], record, event if with_event else None)
            start = time.perf_counter_ns()
            for _ in range(rounds):
                backend.atomic(unit)
            timings.setdefault(with_event, []).append((time.perf_counter_ns() - start) / rounds / 1000)
        result[(store.kind, store.size, "event appended in a unit")] = (
            min(timings[True]) - min(timings[False]) + built)
    return result


# ---------------------------------------------------------------- 2. store size


def new_operations(client: Any, store: Store, rng: random.Random, batch: int) -> Dict[str, float]:
    """us per call of each cluster-level operation, the store left as it was."""
    result = {}
    with store.rs:
        result["describe_events"] = timed([client.describe_events for _ in range(batch)])
        result["modify_cluster"] = timed([
            lambda n=n: client.modify_cluster(ClusterIdentifier=f"c{n % 10}",
                                              AutomatedSnapshotRetentionPeriod=34 + (n // 10) % 2)
            for n in range(batch)])
        names = [f"bench-{rng.getrandbits(40):x}" for _ in range(batch)]
        result["create_cluster + delete_cluster"] = timed([
            lambda name=name: (client.create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus",
                                                     MasterUsername="admin", MasterUserPassword=PASSWORD),
                               client.delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True))
            for name in names])
        names = [f"bench-{rng.getrandbits(40):x}" for _ in range(batch)]
        result["restore + delete_cluster"] = timed([
            lambda name=name: (client.restore_from_cluster_snapshot(ClusterIdentifier=name,
                                                                    SnapshotIdentifier="restore-source"),
                               client.delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True))
            for name in names])
        names = [f"bench-{rng.getrandbits(40):x}" for _ in range(batch)]
        result["create_cluster_snapshot"] = timed(
            [lambda name=name: client.create_cluster_snapshot(SnapshotIdentifier=name, ClusterIdentifier="c1")
             for name in names],
            lambda i: store.backend.remove(ACCOUNT, REGION, names[i], lambda r: None))
        client.describe_clusters()  # the deleted clusters go (untimed)
    store.rs.calls.clear()
    return result


def bench_store_size(stores: List[Store], rounds: int, batch: int) -> Dict[Tuple[str, int], Dict[str, List[float]]]:
    client = make_client()
    rng = random.Random(6)
    samples: Dict[Tuple[str, int], Dict[str, List[float]]] = {}
    for round_no in range(rounds + 1):
        for store in stores:
            row = {op: store_batch(client, store, op, rng, batch) for op in ("delete", "describe")}
            row.update(new_operations(client, store, rng, max(20, batch // 5)))
            if round_no:
                for op, us in row.items():
                    samples.setdefault((store.kind, store.size), {}).setdefault(op, []).append(us)
    return samples


# ---------------------------------------------------------------- 3. the clock moving


def bench_clock(stores: List[Store], rounds: int) -> Dict[Tuple[str, int], Dict[str, List[float]]]:
    """A call that finds work due, per step: 20 clusters (retention 1) each
    taking an automated snapshot and expiring its oldest; 200 manual
    snapshots expiring."""
    client = make_client()
    samples: Dict[Tuple[str, int], Dict[str, List[float]]] = {}
    for round_no in range(rounds + 1):
        for store in stores:
            rs = store.rs
            with rs:
                names = [f"tick-{round_no}-{n}" for n in range(20)]
                for name in names:
                    client.create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus", MasterUsername="admin",
                                          MasterUserPassword=PASSWORD, AutomatedSnapshotRetentionPeriod=1)
                client.describe_clusters()
                rs.clock.advance(hours=24)
                client.describe_clusters()  # 3 snapshots each, the next due in 8 hours
                rs.clock.advance(hours=8)
                backups = timed([client.describe_clusters]) / len(names)  # each: one taken, one expired
                for name in names:
                    client.delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True)
                manual = [f"exp-{round_no}-{n}" for n in range(200)]
                for name in manual:
                    rs.add_snapshot(SnapshotIdentifier=name, ManualSnapshotRetentionPeriod=1)
                client.describe_clusters()
                rs.clock.advance(days=1, seconds=1)
                expiries = timed([client.describe_clusters]) / len(manual)
                if any(rs.backend.get(ACCOUNT, REGION, name) for name in manual):
                    raise RuntimeError("a manual snapshot did not expire")
            rs.calls.clear()
            if round_no:
                row = samples.setdefault((store.kind, store.size), {})
                row.setdefault("backup step (per cluster)", []).append(backups)
                row.setdefault("manual expiry (per snapshot)", []).append(expiries)
    return samples


# ---------------------------------------------------------------- report


def ratio_table(title: str, samples: Dict[Tuple[str, int], Dict[str, List[float]]], base_size: int) -> None:
    print(f"\n{title}")
    operations = list(next(iter(samples.values())))
    for kind in ("memory", "sqlite"):
        sizes = sorted(size for k, size in samples if k == kind)
        base = samples[(kind, base_size)]
        print(f"  {kind}:")
        print(f"    {'per call':<34}" + "".join(f"{f'{size:,} stored':>26}" for size in sizes))
        for op in operations:
            cells = []
            for size in sizes:
                values = samples[(kind, size)][op]
                if size == base_size:
                    cells.append(f"{median(values):>12,.0f} us")
                else:
                    cells.append(f"x{median(values) / median(base[op]):.2f} (paired x{paired(values, base[op]):.2f})")
            print(f"    {op:<34}" + "".join(f"{cell:>26}" for cell in cells))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller stores and fewer rounds")
    args = parser.parse_args(argv)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    big = 10_000 if args.quick else 100_000
    rounds, batch = (5, 40) if args.quick else (15, 100)
    directory = tempfile.mkdtemp(prefix="redshift-intercept-lifecycle-")
    print(f"redshift-intercept lifecycle benchmarks ({'quick' if args.quick else 'full'} run), "
          f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    stores: List[Store] = []
    try:
        for kind in ("memory", "sqlite"):
            for size in (10, big):
                stores.append(Store(kind, size, directory))
                print(f"  seeded {kind} store of {size:,} snapshots in {stores[-1].seconds:.1f} s"
                      + (f" ({stores[-1].automated} automated)" if stores[-1].automated else ""), flush=True)
        gc.collect()
        gc.freeze()

        small = [store for store in stores if store.size == 10]
        overhead = bench_overhead(small, rounds * 2, batch)
        print("\n1. What the lifecycle adds to a call (10 stored; us per call, median of batches)")
        for kind in ("memory", "sqlite"):
            for op in ("delete", "describe"):
                off, catch, whole = (overhead[(kind, op, v)] for v in VARIANTS)
                print(f"  {kind:<6} {op:<8}  off {median(off):>7,.0f} us   catch-up x{paired(catch, off):.3f}   "
                      f"whole (catch-up + event) x{paired(whole, off):.3f}   (ratios paired)")

        parts = bench_parts(stores, 20_000 if not args.quick else 5_000)
        print("\n   the parts alone, tight loops (us):")
        for store in stores:
            print(f"    {store.kind:<6} {store.size:>7,} stored: " + ", ".join(
                f"{name} {parts[(store.kind, store.size, name)]:.1f}"
                for name in ("next_due()", "event appended in a unit")))

        sized = bench_store_size(stores, rounds, batch)
        ratio_table("2. Store size, the lifecycle live (us per call at 10 stored; the ratio to it)", sized, 10)
        clock = bench_clock(stores, max(3, rounds // 3))
        ratio_table("3. The clock moving: a call that finds work due (us per step)", clock, 10)
    finally:
        gc.unfreeze()
        for store in stores:
            store.close()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
