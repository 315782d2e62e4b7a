#!/usr/bin/env python
"""Benchmarks for issue 17: the HTTP endpoint (``redshift-intercept serve``)
against moto's own server (``moto_server``), on this machine, in one run.

    python benchmarks/endpoint.py            # full run, about 15 minutes on 2 cores
    python benchmarks/endpoint.py --quick    # about 4 minutes: 1 round, shorter runs

Two measurements, for DeleteClusterSnapshot and DescribeClusterSnapshots by
id, with 1, 4 and 16 concurrent clients:

1. **Server capacity**: wrk (``apt-get install wrk``) sends a fixed, signed
   query body on kept-alive connections, so the client costs almost nothing
   and the numbers are the server's: requests per second, p50/p99 latency,
   and the server process's CPU time per request (from /proc), which the
   other jobs of a shared machine disturb least. Each cell runs ours and moto
   back to back, in alternating order per round; the ratio of a cell is the
   median of its per-round ratios (paired).
2. **boto3 end to end**: 1, 4 or 16 client processes, each with its own boto3
   client, make a fixed number of calls between them, against ours, moto, and
   in-process interception (``intercept()`` in each client process, no HTTP).
   On a 2-core machine the clients share the CPU with the server, and an HTTP
   call costs boto3 itself about 1 ms more than an intercepted one, so these
   ratios say as much about the clients as about the servers; the latency
   added by going over HTTP is read off the one-client row.

Both servers are separate processes on 127.0.0.1 with the same snapshots.
Ours is served exactly as ``redshift-intercept serve`` serves (the same door,
uvicorn set-up and call journal), but seeded by copying one record, since
seeding 100,000 snapshots through ``--snapshots`` validates each one and takes
most of a minute. moto is seeded through its API (CreateClusterSnapshot,
driven by wrk). Every server started here is stopped before the script ends.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "bench"
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/redshift/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000")
DESCRIBE_IDS = 1000
CONCURRENCY = (1, 4, 16)
OPS = ("describe", "delete")
TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {port} within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Server:
    def __init__(self, name: str, args: List[str], port: int) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        # Not a pipe: moto logs every request to stderr, and a full pipe would stop it.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(port, self.process, name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_ours(ids: Dict[str, int], journal: bool = True) -> Server:
    port = free_port()
    return Server("redshift-intercept", [sys.executable, os.path.abspath(__file__), "--serve-seeded", str(port),
                                         json.dumps(ids), "journal" if journal else "no-journal"], port)


def serve_seeded(port: int, ids: Dict[str, int], journal: bool) -> None:
    """What ``redshift-intercept serve`` runs (journal on, as by default, or off:
    ``--no-journal``), on a backend seeded by copying one record."""
    from redshift_intercept import intercept
    from redshift_intercept._http import MAX_BODY, QueryDoor
    from redshift_intercept._server import bind, run_forever

    rs = intercept(journal=journal, account_id=ACCOUNT, region=REGION)
    template = rs.add_snapshot(SnapshotIdentifier="template", ClusterIdentifier=CLUSTER)
    rs.backend.remove(ACCOUNT, REGION, "template", lambda record: None)
    for prefix, count in ids.items():
        for n in range(count):
            record = copy.deepcopy(template)
            record["SnapshotIdentifier"] = snapshot_id = f"{prefix}{n}"
            record["SnapshotArn"] = f"arn:aws:redshift:{REGION}:{ACCOUNT}:snapshot:{CLUSTER}/{snapshot_id}"
            rs.backend.insert(ACCOUNT, REGION, record)
    door = QueryDoor(rs._service, rs.account_id, rs.region, record_calls=False)
    run_forever(door, bind("127.0.0.1", port), MAX_BODY)


def start_moto() -> Server:
    moto = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    if not os.path.exists(moto):
        raise SystemExit("moto_server not found: pip install -e '.[bench]'")
    port = free_port()
    server = Server("moto_server", [moto, "-H", "127.0.0.1", "-p", str(port)], port)
    client = boto3_client(server.url)
    client.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", MasterUsername="awsuser",
                          MasterUserPassword="Passw0rd1", ClusterType="single-node")
    return server


def seed_moto(server: Server, prefix: str, count: int, workdir: str) -> None:
    """``count`` snapshots named prefix0..: wrk drives CreateClusterSnapshot
    (boto3 clients would take much of the CPU moto needs), for as long as
    200 creations a second take; boto3 creates whatever is left."""
    from concurrent.futures import ThreadPoolExecutor

    script = lua(workdir, "create", prefix, count, limit=count)
    run_wrk(server.url, script, connections=4, seconds=count / 200 + 2)
    client = boto3_client(server.url)

    def exists(n: int) -> bool:
        try:
            return bool(client.describe_cluster_snapshots(SnapshotIdentifier=f"{prefix}{n}")["Snapshots"])
        except client.exceptions.ClusterSnapshotNotFoundFault:
            return False

    low, high = 0, count  # wrk creates in order: find where it stopped
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if exists(middle) else (low, middle)
    # moto refused the very first creation now and then (a cluster it had not yet made available)
    missing = [n for n in range(min(10, low)) if not exists(n)] + list(range(low, count))

    def create(n: int) -> None:
        try:
            client.create_cluster_snapshot(SnapshotIdentifier=f"{prefix}{n}", ClusterIdentifier=CLUSTER)
        except client.exceptions.ClusterSnapshotAlreadyExistsFault:
            pass  # wrk's last requests may have finished out of order

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, missing))


def boto3_client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.Session().client("redshift", region_name=REGION, endpoint_url=url, aws_access_key_id="AKIDBENCH",
                                  aws_secret_access_key="bench",
                                  config=Config(retries={"total_max_attempts": 1}, read_timeout=120))


# ---------------------------------------------------------------- wrk


BODIES = {
    "describe": "Action=DescribeClusterSnapshots&Version=2012-12-01&SnapshotIdentifier=",
    "delete": "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=",
    "create": f"Action=CreateClusterSnapshot&Version=2012-12-01&ClusterIdentifier={CLUSTER}&SnapshotIdentifier=",
}


def lua(workdir: str, op: str, prefix: str, modulus: int, limit: Optional[int] = None) -> str:
    """A wrk script: ``op`` on prefix0, prefix1, ... (wrapping at ``modulus``;
    with ``limit``, stopping after that many), with a summary line of JSON."""
    path = os.path.join(workdir, f"{op}-{prefix}.lua")
    stop = "" if limit is None else f"if n >= {limit} then wrk.thread:stop() end"
    with open(path, "w") as handle:
        handle.write(f"""
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "{AUTH}"
wrk.headers["X-Amz-Date"] = "20240101T000000Z"
request = function()
  local id = n % {modulus}
  n = n + 1
  return wrk.format(nil, "/", nil, "{BODIES[op]}{prefix}" .. id)
end
response = function(status, headers, body)
  {stop}
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {{"requests": %d, "us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d}}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
""")
    return path


def run_wrk(url: str, script: str, connections: int, seconds: float) -> Dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", script, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {done.stdout}\n{done.stderr}")
    result = json.loads(line[5:])
    result["rps"] = result["requests"] / (result["us"] / 1e6)
    return result


def capacity_cell(server: Server, script: str, connections: int, seconds: float) -> Dict[str, Any]:
    before = cpu_seconds(server.process.pid)
    result = run_wrk(server.url, script, connections, seconds)
    result["cpu_ms"] = (cpu_seconds(server.process.pid) - before) * 1000 / max(result["requests"], 1)
    return result


# ---------------------------------------------------------------- boto3 clients


WORKER = r"""
import json, os, sys, time
target, url, op, prefix, first, count = sys.argv[1:7]
first, count = int(first), int(count)
import boto3
from botocore.config import Config
config = Config(retries={"total_max_attempts": 1})
if target == "in-process":
    from redshift_intercept import intercept
    rs = intercept().start()
    for n in range(first, first + count):
        rs.add_snapshot(SnapshotIdentifier=f"{prefix}{n}", ClusterIdentifier="bench")
    url = "http://127.0.0.1:9"
client = boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=url,
                                aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench", config=config)
call = client.delete_cluster_snapshot if op == "delete" else client.describe_cluster_snapshots
for n in range(first, first + min(count, 20)):  # warm up: connection, parser, exception classes
    client.describe_cluster_snapshots(SnapshotIdentifier=f"{prefix}{n}")
print("ready", flush=True)
sys.stdin.readline()
latencies = []
cpu = os.times()
for n in range(first, first + count):
    started = time.perf_counter()
    call(SnapshotIdentifier=f"{prefix}{n}")
    latencies.append(time.perf_counter() - started)
ended = time.time()
after = os.times()
print(json.dumps({"latencies": latencies, "ended": ended,
                  "cpu": after.user + after.system - cpu.user - cpu.system}), flush=True)
"""


def clients_cell(target: str, url: str, op: str, prefix: str, processes: int, total: int) -> Dict[str, Any]:
    """``total`` calls split among ``processes`` client processes, started together."""
    share = total // processes
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, target, url, op, prefix, str(i * share), str(share)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
               for i in range(processes)]
    for worker in workers:
        line = worker.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"a {target} client did not start: {line!r}")
    started = time.time()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = [json.loads(worker.stdout.readline()) for worker in workers]
    for worker in workers:
        worker.wait(60)
    latencies = sorted(x for r in results for x in r["latencies"])
    elapsed = max(r["ended"] for r in results) - started
    return {"calls_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "client_cpu_ms": sum(r["cpu"] for r in results) * 1000
            / len(latencies)}


def percentile(values: List[float], p: float) -> float:
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s per cell, fewer boto3 calls")
    parser.add_argument("--rounds", type=int, help="rounds of the capacity cells (default 3; quick 1)")
    parser.add_argument("--seconds", type=float, help="seconds per capacity cell (default 5; quick 2)")
    parser.add_argument("--calls", type=int, help="boto3 calls per end-to-end cell (default 480; quick 160)")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement as JSON")
    parser.add_argument("--serve-seeded", nargs=3, metavar=("PORT", "IDS", "JOURNAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_seeded:
        serve_seeded(int(args.serve_seeded[0]), json.loads(args.serve_seeded[1]), args.serve_seeded[2] == "journal")
        return
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    calls = args.calls or (160 if args.quick else 480)
    print(header(rounds, seconds, calls))
    results: Dict[str, Any] = {"capacity": [], "journal": [], "clients": []}
    with tempfile.TemporaryDirectory(prefix="endpoint-bench-") as workdir:
        servers: List[Server] = []
        try:
            capacity(results, servers, workdir, rounds, seconds)
            journal_cost(results, servers, workdir, rounds, seconds)
            clients(results, servers, workdir, calls)
        finally:
            for server in servers:
                server.stop()
    report(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


def capacity(results: Dict[str, Any], servers: List[Server], workdir: str, rounds: int, seconds: float) -> None:
    # Deletes need a fresh snapshot each: size the seed from a first describe run of each server.
    moto = start_moto()
    servers.append(moto)
    seed_moto(moto, "d-", DESCRIBE_IDS, workdir)
    probe = start_ours({"d-": DESCRIBE_IDS})
    servers.append(probe)
    script = lua(workdir, "describe", "d-", DESCRIBE_IDS)
    rate = {"ours": run_wrk(probe.url, script, 16, 2)["rps"], "moto": run_wrk(moto.url, script, 16, 2)["rps"]}
    # wrk cannot stop after a number of requests (its run always lasts its duration), so a cell that
    # runs out of snapshots would understate its rate: seed well above the probe's.
    per_cell = {"ours": int(rate["ours"] * seconds * 2.5) + 1000, "moto": int(rate["moto"] * seconds * 2) + 500}
    cells = [(r, c) for r in range(rounds) for c in CONCURRENCY]
    sys.stderr.write(f"seeding: {per_cell['ours'] * len(cells):,} snapshots in ours (copies), "
                     f"{per_cell['moto'] * len(cells):,} in moto (through its API; slow)\n")
    probe.stop()
    servers.remove(probe)
    ours = start_ours({"d-": DESCRIBE_IDS, **{f"x{r}-{c}-": per_cell["ours"] for r, c in cells}})
    servers.append(ours)
    for r, c in cells:
        seed_moto(moto, f"x{r}-{c}-", per_cell["moto"], workdir)
    pair = {"ours": ours, "moto": moto}
    for op in OPS:
        for r in range(rounds):
            for c in CONCURRENCY:
                order = ("ours", "moto") if (r + c) % 2 == 0 else ("moto", "ours")
                for name in order:
                    if op == "describe":
                        script = lua(workdir, "describe", "d-", DESCRIBE_IDS)
                    else:
                        script = lua(workdir, "delete", f"x{r}-{c}-", per_cell[name], limit=per_cell[name])
                    cell = capacity_cell(pair[name], script, c, seconds)
                    cell.update({"op": op, "round": r, "connections": c, "server": name})
                    if op == "delete" and cell["requests"] >= per_cell[name] * 0.95:
                        cell["ran_out"] = True
                    results["capacity"].append(cell)
                    sys.stderr.write(f"capacity {op} c={c} round {r + 1}: {name} {cell['rps']:,.0f} req/s, "
                                     f"{cell['cpu_ms']:.2f} ms CPU/req\n")


def journal_cost(results: Dict[str, Any], servers: List[Server], workdir: str, rounds: int, seconds: float) -> None:
    """What the call journal (on by default) costs: describe-by-id, 4 connections, with and without."""
    for server in list(servers):
        server.stop()
        servers.remove(server)
    pair = {"journal": start_ours({"d-": DESCRIBE_IDS}), "no-journal": start_ours({"d-": DESCRIBE_IDS}, False)}
    servers.extend(pair.values())
    script = lua(workdir, "describe", "d-", DESCRIBE_IDS)
    for r in range(rounds):
        for name in (("journal", "no-journal") if r % 2 == 0 else ("no-journal", "journal")):
            cell = capacity_cell(pair[name], script, 4, seconds)
            cell.update({"round": r, "server": name})
            results["journal"].append(cell)
            sys.stderr.write(f"journal cost round {r + 1}: {name} {cell['rps']:,.0f} req/s, "
                             f"{cell['cpu_ms']:.2f} ms CPU/req\n")


def clients(results: Dict[str, Any], servers: List[Server], workdir: str, calls: int) -> None:
    for server in list(servers):
        server.stop()
        servers.remove(server)
    prefixes = {f"e{c}-": calls for c in CONCURRENCY}
    moto = start_moto()
    servers.append(moto)
    seed_moto(moto, "d-", DESCRIBE_IDS, workdir)
    for prefix, count in prefixes.items():
        seed_moto(moto, prefix, count, workdir)
    ours = start_ours({"d-": DESCRIBE_IDS, **prefixes})
    servers.append(ours)
    urls = {"in-process": "", "ours": ours.url, "moto": moto.url}
    for op in OPS:
        for c in CONCURRENCY:
            for target in ("in-process", "ours", "moto"):
                prefix = "d-" if op == "describe" else f"e{c}-"
                server = {"ours": ours, "moto": moto}.get(target)
                before = cpu_seconds(server.process.pid) if server else 0.0
                cell = clients_cell(target, urls[target], op, prefix, c, calls)
                if server:  # the warm-up calls of each client reached the server too
                    answered = calls + c * min(calls // c, 20)
                    cell["server_cpu_ms"] = (cpu_seconds(server.process.pid) - before) * 1000 / answered
                cell.update({"op": op, "processes": c, "target": target})
                results["clients"].append(cell)
                sys.stderr.write(f"boto3 {op} x{c}: {target} {cell['calls_per_s']:,.0f} calls/s, "
                                 f"p50 {cell['p50_ms']:.2f} ms\n")


# ---------------------------------------------------------------- report


def header(rounds: int, seconds: float, calls: int) -> str:
    import redshift_intercept

    versions = []
    for name in ("uvicorn", "h11", "httptools", "moto", "botocore"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:
            versions.append(f"{name} not installed")
    commit = ""
    root = os.path.dirname(os.path.dirname(os.path.abspath(redshift_intercept.__file__)))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except OSError:
        pass
    return (f"# redshift-intercept serve vs moto_server (git {commit or '?'})\n\n"
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; {', '.join(versions)}. Load average at the start: "
            f"{os.getloadavg()[0]:.1f}. Capacity cells: {rounds} round(s) of {seconds:g} s; boto3 cells: "
            f"{calls} calls.")


def report(results: Dict[str, Any]) -> None:
    print("\n## Server capacity (wrk, one kept-alive connection per client)\n")
    print("| op | clients | ours req/s | moto req/s | ratio (paired) | ours p50 / p99 ms | moto p50 / p99 ms "
          "| CPU ms/req ours / moto | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    flags = []
    for op in OPS:
        for c in CONCURRENCY:
            cells = [x for x in results["capacity"] if x["op"] == op and x["connections"] == c]
            mine = [x for x in cells if x["server"] == "ours"]
            theirs = [x for x in cells if x["server"] == "moto"]
            ratios = [a["rps"] / b["rps"] for a, b in zip(mine, theirs, strict=True)]
            cpu_ratios = [b["cpu_ms"] / a["cpu_ms"] for a, b in zip(mine, theirs, strict=True)]
            med = lambda key, xs: statistics.median(x[key] for x in xs)  # noqa: E731
            print(f"| {op} | {c} | {med('rps', mine):,.0f} | {med('rps', theirs):,.0f} | "
                  f"{statistics.median(ratios):.2f}x | {med('p50_us', mine) / 1000:.2f} / "
                  f"{med('p99_us', mine) / 1000:.2f} | {med('p50_us', theirs) / 1000:.2f} / "
                  f"{med('p99_us', theirs) / 1000:.2f} | {med('cpu_ms', mine):.2f} / {med('cpu_ms', theirs):.2f} | "
                  f"{statistics.median(cpu_ratios):.2f}x |")
            for x in cells:
                if x["non2xx"] or x["socket_errors"] or x.get("ran_out"):
                    ran_out = ", ran out of snapshots" if x.get("ran_out") else ""
                    flags.append(f"{x['server']} {op} c={c} round {x['round'] + 1}: {x['non2xx']} non-2xx, "
                                 f"{x['socket_errors']} socket errors{ran_out}")
    if flags:
        print("\nFlagged (these cells are not clean):\n" + "\n".join(f"- {f}" for f in flags))
    on = [x for x in results["journal"] if x["server"] == "journal"]
    off = [x for x in results["journal"] if x["server"] == "no-journal"]
    print("\n## The call journal (describe-by-id, 4 connections)\n")
    print(f"CPU ms/req with the journal (default) / with --no-journal: "
          f"{statistics.median(x['cpu_ms'] for x in on):.2f} / {statistics.median(x['cpu_ms'] for x in off):.2f} "
          f"(paired ratio {statistics.median(a['cpu_ms'] / b['cpu_ms'] for a, b in zip(on, off, strict=True)):.2f}); "
          f"req/s {statistics.median(x['rps'] for x in on):,.0f} / {statistics.median(x['rps'] for x in off):,.0f}.")
    print("\n## boto3 end to end (client processes on the same 2 cores as the server)\n")
    print("| op | client processes | in-process calls/s | ours calls/s | moto calls/s | ours / moto | "
          "p50 ms in-process / ours / moto | client CPU ms/call in-process / ours / moto | "
          "server CPU ms/call ours / moto |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op in OPS:
        for c in CONCURRENCY:
            row = {x["target"]: x for x in results["clients"] if x["op"] == op and x["processes"] == c}
            local, ours, moto = row["in-process"], row["ours"], row["moto"]
            print(f"| {op} | {c} | {local['calls_per_s']:,.0f} | {ours['calls_per_s']:,.0f} | "
                  f"{moto['calls_per_s']:,.0f} | {ours['calls_per_s'] / moto['calls_per_s']:.2f}x | "
                  f"{local['p50_ms']:.2f} / {ours['p50_ms']:.2f} / {moto['p50_ms']:.2f} | "
                  f"{local['client_cpu_ms']:.2f} / {ours['client_cpu_ms']:.2f} / {moto['client_cpu_ms']:.2f} | "
                  f"{ours['server_cpu_ms']:.2f} / {moto['server_cpu_ms']:.2f} |")
    print("\nLatency added over in-process interception (one client, p50):")
    for op in OPS:
        row = {x["target"]: x for x in results["clients"] if x["op"] == op and x["processes"] == 1}
        print(f"- {op}: +{row['ours']['p50_ms'] - row['in-process']['p50_ms']:.2f} ms through our endpoint "
              f"({row['in-process']['p50_ms']:.2f} -> {row['ours']['p50_ms']:.2f} ms); moto's server: "
              f"+{row['moto']['p50_ms'] - row['in-process']['p50_ms']:.2f} ms")


if __name__ == "__main__":
    main()
