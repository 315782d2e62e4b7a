#!/usr/bin/env python
"""Benchmarks for issue 6: redshift-intercept against the parse-only
interceptor (the delete's floor, issue 11), botocore's ``Stubber``, the
"Stubber + parse" sum and moto. DeleteClusterSnapshot per call;
DescribeClusterSnapshots as a page of 100 and as a paginated listing; delete
and describe-by-id against the number of stored snapshots on MemoryBackend and
SqliteBackend; memory per snapshot, start-up cost and threads.

    python benchmarks/bench.py            # full run, about 5 minutes on 2 cores
    python benchmarks/bench.py --quick    # CI smoke, about 1 minute, smaller sizes

Everything is measured in one process run on one machine and printed as one
table with ratios; benchmarks/README.md says what each number means. Nothing
leaves the machine: intercepted and stubbed clients point at a closed loopback
port, and moto's client is answered by moto inside ``mock_aws``.

This file is the entry point: the harness (settings, environment, timing,
fixtures) is ``harness.py``, the cases by topic are in ``cases/``, and the
table and the verdicts are ``report.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Dict, List, Optional

from cases.delete import bench_main, bench_moto
from cases.describe import bench_describe_moto, bench_describe_page, bench_listing
from cases.memory import bench_memory, memory_child
from cases.startup import bench_startup
from cases.store import bench_store_scaling
from cases.threads import bench_threads
from harness import Settings, isolate_environment, machine
from report import report


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute (CI smoke)")
    parser.add_argument("--keep-gc", action="store_true",
                        help="leave the garbage collector on inside timed regions")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure memory with tracemalloc (adds minutes to a full run)")
    parser.add_argument("--memory-child", nargs=3, metavar=("MODE", "METHOD", "COUNT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    isolate_environment()
    if args.memory_child:
        mode, method, count = args.memory_child
        memory_child(mode, method, int(count))
        return 0
    settings = Settings.make(args.quick)
    info = machine()
    started = time.perf_counter()

    def step(title: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {title}", flush=True)

    results: Dict[str, Any] = {}
    step("a-c, e: delete: intercept / Stubber / parse / floor")
    results["main"] = bench_main(settings, args.keep_gc)
    step("d: delete: moto")
    results["moto"] = bench_moto(settings, args.keep_gc)
    step("f-h: describe, a page of 100: intercept / Stubber / parse / floor")
    results["page"] = bench_describe_page(settings, args.keep_gc)
    step("i: describe, a page of 100: moto")
    results["page_moto"] = bench_describe_moto(settings, args.keep_gc)
    step(f"j-k: describe, a paginated listing of {settings.listing_size:,}")
    results["listing"] = bench_listing(settings, args.keep_gc)
    step("store size: MemoryBackend and SqliteBackend, delete and describe-by-id")
    results["scaling"] = bench_store_scaling(settings, args.keep_gc)
    step("memory per snapshot")
    results["memory"] = bench_memory(settings, args.tracemalloc)
    step("start-up")
    results["startup"] = bench_startup(settings)
    step("threads")
    results["threads"] = bench_threads(settings, args.keep_gc)
    report(settings, info, results, args.keep_gc, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
