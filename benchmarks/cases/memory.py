"""Memory per stored snapshot (MemoryBackend), measured in fresh processes:
``bench.py --memory-child`` runs ``memory_child``."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict

from harness import ACCOUNT, BENCH_SCRIPT, REGION, FastSeeder, Ids, Settings

from redshift_intercept import MemoryBackend, intercept


def deep_size(root: Any) -> int:
    """``sys.getsizeof`` summed over every object reachable through dicts,
    lists and tuples from ``root``, each object counted once."""
    seen, stack, total = set(), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
    return total


def memory_child(mode: str, method: str, count: int) -> None:
    """Run in a fresh process: print the bytes one stored snapshot costs.

    ``rss``: RSS delta over the seeding, then a ``deep_size`` walk of the
    backend's storage (after seeding, so it slows nothing down).
    ``tracemalloc``: Python allocations still alive after seeding (slow: the
    tracing multiplies add_snapshot's time)."""
    import tracemalloc

    backend = MemoryBackend()
    rs = intercept(backend=backend)
    seeder = FastSeeder(backend)
    ids = Ids("mem").take(count)
    rs.add_snapshot(SnapshotIdentifier="warm-up")  # models loaded, caches filled
    page = os.sysconf("SC_PAGE_SIZE")
    # The MemoryBackend's storage if it is where we expect it, else the records.
    storage: Callable[[], Any] = ((lambda: backend._data) if hasattr(backend, "_data")
                                  else (lambda: backend.list(ACCOUNT, REGION)))

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * page

    gc.collect()
    size_before = deep_size(storage()) if method == "rss" else 0
    if method == "tracemalloc":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss()
    start = time.perf_counter()
    if mode == "add_snapshot":
        for snapshot_id in ids:
            rs.add_snapshot(SnapshotIdentifier=snapshot_id)
    else:
        seeder.seed(ids)
    seconds = time.perf_counter() - start
    gc.collect()
    result = {"seconds": seconds}
    if method == "tracemalloc":
        result["tracemalloc"] = (tracemalloc.get_traced_memory()[0] - before) / count
    else:
        result["rss"] = (rss() - before) / count
        result["sizeof"] = (deep_size(storage()) - size_before) / count
    print(json.dumps(result))


def bench_memory(settings: Settings, with_tracemalloc: bool) -> Dict[str, Dict[str, float]]:
    """{mode: {"rss": B, "sizeof": B, ["tracemalloc": B,] "seconds": s}} per stored snapshot."""
    results: Dict[str, Dict[str, float]] = {}
    for mode in ("add_snapshot", "fast"):
        results[mode] = {}
        for method in ("rss", "tracemalloc") if with_tracemalloc else ("rss",):
            out = subprocess.run(
                [sys.executable, BENCH_SCRIPT, "--memory-child", mode, method,
                 str(settings.memory_count)],
                check=True, capture_output=True, text=True, env=os.environ.copy())
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            if method == "tracemalloc":
                measured.pop("seconds")  # slowed down by the tracing
            results[mode].update(measured)
    return results
