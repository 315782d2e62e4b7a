"""The benchmarks' harness: what every case, profile and count shares.

- **settings**: sizes and repetitions of a full and a ``--quick`` run;
- **environment**: no profile, config file or metadata of this machine is
  read (``isolate_environment``); clients that can only reach a closed port
  (``make_client``), with or without redshift_intercept's handlers
  (``clean_session``); the machine and the measured package, for the header;
- **timing**: ``Case``, timed batches (``time_batch``), rounds of interleaved
  batches (``run_interleaved``) and the paired ratio (``paired``);
- **fixtures**: fresh identifiers (``Ids``), the fast seeding path
  (``FastSeeder``), the exact response botocore's parser is handed for a
  delete (``delete_answer``) or any XML (``parse_input``), the parse-only
  interceptor (``parse_only_client``: the delete's floor) and the page-of-100
  interceptor (``page_interceptor``);
- **timers inside calls**: ``CallTimers`` wraps functions to time them in
  real calls (``profile_delete.py``, ``profile_describe.py``).

benchmarks/README.md says what each measurement means.
"""

from __future__ import annotations

import builtins
import datetime
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import boto3
import botocore
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.parsers import ResponseParserFactory

import redshift_intercept
from redshift_intercept import _hooks as hooks
from redshift_intercept import intercept, testing
from redshift_intercept._records import new_snapshot
from redshift_intercept._wire import render_success

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "examplecluster"
OPERATION = "DeleteClusterSnapshot"
DESCRIBE = "DescribeClusterSnapshots"
PAGE = 100
# Anything that escaped interception would fail at once on this closed port.
CLOSED_ENDPOINT = testing.CLOSED_ENDPOINT
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000000"
# The entry point; the memory section runs it again in fresh processes.
BENCH_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench.py")


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
    """The tests' client (``redshift_intercept.testing.make_client``) in
    ``REGION``, from ``session`` (a fresh default one: it carries our
    handlers), on a closed loopback port (``endpoint=None``: the real
    endpoint, for moto)."""
    return testing.make_client(REGION, session=session, endpoint_url=endpoint)


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


def paired(numerators: List[float], denominators: List[float]) -> float:
    """Median of the per-round ratios: every case ran back to back in each
    round, so a ratio taken within a round cancels a shared machine's drift."""
    return statistics.median(x / y for x, y in zip(numerators, denominators, strict=True))


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


def parse_input(operation: str, xml: bytes) -> Dict[str, Any]:
    """What botocore's endpoint hands its parser for ``xml``: the response
    dict, with the headers an intercepted response carries."""
    headers = AWSResponse(CLOSED_ENDPOINT, 200, {
        "x-amzn-requestid": REQUEST_ID, "content-type": "text/xml",
        "content-length": str(len(xml)), "date": "Wed, 01 May 2024 12:00:00 GMT"}, None).headers
    return {"headers": headers, "status_code": 200, "body": xml, "context": {"operation_name": operation}}


def parse_only_client(response_dict: dict, output_shape: Any, operation: str = OPERATION) -> Any:
    """The parse-only interceptor (c3, h3; for the delete, the floor): a
    client without our handlers whose ``before-call`` handler for
    ``operation`` only runs botocore's parser (a parser per call, as
    botocore's endpoint makes one per response) on the pre-rendered XML."""
    factory = ResponseParserFactory()
    canned_http = AWSResponse(CLOSED_ENDPOINT, 200, dict(response_dict["headers"]), None)

    def parse_only(**_: Any) -> tuple:
        return canned_http, factory.create_parser("query").parse(response_dict, output_shape)

    client = make_client(clean_session())
    client.meta.events.register(f"before-call.redshift.{operation}", parse_only)
    return client


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


# ---------------------------------------------------------------- timers inside calls


_ABSENT = object()


class CallTimers:
    """Wrap functions so that each call adds its duration and a count to a
    named total (``ns``, ``calls``); ``restore()`` puts the originals back.

    ``owner`` is a module, a class (wrapping a method: the wrapper becomes
    the method) or a dict (a registry such as ``_rules.OPERATIONS``). A name
    a module uses from builtins (``sorted``) is wrapped in that module only.
    ``wrap`` returns False, and wraps nothing, if ``owner`` has no such name
    (a renamed private function)."""

    def __init__(self) -> None:
        self.ns: Dict[str, int] = {}
        self.calls: Dict[str, int] = {}
        self._undo: List[Tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attribute: str, name: str) -> bool:
        is_dict = isinstance(owner, dict)
        if is_dict:
            real = owner.get(attribute)
            previous = real
        else:
            previous = vars(owner).get(attribute, _ABSENT) if hasattr(owner, "__dict__") else _ABSENT
            real = getattr(owner, attribute, None)
            if real is None and isinstance(owner, type(sys)):  # a builtin the module uses
                real = getattr(builtins, attribute, None)
        if real is None:
            return False
        ns, calls, clock = self.ns, self.calls, time.perf_counter_ns
        ns.setdefault(name, 0)
        calls.setdefault(name, 0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return real(*args, **kwargs)
            finally:
                ns[name] += clock() - start
                calls[name] += 1

        if is_dict:
            owner[attribute] = timed
        else:
            setattr(owner, attribute, timed)
        self._undo.append((owner, attribute, previous))
        return True

    def restore(self) -> None:
        while self._undo:
            owner, attribute, previous = self._undo.pop()
            if isinstance(owner, dict):
                owner[attribute] = previous
            elif previous is _ABSENT:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, previous)


def timer_cost(loops: int = 200_000) -> float:
    """ns one ``CallTimers`` wrapper adds to a call (wrapped no-op minus bare no-op)."""

    class Box:
        @staticmethod
        def noop() -> None:
            return None

    def run() -> float:
        start = time.perf_counter_ns()
        for _ in range(loops):
            Box.noop()
        return (time.perf_counter_ns() - start) / loops

    bare = min(run() for _ in range(3))
    timers = CallTimers()
    timers.wrap(Box, "noop", "noop")
    try:
        wrapped = min(run() for _ in range(3))
    finally:
        timers.restore()
    return max(0.0, wrapped - bare)
