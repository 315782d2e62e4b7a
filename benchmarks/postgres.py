"""PostgresBackend next to MemoryBackend and SqliteBackend, in one run.

    .ci/pg-throwaway.sh run -- python benchmarks/postgres.py [--quick] [--dsn DSN]

- per call, whole boto3 calls through ``intercept()``: ``delete_cluster_snapshot``
  and describe-by-id on each backend, with 10 and 100,000 stored snapshots
  (``--quick``: 10,000), in interleaved rounds; the PostgreSQL/SQLite ratio is
  given as the ratio of medians and paired (median of per-round ratios);
- a describe page of 20 from the middle of the listing (by ``Marker``) with
  1,000 and 100,000 stored: PostgreSQL pages from its index (``PageScan``),
  the others list and sort everything;
- throughput: 1, 4 and 8 processes deleting their own snapshots at once on
  one database (calls per second, all processes together), next to a control:
  as many processes each deleting from a MemoryBackend of its own, which share
  nothing, so that their growth is what the machine gives more processes;
- PASS/FAIL for the issue 16 target: PostgreSQL delete within 3x SQLite's.

The DSN comes from ``--dsn`` or ``REDSHIFT_INTERCEPT_TEST_POSTGRES``; the run
works in namespaces of its own and clears them at the end. Timings on a shared
machine are noisy: read the paired ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Dict, List, Optional

from redshift_intercept import MemoryBackend, SqliteBackend, intercept
from redshift_intercept._backend import DUE
from redshift_intercept._postgres import PostgresBackend
from redshift_intercept._records import new_snapshot
from redshift_intercept._sqlite import encode_record
from redshift_intercept.testing import make_client

ACCOUNT, REGION = "123456789012", "us-east-1"
UTC = dt.timezone.utc


def _record(name: str, i: int) -> Dict[str, Any]:
    created = dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=(i * 7919) % 1_000_003)
    return new_snapshot(ACCOUNT, REGION, {"SnapshotIdentifier": name, "SnapshotCreateTime": created})


def _seed(backend: Any, count: int) -> None:
    """``count`` snapshots named s0000000..., the fastest way each backend takes them."""
    records = [_record(f"s{i:07d}", i) for i in range(count)]
    if isinstance(backend, PostgresBackend):  # COPY: 100,000 single inserts would take minutes
        import psycopg

        with psycopg.connect(os.environ["_BENCH_DSN"]) as conn, conn.cursor() as cursor, cursor.copy(
                f'COPY "{backend.schema}".snapshots (namespace, account_id, region, snapshot_id, created_at, '
                "owner, due, snapshot_type, record) FROM STDIN") as copy:
            for r in records:  # every column the backend copies out of a record, as it writes them
                copy.write_row((backend.namespace, ACCOUNT, REGION, r["SnapshotIdentifier"],
                                r["SnapshotCreateTime"], ACCOUNT, r.get(DUE), r["SnapshotType"], encode_record(r)))
        with psycopg.connect(os.environ["_BENCH_DSN"], autocommit=True) as conn:
            conn.execute(f'ANALYZE "{backend.schema}".snapshots')
        return
    backend.atomic(lambda: [backend.insert(ACCOUNT, REGION, r) for r in records])


class Case:
    """One backend with one store size: an interceptor and its fresh victims."""

    def __init__(self, name: str, backend: Any, stored: int) -> None:
        self.name, self.backend, self.stored = name, backend, stored
        _seed(backend, stored)
        self.rs = intercept(backend=backend)
        self.victims = 0

    def fresh(self, count: int) -> List[str]:
        names = [f"v{self.victims + i:07d}" for i in range(count)]
        self.backend.atomic(lambda: [self.backend.insert(ACCOUNT, REGION, _record(n, i)) for i, n in enumerate(names)])
        self.victims += count
        return names


def _time(calls: Callable[[], int], rs: Any) -> float:
    """Seconds per call of one batch, gc off."""
    gc.collect()
    gc.disable()
    try:
        with rs:
            started = time.perf_counter()
            count = calls()
            return (time.perf_counter() - started) / count
    finally:
        gc.enable()


def per_call(cases: List[Case], rounds: int, batch: int, client: Any) -> Dict[str, Dict[str, List[float]]]:
    results: Dict[str, Dict[str, List[float]]] = {c.name: {"delete": [], "describe": []} for c in cases}
    existing = [f"s{i:07d}" for i in range(0, 10, 3)]
    for round_number in range(rounds + 1):  # round 0: warm-up, not kept
        for case in cases:
            names = case.fresh(batch)

            def deletes(names: List[str] = names) -> int:
                for name in names:
                    client.delete_cluster_snapshot(SnapshotIdentifier=name)
                return len(names)

            def describes() -> int:
                for i in range(batch):
                    client.describe_cluster_snapshots(SnapshotIdentifier=existing[i % len(existing)])
                return batch

            describe_time = _time(describes, case.rs)
            delete_time = _time(deletes, case.rs)
            if round_number:
                results[case.name]["describe"].append(describe_time)
                results[case.name]["delete"].append(delete_time)
    return results


def page_costs(cases: List[Case], rounds: int, client: Any) -> Dict[str, List[float]]:
    results: Dict[str, List[float]] = {c.name: [] for c in cases}
    for round_number in range(rounds + 1):
        for case in cases:
            with case.rs:  # a marker from the middle of the listing
                marker = None
                for _ in range(3 if case.stored <= 1000 else 1):
                    kwargs = {"Marker": marker} if marker else {}
                    marker = client.describe_cluster_snapshots(MaxRecords=100, **kwargs)["Marker"]

            def page(marker: Optional[str] = marker) -> int:
                client.describe_cluster_snapshots(MaxRecords=20, Marker=marker)
                return 1

            spent = _time(page, case.rs)
            if round_number:
                results[case.name].append(spent)
    return results


def _deleter(dsn: Optional[str], namespace: str, count: int, start: Any) -> tuple:
    """Delete ``count`` snapshots of this process's own; ``dsn=None``: on a
    MemoryBackend of its own (shares nothing: what the machine allows)."""
    backend: Any = MemoryBackend() if dsn is None else PostgresBackend(dsn, namespace=namespace)
    client = make_client()
    with intercept(backend=backend) as rs:
        for i in range(count):
            rs.add_snapshot(SnapshotIdentifier=f"p{os.getpid()}-{i}")
        client.describe_cluster_snapshots(SnapshotIdentifier=f"p{os.getpid()}-0")  # warm
        start.wait(300)
        began = time.perf_counter()
        for i in range(count):
            client.delete_cluster_snapshot(SnapshotIdentifier=f"p{os.getpid()}-{i}")
        ended = time.perf_counter()
    if dsn is None:
        return began, ended, 0
    backend.close()
    return began, ended, backend.conflicts


def throughput(dsn: Optional[str], processes: int, count: int) -> tuple:
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(processes)
        with context.Pool(processes) as pool:
            spans = pool.starmap(_deleter, [(dsn, namespace, count, start)] * processes)
    if dsn is not None:
        with PostgresBackend(dsn, namespace=namespace) as backend:
            backend.clear()
    rate = processes * count / (max(span[1] for span in spans) - min(span[0] for span in spans))
    return rate, sum(span[2] for span in spans)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us"


def _paired(a: List[float], b: List[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller stores and fewer rounds (about 2 minutes)")
    parser.add_argument("--dsn", default=os.environ.get("REDSHIFT_INTERCEPT_TEST_POSTGRES"))
    parser.add_argument("--only", choices=("calls", "pages", "throughput"), help="run one section")
    args = parser.parse_args()
    if not args.dsn:
        parser.error("no DSN: pass --dsn, or run under .ci/pg-throwaway.sh run -- python benchmarks/postgres.py")
    os.environ["_BENCH_DSN"] = args.dsn
    big = 10_000 if args.quick else 100_000
    rounds, batch = (5, 100) if args.quick else (10, 200)
    tmp = tempfile.mkdtemp(prefix="bench-pg-")
    made: List[PostgresBackend] = []

    def pg() -> PostgresBackend:
        made.append(PostgresBackend(args.dsn, namespace=f"bench-{uuid.uuid4().hex[:12]}"))
        return made[-1]

    import psycopg

    with psycopg.connect(args.dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', "
                                     "'synchronous_commit')").fetchall())
    print(f"# benchmarks/postgres.py{' --quick' if args.quick else ''}: PostgreSQL {server} (server fsync="
          f"{settings.get('fsync')}; our sessions synchronous_commit=off), Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    client = make_client()
    verdict: List[float] = []
    try:
        if args.only in (None, "calls"):
            verdict = _calls(args, big, rounds, batch, client, tmp, pg)
        if args.only in (None, "pages"):
            _pages(big, rounds, client, tmp, pg)
        if args.only in (None, "throughput"):
            _throughput(args)
        if verdict:
            target = statistics.median(verdict)
            print(f"\nissue 16 target, PostgreSQL delete within 3x SQLite's (paired, median over store sizes): "
                  f"{target:.2f} -> {'PASS' if target <= 3 else 'FAIL'}")
    finally:
        for backend in made:
            backend.clear()
            backend.close()
    return 0


def _calls(args: Any, big: int, rounds: int, batch: int, client: Any, tmp: str,
           pg: Callable[[], Any]) -> List[float]:
    print(f"\n## Per call: {rounds} interleaved rounds of {batch} calls (median per call; fastest-slowest round)")
    sizes = [10, big]
    cases = []
    for stored in sizes:
        cases += [Case(f"memory {stored:,}", MemoryBackend(), stored),
                  Case(f"sqlite {stored:,}", SqliteBackend(os.path.join(tmp, f"{stored}.db")), stored),
                  Case(f"postgres {stored:,}", pg(), stored)]
    results = per_call(cases, rounds, batch, client)
    print("\n| backend, stored | delete | describe-by-id |\n|---|---|---|")
    for case in cases:
        cells = [f"{_us(statistics.median(r))} ({_us(min(r))}-{_us(max(r))})"
                 for r in (results[case.name]["delete"], results[case.name]["describe"])]
        print(f"| {case.name} | {cells[0]} | {cells[1]} |")
    print("\n| ratio | delete | describe-by-id |\n|---|---|---|")
    verdict: List[float] = []
    for stored in sizes:
        for other in ("sqlite", "memory"):
            a, b = results[f"postgres {stored:,}"], results[f"{other} {stored:,}"]
            cells = [f"{statistics.median(a[op]) / statistics.median(b[op]):.2f} (paired "
                     f"{_paired(a[op], b[op]):.2f})" for op in ("delete", "describe")]
            print(f"| postgres / {other}, {stored:,} stored | {cells[0]} | {cells[1]} |")
            if other == "sqlite":
                verdict.append(_paired(a["delete"], b["delete"]))
    for name in ("memory", "sqlite", "postgres"):
        a, b = results[f"{name} {big:,}"], results[f"{name} 10"]
        print(f"| {name} {big:,} / 10 stored | {_paired(a['delete'], b['delete']):.2f} (paired) | "
              f"{_paired(a['describe'], b['describe']):.2f} (paired) |")
    return verdict


def _pages(big: int, rounds: int, client: Any, tmp: str, pg: Callable[[], Any]) -> None:
    print("\n## A describe page of 20 from the middle of the listing (by Marker)")
    page_sizes = [1_000, big]
    pages = [Case(f"memory {n:,}", MemoryBackend(), n) for n in page_sizes]
    pages += [Case(f"sqlite {n:,}", SqliteBackend(os.path.join(tmp, f"page{n}.db")), n) for n in page_sizes]
    pages += [Case(f"postgres {n:,}", pg(), n) for n in page_sizes]
    page_results = page_costs(pages, max(3, rounds // 2), client)
    print("\n| backend | 1,000 stored | " + f"{big:,} stored | growth (paired) |\n|---|---|---|---|")
    for name in ("memory", "sqlite", "postgres"):
        a, b = page_results[f"{name} 1,000"], page_results[f"{name} {big:,}"]
        print(f"| {name} | {_us(statistics.median(a))} | {_us(statistics.median(b))} | x{_paired(b, a):.2f} |")


def _throughput(args: Any) -> None:
    print("\n## Throughput: processes deleting their own snapshots on one database at once")
    print("(control: as many processes each on a MemoryBackend of its own, sharing nothing: how much more "
          "the machine gives more processes)")
    count = 150 if args.quick else 400
    print("\n| processes | PostgreSQL deletes/s | vs 1 process | units run again after a conflict | "
          "control deletes/s | control vs 1 process |\n|---|---|---|---|---|---|")
    base = control_base = None
    for processes in (1, 4, 8):
        rate, conflicts = throughput(args.dsn, processes, count)
        control, _ = throughput(None, processes, count)
        base, control_base = base or rate, control_base or control
        print(f"| {processes} | {rate:,.0f} | x{rate / base:.2f} | {conflicts} of {processes * count} | "
              f"{control:,.0f} | x{control / control_base:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
