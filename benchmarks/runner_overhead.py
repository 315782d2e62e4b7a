#!/usr/bin/env python
"""What ``redshift-intercept run`` adds to a program (issue 12), in whole processes.

    python benchmarks/runner_overhead.py            # 9 rounds, about a minute
    python benchmarks/runner_overhead.py --rounds 21

Two pairs, each timed from process start to exit (wall clock), the cases of
a round run back to back in a rotating order, median over rounds:

1. ``python -c pass`` against ``redshift-intercept run -- python -c pass``:
   the runner's own cost (its process, the state file, the report, the
   start-up hook in a program that never imports botocore).
2. A boto3 program that lists 100 seeded snapshots with the paginator,
   answered by an in-process interceptor (``with intercept()`` +
   ``load_snapshots`` in the program itself) against the same listing under
   ``run --snapshots`` (seeding in the runner's process, SQLite state, the
   call journal, the report).

"adds" is the median of the per-round differences (paired), next to the
difference of the medians; the CPU time every process of a case used
(user + system) is given too, since on a busy machine it moves less than
wall time. Target: the runner adds at most 0.25 s.
Nothing leaves the machine: dummy credentials, and every call is answered.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Tuple

TARGET = 0.25

PROGRAM = '''
import sys
import boto3

def listed(client):
    return sum(len(page["Snapshots"]) for page in
               client.get_paginator("describe_cluster_snapshots").paginate(PaginationConfig={"PageSize": 100}))

if sys.argv[1:2] == ["--in-process"]:
    from redshift_intercept import intercept

    with intercept() as rs:
        rs.load_snapshots(sys.argv[2])
        count = listed(boto3.client("redshift"))
else:
    count = listed(boto3.client("redshift"))
assert count == 100, count
'''


def environment() -> dict:
    # PYTHONDONTWRITEBYTECODE would compile our modules from source in every
    # process, twice under the runner (its process and the program's): a cost
    # of that setting, not of the runner. The warm-up writes the .pyc files.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AWS_") and key != "PYTHONDONTWRITEBYTECODE"}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def seed(path: pathlib.Path) -> None:
    snapshots = [{"SnapshotIdentifier": f"nightly-{number:03d}", "ClusterIdentifier": "prod",
                  "SnapshotCreateTime": f"2024-05-01T{number // 60:02d}:{number % 60:02d}:00Z"}
                 for number in range(100)]
    path.write_text(json.dumps({"Snapshots": snapshots}))


def timed(command: list, env: dict) -> Tuple[float, float]:
    """(wall seconds, CPU seconds of the process and every child it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def header() -> str:
    import botocore

    import redshift_intercept

    package = pathlib.Path(redshift_intercept.__file__).parent
    try:
        commit = subprocess.run(["git", "-C", str(package), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "?"
    except OSError:
        commit = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"# {package} (git {commit}); Python {platform.python_version()}, botocore {botocore.__version__}; "
            f"{os.cpu_count()} CPUs, load average {load:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(header())
    python, run = sys.executable, [sys.executable, "-m", "redshift_intercept", "run"]
    with tempfile.TemporaryDirectory() as work:
        workdir = pathlib.Path(work)
        seed_file, program, report = workdir / "seed.json", workdir / "list100.py", workdir / "report.txt"
        seed(seed_file)
        program.write_text(PROGRAM)
        cases = {
            "pass": [python, "-c", "pass"],
            "run pass": [*run, "--report-file", str(report), "--", python, "-c", "pass"],
            "in-process": [python, str(program), "--in-process", str(seed_file)],
            "run list": [*run, "--snapshots", str(seed_file), "--report-file", str(report), "--", python,
                         str(program)],
        }
        env = environment()
        for command in cases.values():  # warm-up: caches, .pyc files
            timed(command, env)
        times: dict = {name: [] for name in cases}
        cpu: dict = {name: [] for name in cases}
        names = list(cases)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                wall, used = timed(cases[name], env)
                times[name].append(wall)
                cpu[name].append(used)
    rows = [("`python -c pass`", "pass", "run pass"),
            ("boto3 program listing 100 seeded snapshots (direct: in-process interceptor)", "in-process", "run list")]
    print(f"\n{args.rounds} rounds; wall seconds, median (min-max); CPU: user + system seconds of every process\n")
    print("| program | direct | under `redshift-intercept run` | the runner adds (paired) | CPU it adds | target |")
    print("|---|---|---|---|---|---|")
    failed = False
    for label, direct, under in rows:
        paired = statistics.median(u - d for u, d in zip(times[under], times[direct], strict=True))
        medians = statistics.median(times[under]) - statistics.median(times[direct])
        cpu_added = statistics.median(u - d for u, d in zip(cpu[under], cpu[direct], strict=True))
        verdict = "PASS" if paired <= TARGET else "FAIL"
        failed |= verdict == "FAIL"
        print(f"| {label} | {describe(times[direct])} | {describe(times[under])} | {medians:.2f} ({paired:.2f}) "
              f"| {cpu_added:.2f} | <= {TARGET} s: {verdict} |")
    return 1 if failed else 0


def describe(values: list) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    sys.exit(main())
