"""Reliability figures for the README (issue 13): processes killed mid-run,
processes and threads racing, and whether anything was lost.

- kills: a process deletes snapshots one by one through a real client on a
  SqliteBackend with the journal on, and is killed (SIGKILL) at a random
  moment; after every kill, every deleted snapshot has its journal entry and
  every journaled delete really happened.
- killed loads: a process loads N snapshots in one load_snapshots call and is
  killed at a random moment; after every kill the file holds all or none.
- races: P processes x T threads delete and describe the same snapshots at
  once; each snapshot is deleted exactly once, and every answered call is in
  the journal exactly once.

Nothing leaves the machine: clients point at a closed loopback port.

    python benchmarks/reliability.py            # about 3 minutes on 2 cores
    python benchmarks/reliability.py --quick    # about a minute
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

ACCOUNT, REGION = "123456789012", "us-east-1"

_DELETER = """
import sys
from redshift_intercept import SqliteBackend, intercept
from redshift_intercept.testing import make_client
client = make_client()
with intercept(backend=SqliteBackend(sys.argv[1]), journal=True, max_calls=0):
    for i in range(int(sys.argv[2])):
        try:
            client.delete_cluster_snapshot(SnapshotIdentifier=f"s{i:05d}")
        except client.exceptions.ClusterSnapshotNotFoundFault:
            pass
"""

_LOADER = """
import sys
from redshift_intercept import SqliteBackend, intercept
rs = intercept(backend=SqliteBackend(sys.argv[1]))
print("loading", flush=True)
rs.load_snapshots({"Snapshots": [{"SnapshotIdentifier": f"load{i:05d}"} for i in range(int(sys.argv[2]))]})
"""


def kills(workdir: str, rounds: int, count: int, rng: random.Random) -> Dict[str, int]:
    from redshift_intercept import SqliteBackend, intercept

    path = os.path.join(workdir, "kills.db")
    backend = SqliteBackend(path)
    intercept(backend=backend).load_snapshots({"Snapshots": [{"SnapshotIdentifier": f"s{i:05d}"}
                                                             for i in range(count)]})
    landed = lost = 0
    for _ in range(rounds):
        start = backend.count_calls()
        child = subprocess.Popen([sys.executable, "-c", _DELETER, path, str(count)])
        target = start + rng.randint(1, 120)
        deadline = time.monotonic() + 60
        while backend.count_calls() < target and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.001)
        time.sleep(rng.random() * 0.05)  # land anywhere in a call, not just after a commit
        child.kill()
        landed += child.wait() == -9
        remaining = {r["SnapshotIdentifier"] for r in backend.list(ACCOUNT, REGION)}
        deleted = {f"s{i:05d}" for i in range(count)} - remaining
        journaled = [c["params"]["SnapshotIdentifier"] for c in backend.read_calls() if c["error_code"] is None]
        lost += len(deleted ^ set(journaled)) + (len(journaled) - len(set(journaled)))
    deletes = len(journaled)
    backend.close()
    return {"kills": landed, "deletes": deletes, "lost or unjournaled": lost}


def killed_loads(workdir: str, rounds: int, count: int, rng: random.Random) -> Dict[str, int]:
    from redshift_intercept import SqliteBackend

    path = os.path.join(workdir, "loads.db")
    SqliteBackend(path).close()
    partial = whole = empty = 0
    for _ in range(rounds):
        child = subprocess.Popen([sys.executable, "-c", _LOADER, path, str(count)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline() == "loading\n"
        time.sleep(rng.random() * 1.5)
        child.kill()
        child.wait()
        with SqliteBackend(path) as backend:
            stored = backend.list(ACCOUNT, REGION)
            if len(stored) == count:
                whole += 1
            elif stored:
                partial += 1
            else:
                empty += 1
            if stored:
                backend.atomic(lambda b=backend, s=stored: [b.remove(ACCOUNT, REGION, r["SnapshotIdentifier"],
                                                                     lambda _: None) for r in s])
    return {"kills": rounds, "whole": whole, "none": empty, "partial": partial}


def _racer(path: str, threads: int, count: int, seed: int) -> List[str]:
    from redshift_intercept import SqliteBackend, intercept
    from redshift_intercept.testing import make_client

    clients = [make_client() for _ in range(threads)]
    deleted: List[str] = []
    ids = [f"r{i:05d}" for i in range(count)]
    with intercept(backend=SqliteBackend(path), journal=True, max_calls=0):
        def run(index: int) -> None:
            order = ids[:]
            random.Random(seed * 100 + index).shuffle(order)
            client = clients[index]
            for snapshot_id in order:
                try:
                    client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
                    deleted.append(snapshot_id)
                except client.exceptions.ClusterSnapshotNotFoundFault:
                    pass
                if random.random() < 0.1:
                    client.describe_cluster_snapshots(MaxRecords=20)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, range(threads)))
    return deleted


def races(workdir: str, processes: int, threads: int, count: int) -> Dict[str, int]:
    from redshift_intercept import SqliteBackend, intercept

    path = os.path.join(workdir, "races.db")
    with SqliteBackend(path) as backend:
        intercept(backend=backend).load_snapshots({"Snapshots": [{"SnapshotIdentifier": f"r{i:05d}"}
                                                                 for i in range(count)]})
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_racer, [(path, threads, count, seed) for seed in range(processes)])
    deleted = [snapshot_id for result in results for snapshot_id in result]
    with SqliteBackend(path) as backend:
        calls = backend.read_calls()
        remaining = backend.list(ACCOUNT, REGION)
    journaled = [c["params"]["SnapshotIdentifier"] for c in calls
                 if c["operation"] == "DeleteClusterSnapshot" and c["error_code"] is None]
    return {"processes x threads": processes * threads, "calls": len(calls), "deleted": len(deleted),
            "deleted twice": len(deleted) - len(set(deleted)), "left": len(remaining),
            "journal mismatches": len(set(deleted) ^ set(journaled)) + len(journaled) - len(set(journaled)),
            "duplicate request ids": len(calls) - len({c["request_id"] for c in calls})}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: about a minute")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    kill_rounds, load_rounds, snapshots = (5, 3, 500) if args.quick else (20, 10, 2000)
    import botocore

    import redshift_intercept

    print(f"redshift-intercept {redshift_intercept.__version__} ({os.path.dirname(redshift_intercept.__file__)}), "
          f"botocore {botocore.__version__}, Python {sys.version.split()[0]}, seed {args.seed}")
    with tempfile.TemporaryDirectory(prefix="reliability-") as workdir:
        for name, result in (
                ("deleting process killed (SIGKILL)", kills(workdir, kill_rounds, 3000, rng)),
                ("loading process killed (SIGKILL), 20,000 snapshots", killed_loads(workdir, load_rounds, 20_000, rng)),
                ("4 processes x 4 threads on one SQLite file", races(workdir, 4, 4, snapshots))):
            print(f"{name}: " + ", ".join(f"{key} {value:,}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
