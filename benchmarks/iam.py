#!/usr/bin/env python
"""What IAM evaluation costs per call (issue 15).

    python benchmarks/iam.py                          # about 2 minutes on 2 cores
    python benchmarks/iam.py --quick                  # about 30 seconds
    python benchmarks/iam.py --baseline /path/to/old  # + the default path against another checkout
    python benchmarks/iam.py --instructions --baseline /path/to/old   # valgrind counts instead of times

Every case is ``delete_cluster_snapshot`` through ``intercept()`` on a
MemoryBackend, as row a of bench.py, made by:

- **default**: the interceptor's default identity, no identity added: what
  every existing user runs;
- **identity, no policies**: an identity added without policies, so the
  client's access key is read for every call, and nothing is evaluated;
- **10-statement policy**: an identity whose one policy has ten statements
  (Allow and Deny, wildcards, a policy variable, six conditions, one of them on
  ``aws:ResourceTag``, so the snapshot's tags are looked up) and allows the
  delete by its last statement: every statement is evaluated;

and ``batch_delete_cluster_snapshots`` of 100 snapshots, as the default
identity and as the 10-statement identity (100 evaluations per call).

Cases run interleaved in batches (bench.py's ``run_interleaved``); each ratio
is given as a ratio of medians and paired (the median of per-round ratios).

``--baseline DIR`` also times the default case against another checkout of
the package (DIR holds ``redshift_intercept/``, e.g. ``git archive main``
unpacked): child processes of this script alternate between the two, one
round each, and the paired ratio is this checkout's over DIR's. On a busy
machine that ratio is noise; ``--instructions`` counts what each case
executes per delete with valgrind (as instructions.py does; with
``--baseline``, the default case of DIR too), which repeats to a fraction of
a percent: that is how "free when no identity has policies" is checked.
With ``--instructions`` nothing is timed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
from typing import Any, Dict, List, Optional

from harness import Case, Ids, isolate_environment, machine, paired, run_interleaved
from report import spread

from redshift_intercept import intercept
from redshift_intercept.testing import make_client

ACCOUNT = "123456789012"
CLUSTER = "examplecluster"
TARGET = 1.05
KEY = "AKIACLEANUPEXAMPLE"
USER = f"arn:aws:iam::{ACCOUNT}:user/cleanup"

TEN_STATEMENTS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepKeepers", "Effect": "Deny", "Action": "redshift:Delete*",
     "Resource": f"arn:aws:redshift:*:{ACCOUNT}:snapshot:*/keep-*"},
    {"Sid": "TwoRegions", "Effect": "Deny", "Action": "redshift:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
    {"Sid": "KeepTagged", "Effect": "Deny", "Action": ["redshift:DeleteClusterSnapshot",
                                                       "redshift:BatchDeleteClusterSnapshots"],
     "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/keep": "true"}}},
    {"Sid": "Read", "Effect": "Allow", "Action": "redshift:Describe*", "Resource": "*"},
    {"Sid": "Tagging", "Effect": "Allow", "Action": ["redshift:CreateTags", "redshift:DeleteTags"],
     "Resource": f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*/*",
     "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost-*"]}}},
    {"Sid": "Sharing", "Effect": "Allow", "Action": ["redshift:AuthorizeSnapshotAccess",
                                                     "redshift:RevokeSnapshotAccess"],
     "Resource": f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:staging/*"},
    {"Sid": "OwnSnapshots", "Effect": "Allow", "Action": "redshift:ModifyClusterSnapshot",
     "Resource": f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*/${{aws:username}}-*"},
    {"Sid": "Snapshots", "Effect": "Allow", "Action": "redshift:CreateClusterSnapshot", "Resource": "*",
     "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
    {"Sid": "Copies", "Effect": "Allow", "Action": "redshift:CopyClusterSnapshot",
     "Resource": f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod/*",
     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "Cleanup", "Effect": "Allow", "Action": ["redshift:DeleteClusterSnapshot",
                                                     "redshift:BatchDeleteClusterSnapshots"],
     "Resource": f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:{CLUSTER}/*",
     "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/clean*"}}},
]}


def delete_case(name: str, ids: Ids, policies: Optional[List[Dict[str, Any]]] = None, identity: bool = False,
                batch_size: int = 1) -> Case:
    """``batch_size`` 1: one delete_cluster_snapshot per call; more: one
    batch_delete_cluster_snapshots of that many per call (a batch of n
    counts as n calls, so both are per snapshot)."""
    rs = intercept()
    if identity:
        rs.add_identity(KEY, arn=USER, policies=policies)
    # (The default case calls make_client() as a checkout from before identities can.)
    client = make_client(access_key_id=KEY) if identity else make_client()

    def prepare(n: int) -> List[str]:
        batch = ids.take(n)
        for snapshot_id in batch:
            rs.add_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
        rs.start()
        return batch

    def run(batch: List[str]) -> None:
        if batch_size == 1:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                delete(SnapshotIdentifier=snapshot_id, SnapshotClusterIdentifier=CLUSTER)
            return
        delete_many = client.batch_delete_cluster_snapshots
        for start in range(0, len(batch), batch_size):
            delete_many(Identifiers=[{"SnapshotIdentifier": s, "SnapshotClusterIdentifier": CLUSTER}
                                     for s in batch[start:start + batch_size]])

    def finish() -> None:
        rs.stop()
        if policies is not None and not all(c.decision and c.decision.allowed for c in rs.calls):
            raise RuntimeError(f"{name}: a call was not allowed")
        rs.calls.clear()
        if rs.backend.list(ACCOUNT, "us-east-1"):
            raise RuntimeError(f"{name}: a snapshot survived its delete")

    return Case(name, prepare, run, finish)


def ratio_line(label: str, case: Case, base: Case, target: Optional[float] = None) -> str:
    ratio, pair = case.median / base.median, paired(case.samples, base.samples)
    verdict = "" if target is None else f"   target <= {target:.2f}: {'PASS' if pair <= target else 'FAIL'}"
    return (f"  {label:44} {ratio:6.3f} (paired {pair:6.3f}), "
            f"+{case.median - base.median:6.1f} us per snapshot{verdict}")


def time_child(batches: int, batch: int) -> None:
    """One process's share of the --baseline comparison: the default case, ``batches`` batches."""
    isolate_environment()
    case = delete_case("default", Ids("child"))
    run_interleaved([case], batches, batch, keep_gc=False)
    print(json.dumps(case.samples))


COUNTED = ("default", "identity", "ten")
WARM_UP = 400
SEEDED = 1_400  # whatever the number of calls, so that both runs of a case seed alike


def count_child(case: str, calls: int) -> None:
    """What valgrind counts (``instructions.count``): set up, warm up, then ``calls`` deletes."""
    isolate_environment()
    rs = intercept()
    if case != "default":
        rs.add_identity(KEY, arn=USER, policies=[TEN_STATEMENTS] if case == "ten" else None)
    client = make_client(access_key_id=KEY) if case != "default" else make_client()
    if WARM_UP + calls > SEEDED:
        raise SystemExit(f"at most {SEEDED - WARM_UP} calls")
    ids = [f"snap-{index:05d}" for index in range(SEEDED)]
    for snapshot_id in ids:
        rs.add_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
    rs.start()
    for snapshot_id in ids[:WARM_UP]:
        client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id, SnapshotClusterIdentifier=CLUSTER)
    gc.collect()
    gc.freeze()
    gc.disable()
    for snapshot_id in ids[WARM_UP:WARM_UP + calls]:
        client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id, SnapshotClusterIdentifier=CLUSTER)


def instructions(baseline: Optional[str], calls: int, layouts: int) -> None:
    """Instructions per delete for each counted case (and the default case in
    ``baseline``), the median over memory layouts, as instructions.py counts them."""
    from concurrent.futures import ThreadPoolExecutor

    from instructions import INSTRUCTIONS, LAYOUT_STEP, per_call

    here = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["redshift_intercept"].__file__)))
    runs = [(case, here) for case in COUNTED] + ([("default", os.path.abspath(baseline))] if baseline else [])
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        jobs = {(case, root, layout): pool.submit(per_call, case, calls, layout, INSTRUCTIONS, __file__,
                                                  dict(os.environ, PYTHONPATH=root))
                for case, root in runs for layout in range(0, LAYOUT_STEP * layouts, LAYOUT_STEP)}
        counts: Dict[tuple, List[float]] = {}
        for (case, root, _), job in jobs.items():
            counts.setdefault((case, root), []).append(job.result()["I refs"] / 1000)
    default = statistics.median(counts["default", here])
    print(f"\n  instructions per delete (valgrind; median of {layouts} memory layouts, each layout's count)")
    for (case, root), values in counts.items():
        median = statistics.median(values)
        where = "" if root == here else f" in {root}"
        print(f"  {case + where:44} {median:8.1f} k  x{median / default:.3f}  "
              f"[{' '.join(f'{v:.1f}' for v in values)}]")


def against_baseline(baseline: str, rounds: int, batches: int, batch: int) -> Dict[str, List[float]]:
    """Medians per round of the default case here and in ``baseline``, each round one child of each."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["redshift_intercept"].__file__)))
    medians: Dict[str, List[float]] = {"here": [], "baseline": []}
    for _ in range(rounds):
        for label, root in (("here", here), ("baseline", os.path.abspath(baseline))):
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.dirname(os.path.abspath(__file__))]))
            done = subprocess.run([sys.executable, os.path.abspath(__file__), "--time-child", str(batches),
                                   str(batch)],
                                  capture_output=True, text=True, env=env, check=False, cwd=root)
            if done.returncode != 0:
                raise SystemExit(f"the {label} child failed:\n{done.stderr[-2000:]}")
            medians[label].append(statistics.median(json.loads(done.stdout)))
    return medians


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: about 30 seconds")
    parser.add_argument("--baseline", metavar="DIR", help="also time the default case against this checkout")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per delete with valgrind instead of timing (about 5 minutes)")
    parser.add_argument("--layouts", type=int, default=3, help="memory layouts to count under (--instructions)")
    parser.add_argument("--time-child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.time_child:
        time_child(*args.time_child)
        return 0
    if args.child:
        count_child(args.child[0], int(args.child[1]))
        return 0
    isolate_environment()
    repeats, batch = (8, 50) if args.quick else (30, 100)
    info = machine()
    print("IAM evaluation per call (issue 15)")
    for key in ("cpu", "python", "versions", "package source", "load average at start"):
        print(f"  {key}: {info[key]}")
    if args.instructions:
        instructions(args.baseline, 300 if args.quick else 1000, args.layouts)
        return 0

    ids = Ids("iam")
    default = delete_case("default (no identity)", ids)
    unevaluated = delete_case("identity, no policies", ids, identity=True)
    ten = delete_case("10-statement policy", ids, policies=[TEN_STATEMENTS], identity=True)
    batch_default = delete_case("batch of 100, default", ids, batch_size=100)
    batch_ten = delete_case("batch of 100, 10-statement policy", ids, policies=[TEN_STATEMENTS], identity=True,
                            batch_size=100)
    run_interleaved([default, unevaluated, ten], repeats, batch, keep_gc=False)
    run_interleaved([batch_default, batch_ten], max(3, repeats // 3), 300 if not args.quick else 200,
                    keep_gc=False)

    print(f"\n  us per snapshot deleted: median (fastest, slowest batch); {repeats} batches of {batch}")
    for case in (default, unevaluated, ten, batch_default, batch_ten):
        print(f"  {case.name:44} {case.median:8.1f} ({spread(case)})")
    print("\n  against the default identity (ratio, paired ratio, added time)")
    print(ratio_line("identity, no policies / default", unevaluated, default))
    print(ratio_line("10-statement policy / default", ten, default, TARGET))
    print(ratio_line("batch of 100: 10-statement policy / default", batch_ten, batch_default))

    if args.baseline:
        rounds, batches = (3, 4) if args.quick else (8, 10)
        medians = against_baseline(args.baseline, rounds, batches, batch)
        ratio = statistics.median(medians["here"]) / statistics.median(medians["baseline"])
        pair = paired(medians["here"], medians["baseline"])
        print(f"\n  default case, this checkout / {args.baseline}: {ratio:.3f} (paired {pair:.3f}) over {rounds} "
              f"rounds of one process each; here {statistics.median(medians['here']):.1f} us, baseline "
              f"{statistics.median(medians['baseline']):.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
