"""``redshift-intercept serve`` as a process: the URL on the first line,
SIGTERM and SIGINT that wait for a request in flight and then write --out,
one-line usage errors, signatures checked with an identities file, and
several processes on one SQLite file or PostgreSQL database behaving as
one service."""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import pathlib
import select
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Optional
from urllib.parse import urlsplit

import boto3
import pytest

from redshift_intercept import SqliteBackend
from redshift_intercept._cli import main
from redshift_intercept.testing import NO_RETRIES

ROOT = pathlib.Path(__file__).resolve().parent.parent
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/redshift/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000")


def _stop_with_the_test_run(ignore_sigint: bool) -> Callable[[], None]:
    """In the child: die with this process (Linux), so a server never outlives the tests."""
    def setup() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if ignore_sigint:  # as a non-interactive shell starts a background job: SIGINT ignored on arrival
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return setup


class Served:
    """A ``redshift-intercept serve`` process on 127.0.0.1."""

    def __init__(self, *args: Any, ignore_sigint: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "redshift_intercept", "serve", *map(str, args)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_stop_with_the_test_run(ignore_sigint))
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("http://"):
            self.process.kill()
            raise AssertionError(f"serve printed {line!r} first; stderr: {self.process.communicate()[1]}")
        self.url = line.strip()

    def client(self, key: str = "testing", secret: str = "testing") -> Any:
        return boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=self.url,
                                      aws_access_key_id=key, aws_secret_access_key=secret, config=NO_RETRIES)

    def stop(self, signum: Optional[int] = signal.SIGTERM) -> subprocess.CompletedProcess:
        """Send ``signum`` (None: none, it is on its way out) and wait for the exit."""
        if signum is not None:
            self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=60)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)


@pytest.fixture
def served() -> Iterator[Callable[..., Served]]:
    started: List[Served] = []

    def start(*args: Any, **kwargs: Any) -> Served:
        started.append(Served(*args, **kwargs))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def partial_delete(url: str, snapshot_id: str) -> tuple[socket.socket, bytes]:
    """A delete whose last bytes are not sent yet: a request in flight."""
    body = f"Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier={snapshot_id}".encode()
    data = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\nX-Amz-Date: 20240101T000000Z\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(data[:-4])
    return sock, data[-4:]


def finish(sock: socket.socket, rest: bytes) -> tuple[int, bytes]:
    with sock:
        sock.sendall(rest)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


@pytest.fixture
def seed(tmp_path) -> pathlib.Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"Snapshots": [
        {"SnapshotIdentifier": f"old-{i}", "ClusterIdentifier": "prod", "SnapshotCreateTime": "2024-01-01T00:00:00Z"}
        for i in range(3)] + [
        {"SnapshotIdentifier": "shared", "ClusterIdentifier": "prod", "SnapshotCreateTime": "2024-01-01T00:00:00Z",
         "AccountsWithRestoreAccess": [{"AccountId": "111122223333"}]}]}))
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_then_drains_and_writes_the_final_state(served, seed, tmp_path, signum):
    out = tmp_path / "final.json"
    # SIGINT arrives ignored, as in a background job of a script: serve must still stop on it.
    server = served("--port", "0", "--snapshots", seed, "--out", out, ignore_sigint=signum == signal.SIGINT)
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")
    client = server.client()
    client.delete_cluster_snapshot(SnapshotIdentifier="old-0")
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="shared")
    sock, rest = partial_delete(server.url, "old-1")
    threading.Timer(0.3, server.process.send_signal, [signum]).start()
    threading.Event().wait(1.0)  # the signal has arrived; the request is still in flight
    assert server.process.poll() is None
    status, body = finish(sock, rest)
    assert status == 200 and b"<Status>deleted</Status>" in body
    done = server.stop(None)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # nothing after the URL line
    assert f"stopped by {signal.Signals(signum).name} after 3 request(s); final state written to {out}" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(s["SnapshotIdentifier"] for s in json.loads(out.read_text())["Snapshots"]) == ["old-2", "shared"]


def test_state_and_health_pages_of_a_served_process(served, seed):
    server = served("--snapshots", seed, "--region", "eu-west-1", "--account", "111122223333")
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/_redshift_intercept/health")
    health = json.loads(connection.getresponse().read())
    assert health == {"status": "ok", "service": "redshift", "account_id": "111122223333", "region": "eu-west-1",
                      "requests": 0}
    connection.request("GET", "/_redshift_intercept/state")
    state = json.loads(connection.getresponse().read())
    assert [s["SnapshotIdentifier"] for s in state["Snapshots"]] == ["old-0", "old-1", "old-2", "shared"]
    assert {s["OwnerAccount"] for s in state["Snapshots"]} == {"111122223333"}
    connection.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "moon"], "--region must be an AWS region name such as 'us-east-1'; got 'moon'"),
    (["--account", "42"], "--account must be 12 digits, like '123456789012'; got '42'"),
    (["--port", "70000"], "--port must be from 0 to 65535, got 70000"),
    (["--max-body", "0"], "--max-body must be at least 1 byte, got 0"),
    (["--verify-signatures"], "--verify-signatures needs --identities FILE, which gives each access key's "
                              "secret_access_key"),
    (["--backend", "mysql://x"], "--backend: backend 'mysql://x' is not a backend short form"),
    (["--snapshots", "no-such.json"], "cannot read snapshots file 'no-such.json'"),
    (["--verify-signatures", "--identities", "{identities}"],
     "identities file '{identities}': 'AKIDNOSECRET' has no secret_access_key (a non-empty string), which "
     "--verify-signatures needs"),
])
def test_bad_input_is_one_line_and_exit_2_before_listening(args, message, tmp_path, capsys):
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIDNOSECRET": {"arn": "arn:aws:iam::123456789012:user/x"}}))
    args = [a.replace("{identities}", str(identities)) for a in args]
    assert main(["serve", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("redshift-intercept: " + message.replace("{identities}", str(identities)))
    assert captured.err.count("\n") == 1


def test_a_port_in_use_is_a_usage_error(capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert capsys.readouterr().err.startswith(f"redshift-intercept: cannot listen on 127.0.0.1:{port}: ")


def test_signatures_are_checked_with_the_identities_file(served, seed, tmp_path):
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIDCLEANUP": {"secret_access_key": "s3cret",
                                                      "arn": "arn:aws:iam::123456789012:user/cleanup"}}))
    server = served("--snapshots", seed, "--identities", identities, "--verify-signatures")
    wrong = server.client("AKIDCLEANUP", "guess")
    with pytest.raises(wrong.exceptions.ClientError) as excinfo:
        wrong.delete_cluster_snapshot(SnapshotIdentifier="old-0")
    assert excinfo.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert server.client("AKIDCLEANUP", "s3cret").delete_cluster_snapshot(
        SnapshotIdentifier="old-0")["Snapshot"]["Status"] == "deleted"
    done = server.stop()
    assert done.returncode == 0 and "signatures verified" in done.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_state(request, tmp_path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(the --backend of several serve processes, a function opening that
    backend in the test). PostgreSQL: the test server's default schema and
    namespace, which no other test uses, emptied before and after."""
    if request.param == "sqlite":
        state = tmp_path / "state.db"
        yield f"sqlite:///{state}", lambda: SqliteBackend(state)
        return
    from tests.postgres_support import require_postgres

    dsn = require_postgres()
    from redshift_intercept._postgres import PostgresBackend

    with PostgresBackend(dsn) as backend:
        backend.clear()
    yield dsn, lambda: PostgresBackend(dsn)
    with PostgresBackend(dsn) as backend:
        backend.clear()


def test_two_processes_on_one_backend_are_one_service(served, shared_state, tmp_path):
    url, open_backend = shared_state
    seed = tmp_path / "seed.json"
    ids = [f"snap-{i:02d}" for i in range(40)]
    seed.write_text(json.dumps({"Snapshots": [{"SnapshotIdentifier": i} for i in ids]}))
    first = served("--backend", url, "--snapshots", seed)
    second = served("--backend", url)
    first.client().delete_cluster_snapshot(SnapshotIdentifier="snap-00")
    gone = second.client()
    with pytest.raises(gone.exceptions.ClusterSnapshotNotFoundFault):
        gone.describe_cluster_snapshots(SnapshotIdentifier="snap-00")

    clients = [first.client(), second.client(), first.client(), second.client()]
    for client in clients:
        assert client.exceptions.ClusterSnapshotNotFoundFault  # built before the threads race for it

    def worker(client: Any) -> List[str]:
        deleted = []
        for snapshot_id in ids[1:]:
            try:
                client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
                deleted.append(snapshot_id)
            except client.exceptions.ClusterSnapshotNotFoundFault:
                pass
        return deleted

    with ThreadPoolExecutor(4) as pool:
        deleted = [i for got in pool.map(worker, clients) for i in got]
    assert sorted(deleted) == ids[1:]  # each exactly once, across both processes
    for server in (first, second):
        assert server.stop().returncode == 0
    with open_backend() as backend:
        journal = backend.read_calls()
        assert backend.list("123456789012", "us-east-1") == []
    assert len(journal) == 2 + 4 * 39
    assert len({entry["pid"] for entry in journal}) == 2
    assert all(entry["source"].startswith("127.0.0.1:") and entry["access_key_id"] == "testing" for entry in journal)
    assert sum(1 for entry in journal if entry["error_code"] is None) == 1 + 39


def test_unmodelled_actions_are_refused_and_journaled(served, tmp_path):
    state = tmp_path / "state.db"
    server = served("--backend", f"sqlite:///{state}")
    client = server.client()
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.describe_cluster_parameter_groups()
    error: Optional[dict] = excinfo.value.response
    assert error["Error"]["Code"] == "UnhandledOperation"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "does not answer Redshift DescribeClusterParameterGroups" in error["Error"]["Message"]
    server.stop()
    with SqliteBackend(state) as backend:
        assert [(e["operation"], e["error_code"]) for e in backend.read_calls()] == [
            ("DescribeClusterParameterGroups", "UnhandledOperation")]
