"""Memory retained per answered call: rs.calls with and without a bound, the
call journal, and the setup `redshift-intercept run` uses (issue 13).

Each case runs in a fresh child process: a client and an interceptor, a
warm-up, then N calls. Two measurements per case:

- tracemalloc: the growth of bytes allocated by Python and still held (after
  a garbage collection) over N calls, measured after N calls already ran
  under tracing, so that a bounded rs.calls replacing calls it held before
  tracing started does not count as growth. Exact, but calls run ~2x slower
  under it, so N is modest.
- RSS: the process's resident memory after M more calls (tracemalloc off),
  minus before, divided by M. What the operating system sees; coarse (pages,
  allocator arenas), so M is large.

Nothing leaves the machine: the client points at a closed loopback port.

    python benchmarks/calls_memory.py            # about 6 minutes on 2 cores
    python benchmarks/calls_memory.py --quick    # about 2 minutes, smaller N and M
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Dict, List

CASES: Dict[str, Dict[str, Any]] = {
    "describe by id, calls unbounded (default)": {"op": "describe_one"},
    "describe by id, max_calls=100": {"op": "describe_one", "max_calls": 100},
    "describe by id, max_calls=0": {"op": "describe_one", "max_calls": 0},
    "describe by id, journal=True (MemoryBackend)": {"op": "describe_one", "journal": "memory"},
    "describe by id, journal=True (MemoryBackend), max_calls=0": {"op": "describe_one", "journal": "memory",
                                                                  "max_calls": 0},
    "describe by id, journal=True (SqliteBackend), max_calls=0 [run]": {"op": "describe_one", "journal": "sqlite",
                                                                        "max_calls": 0},
    "delete + re-seed, calls unbounded": {"op": "delete"},
    "delete + re-seed, max_calls=0 (the event log)": {"op": "delete", "max_calls": 0},
    "describe page of 100, calls unbounded": {"op": "describe_page"},
    "describe page of 100, max_calls=100": {"op": "describe_page", "max_calls": 100},
}


def resident_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(case: Dict[str, Any], traced: int, resident: int) -> Dict[str, float]:
    from redshift_intercept import SqliteBackend, intercept
    from redshift_intercept.testing import make_client

    workdir = tempfile.mkdtemp(prefix="calls-memory-")
    options: Dict[str, Any] = {"max_calls": case.get("max_calls")}
    if case.get("journal") == "sqlite":
        options.update(backend=SqliteBackend(os.path.join(workdir, "state.db")), journal=True)
    elif case.get("journal") == "memory":
        options.update(journal=True)
    rs = intercept(**options).start()
    client = make_client()
    for i in range(100):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:03d}", Tags={"team": "analytics", "env": "prod"})
    op = case["op"]

    def one(i: int) -> None:
        if op == "describe_one":
            client.describe_cluster_snapshots(SnapshotIdentifier="s042")
        elif op == "describe_page":
            client.describe_cluster_snapshots(MaxRecords=100)
        else:
            client.delete_cluster_snapshot(SnapshotIdentifier="s042")
            rs.add_snapshot(SnapshotIdentifier="s042", Tags={"team": "analytics", "env": "prod"})

    # A page of 100 costs a hundred times a describe by id: a tenth of the calls
    # (at least 100: a max_calls=100 list must turn over within the window).
    if op == "describe_page":
        traced, resident = max(traced // 10, 100), max(resident // 10, 150)
    for i in range(500 if op != "describe_page" else 150):  # warm-up: caches, a bounded list at its bound
        one(i)
    gc.collect()
    tracemalloc.start()
    for i in range(traced):  # whatever a bound keeps is now allocated under tracing
        one(i)
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    for i in range(traced):
        one(i)
    per_call_time = (time.perf_counter() - started) / traced
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    rss_before = resident_bytes()
    for i in range(resident):
        one(i)
    gc.collect()
    rss_after = resident_bytes()
    result = {"traced_per_call": (after - before) / traced, "rss_per_call": (rss_after - rss_before) / resident,
              "rss_total_mb": rss_after / 2**20, "kept": len(rs.calls), "dropped": rs.calls.dropped,
              "ms_per_call_traced": per_call_time * 1000}
    if case.get("journal") == "sqlite":
        result["file_per_call"] = os.path.getsize(os.path.join(workdir, "state.db")) / (500 + 2 * traced + resident)
    return result


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller N and M: about 30 seconds")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    traced, resident = (300, 1500) if args.quick else (1000, 10000)
    if args.child:
        print(json.dumps(child(CASES[args.child], traced, resident)))
        return 0
    import botocore

    import redshift_intercept

    print(f"redshift-intercept {redshift_intercept.__version__} ({os.path.dirname(redshift_intercept.__file__)}), "
          f"botocore {botocore.__version__}, Python {sys.version.split()[0]}")
    print(f"2 x {traced} calls under tracemalloc (growth over the second {traced}), then {resident} calls "
          "for RSS, per case (pages: a tenth, at least 100); 100 seeded snapshots\n")
    print(f"{'case':<66} {'traced B/call':>13} {'RSS B/call':>11} {'RSS MB':>7} {'kept':>6} {'ms/call':>8}")
    for name in CASES:
        env = dict(os.environ, PYTHONHASHSEED="0")
        out = subprocess.run([sys.executable, __file__, "--child", name] + (["--quick"] if args.quick else []),
                             capture_output=True, text=True, env=env, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        extra = f"  (SQLite file: {r['file_per_call']:,.0f} B/call)" if "file_per_call" in r else ""
        print(f"{name:<66} {r['traced_per_call']:>13,.0f} {r['rss_per_call']:>11,.0f} {r['rss_total_mb']:>7.1f} "
              f"{r['kept']:>6} {r['ms_per_call_traced']:>8.2f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
