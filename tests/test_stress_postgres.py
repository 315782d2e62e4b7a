"""Stress on PostgreSQL (marked ``stress``; CI runs them once, against its
throwaway server): processes on one database as processes on several
machines would use it.

- 4 processes x 4 threads deleting and describing the same 2,000 snapshots
  through real boto3 clients, while 2 more processes page through the
  listing: every snapshot is deleted exactly once, no page repeats or skips a
  snapshot, and the journal holds every call.
- A worker SIGKILLed mid-run leaves nothing half done (each snapshot gone
  with its journal entry, or there without one; a bulk load all or nothing),
  and a restarted worker finishes the job.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import pytest

from tests.postgres_support import require_postgres, unique

SNAPSHOTS = 2000
KEEPERS = 200
PROCESSES = 4
THREADS = 4
PAGERS = 2
UTC = dt.timezone.utc
ACCOUNT, REGION = "123456789012", "us-east-1"


def _created(i: int) -> dt.datetime:
    """Create times out of insertion order, several snapshots per second."""
    return dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=(i * 7919) % 997)


def _backend(dsn: str, namespace: str) -> Any:
    from redshift_intercept._postgres import PostgresBackend

    return PostgresBackend(dsn, namespace=namespace, timeout=60)


def _deleter(dsn: str, namespace: str, seed: int, start: Any) -> Dict[str, Any]:
    # Runs in a spawned process: a fresh interpreter, as on another machine.
    from redshift_intercept import intercept
    from redshift_intercept.testing import make_client

    deleted: List[str] = []
    counts = {"not_found": 0, "described": 0, "calls": 0}
    unexpected: List[str] = []
    lock = threading.Lock()
    ids = [f"snap-{i:04d}" for i in range(SNAPSHOTS)]
    backend = _backend(dsn, namespace)
    with intercept(backend=backend, journal=True):
        clients = [make_client() for _ in range(THREADS)]
        barrier = threading.Barrier(THREADS)

        def run(index: int) -> None:
            client = clients[index]
            order = ids[:]
            random.Random(seed * 10 + index).shuffle(order)
            barrier.wait()
            for number, snapshot_id in enumerate(order):
                try:
                    if number % 4 == 0:
                        with lock:
                            counts["calls"] += 1
                        client.describe_cluster_snapshots(SnapshotIdentifier=snapshot_id)
                        with lock:
                            counts["described"] += 1
                    with lock:
                        counts["calls"] += 1
                    client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
                    with lock:
                        deleted.append(snapshot_id)
                except client.exceptions.ClusterSnapshotNotFoundFault:
                    with lock:
                        counts["not_found"] += 1
                except Exception as error:  # anything else is a failure of the test
                    with lock:
                        unexpected.append(repr(error))

        start.wait(120)
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(run, range(THREADS)))
    conflicts = backend.conflicts
    backend.close()
    return {"deleted": deleted, **counts, "unexpected": unexpected, "conflicts": conflicts}


def _pager(dsn: str, namespace: str, start: Any, done: Any) -> Dict[str, Any]:
    from redshift_intercept import intercept
    from redshift_intercept.testing import make_client

    problems: List[str] = []
    passes, calls = 0, 0
    keepers = {f"keep-{i:03d}" for i in range(KEEPERS)}
    backend = _backend(dsn, namespace)
    with intercept(backend=backend, journal=True):
        client = make_client()
        start.wait(120)
        while passes < 2 or not done.is_set():
            keys, marker = [], None
            while True:
                params: Dict[str, Any] = {"MaxRecords": 20}
                if marker:
                    params["Marker"] = marker
                calls += 1
                page = client.describe_cluster_snapshots(**params)
                keys += [(s["SnapshotCreateTime"], s["OwnerAccount"], s["SnapshotIdentifier"])
                         for s in page["Snapshots"]]
                marker = page.get("Marker")
                if not marker:
                    break
                time.sleep(0.01)  # page, not spin: leave the cores to the deleters
            passes += 1
            if keys != sorted(set(keys)):
                problems.append(f"pass {passes}: a snapshot repeated or out of order")
            missing = keepers - {key[2] for key in keys}
            if missing:
                problems.append(f"pass {passes}: skipped {sorted(missing)[:5]}")
    backend.close()
    return {"passes": passes, "calls": calls, "problems": problems}


@pytest.mark.stress
def test_processes_threads_and_pagers_on_one_database():
    from redshift_intercept import intercept

    dsn, namespace = require_postgres(), unique("stress")
    backend = _backend(dsn, namespace)
    seeder = intercept(backend=backend)
    seeder.load_snapshots({"Snapshots": [
        {"SnapshotIdentifier": f"snap-{i:04d}", "SnapshotCreateTime": _created(i)} for i in range(SNAPSHOTS)] + [
        {"SnapshotIdentifier": f"keep-{i:03d}", "SnapshotCreateTime": _created(i * 13)} for i in range(KEEPERS)]})
    assert len(backend.list(ACCOUNT, REGION)) == SNAPSHOTS + KEEPERS

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start, done = manager.Barrier(PROCESSES + PAGERS), manager.Event()
        with context.Pool(PROCESSES + PAGERS) as pool:
            pagers = [pool.apply_async(_pager, (dsn, namespace, start, done)) for _ in range(PAGERS)]
            deleters = pool.starmap(_deleter, [(dsn, namespace, seed, start) for seed in range(PROCESSES)])
            done.set()
            paged = [result.get(600) for result in pagers]

    assert [r["unexpected"] for r in deleters] == [[]] * PROCESSES
    deleted = [snapshot_id for r in deleters for snapshot_id in r["deleted"]]
    assert len(deleted) == SNAPSHOTS and len(set(deleted)) == SNAPSHOTS  # each exactly once
    assert sum(r["not_found"] for r in deleters) > 0 and all(r["described"] > 0 for r in deleters)
    assert [r["problems"] for r in paged] == [[]] * PAGERS
    assert all(r["passes"] >= 2 for r in paged)
    assert sorted(r["SnapshotIdentifier"] for r in backend.list(ACCOUNT, REGION)) == [
        f"keep-{i:03d}" for i in range(KEEPERS)]

    journal = backend.read_calls()  # every call of every process, none lost
    assert len(journal) == sum(r["calls"] for r in deleters) + sum(r["calls"] for r in paged)
    succeeded = [entry["params"]["SnapshotIdentifier"] for entry in journal
                 if entry["operation"] == "DeleteClusterSnapshot" and entry.get("error_code") is None]
    assert sorted(succeeded) == sorted(deleted)
    print(f"\nunits run again after a conflict: {sum(r['conflicts'] for r in deleters)}; "
          f"pages: {sum(r['calls'] for r in paged)} in {sum(r['passes'] for r in paged)} passes")
    backend.clear()
    backend.close()


def _steady_deleter(dsn: str, namespace: str, count: int) -> None:
    from redshift_intercept import intercept
    from redshift_intercept.testing import make_client

    with intercept(backend=_backend(dsn, namespace), journal=True):
        client = make_client()
        for i in range(count):
            try:
                client.batch_delete_cluster_snapshots(
                    Identifiers=[{"SnapshotIdentifier": f"kill-{i:04d}"}, {"SnapshotIdentifier": f"pair-{i:04d}"}])
            except Exception:
                os._exit(3)


def _loader(dsn: str, namespace: str, count: int) -> None:
    from redshift_intercept import intercept

    rs = intercept(backend=_backend(dsn, namespace))
    rs.load_snapshots({"Snapshots": [{"SnapshotIdentifier": f"bulk-{i:05d}"} for i in range(count)]})


def _settled_state(backend: Any) -> tuple:
    present = {r["SnapshotIdentifier"] for r in backend.list(ACCOUNT, REGION)}
    journaled: List[str] = []
    for entry in backend.read_calls():
        for resource in (entry.get("response") or {}).get("Resources", []):
            journaled.append(resource)
    return present, journaled


@pytest.mark.stress
def test_a_worker_killed_mid_run_leaves_nothing_half_done():
    from redshift_intercept import intercept

    dsn, namespace = require_postgres(), unique("killed")
    backend = _backend(dsn, namespace)
    count = 600
    every = {f"{prefix}-{i:04d}" for prefix in ("kill", "pair") for i in range(count)}
    deadline = time.monotonic() + 300
    intercept(backend=backend).load_snapshots({"Snapshots": [{"SnapshotIdentifier": name} for name in sorted(every)]})

    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_steady_deleter, args=(dsn, namespace, count))
    worker.start()
    while backend.count_calls() < 60 and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.01)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(30)
    assert worker.exitcode == -signal.SIGKILL

    present, journaled = _settled_state(backend)
    assert 60 <= len(journaled) < 2 * count
    assert len(journaled) == len(set(journaled))
    assert present | set(journaled) == every and not present & set(journaled)  # gone iff journaled
    assert all(f"pair-{name[5:]}" in present for name in present if name.startswith("kill-"))  # batches whole

    restarted = context.Process(target=_steady_deleter, args=(dsn, namespace, count))
    restarted.start()
    restarted.join(600)
    assert restarted.exitcode == 0
    present, journaled = _settled_state(backend)
    assert present == set() and sorted(journaled) == sorted(every)  # each exactly once, across both runs

    # A bulk load is one unit: SIGKILLed while its transaction is open, it leaves nothing.
    loader_dsn = dsn + ("&" if "?" in dsn else "?") + f"application_name={namespace}-loader"
    loader = context.Process(target=_loader, args=(loader_dsn, namespace, 20000))
    loader.start()
    open_transaction = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                        "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()")
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as watcher:
        while loader.is_alive() and watcher.execute(open_transaction, (f"{namespace}-loader",)).fetchone()[0] == 0:
            assert time.monotonic() < deadline + 300
            time.sleep(0.005)
        time.sleep(0.3)  # well into its inserts
        os.kill(loader.pid, signal.SIGKILL)
    loader.join(60)
    assert loader.exitcode == -signal.SIGKILL
    assert len(backend.list(ACCOUNT, REGION)) == 0
    backend.clear()
    backend.close()
