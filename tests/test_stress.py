"""Stress: 4 processes x 4 threads deleting and describing the same 2,000
snapshots through real boto3 clients on one SQLite file. Every snapshot is
deleted exactly once, no row is lost or duplicated, and no ``database is
locked`` escapes. Marked ``stress``: CI runs it once (``pytest -m stress``)."""

from __future__ import annotations

import multiprocessing
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from redshift_intercept import SqliteBackend, intercept

SNAPSHOTS = 2000
PROCESSES = 4
THREADS = 4


def _worker(path: str, seed: int) -> dict:
    # Runs in a spawned process: a fresh interpreter that imports us anew.
    from redshift_intercept.testing import make_client

    deleted, not_found, described, unexpected = [], 0, 0, []
    lock = threading.Lock()
    ids = [f"snap-{i:04d}" for i in range(SNAPSHOTS)]
    with intercept(backend=SqliteBackend(path, timeout=60)):
        clients = [make_client() for _ in range(THREADS)]
        start = threading.Barrier(THREADS)

        def run(index: int) -> None:
            nonlocal not_found, described
            client = clients[index]
            order = ids[:]
            random.Random(seed * 10 + index).shuffle(order)
            start.wait()
            for number, snapshot_id in enumerate(order):
                try:
                    if number % 4 == 0:
                        client.describe_cluster_snapshots(SnapshotIdentifier=snapshot_id)
                        with lock:
                            described += 1
                    client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
                    with lock:
                        deleted.append(snapshot_id)
                except client.exceptions.ClusterSnapshotNotFoundFault:
                    with lock:
                        not_found += 1
                except Exception as error:  # anything else is a failure of the test
                    with lock:
                        unexpected.append(repr(error))

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(run, range(THREADS)))
    return {"deleted": deleted, "not_found": not_found, "described": described, "unexpected": unexpected}


@pytest.mark.stress
def test_processes_and_threads_delete_each_snapshot_exactly_once(tmp_path):
    path = str(tmp_path / "shared.db")
    with SqliteBackend(path) as backend:
        seeder = intercept(backend=backend)
        for i in range(SNAPSHOTS):
            seeder.add_snapshot(SnapshotIdentifier=f"snap-{i:04d}")
        assert len(backend.list("123456789012", "us-east-1")) == SNAPSHOTS

    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(_worker, [(path, seed) for seed in range(PROCESSES)])

    assert [r["unexpected"] for r in results] == [[]] * PROCESSES
    deleted = [snapshot_id for r in results for snapshot_id in r["deleted"]]
    assert len(deleted) == SNAPSHOTS and len(set(deleted)) == SNAPSHOTS  # each exactly once
    assert sum(r["not_found"] for r in results) > 0
    assert all(r["described"] > 0 for r in results)
    with SqliteBackend(path) as backend:
        assert backend.list(None, "us-east-1") == []
