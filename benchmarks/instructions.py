#!/usr/bin/env python
"""Instructions per delete_cluster_snapshot, counted by valgrind (issue 6).

    python benchmarks/instructions.py             # needs valgrind; about 6 minutes on 2 idle cores
    python benchmarks/instructions.py --layouts 5 --calls 1000
    python benchmarks/instructions.py --cache     # + simulated cache misses and mispredicts

Timings on a shared machine drift by tens of percent; instruction counts do
not. Each case runs in a fresh interpreter under ``valgrind --tool=cachegrind``
twice, making 0 and then ``--calls`` calls after the same set-up and a
warm-up of 400 calls, so the difference divided by the number of calls is
what one call executes. (Some one-time cost lands between the 100th and the
300th intercepted call; the warm-up keeps it out.)

PYTHONHASHSEED is fixed, so the same run repeats to within a few hundred
instructions per call. The memory layout is not fixed by that: where the
interpreter's objects land decides how attribute names collide in CPython's
type-attribute cache, and a layout where the parser's hot names collide costs
up to 4% more per call (c3 was seen at 2,242 k, 2,326 k and 2,416 k
instructions per call under three layouts). So each case is counted under
``--layouts`` layouts (the environment padded by a few more bytes each time)
and the median is reported beside every layout's count.

Cases, as in bench.py (their set-up is the harness's: ``harness.py``):

- a.  ``intercept()``, snapshots seeded with ``rs.add_snapshot()``
- b.  botocore's ``Stubber`` answering the same record
- c1. botocore's query parser alone on the XML ``intercept()`` renders for it
- c3. a ``before-call`` handler that only runs botocore's parser on that XML:
  the parse-only interceptor, the delete's floor (issue 11)

Instructions are not time, and neither are simulated misses: an intercepted
delete runs fewer of both than the Stubber + parse loops together, yet takes
1.2x their time. Use this to see whether a change to the hot path adds or
removes work; use bench.py for the ratios the targets are judged on.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Optional

CASES = ("a", "b", "c1", "c3")
WARM_UP = 400
SEEDED = 2_000  # snapshots seeded for case a, whatever the number of calls
LAYOUT_STEP = 37  # bytes of environment padding between one layout and the next


def run_case(case: str, calls: int) -> None:
    """The measured program: set up, warm up, then ``calls`` more calls."""
    from botocore.parsers import create_parser
    from botocore.stub import Stubber
    from harness import (
        clean_session,
        delete_answer,
        deleted_response,
        isolate_environment,
        make_client,
        parse_only_client,
    )

    from redshift_intercept import intercept

    isolate_environment()
    total = calls + WARM_UP
    if total > SEEDED:
        raise SystemExit(f"--calls must be at most {SEEDED - WARM_UP}")
    rs = intercept()
    for index in range(SEEDED):
        rs.add_snapshot(SnapshotIdentifier=f"snap-{index:05d}")
    record = rs.backend.get(rs.account_id, "us-east-1", f"snap-{SEEDED - 1:05d}")
    response_dict, output_shape, _ = delete_answer(record)
    call: Callable[[str], Any]
    if case == "a":
        rs.start()
        call = make_client().delete_cluster_snapshot
    elif case == "b":
        clean = make_client(clean_session())
        stubber = Stubber(clean)
        stubber.activate()
        for _ in range(total):
            stubber.add_response("delete_cluster_snapshot", deleted_response(record))
        call = clean.delete_cluster_snapshot
    elif case == "c1":
        parser = create_parser("query")

        def call(SnapshotIdentifier: str) -> Any:
            return parser.parse(response_dict, output_shape)
    else:
        call = parse_only_client(response_dict, output_shape).delete_cluster_snapshot
    ids = [f"snap-{index:05d}" for index in range(total)]
    for snapshot_id in ids[:WARM_UP]:
        call(SnapshotIdentifier=snapshot_id)
    gc.collect()
    gc.freeze()
    gc.disable()
    for snapshot_id in ids[WARM_UP:]:
        call(SnapshotIdentifier=snapshot_id)


# Events cachegrind prints, by the name of its summary line, and how we print them.
INSTRUCTIONS = ("I refs",)
SIMULATED = ("I refs", "I1  misses", "D1  misses", "Mispredicts")
LABELS = {"I refs": "instructions", "I1  misses": "I1 misses", "D1  misses": "D1 misses",
          "Mispredicts": "mispredicts"}


def count(case: str, calls: int, layout: int, events: tuple, script: str = __file__,
          env: Optional[Dict[str, str]] = None) -> Dict[str, int]:
    """Totals of ``events`` for one run of the child (``script --child CASE
    CALLS``, in ``env``) under cachegrind. The environment is padded by
    ``layout`` bytes: that shifts where the interpreter's objects land in
    memory, and with them how names collide in CPython's type-attribute
    cache, which moves a call's count by up to 4%."""
    env = dict(env or os.environ, PYTHONHASHSEED="0", REDSHIFT_INTERCEPT_LAYOUT="x" * layout)
    simulate = "yes" if events is SIMULATED else "no"
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", f"--cache-sim={simulate}", f"--branch-sim={simulate}",
         "--cachegrind-out-file=/dev/null",
         sys.executable, os.path.abspath(script), "--child", case, str(calls)],
        capture_output=True, text=True, env=env, check=False, cwd=os.path.dirname(os.path.abspath(__file__)))
    totals = {}
    for event in events:
        pattern = r"\s+".join(map(re.escape, event.split())) + r":\s+([\d,]+)"
        found = re.search(pattern, done.stderr)
        if done.returncode != 0 or found is None:
            raise SystemExit(f"valgrind failed for case {case}:\n{done.stderr[-2000:]}")
        totals[event] = int(found.group(1).replace(",", ""))
    return totals


def per_call(case: str, calls: int, layout: int, events: tuple, script: str = __file__,
             env: Optional[Dict[str, str]] = None) -> Dict[str, float]:
    """What one call of ``case`` adds to each event, under one layout."""
    after, before = count(case, calls, layout, events, script, env), count(case, 0, layout, events, script, env)
    return {event: (after[event] - before[event]) / calls for event in events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--layouts", type=int, default=3,
                        help="memory layouts to count each case under (the median is reported)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="valgrind runs at once")
    parser.add_argument("--cache", action="store_true",
                        help="also simulate caches and branches: I1/D1 misses and mispredicts per call")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_case(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count", file=sys.stderr)
        return 2
    if args.layouts < 1 or args.jobs < 1:
        parser.error("--layouts and --jobs must be at least 1")
    events = SIMULATED if args.cache else INSTRUCTIONS
    layouts = [LAYOUT_STEP * index for index in range(args.layouts)]
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = {(case, layout): pool.submit(per_call, case, args.calls, layout, events)
                for case in CASES for layout in layouts}
        results = {key: run.result() for key, run in runs.items()}
    median: Dict[str, Dict[str, float]] = {}
    print(f"  per call, under {len(layouts)} memory layout{'s' if len(layouts) > 1 else ''} "
          "(the median, then each layout's count)")
    for event in events:
        for case in CASES:
            values = [results[case, layout][event] / 1000 for layout in layouts]
            median.setdefault(case, {})[event] = statistics.median(values)
            each = " ".join(f"{value:8.1f}" for value in values)
            print(f"  {case:3} {LABELS[event]:12} {median[case][event]:8.1f} k   [{each} ]", flush=True)
    ir = {case: median[case]["I refs"] for case in CASES}
    floor = ir["b"] + ir["c1"]
    print(f"  a / c3          {ir['a'] / ir['c3']:6.3f}   (c3, the parse-only interceptor: the delete's floor)")
    print(f"  a - c3          {ir['a'] - ir['c3']:6.1f} k instructions: what intercept() adds "
          f"to a parse-only interceptor ({ir['a'] / ir['c3'] - 1:.1%})")
    print(f"  Stubber + parse (b + c1)  {floor:6.1f} k instructions (information)")
    print(f"  a / (b + c1)    {ir['a'] / floor:6.3f}")
    print(f"  c3 / (b + c1)   {ir['c3'] / floor:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
