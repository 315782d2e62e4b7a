"""Delete and describe-by-id against the number of stored snapshots, on
MemoryBackend and SqliteBackend: one table."""

from __future__ import annotations

import gc
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from typing import Any, Dict, List

from harness import ACCOUNT, REGION, FastSeeder, Ids, Settings, make_client

from redshift_intercept import MemoryBackend, SqliteBackend, intercept
from redshift_intercept._sqlite import encode_record

SQLITE_INSERTED = 1_000  # SQLite stores: this many rows through backend.insert, the rest in bulk


def seed_sqlite(backend: SqliteBackend, seeder: FastSeeder, ids: List[str]) -> Dict[str, float]:
    """Fill a fresh SqliteBackend with fast-path records. The first
    ``SQLITE_INSERTED`` go through ``backend.insert`` (one transaction each,
    timed: the rate is reported); the rest are written directly, as the
    backend writes them (``encode_record``, table ``snapshots``), by one
    ``executemany`` inside one transaction: ``backend.insert`` would take
    minutes for 100,000. Then the WAL is checkpointed into the file."""
    insert = backend.insert
    head, rest = ids[:SQLITE_INSERTED], ids[SQLITE_INSERTED:]
    start = time.perf_counter()
    for snapshot_id in head:
        if not insert(ACCOUNT, REGION, seeder.record(snapshot_id)):
            raise RuntimeError(f"duplicate identifier {snapshot_id}")
    insert_us = (time.perf_counter() - start) / len(head) * 1e6
    json_bytes = [len(encode_record(seeder.record(i))) for i in head]
    connection = sqlite3.connect(backend.path, isolation_level=None)
    try:
        if rest:
            rows = [(ACCOUNT, REGION, i, encode_record(seeder.record(i))) for i in rest]
            json_bytes += [len(row[3]) for row in rows]
            connection.execute("BEGIN IMMEDIATE")
            # As the backend writes them: the snapshot's type copied into its column (what the
            # manual snapshot quota counts); the template has no due time (due stays NULL).
            connection.executemany("INSERT INTO snapshots (account_id, region, snapshot_id, record, snapshot_type) "
                                   "VALUES (?, ?, ?, ?, 'manual')", rows)
            connection.execute("COMMIT")
            del rows
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = connection.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    finally:
        connection.close()
    if stored != len(ids):
        raise RuntimeError(f"SQLite store holds {stored} snapshots, not {len(ids)}")
    return {"insert_us": insert_us, "bulk": len(rest), "file_bytes": os.path.getsize(backend.path),
            "json_bytes": statistics.mean(json_bytes)}


OPS = ("delete", "describe")


def bench_store_scaling(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """Per call, with exactly N snapshots stored, on MemoryBackend and on
    SqliteBackend: a delete and a describe-by-id of a randomly chosen stored
    snapshot (cold in the caches for a big store), each call timed alone. A
    deleted record is put back, untimed, right after, so the store keeps N."""
    client = make_client()
    rng = random.Random(6)
    stores: List[Dict[str, Any]] = []
    directory = tempfile.mkdtemp(prefix="redshift-intercept-bench-")
    try:
        for kind, sizes in (("memory", settings.store_sizes), ("sqlite", settings.sqlite_sizes)):
            for size in sizes:
                all_ids = Ids(f"{kind}{size}").take(size)
                if kind == "memory":
                    backend: Any = MemoryBackend()
                    seeder = FastSeeder(backend)
                    start = time.perf_counter()
                    seeder.seed(all_ids)
                    extra: Dict[str, float] = {}
                else:
                    backend = SqliteBackend(os.path.join(directory, f"store-{size}.db"))
                    seeder = FastSeeder(backend)
                    start = time.perf_counter()
                    extra = seed_sqlite(backend, seeder, all_ids)
                seeding = time.perf_counter() - start
                stores.append({"kind": kind, "size": size, "rs": intercept(backend=backend), "ids": all_ids,
                               "seeding_s": seeding, "samples": {op: [] for op in OPS}, **extra})
                print(f"  seeded {kind} {size:,} snapshots (fast path) in {seeding:.2f} s "
                      f"({seeding / size * 1e6:.2f} us/snapshot)", flush=True)
        gc.collect()
        gc.freeze()  # the stores are long-lived: keep them out of the collections between batches
        try:
            for round_no in range(settings.scaling_repeats + 1):  # the first round warms up, untimed
                for store in stores:
                    for op in OPS:
                        us = time_store_batch(client, store, op, rng, settings.scaling_batch, keep_gc)
                        if round_no:
                            store["samples"][op].append(us)
            for store in stores:
                count = len(store["rs"].backend.list(ACCOUNT, REGION))
                if count != store["size"]:
                    raise RuntimeError(f"{store['kind']} store of {store['size']} ends with {count} snapshots")
        finally:
            gc.unfreeze()
        result = {}
        for store in stores:
            row = {key: value for key, value in store.items() if key not in ("rs", "ids")}
            row.update({op: statistics.median(store["samples"][op]) for op in OPS})
            result[(store["kind"], store["size"])] = row
        return result
    finally:
        for store in stores:
            if store["kind"] == "sqlite":
                store["rs"].backend.close()
        stores.clear()
        gc.collect()
        shutil.rmtree(directory, ignore_errors=True)


def time_store_batch(client: Any, store: Dict[str, Any], op: str, rng: random.Random, batch: int,
                     keep_gc: bool) -> float:
    """us per call of ``batch`` calls of ``op`` on random stored snapshots."""
    rs = store["rs"]
    victims = [rng.choice(store["ids"]) for _ in range(batch)]
    if op == "delete":
        records = [rs.backend.get(ACCOUNT, REGION, v) for v in victims]
    call = client.delete_cluster_snapshot if op == "delete" else client.describe_cluster_snapshots
    insert = rs.backend.insert
    clock = time.perf_counter_ns
    gc.collect()
    if not keep_gc:
        gc.disable()
    rs.start()
    total = 0
    try:
        if op == "delete":
            for victim, record in zip(victims, records, strict=True):
                start = clock()
                call(SnapshotIdentifier=victim)
                total += clock() - start
                insert(ACCOUNT, REGION, record)
        else:
            for victim in victims:
                start = clock()
                answer = call(SnapshotIdentifier=victim)
                total += clock() - start
            if answer["Snapshots"][0]["SnapshotIdentifier"] != victims[-1]:
                raise RuntimeError("describe-by-id answered another snapshot")
    finally:
        rs.stop()
        gc.enable()
        rs.calls.clear()
    return total / batch / 1000.0
