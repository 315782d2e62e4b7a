#!/usr/bin/env python
"""Instructions per delete_cluster_snapshot, counted by valgrind (issue 6).

    python benchmarks/instructions.py            # needs valgrind; about 5 minutes
    python benchmarks/instructions.py --calls 1000

Timings on a shared machine drift by tens of percent; instruction counts do
not. Each case runs in a fresh interpreter under ``valgrind --tool=cachegrind``
twice, making 0 and then ``--calls`` calls after the same set-up and a
warm-up of 400 calls, so the difference divided by the number of calls is
what one call executes. (Some one-time cost lands between the 100th and the
300th intercepted call; the warm-up keeps it out.)
PYTHONHASHSEED is fixed, so a run repeats to within a few hundred
instructions. Cases, as in bench.py:

- a.  ``intercept()``, snapshots seeded with ``rs.add_snapshot()``
- b.  botocore's ``Stubber`` answering the same record
- c1. botocore's query parser alone on the XML ``intercept()`` renders for it
- c3. a ``before-call`` handler that only runs botocore's parser on that XML

Instructions are not time: our code runs colder than the parser's tight
loops, so a share of instructions costs more than its share of time. Use this
to see whether a change to the hot path adds or removes work; use bench.py
for the ratios issue 6 sets.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from typing import Any, Callable, Dict

CASES = ("a", "b", "c1", "c3")
WARM_UP = 400
SEEDED = 2_000  # snapshots seeded for case a, whatever the number of calls


def run_case(case: str, calls: int) -> None:
    """The measured program: set up, warm up, then ``calls`` more calls."""
    from bench import (
        CLOSED_ENDPOINT,
        OPERATION,
        REQUEST_ID,
        clean_session,
        deleted_response,
        isolate_environment,
        make_client,
    )
    from botocore.awsrequest import AWSResponse
    from botocore.parsers import ResponseParserFactory, create_parser
    from botocore.stub import Stubber

    from redshift_intercept import intercept
    from redshift_intercept._wire import render_success

    isolate_environment()
    total = calls + WARM_UP
    if total > SEEDED:
        raise SystemExit(f"--calls must be at most {SEEDED - WARM_UP}")
    rs = intercept()
    for index in range(SEEDED):
        rs.add_snapshot(SnapshotIdentifier=f"snap-{index:05d}")
    record = rs.backend.get(rs.account_id, "us-east-1", f"snap-{SEEDED - 1:05d}")
    response = deleted_response(record)
    clean = make_client(clean_session())
    model = clean.meta.service_model.operation_model(OPERATION)
    xml = render_success(model, response, REQUEST_ID)
    headers = AWSResponse(CLOSED_ENDPOINT, 200, {"x-amzn-requestid": REQUEST_ID, "content-type": "text/xml",
                                                 "content-length": str(len(xml)), "date": "x"}, None).headers
    response_dict = {"headers": headers, "status_code": 200, "body": xml, "context": {"operation_name": OPERATION}}
    call: Callable[[str], Any]
    if case == "a":
        rs.start()
        call = make_client().delete_cluster_snapshot
    elif case == "b":
        stubber = Stubber(clean)
        stubber.activate()
        for _ in range(total):
            stubber.add_response("delete_cluster_snapshot", dict(response))
        call = clean.delete_cluster_snapshot
    elif case == "c1":
        parser = create_parser("query")

        def call(SnapshotIdentifier: str) -> Any:
            return parser.parse(response_dict, model.output_shape)
    else:
        factory = ResponseParserFactory()
        canned = AWSResponse(CLOSED_ENDPOINT, 200, dict(headers), None)
        clean.meta.events.register(
            f"before-call.redshift.{OPERATION}",
            lambda **_: (canned, factory.create_parser("query").parse(response_dict, model.output_shape)))
        call = clean.delete_cluster_snapshot
    ids = [f"snap-{index:05d}" for index in range(total)]
    for snapshot_id in ids[:WARM_UP]:
        call(SnapshotIdentifier=snapshot_id)
    gc.collect()
    gc.freeze()
    gc.disable()
    for snapshot_id in ids[WARM_UP:]:
        call(SnapshotIdentifier=snapshot_id)


def count(case: str, calls: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, os.path.abspath(__file__), "--child", case, str(calls)],
        capture_output=True, text=True, env=env, check=False, cwd=os.path.dirname(os.path.abspath(__file__)))
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed for case {case}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_case(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count", file=sys.stderr)
        return 2
    per_call: Dict[str, float] = {}
    for case in CASES:
        per_call[case] = (count(case, args.calls) - count(case, 0)) / args.calls
        print(f"  {case:3} {per_call[case] / 1000:10.1f} k instructions per call", flush=True)
    floor = per_call["b"] + per_call["c1"]
    print(f"  floor (b + c1)  {floor / 1000:6.1f} k")
    print(f"  a / floor       {per_call['a'] / floor:6.3f}")
    print(f"  c3 / floor      {per_call['c3'] / floor:6.3f}")
    print(f"  a - c3          {(per_call['a'] - per_call['c3']) / 1000:6.1f} k instructions: what intercept() adds "
          f"to a parse-only interceptor ({per_call['a'] / per_call['c3'] - 1:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
