"""Start-up cost, in fresh interpreters."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Dict, List

from harness import Settings

STARTUP_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
if sys.argv[1] == "after-boto3":
    import boto3
    t0 = time.perf_counter()
import redshift_intercept
t1 = time.perf_counter()
import boto3
from botocore.config import Config
rs = redshift_intercept.intercept().start()
client = boto3.client("redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                      aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
t2 = time.perf_counter()
rs.add_snapshot(SnapshotIdentifier="first")
t3 = time.perf_counter()
client.delete_cluster_snapshot(SnapshotIdentifier="first")
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "client": t2 - t1, "seed": t3 - t2, "call": t4 - t3}))
"""


BASELINE_CODE = r"""
import json, time
t0 = time.perf_counter()
import boto3
from botocore.config import Config
from botocore.stub import Stubber
t1 = time.perf_counter()
client = boto3.client("redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                      aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
t2 = time.perf_counter()
stubber = Stubber(client)
stubber.add_response("delete_cluster_snapshot", {"Snapshot": {"SnapshotIdentifier": "first"}})
stubber.activate()
t3 = time.perf_counter()
client.delete_cluster_snapshot(SnapshotIdentifier="first")
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "client": t2 - t1, "seed": t3 - t2, "call": t4 - t3}))
"""


def bench_startup(settings: Settings) -> Dict[str, Dict[str, float]]:
    """Fresh interpreters; median of ``startup_runs`` of each kind (ms)."""
    runs: Dict[str, List[dict]] = {"cold": [], "after-boto3": [], "baseline": []}
    for _ in range(settings.startup_runs):
        for kind in runs:
            code = BASELINE_CODE if kind == "baseline" else STARTUP_CODE
            out = subprocess.run([sys.executable, "-c", code, kind], check=True, capture_output=True,
                                 text=True, env=os.environ.copy())
            runs[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {kind: {key: statistics.median(r[key] for r in samples) * 1000 for key in samples[0]}
            for kind, samples in runs.items()}
