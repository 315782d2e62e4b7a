#!/usr/bin/env python
"""Where an intercepted DescribeClusterSnapshots page spends its time (issue 6).

    python benchmarks/profile_describe.py                  # 10,000 stored, 10 listing pages
    python benchmarks/profile_describe.py --stored 2000 --pages 20
    python benchmarks/profile_describe.py --pyinstrument   # + a pyinstrument call tree

Two workloads, each a page of 100 full snapshots through ``intercept()``:

- **page of 100**: 101 snapshots stored (``rs.add_snapshot``), the first page
  (what ``bench.py`` rows f-h measure);
- **listing page**: ``--stored`` snapshots (fast path, created a minute
  apart, as ``bench.py`` rows j-k), the first ``--pages`` pages of a boto3
  paginator listing (PageSize 100).

Timers (``harness.CallTimers``, as in ``profile_delete.py``) are wrapped
around our functions and botocore's parser inside real calls, counting
calls; a timer's own cost (calibrated on a no-op, times the number of calls)
is subtracted. Nested rows are indented and
included in the row above them. Private redshift_intercept internals are
wrapped by name; one a future version renames is skipped with a note.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import botocore.parsers
from harness import PAGE, CallTimers, FastSeeder, Ids, isolate_environment, make_client, page_interceptor, timer_cost

import redshift_intercept._dispatch as dispatch
import redshift_intercept._hooks as hooks
import redshift_intercept._paging as paging
import redshift_intercept._rules.describe as describe
from redshift_intercept import MemoryBackend, intercept
from redshift_intercept._dispatch import Service
from redshift_intercept._rules import OPERATIONS

BACKEND = object()  # stands for the profiled interceptor's backend instance

# (owner, attribute, row name, depth): a row is part of the nearest row above
# it with a smaller depth. Functions called once per record (sort keys) are
# not wrapped: a timer per record would cost more than they do; their time
# shows in the row that calls them. A name this version of the package does
# not have is skipped.
WRAPPED: List[Tuple[Any, str, str, int]] = [
    (hooks, "_before_call", "our before-call handler, all of it", 0),
    (hooks, "decode_params", "decode_params", 1),
    (Service, "answer", "Service.answer: fault check, Scope, rule", 1),
    (dispatch, "Scope", "Scope(...) for the call", 2),
    (OPERATIONS, "DescribeClusterSnapshots", "rule describe_cluster_snapshots", 2),
    (describe, "_visible", "_visible: the records the caller may see", 3),
    (BACKEND, "list", "backend.list (a copy of every record)", 4),
    (describe, "settled", "settled()", 3),
    (describe, "_filters", "_filters", 3),
    (describe, "paginate", "paginate: the page after the Marker", 3),
    (paging, "_decode_marker", "_decode_marker", 4),
    (paging, "sorted", "sorted(every match, by its sort key)", 4),
    (paging, "encode_marker", "encode_marker", 4),
    (describe, "view", "view() per returned record (a copy)", 3),
    (hooks, "render_success", "render_success (XML of the page)", 1),
    (hooks, "respond", "respond (HTTP response + parse)", 1),
    (botocore.parsers.QueryParser, "parse", "botocore parser.parse", 2),
    (Service, "record", "Service.record (rs.calls)", 1),
]


_SKIPPED: set = set()


def install(timers: CallTimers, backend: Any) -> None:
    for owner, attribute, name, _ in WRAPPED:
        if not timers.wrap(backend if owner is BACKEND else owner, attribute, name):
            _SKIPPED.add(name)


Result = Tuple[float, float, Dict[str, float], Dict[str, float]]


def profile(label: str, rs: Any, pages: int, rounds: int) -> Result:
    """(us per page without timers, us per page with timers, us per page per
    row, calls per page per row); rounds alternate without and with timers."""
    client = make_client()
    paginator = client.get_paginator("describe_cluster_snapshots")

    def run() -> None:
        done = 0
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE}):
            if len(page["Snapshots"]) != PAGE:
                raise RuntimeError(f"{label}: a page of {len(page['Snapshots'])}")
            done += 1
            if done == pages:
                break

    bare: List[float] = []
    timed: List[float] = []
    totals: Dict[str, int] = {}
    calls: Dict[str, int] = {}
    with rs:
        run()  # warm-up
        for _ in range(rounds):
            for with_timers in (False, True):
                timers = CallTimers()
                if with_timers:
                    install(timers, rs.backend)
                gc.collect()
                gc.disable()
                try:
                    start = time.perf_counter_ns()
                    run()
                    elapsed = (time.perf_counter_ns() - start) / pages / 1000.0
                finally:
                    gc.enable()
                    timers.restore()
                    rs.calls.clear()
                (timed if with_timers else bare).append(elapsed)
                for name, ns in timers.ns.items():
                    totals[name] = totals.get(name, 0) + ns
                    calls[name] = calls.get(name, 0) + timers.calls[name]
    per_page = rounds * pages
    return (statistics.median(bare), statistics.median(timed),
            {name: ns / per_page / 1000.0 for name, ns in totals.items()},
            {name: count / per_page for name, count in calls.items()})


def print_profile(label: str, result: Result, overhead_ns: float) -> None:
    bare, timed, parts, calls = result
    rows = [(name, depth) for _, _, name, depth in WRAPPED if name in parts]
    # A row's time includes the timers of the rows nested in it: subtract them.
    total = {name: parts[name] - (calls[name] + sum(calls[n] for n, _ in rows if is_within(name, n)))
             * overhead_ns / 1000.0 for name, _ in rows}
    own = {name: total[name] - sum(total[n] for n, d in rows if d == depth + 1 and is_within(name, n))
           for name, depth in rows}
    print(f"{label}")
    print(f"  whole page, no timers {bare:10.0f} us;  with timers {timed:10.0f} us "
          f"(one timer costs {overhead_ns:.0f} ns a call, subtracted below)")
    print(f"  {'component':66}{'calls/page':>11}{'us/page':>10}{'own us':>10}")
    for name, depth in rows:
        if calls[name] == 0:
            continue
        print(f"  {'  ' * depth + name:66}{calls[name]:11,.0f}{total[name]:10.0f}{own[name]:10.0f}")
    handler, parse = total["our before-call handler, all of it"], total["botocore parser.parse"]
    print(f"  {'=> our handler without the parse':66}{'':11}{handler - parse:10.0f}")
    ranked = sorted(((us, name) for name, us in own.items() if name != "botocore parser.parse"), reverse=True)
    print("  our top 3 (own us/page: a row's time without the rows nested in it): " +
          "; ".join(f"{name} {us:.0f}" for us, name in ranked[:3]))
    print()


def is_within(outer: str, inner: str) -> bool:
    """Is row ``inner`` nested (at any depth) under row ``outer``?"""
    names = [(name, depth) for _, _, name, depth in WRAPPED]
    index = next(i for i, (name, _) in enumerate(names) if name == outer)
    depth = names[index][1]
    for name, d in names[index + 1:]:
        if d <= depth:
            return False
        if name == inner:
            return True
    return False


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=10_000, help="snapshots stored for the listing")
    parser.add_argument("--pages", type=int, default=10, help="listing pages timed per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args(argv)
    isolate_environment()
    overhead = timer_cost()

    page_rs = page_interceptor("profile-page")
    print_profile(f"a page of 100, {PAGE + 1} stored (rs.add_snapshot), median of {args.rounds} x 1 page",
                  profile("page", page_rs, 1, args.rounds * 5), overhead)

    backend = MemoryBackend()
    FastSeeder(backend).seed_over_time(Ids("profile-listing").take(args.stored))
    listing_rs = intercept(backend=backend)
    print_profile(f"a listing page, {args.stored:,} stored (fast path, a minute apart), the first "
                  f"{args.pages} pages of a paginator listing, {args.rounds} rounds",
                  profile("listing", listing_rs, args.pages, args.rounds), overhead)

    for name in sorted(_SKIPPED):
        print(f"note: not in this version of the package, not timed: {name}")
    if args.pyinstrument:
        from pyinstrument import Profiler

        client = make_client()
        paginator = client.get_paginator("describe_cluster_snapshots")
        profiler = Profiler(interval=0.001)
        with listing_rs:
            profiler.start()
            for done, _ in enumerate(paginator.paginate(PaginationConfig={"PageSize": PAGE}), 1):
                if done == args.pages:
                    break
            profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
