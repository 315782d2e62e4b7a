#!/usr/bin/env python
"""Benchmarks for issue 6: redshift-intercept against botocore's ``Stubber``,
the "Stubber + parse" floor and moto. DeleteClusterSnapshot per call;
DescribeClusterSnapshots as a page of 100 and as a paginated listing; delete
and describe-by-id against the number of stored snapshots on MemoryBackend and
SqliteBackend; memory per snapshot, start-up cost and threads.

    python benchmarks/bench.py            # full run, about 5 minutes on 2 cores
    python benchmarks/bench.py --quick    # CI smoke, about 1 minute, smaller sizes

Everything is measured in one process run on one machine and printed as one
table with ratios; benchmarks/README.md says what each number means. Nothing
leaves the machine: intercepted and stubbed clients point at a closed loopback
port, and moto's client is answered by moto inside ``mock_aws``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import boto3
import botocore
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.parsers import ResponseParserFactory, create_parser
from botocore.stub import Stubber

import redshift_intercept
from redshift_intercept import MemoryBackend, SqliteBackend, intercept
from redshift_intercept import _hooks as hooks
from redshift_intercept._dispatch import Caller
from redshift_intercept._records import new_snapshot
from redshift_intercept._rules import view
from redshift_intercept._sqlite import encode_record
from redshift_intercept._wire import render_success

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "examplecluster"
OPERATION = "DeleteClusterSnapshot"
# Anything that escaped interception would fail at once on this closed port.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2)
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000000"

# Targets from issue 6 (ratios measured in the same run).
TARGET_FLOOR_RATIO = 1.10
TARGET_MOTO_SPEEDUP = 4.0
TARGET_SCALING_RATIO = 1.2
TARGET_BYTES_PER_SNAPSHOT = 2048


@dataclass
class Settings:
    quick: bool
    repeats: int  # timed batches per case, main comparison
    batch: int  # calls per batch, main comparison
    moto_repeats: int
    moto_batch: int
    page_repeats: int  # describe, a page of 100: timed batches per case
    page_batch: int
    moto_page_repeats: int
    moto_page_batch: int
    listing_size: int  # snapshots in the paginated listing
    listing_repeats: int  # timed listings per case
    store_sizes: List[int]  # MemoryBackend
    sqlite_sizes: List[int]  # SqliteBackend
    scaling_repeats: int
    scaling_batch: int
    memory_count: int
    startup_runs: int
    thread_calls: int  # calls per thread
    thread_repeats: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(quick=True, repeats=7, batch=50, moto_repeats=3, moto_batch=20,
                       page_repeats=5, page_batch=2, moto_page_repeats=3, moto_page_batch=2,
                       listing_size=2_000, listing_repeats=3,
                       store_sizes=[10, 100_000], sqlite_sizes=[10, 10_000], scaling_repeats=5,
                       scaling_batch=50, memory_count=5_000, startup_runs=2, thread_calls=60,
                       thread_repeats=3)
        return cls(quick=False, repeats=40, batch=100, moto_repeats=9, moto_batch=50,
                   page_repeats=20, page_batch=5, moto_page_repeats=7, moto_page_batch=3,
                   listing_size=10_000, listing_repeats=5,
                   store_sizes=[10, 100_000, 1_000_000], sqlite_sizes=[10, 100_000], scaling_repeats=25,
                   scaling_batch=100, memory_count=100_000, startup_runs=5, thread_calls=200,
                   thread_repeats=9)


# ---------------------------------------------------------------- environment


def isolate_environment() -> None:
    """No profile, config file or instance metadata of this machine is read."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def clean_session() -> boto3.session.Session:
    """A boto3 session whose clients do NOT carry redshift_intercept's handlers:
    what botocore costs with nothing of ours on the path."""
    core = botocore.session.Session()
    core.unregister("before-call.redshift", unique_id=hooks._SESSION_ID)
    core.unregister("before-parameter-build.redshift", unique_id=hooks._STASH_ID)
    return boto3.session.Session(botocore_session=core)


def make_client(session: Optional[boto3.session.Session] = None, endpoint: Optional[str] = CLOSED_ENDPOINT):
    session = session or boto3.session.Session()
    return session.client("redshift", region_name=REGION, endpoint_url=endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=CLIENT_CONFIG)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> Dict[str, str]:
    try:
        import moto
        moto_version = moto.__version__
    except ImportError:
        moto_version = "not installed"
    try:
        load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "n/a"
    return {
        "platform": platform.platform(),
        "cpu": f"{cpu_model()} ({os.cpu_count()} logical CPUs)",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": (f"botocore {botocore.__version__}, boto3 {boto3.__version__}, "
                     f"moto {moto_version}, redshift-intercept {redshift_intercept.__version__}"),
        "package source": package_source(),
        "load average at start": load,
    }


def package_source() -> str:
    """Where the measured redshift_intercept comes from: its directory and,
    in a git checkout, the commit and any uncommitted change to the package."""
    directory = os.path.dirname(os.path.abspath(redshift_intercept.__file__))
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", directory, *args], check=True, capture_output=True,
                                  text=True, timeout=10).stdout

        commit = git("rev-parse", "--short", "HEAD").strip()
        changed = [line[3:] for line in git("status", "--porcelain", "--", ".").splitlines() if line]
    except (OSError, subprocess.SubprocessError):
        return directory
    dirty = f" + uncommitted changes to {', '.join(changed)}" if changed else ""
    return f"{directory} (git {commit}{dirty})"


# ---------------------------------------------------------------- timing


@dataclass
class Case:
    """One timed thing. ``prepare(n)`` (untimed) returns the argument of
    ``run``; ``run(arg)`` makes exactly n calls; ``finish()`` is untimed."""

    name: str
    prepare: Callable[[int], Any]
    run: Callable[[Any], None]
    finish: Callable[[], None] = lambda: None
    samples: List[float] = field(default_factory=list)  # us per call, one per batch

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def time_batch(case: Case, n: int, keep_gc: bool) -> float:
    arg = case.prepare(n)
    gc.collect()
    if not keep_gc:
        gc.disable()
    try:
        start = time.perf_counter_ns()
        case.run(arg)
        elapsed = time.perf_counter_ns() - start
    finally:
        gc.enable()
        case.finish()
    return elapsed / n / 1000.0


def run_interleaved(cases: List[Case], repeats: int, batch: int, keep_gc: bool,
                    warm_up: bool = True) -> None:
    """One untimed warm-up batch per case (unless ``warm_up`` is False: the
    caller has warmed them up), then ``repeats`` rounds in which every case
    runs one batch, so that drift on a shared machine hits every case alike."""
    for case in cases if warm_up else ():
        time_batch(case, min(batch, 20), keep_gc)
    if not keep_gc:
        # Long-lived objects (models, clients, seeded records) move out of the
        # collector's sight, so that the gc.collect() before every batch is
        # cheap; with --keep-gc the collections inside timed regions see them.
        gc.collect()
        gc.freeze()
    try:
        for _ in range(repeats):
            for case in cases:
                case.samples.append(time_batch(case, batch, keep_gc))
    finally:
        gc.unfreeze()


# ---------------------------------------------------------------- fixtures


class Ids:
    """Fresh snapshot identifiers, never reused within a run."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.next = 0

    def take(self, n: int) -> List[str]:
        first, self.next = self.next, self.next + n
        return [f"{self.prefix}-{i:07d}" for i in range(first, first + n)]


class FastSeeder:
    """Insert records straight into a backend: one validated template, only
    the identifier and ARN changed. Values other than those two are shared
    between records, so this is a lower bound for memory."""

    def __init__(self, backend: Any, template_id: str = "template-0000000") -> None:
        self.backend = backend
        self.template = new_snapshot(ACCOUNT, REGION, {"SnapshotIdentifier": template_id})
        self.arn_prefix = f"arn:aws:redshift:{REGION}:{ACCOUNT}:snapshot:{CLUSTER}/"

    def record(self, snapshot_id: str) -> dict:
        record = dict(self.template)
        record["SnapshotIdentifier"] = snapshot_id
        record["SnapshotArn"] = self.arn_prefix + snapshot_id
        return record

    def seed(self, ids: List[str]) -> None:
        insert, record = self.backend.insert, self.record
        for snapshot_id in ids:
            if not insert(ACCOUNT, REGION, record(snapshot_id)):
                raise RuntimeError(f"duplicate identifier {snapshot_id}")

    def seed_over_time(self, ids: List[str], step: datetime.timedelta = datetime.timedelta(minutes=1)) -> None:
        """As ``seed``, but snapshot i is created ``i * step`` after the first
        (``SnapshotCreateTime`` and ``SnapshotRetentionStartTime``), as
        snapshots taken one after the other are: a listing then orders them by
        create time, not by the identifier tie-break."""
        insert, record = self.backend.insert, self.record
        first = self.template["SnapshotCreateTime"] - step * len(ids)
        for index, snapshot_id in enumerate(ids):
            created = first + step * index
            if not insert(ACCOUNT, REGION, {**record(snapshot_id), "SnapshotCreateTime": created,
                                            "SnapshotRetentionStartTime": created}):
                raise RuntimeError(f"duplicate identifier {snapshot_id}")


def deleted_response(record: dict) -> dict:
    return {"Snapshot": {**record, "Status": "deleted"}}


def delete_answer(record: dict) -> tuple:
    """What botocore's parser is handed for the delete of ``record``: the
    response dict around the XML ``intercept()`` renders for it (headers
    included), and the operation's output shape. Also the XML's length."""
    model = make_client(clean_session()).meta.service_model.operation_model(OPERATION)
    xml = render_success(model, deleted_response(record), REQUEST_ID)
    return parse_input(OPERATION, xml), model.output_shape, len(xml)


def parse_only_client(response_dict: dict, output_shape: Any, operation: str = OPERATION) -> Any:
    """The floor as an interceptor (c3, h3): a client without our handlers
    whose ``before-call`` handler for ``operation`` only runs botocore's
    parser (a parser per call, as botocore's endpoint makes one per
    response) on the pre-rendered XML."""
    factory = ResponseParserFactory()
    canned_http = AWSResponse(CLOSED_ENDPOINT, 200, dict(response_dict["headers"]), None)

    def parse_only(**_: Any) -> tuple:
        return canned_http, factory.create_parser("query").parse(response_dict, output_shape)

    client = make_client(clean_session())
    client.meta.events.register(f"before-call.redshift.{operation}", parse_only)
    return client


# ---------------------------------------------------------------- a-c, e: main comparison


def intercept_case(name: str, ids: Ids) -> Case:
    """a. ``intercept()`` (every Redshift client, its own MemoryBackend):
    snapshots seeded with ``rs.add_snapshot``, each deleted once."""
    rs = intercept()
    client = make_client()

    def prepare(n: int) -> List[str]:
        batch = ids.take(n)
        for snapshot_id in batch:
            rs.add_snapshot(SnapshotIdentifier=snapshot_id)
        rs.start()
        return batch

    def run(batch: List[str]) -> None:
        delete = client.delete_cluster_snapshot
        for snapshot_id in batch:
            delete(SnapshotIdentifier=snapshot_id)

    def finish() -> None:
        rs.stop()
        rs.calls.clear()
        if rs.backend.list(ACCOUNT, REGION):
            raise RuntimeError("intercept(): a snapshot survived its delete")

    return Case(name, prepare, run, finish)


def bench_main(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    ids = Ids("bench")

    # The record every other case answers with: what add_snapshot stores.
    with intercept() as seeding:
        record = seeding.add_snapshot(SnapshotIdentifier="bench-9999999")
    response = deleted_response(record)

    # b. Stubber on a client without our handlers.
    stubbed = make_client(clean_session())
    stubber = Stubber(stubbed)
    stubber.activate()

    def stub_preparer(stub: Stubber) -> Callable[[int], List[str]]:
        def prepare(n: int) -> List[str]:
            for _ in range(n):
                stub.add_response("delete_cluster_snapshot", dict(response))
            return ids.take(n)
        return prepare

    def delete_runner(client: Any) -> Callable[[List[str]], None]:
        def run(batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                delete(SnapshotIdentifier=snapshot_id)
        return run

    prepare_stubbed, run_stubbed = stub_preparer(stubber), delete_runner(stubbed)

    # c. botocore's query parser on the XML our interceptor renders for that record.
    response_dict, output_shape, xml_bytes = delete_answer(record)
    parser = create_parser("query")

    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            parse(response_dict, output_shape)

    # c2. the floor as one loop: a stubbed call, then the parse.
    def run_combined(batch: List[str]) -> None:
        delete, parse = stubbed.delete_cluster_snapshot, parser.parse
        for snapshot_id in batch:
            delete(SnapshotIdentifier=snapshot_id)
            parse(response_dict, output_shape)

    # c3. the floor as an interceptor: a handler that only parses.
    run_parsing = delete_runner(parse_only_client(response_dict, output_shape))

    # e. Stubber on a client that carries our handlers, no interceptor active:
    # what merely importing redshift_intercept costs a call it does not answer.
    inert = make_client()
    inert_stubber = Stubber(inert)
    inert_stubber.activate()
    prepare_inert, run_inert = stub_preparer(inert_stubber), delete_runner(inert)

    # Same answer everywhere: intercepted == parse(XML) == Stubber's dict.
    with intercept() as check:
        check.backend.insert(ACCOUNT, REGION, dict(record))
        answered = make_client().delete_cluster_snapshot(SnapshotIdentifier=record["SnapshotIdentifier"])
    parsed = parser.parse(response_dict, output_shape)
    equivalent = answered["Snapshot"] == parsed["Snapshot"] == response["Snapshot"]

    cases = {
        "intercept": intercept_case("intercept", ids),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
        "combined": Case("combined", prepare_stubbed, run_combined),
        "parsing": Case("parsing", ids.take, run_parsing),
        "inert": Case("inert", prepare_inert, run_inert),
    }
    run_interleaved(list(cases.values()), settings.repeats, settings.batch, keep_gc)
    return {"cases": cases, "xml_bytes": xml_bytes, "equivalent": equivalent}


# ---------------------------------------------------------------- d: moto


def bench_moto(settings: Settings, keep_gc: bool) -> Optional[Dict[str, Case]]:
    """d. moto, interleaved with its own intercept() batches of the same size,
    so that moto / intercept is paired like the main ratios."""
    try:
        from moto import mock_aws
    except ImportError:
        print("moto: not installed (pip install moto); moto rows skipped", flush=True)
        return None
    ids = Ids("moto")
    reference = intercept_case("intercept", Ids("moto-ref"))  # made before the mock starts
    with mock_aws():
        client = make_client(clean_session(), endpoint=None)  # moto answers the real endpoint
        client.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", MasterUsername="awsuser",
                              MasterUserPassword="Passw0rd1", ClusterType="multi-node", NumberOfNodes=2)

        def prepare(n: int) -> List[str]:
            batch = ids.take(n)
            for snapshot_id in batch:
                client.create_cluster_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
            return batch

        def run(batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                answer = delete(SnapshotIdentifier=snapshot_id)
            if answer["Snapshot"]["SnapshotIdentifier"] != batch[-1]:
                raise RuntimeError("moto answered another snapshot")

        case = Case("moto", prepare, run)
        run_interleaved([reference, case], settings.moto_repeats, settings.moto_batch, keep_gc)
    return {"moto": case, "intercept": reference}


# ---------------------------------------------------------------- describe: a page of 100

DESCRIBE = "DescribeClusterSnapshots"
PAGE = 100


def parse_input(operation: str, xml: bytes) -> Dict[str, Any]:
    """What botocore's endpoint hands its parser for ``xml``: the response
    dict, with the headers an intercepted response carries."""
    headers = AWSResponse(CLOSED_ENDPOINT, 200, {
        "x-amzn-requestid": REQUEST_ID, "content-type": "text/xml",
        "content-length": str(len(xml)), "date": "Wed, 01 May 2024 12:00:00 GMT"}, None).headers
    return {"headers": headers, "status_code": 200, "body": xml, "context": {"operation_name": operation}}


def page_result(rs: Any, snapshot_ids: List[str], marker: Optional[str]) -> Dict[str, Any]:
    """One describe page built from the stored records: each record as a
    response shows it (``view``), in the order given, and the Marker."""
    scope = rs._service.scope(Caller(ACCOUNT, REGION))
    get = rs.backend.get
    result: Dict[str, Any] = {"Snapshots": [view(scope, get(ACCOUNT, REGION, i)) for i in snapshot_ids]}
    if marker is not None:
        result["Marker"] = marker
    return result


def without_metadata(response: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def page_interceptor(prefix: str) -> Any:
    """An interceptor (every client, its own MemoryBackend) holding PAGE + 1
    snapshots seeded with ``rs.add_snapshot`` (every value its own object, as
    a user seeds them), so that its first page of 100 carries a Marker, as
    every page but the last of a listing does."""
    rs = intercept()
    for snapshot_id in Ids(prefix).take(PAGE + 1):
        rs.add_snapshot(SnapshotIdentifier=snapshot_id)
    return rs


def describe_page_case(name: str, rs: Any) -> Case:
    """``describe_cluster_snapshots(MaxRecords=100)`` through ``rs``: a page of 100."""
    client = make_client()

    def prepare(n: int) -> int:
        rs.start()
        return n

    def run(n: int) -> None:
        describe = client.describe_cluster_snapshots
        for _ in range(n):
            answer = describe(MaxRecords=PAGE)
        if len(answer["Snapshots"]) != PAGE or "Marker" not in answer:
            raise RuntimeError("intercept(): the page is not 100 snapshots and a Marker")

    def finish() -> None:
        rs.stop()
        rs.calls.clear()

    return Case(name, prepare, run, finish)


def bench_describe_page(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """f-h. A page of 100 full snapshots: intercept() against the Stubber
    answering the same page, the parse of the exact XML we render for it,
    their sum (the floor), the floor as one loop and as an interceptor."""
    rs = page_interceptor("page")
    client = make_client()
    with rs:
        answered = without_metadata(client.describe_cluster_snapshots(MaxRecords=PAGE))
    rs.calls.clear()
    result = page_result(rs, [s["SnapshotIdentifier"] for s in answered["Snapshots"]], answered.get("Marker"))
    model = client.meta.service_model.operation_model(DESCRIBE)
    output_shape = model.output_shape
    xml = render_success(model, result, REQUEST_ID)
    response_dict = parse_input(DESCRIBE, xml)
    parser = create_parser("query")
    parsed = without_metadata(parser.parse(response_dict, output_shape))
    equivalent = len(result["Snapshots"]) == PAGE and answered == parsed == result

    # g. Stubber on a client without our handlers, answering the same page.
    stubbed = make_client(clean_session())
    stubber = Stubber(stubbed)
    stubber.activate()

    def prepare_stubbed(n: int) -> int:
        for _ in range(n):  # validated against the output shape here, untimed
            stubber.add_response("describe_cluster_snapshots", dict(result))
        return n

    def run_stubbed(n: int) -> None:
        describe = stubbed.describe_cluster_snapshots
        for _ in range(n):
            describe(MaxRecords=PAGE)

    # h1. botocore's query parser on that XML.
    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            parse(response_dict, output_shape)

    # h2. the floor as one loop.
    def run_combined(n: int) -> None:
        describe, parse = stubbed.describe_cluster_snapshots, parser.parse
        for _ in range(n):
            describe(MaxRecords=PAGE)
            parse(response_dict, output_shape)

    # h3. the floor as an interceptor: a handler that only parses the page.
    parsing = parse_only_client(response_dict, output_shape, DESCRIBE)

    def run_parsing(n: int) -> None:
        describe = parsing.describe_cluster_snapshots
        for _ in range(n):
            describe(MaxRecords=PAGE)

    cases = {
        "intercept": describe_page_case("intercept", rs),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
        "combined": Case("combined", prepare_stubbed, run_combined),
        "parsing": Case("parsing", lambda n: n, run_parsing),
    }
    run_interleaved(list(cases.values()), settings.page_repeats, settings.page_batch, keep_gc)
    return {"cases": cases, "xml_bytes": len(xml), "equivalent": equivalent,
            "fields": len(result["Snapshots"][0])}


def bench_describe_moto(settings: Settings, keep_gc: bool) -> Optional[Dict[str, Any]]:
    """i. moto answering a page of 100 (it holds exactly 100, the automated
    snapshot its create_cluster makes and 99 manual ones: moto ignores
    MaxRecords), interleaved with intercept() page batches of the same size."""
    try:
        from moto import mock_aws
    except ImportError:
        print("moto: not installed; moto describe rows skipped", flush=True)
        return None
    reference = describe_page_case("intercept", page_interceptor("moto-page-ref"))  # before the mock
    with mock_aws():
        client = make_client(clean_session(), endpoint=None)
        client.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", MasterUsername="awsuser",
                              MasterUserPassword="Passw0rd1", ClusterType="multi-node", NumberOfNodes=2)
        # create_cluster made an automated snapshot: fill up to exactly 100.
        missing = PAGE - len(client.describe_cluster_snapshots()["Snapshots"])
        start = time.perf_counter()
        for snapshot_id in Ids("moto-page").take(missing):
            client.create_cluster_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
        create_us = (time.perf_counter() - start) / missing * 1e6
        fields = max(len(s) for s in client.describe_cluster_snapshots(MaxRecords=PAGE)["Snapshots"])

        def run(n: int) -> None:
            describe = client.describe_cluster_snapshots
            for _ in range(n):
                answer = describe(MaxRecords=PAGE)
            if len(answer["Snapshots"]) != PAGE:
                raise RuntimeError("moto did not answer 100 snapshots")

        case = Case("moto", lambda n: n, run)
        run_interleaved([reference, case], settings.moto_page_repeats, settings.moto_page_batch, keep_gc)
        # Does moto paginate? Hold one snapshot more than a page, ask for a page.
        client.create_cluster_snapshot(SnapshotIdentifier="moto-page-extra", ClusterIdentifier=CLUSTER)
        over = client.describe_cluster_snapshots(MaxRecords=PAGE)
    return {"moto": case, "intercept": reference, "create_us": create_us, "fields": fields,
            "paginates": len(over["Snapshots"]) == PAGE and "Marker" in over,
            "over_count": len(over["Snapshots"])}


# ---------------------------------------------------------------- describe: a paginated listing


def bench_listing(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """j-k. A full listing of ``listing_size`` snapshots with boto3's
    paginator (PageSize 100) through intercept(), against the floor per page
    (the Stubber answering the same pages + the parse of the exact XML we
    render for each page), every page of the listing, summed."""
    size = settings.listing_size
    backend = MemoryBackend()
    seeder = FastSeeder(backend)
    start = time.perf_counter()
    seeder.seed_over_time(Ids("listing").take(size))
    seeding = time.perf_counter() - start
    rs = intercept(backend=backend)
    client = make_client()
    config = {"PageSize": PAGE}
    paginator = client.get_paginator("describe_cluster_snapshots")

    # Untimed: the listing once (it also warms intercept() up), its pages
    # rebuilt from the records, rendered and checked.
    start = time.perf_counter()
    with rs:
        pages = [without_metadata(page) for page in paginator.paginate(PaginationConfig=config)]
    first_listing = time.perf_counter() - start
    rs.calls.clear()
    results = [page_result(rs, [s["SnapshotIdentifier"] for s in page["Snapshots"]], page.get("Marker"))
               for page in pages]
    model = client.meta.service_model.operation_model(DESCRIBE)
    output_shape = model.output_shape
    response_dicts = [parse_input(DESCRIBE, render_success(model, result, REQUEST_ID)) for result in results]
    parser = create_parser("query")
    listed = [s["SnapshotIdentifier"] for page in pages for s in page["Snapshots"]]
    equivalent = (len(listed) == len(set(listed)) == size and pages == results
                  and all(without_metadata(parser.parse(response_dicts[i], output_shape)) == results[i]
                          for i in (0, -1)))
    del pages, listed

    def count(page_iterator: Any) -> None:
        total = 0
        for page in page_iterator:
            total += len(page["Snapshots"])
        if total != size:
            raise RuntimeError(f"a listing returned {total} snapshots, not {size}")

    def prepare_intercept(n: int) -> int:
        rs.start()
        return n

    def run_intercept(n: int) -> None:
        for _ in range(n):
            count(paginator.paginate(PaginationConfig=config))

    def finish_intercept() -> None:
        rs.stop()
        rs.calls.clear()

    stubbed = make_client(clean_session())
    stub_paginator = stubbed.get_paginator("describe_cluster_snapshots")
    stubber = Stubber(stubbed)
    stubber.activate()

    def prepare_stubbed(n: int) -> int:
        for _ in range(n):
            for result in results:
                stubber.add_response("describe_cluster_snapshots", dict(result))
        return n

    def run_stubbed(n: int) -> None:
        for _ in range(n):
            count(stub_paginator.paginate(PaginationConfig=config))

    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            for response_dict in response_dicts:
                parse(response_dict, output_shape)

    cases = {
        "intercept": Case("intercept", prepare_intercept, run_intercept, finish_intercept),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
    }
    # One listing per batch; intercept() was warmed up by the check above,
    # the Stubber and the parser by the page-of-100 section.
    run_interleaved(list(cases.values()), settings.listing_repeats, 1, keep_gc, warm_up=False)
    return {"cases": cases, "pages": len(results), "size": size, "seeding_s": seeding,
            "first_listing_s": first_listing, "equivalent": equivalent}


# ---------------------------------------------------------------- store size

SQLITE_INSERTED = 1_000  # SQLite stores: this many rows through backend.insert, the rest in bulk


def seed_sqlite(backend: SqliteBackend, seeder: FastSeeder, ids: List[str]) -> Dict[str, float]:
    """Fill a fresh SqliteBackend with fast-path records. The first
    ``SQLITE_INSERTED`` go through ``backend.insert`` (one transaction each,
    timed: the rate is reported); the rest are written directly, as the
    backend writes them (``encode_record``, table ``snapshots``), by one
    ``executemany`` inside one transaction: ``backend.insert`` would take
    minutes for 100,000. Then the WAL is checkpointed into the file."""
    insert = backend.insert
    head, rest = ids[:SQLITE_INSERTED], ids[SQLITE_INSERTED:]
    start = time.perf_counter()
    for snapshot_id in head:
        if not insert(ACCOUNT, REGION, seeder.record(snapshot_id)):
            raise RuntimeError(f"duplicate identifier {snapshot_id}")
    insert_us = (time.perf_counter() - start) / len(head) * 1e6
    json_bytes = [len(encode_record(seeder.record(i))) for i in head]
    connection = sqlite3.connect(backend.path, isolation_level=None)
    try:
        if rest:
            rows = [(ACCOUNT, REGION, i, encode_record(seeder.record(i))) for i in rest]
            json_bytes += [len(row[3]) for row in rows]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT INTO snapshots (account_id, region, snapshot_id, record) "
                                   "VALUES (?, ?, ?, ?)", rows)
            connection.execute("COMMIT")
            del rows
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = connection.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    finally:
        connection.close()
    if stored != len(ids):
        raise RuntimeError(f"SQLite store holds {stored} snapshots, not {len(ids)}")
    return {"insert_us": insert_us, "bulk": len(rest), "file_bytes": os.path.getsize(backend.path),
            "json_bytes": statistics.mean(json_bytes)}


OPS = ("delete", "describe")


def bench_store_scaling(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """Per call, with exactly N snapshots stored, on MemoryBackend and on
    SqliteBackend: a delete and a describe-by-id of a randomly chosen stored
    snapshot (cold in the caches for a big store), each call timed alone. A
    deleted record is put back, untimed, right after, so the store keeps N."""
    client = make_client()
    rng = random.Random(6)
    stores: List[Dict[str, Any]] = []
    directory = tempfile.mkdtemp(prefix="redshift-intercept-bench-")
    try:
        for kind, sizes in (("memory", settings.store_sizes), ("sqlite", settings.sqlite_sizes)):
            for size in sizes:
                all_ids = Ids(f"{kind}{size}").take(size)
                if kind == "memory":
                    backend: Any = MemoryBackend()
                    seeder = FastSeeder(backend)
                    start = time.perf_counter()
                    seeder.seed(all_ids)
                    extra: Dict[str, float] = {}
                else:
                    backend = SqliteBackend(os.path.join(directory, f"store-{size}.db"))
                    seeder = FastSeeder(backend)
                    start = time.perf_counter()
                    extra = seed_sqlite(backend, seeder, all_ids)
                seeding = time.perf_counter() - start
                stores.append({"kind": kind, "size": size, "rs": intercept(backend=backend), "ids": all_ids,
                               "seeding_s": seeding, "samples": {op: [] for op in OPS}, **extra})
                print(f"  seeded {kind} {size:,} snapshots (fast path) in {seeding:.2f} s "
                      f"({seeding / size * 1e6:.2f} us/snapshot)", flush=True)
        gc.collect()
        gc.freeze()  # the stores are long-lived: keep them out of the collections between batches
        try:
            for round_no in range(settings.scaling_repeats + 1):  # the first round warms up, untimed
                for store in stores:
                    for op in OPS:
                        us = time_store_batch(client, store, op, rng, settings.scaling_batch, keep_gc)
                        if round_no:
                            store["samples"][op].append(us)
            for store in stores:
                count = len(store["rs"].backend.list(ACCOUNT, REGION))
                if count != store["size"]:
                    raise RuntimeError(f"{store['kind']} store of {store['size']} ends with {count} snapshots")
        finally:
            gc.unfreeze()
        result = {}
        for store in stores:
            row = {key: value for key, value in store.items() if key not in ("rs", "ids")}
            row.update({op: statistics.median(store["samples"][op]) for op in OPS})
            result[(store["kind"], store["size"])] = row
        return result
    finally:
        for store in stores:
            if store["kind"] == "sqlite":
                store["rs"].backend.close()
        stores.clear()
        gc.collect()
        shutil.rmtree(directory, ignore_errors=True)


def time_store_batch(client: Any, store: Dict[str, Any], op: str, rng: random.Random, batch: int,
                     keep_gc: bool) -> float:
    """us per call of ``batch`` calls of ``op`` on random stored snapshots."""
    rs = store["rs"]
    victims = [rng.choice(store["ids"]) for _ in range(batch)]
    if op == "delete":
        records = [rs.backend.get(ACCOUNT, REGION, v) for v in victims]
    call = client.delete_cluster_snapshot if op == "delete" else client.describe_cluster_snapshots
    insert = rs.backend.insert
    clock = time.perf_counter_ns
    gc.collect()
    if not keep_gc:
        gc.disable()
    rs.start()
    total = 0
    try:
        if op == "delete":
            for victim, record in zip(victims, records, strict=True):
                start = clock()
                call(SnapshotIdentifier=victim)
                total += clock() - start
                insert(ACCOUNT, REGION, record)
        else:
            for victim in victims:
                start = clock()
                answer = call(SnapshotIdentifier=victim)
                total += clock() - start
            if answer["Snapshots"][0]["SnapshotIdentifier"] != victims[-1]:
                raise RuntimeError("describe-by-id answered another snapshot")
    finally:
        rs.stop()
        gc.enable()
        rs.calls.clear()
    return total / batch / 1000.0


# ---------------------------------------------------------------- memory


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
                [sys.executable, os.path.abspath(__file__), "--memory-child", mode, method,
                 str(settings.memory_count)],
                check=True, capture_output=True, text=True, env=os.environ.copy())
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            if method == "tracemalloc":
                measured.pop("seconds")  # slowed down by the tracing
            results[mode].update(measured)
    return results


# ---------------------------------------------------------------- start-up

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


# ---------------------------------------------------------------- threads


def bench_threads(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """Calls/s with 1 and with 4 threads, one client per thread (clients made
    up front), ``thread_calls`` deletes per thread: through one
    ``intercept()`` and one MemoryBackend, and, for comparison, through
    handlers that only parse (c3), which share no lock and no state."""
    backend = MemoryBackend()
    seeder = FastSeeder(backend)
    rs = intercept(backend=backend)
    response_dict, output_shape, _ = delete_answer(seeder.record("thread-answer"))
    clients = {"intercept": [make_client() for _ in range(4)],
               "parsing": [parse_only_client(response_dict, output_shape) for _ in range(4)]}
    ids = Ids("thread")
    rates: Dict[tuple, List[float]] = {(kind, threads): [] for kind in clients for threads in (1, 4)}

    def one_run(kind: str, threads: int) -> float:
        batches = [ids.take(settings.thread_calls) for _ in range(threads)]
        if kind == "intercept":
            for batch in batches:
                seeder.seed(batch)
        barrier = threading.Barrier(threads + 1)
        errors: List[BaseException] = []

        def work(client: Any, batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            barrier.wait()
            try:
                for snapshot_id in batch:
                    delete(SnapshotIdentifier=snapshot_id)
            except BaseException as error:  # reported below
                errors.append(error)

        workers = [threading.Thread(target=work, args=(clients[kind][i], batches[i])) for i in range(threads)]
        for worker in workers:
            worker.start()
        gc.collect()
        if not keep_gc:
            gc.disable()
        rs.start()
        try:
            barrier.wait()
            start = time.perf_counter()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - start
        finally:
            rs.stop()
            gc.enable()
        if errors:
            raise errors[0]
        calls = threads * settings.thread_calls
        answered = len(rs.calls) if kind == "intercept" else calls
        if answered != calls or backend.list(ACCOUNT, REGION):
            raise RuntimeError("threads: not every delete was answered")
        rs.calls.clear()
        return calls / elapsed

    for key in rates:  # warm-up
        one_run(*key)
    for _ in range(settings.thread_repeats):
        for key in rates:
            rates[key].append(one_run(*key))
    return {kind: {"rates": {threads: statistics.median(rates[kind, threads]) for threads in (1, 4)},
                   "paired": paired(rates[kind, 4], rates[kind, 1])}
            for kind in clients}


# ---------------------------------------------------------------- report


def verdict(ok: Optional[bool]) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def paired(numerators: List[float], denominators: List[float]) -> float:
    """Median of the per-round ratios: every case ran back to back in each
    round, so a ratio taken within a round cancels a shared machine's drift."""
    return statistics.median(x / y for x, y in zip(numerators, denominators, strict=True))


def spread(case: Case, scale: float = 1.0, width: int = 8, digits: int = 1) -> str:
    low, high = min(case.samples) * scale, max(case.samples) * scale
    return f"{low:{width}.{digits}f} {high:{width}.{digits}f}"


def report(settings: Settings, info: Dict[str, str], r: Dict[str, Any], keep_gc: bool, wall: float) -> None:
    main, moto, scaling = r["main"], r["moto"], r["scaling"]
    memory, startup, threads = r["memory"], r["startup"], r["threads"]
    page, page_moto, listing = r["page"], r["page_moto"], r["listing"]
    cases = main["cases"]
    a, b, c1 = cases["intercept"].median, cases["stubber"].median, cases["parse"].median
    floor, combined, inert = b + c1, cases["combined"].median, cases["inert"].median
    parsing = cases["parsing"].median
    m = moto["moto"].median if moto is not None else None
    if moto is not None:
        moto_ref = moto["intercept"].median
        paired_moto = paired(moto["moto"].samples, moto["intercept"].samples)
    rounds = list(zip(cases["intercept"].samples, cases["stubber"].samples, cases["parse"].samples,
                      cases["combined"].samples, cases["parsing"].samples, strict=True))
    paired_floor = statistics.median(x[0] / (x[1] + x[2]) for x in rounds)
    paired_combined = statistics.median(x[0] / x[3] for x in rounds)
    paired_parsing = statistics.median(x[0] / x[4] for x in rounds)
    paired_stubber = statistics.median(x[0] / x[1] for x in rounds)

    lines: List[str] = []
    out = lines.append
    out("=" * 100)
    kind = "QUICK" if settings.quick else "full"
    out(f"redshift-intercept benchmark, issue 6 ({kind} run)")
    for key, value in info.items():
        out(f"  {key + ':':24}{value}")
    out(f"  {'method:':24}per section, timed batches of every case interleaved round by round; "
        f"medians; GC {'ON' if keep_gc else 'off'} in timed regions")
    out("")
    out(f"per call, delete_cluster_snapshot (median of {settings.repeats} x {settings.batch})"
        "                      us/call      min      max")
    out(f"  a.  intercept() (MemoryBackend)                                    {a:9.1f} "
        f"{spread(cases['intercept'])}")
    out(f"  b.  botocore Stubber (no parsing)                                  {b:9.1f} "
        f"{spread(cases['stubber'])}")
    out(f"  c1. botocore query parser alone, same XML ({main['xml_bytes']} bytes)            "
        f"{c1:9.1f} {spread(cases['parse'])}")
    out(f"  c.  FLOOR = b + c1 (Stubber + parse, timed separately)             {floor:9.1f}")
    out(f"  c2. floor as one loop (stubbed call, then parse)                   {combined:9.1f} "
        f"{spread(cases['combined'])}")
    out(f"  c3. floor as an interceptor (handler that only parses c1's XML)    {parsing:9.1f} "
        f"{spread(cases['parsing'])}")
    if moto is not None:
        out(f"  d.  moto mock_aws (median of {settings.moto_repeats} x {settings.moto_batch})"
            f"                               {m:9.1f} {spread(moto['moto'])}")
        out(f"      intercept() batches interleaved with d                         {moto_ref:9.1f} "
            f"{spread(moto['intercept'])}")
    else:
        out("  d.  moto mock_aws                                                  not installed")
    out(f"  e.  Stubber, our handlers present, no interceptor active           {inert:9.1f} "
        f"{spread(cases['inert'])}")
    out(f"      e - b = {inert - b:+.1f} us: what importing redshift_intercept costs a call it does not answer")
    out(f"  same answer from a, b and c1: {'yes' if main['equivalent'] else 'NO'}")
    out("")
    out("ratios                                    of medians   paired (median of per-round ratios)")
    out(f"  intercept / floor (b + c1)                 {a / floor:6.3f}      {paired_floor:6.3f}"
        f"      target <= {TARGET_FLOOR_RATIO:.2f}")
    out(f"  intercept / floor in one loop (c2)         {a / combined:6.3f}      {paired_combined:6.3f}")
    out(f"  intercept / floor as interceptor (c3)      {a / parsing:6.3f}      {paired_parsing:6.3f}")
    out(f"  intercept / Stubber                        {a / b:6.3f}      {paired_stubber:6.3f}")
    out(f"  c3 / (b + c1): the floor's own in-call overhead   {parsing / floor:6.3f}")
    out(f"  intercept above the floor (b + c1)       {a - floor:+7.1f} us/call;  above c3 {a - parsing:+7.1f} us/call")
    if m is not None:
        out(f"  moto / intercept (a)                       {m / a:6.2f}")
        out(f"  moto / intercept (interleaved with d)      {m / moto_ref:6.2f}      {paired_moto:6.2f}"
            f"      target >= {TARGET_MOTO_SPEEDUP:.1f}")
    out("")

    # ---- describe: a page of 100
    pc = page["cases"]
    f, g, h1 = pc["intercept"].median, pc["stubber"].median, pc["parse"].median
    page_floor, h2, h3 = g + h1, pc["combined"].median, pc["parsing"].median
    page_rounds = list(zip(pc["intercept"].samples, pc["stubber"].samples, pc["parse"].samples,
                           strict=True))
    paired_page = statistics.median(x[0] / (x[1] + x[2]) for x in page_rounds)
    out(f"describe_cluster_snapshots, a page of 100 full snapshots (MaxRecords=100, {PAGE + 1} stored: the page "
        "carries a Marker)")
    out(f"  median of {settings.page_repeats} x {settings.page_batch} calls"
        "                                                 us/call      min      max")
    out(f"  f.  intercept() (MemoryBackend, add_snapshot records)              {f:9.1f} {spread(pc['intercept'])}")
    out(f"  g.  botocore Stubber answering the same page (no parsing)          {g:9.1f} {spread(pc['stubber'])}")
    out(f"  h1. botocore query parser alone, same page XML ({page['xml_bytes']:,} bytes)    "
        f"{h1:9.1f} {spread(pc['parse'])}")
    out(f"  h.  FLOOR = g + h1 (Stubber + parse, timed separately)             {page_floor:9.1f}")
    out(f"  h2. floor as one loop (stubbed call, then parse)                   {h2:9.1f} {spread(pc['combined'])}")
    out(f"  h3. floor as an interceptor (handler that only parses h1's XML)    {h3:9.1f} {spread(pc['parsing'])}")
    if page_moto is not None:
        pm, pm_ref = page_moto["moto"].median, page_moto["intercept"].median
        out(f"  i.  moto mock_aws, 100 stored (median of {settings.moto_page_repeats} x "
            f"{settings.moto_page_batch})                   {pm:9.1f} {spread(page_moto['moto'])}")
        out(f"      intercept() pages interleaved with i                           {pm_ref:9.1f} "
            f"{spread(page_moto['intercept'])}")
        out(f"      (fields per snapshot: ours {page['fields']}, moto's {page_moto['fields']}; moto seeded by "
            f"create_cluster_snapshot, {page_moto['create_us']:.0f} us each)")
    else:
        out("  i.  moto mock_aws                                                  not installed")
    out(f"  same answer from f, g and h1: {'yes' if page['equivalent'] else 'NO'}")
    out("  ratios                                  of medians   paired")
    out(f"  intercept / floor (g + h1)                 {f / page_floor:6.3f}      {paired_page:6.3f}"
        f"      target <= {TARGET_FLOOR_RATIO:.2f}")
    out(f"  intercept / floor in one loop (h2)         {f / h2:6.3f}      "
        f"{paired(pc['intercept'].samples, pc['combined'].samples):6.3f}")
    out(f"  intercept / floor as interceptor (h3)      {f / h3:6.3f}      "
        f"{paired(pc['intercept'].samples, pc['parsing'].samples):6.3f}")
    out(f"  h3 / (g + h1): the floor's own in-call overhead   {h3 / page_floor:6.3f}")
    out(f"  intercept above the floor (g + h1)    {f - page_floor:+9.1f} us/page ({(f - page_floor) / PAGE:+.1f} us "
        f"per snapshot);  above h3 {f - h3:+9.1f} us/page")
    if page_moto is not None:
        out(f"  moto / intercept (interleaved with i)      {pm / pm_ref:6.2f}      "
            f"{paired(page_moto['moto'].samples, page_moto['intercept'].samples):6.2f}")
    out("")

    # ---- describe: a paginated listing
    lc, pages, size = listing["cases"], listing["pages"], listing["size"]
    j, k1, k2 = lc["intercept"].median, lc["stubber"].median, lc["parse"].median
    list_floor = k1 + k2
    paired_list = statistics.median(x[0] / (x[1] + x[2]) for x in zip(
        lc["intercept"].samples, lc["stubber"].samples, lc["parse"].samples, strict=True))
    out(f"describe_cluster_snapshots, a paginated listing of {size:,} snapshots (boto3 paginator, PageSize 100: "
        f"{pages} pages)")
    out(f"  median of {settings.listing_repeats} listings per case"
        "                                total s   us/page    min s    max s")
    us_s, per_page = 1e-6, 1.0 / pages

    def listing_row(label: str, case: Optional[Case], value: float) -> str:
        tail = "" if case is None else " " + spread(case, us_s, 8, 2)
        return f"  {label:61}{value * us_s:8.2f} {value * per_page:9.0f}{tail}"

    out(listing_row("j.  intercept() (MemoryBackend, fast-path records)", lc["intercept"], j))
    out(listing_row(f"k1. Stubber answering the same {pages} pages (no parsing)", lc["stubber"], k1))
    out(listing_row(f"k2. botocore query parser alone, the same {pages} page XMLs", lc["parse"], k2))
    out(listing_row(f"k.  FLOOR = k1 + k2 (floor per page x {pages} pages)", None, list_floor))
    out(f"  l.  moto mock_aws: skipped ({listing_moto_reason(page_moto, size)})")
    out(f"  same pages from j, k1 and k2: {'yes' if listing['equivalent'] else 'NO'}   (seeded {size:,} by the "
        f"fast path, a minute apart, in {listing['seeding_s']:.2f} s; the first, untimed listing took "
        f"{listing['first_listing_s']:.2f} s)")
    out(f"  intercept / floor (k1 + k2)                {j / list_floor:6.3f}      {paired_list:6.3f}      "
        "(no target in issue 6)")
    out(f"  intercept above the floor              {(j - list_floor) * per_page:+9.1f} us/page;  a listing page "
        f"costs {j * per_page / f:.2f} x a page of 100 (f)")
    out("")

    # ---- store size: both backends, delete and describe-by-id
    out(f"store size: per call on a random stored snapshot, median of {settings.scaling_repeats} x "
        f"{settings.scaling_batch} calls per cell")
    out("  (us/call; x = vs 10 stored, same backend and operation)")
    out("                   MemoryBackend                          SqliteBackend")
    out("     stored        delete            describe-by-id       delete            describe-by-id")
    all_sizes = sorted({size for _, size in scaling})
    for stored in all_sizes:
        cells = []
        for backend in ("memory", "sqlite"):
            for op in OPS:
                row, base_row = scaling.get((backend, stored)), scaling.get((backend, 10))
                cells.append("        -         " if row is None else
                             f"{row[op]:8.1f} x{row[op] / base_row[op]:5.3f}  ")
        out(f"  {stored:>9,}    " + " ".join(cells).rstrip())
    for (backend, stored), row in sorted(scaling.items()):
        if stored == 10:
            continue
        how = ("fast path, backend.insert" if backend == "memory" else
               f"fast path: {SQLITE_INSERTED:,} by backend.insert at {row['insert_us']:.0f} us each, "
               f"{row['bulk']:,} by one executemany in one transaction")
        out(f"  seeded {backend} {stored:,} in {row['seeding_s']:.2f} s ({how})")
    sqlite_big = max(size for backend, size in scaling if backend == "sqlite")
    big = scaling[("sqlite", sqlite_big)]
    out(f"  SQLite file: {big['file_bytes'] / sqlite_big:,.0f} B per stored snapshot ({sqlite_big:,} stored, "
        f"after a WAL checkpoint; a record's JSON is {big['json_bytes']:,.0f} B). Memory per snapshot is "
        "MemoryBackend's only: below")
    out("")

    out(f"memory per stored snapshot (MemoryBackend, {settings.memory_count:,} snapshots, fresh process)")
    for key, label in (("add_snapshot", "rs.add_snapshot()"), ("fast", "fast path (shared values)")):
        row = memory[key]
        traced = f"   tracemalloc {row['tracemalloc']:6.0f} B" if "tracemalloc" in row else ""
        out(f"  {label:27} RSS delta {row['rss']:6.0f} B   sizeof walk {row['sizeof']:6.0f} B{traced}   "
            f"(seeding {row['seconds'] / settings.memory_count * 1e6:.1f} us/snapshot)")
    out("")
    cold, warm, base_run = startup["cold"], startup["after-boto3"], startup["baseline"]
    out(f"start-up (fresh interpreter, median of {settings.startup_runs}, ms)")
    out(f"  import redshift_intercept (boto3/botocore included)   {cold['import']:8.1f}")
    out(f"  import redshift_intercept (boto3 already imported)    {warm['import']:8.1f}")
    out(f"  intercept().start() + boto3.client('redshift')        {cold['client']:8.1f}")
    out(f"  first rs.add_snapshot()                               {cold['seed']:8.1f}")
    out(f"  first intercepted delete                              {cold['call']:8.1f}")
    first = cold["client"] + cold["seed"] + cold["call"]
    out(f"  first intercepted call incl. client and seeding       {first:8.1f}")
    out(f"  baseline without us: import boto3 {base_run['import']:.1f}, client {base_run['client']:.1f}, "
        f"Stubber set-up {base_run['seed']:.1f}, first stubbed call {base_run['call']:.1f}")
    out("")
    out(f"threads (one client per thread, {settings.thread_calls} deletes per thread; calls/s, "
        "4 threads against 1 and paired)")
    for kind, label in (("intercept", "intercept(), one MemoryBackend"), ("parsing", "c3, handlers that only parse")):
        rates = threads[kind]["rates"]
        out(f"  {label:32} 1 thread {rates[1]:7.0f}   4 threads {rates[4]:7.0f}   "
            f"x{rates[4] / rates[1]:.2f} (paired x{threads[kind]['paired']:.2f})")
    out("")

    # ---- targets
    mem_add = max(value for key, value in memory["add_snapshot"].items() if key != "seconds")
    out("targets (issue 6)")
    out(f"  {verdict(a / floor <= TARGET_FLOOR_RATIO)}  intercepted delete <= {TARGET_FLOOR_RATIO:.2f} "
        f"x floor (b + c1): {a / floor:.3f} (paired {paired_floor:.3f}; vs c3 {a / parsing:.3f})")
    if m is not None:
        out(f"  {verdict(m / moto_ref >= TARGET_MOTO_SPEEDUP)}  >= {TARGET_MOTO_SPEEDUP:.0f} x faster than "
            f"moto: {m / moto_ref:.2f} (paired {paired_moto:.2f})")
    else:
        out("  n/a   >= 4 x faster than moto: moto not installed")
    out(f"  {verdict(f / page_floor <= TARGET_FLOOR_RATIO)}  describe page of 100 <= {TARGET_FLOOR_RATIO:.2f} x "
        f"its floor (g + h1): {f / page_floor:.3f} (paired {paired_page:.3f}; vs h3 {f / h3:.3f})")
    for backend, name, target_size in (("memory", "MemoryBackend", 1_000_000), ("sqlite", "SqliteBackend", 100_000)):
        largest = max(size for kind, size in scaling if kind == backend)
        note = "" if largest >= target_size else " (quick run: not the target size)"
        for op, label in (("delete", "delete"), ("describe", "describe-by-id")):
            base_row, row = scaling[(backend, 10)], scaling[(backend, largest)]
            ratio = row[op] / base_row[op]
            both = paired(row["samples"][op], base_row["samples"][op])
            ok = ratio <= TARGET_SCALING_RATIO if largest >= target_size else None
            out(f"  {verdict(ok)}  {name} {label} at {target_size:,} stored <= {TARGET_SCALING_RATIO} x at 10: "
                f"x{ratio:.3f} (paired x{both:.3f}) at {largest:,}{note}")
    out(f"  {verdict(mem_add <= TARGET_BYTES_PER_SNAPSHOT)}  <= 2 KiB per stored snapshot (add_snapshot, "
        f"largest measurement): {mem_add:.0f} B")
    out(f"total benchmark time: {wall:.0f} s")
    out("=" * 100)
    print("\n".join(lines), flush=True)


def listing_moto_reason(page_moto: Optional[Dict[str, Any]], size: int) -> str:
    if page_moto is None:
        return "moto not installed"
    import moto

    seeding = f"seeding {size:,} through its API would take ~{page_moto['create_us'] * size / 1e6:.0f} s"
    if not page_moto["paginates"]:
        return (f"moto {moto.__version__} ignores MaxRecords and Marker: holding {PAGE + 1}, a page of {PAGE} "
                f"returned {page_moto['over_count']} and no Marker, so there is no paginated listing to compare; "
                f"{seeding}")
    return f"moto paginates now, but this benchmark does not list through it yet; {seeding}"


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
