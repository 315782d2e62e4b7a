"""The endpoint over real sockets: the same bytes as in-process calls, bad
requests of every kind each answered (or dropped) while the server keeps
serving, requests served concurrently, a stop that waits for requests in
flight, and the Python API's lifecycle and misuse."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import boto3
import pytest

from redshift_intercept import Endpoint, intercept, serve
from redshift_intercept._http import QueryDoor
from redshift_intercept._server import QueryApp
from redshift_intercept.testing import NO_RETRIES

from .conftest import make_client

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/redshift/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000")
WHEN = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def http_client(url: str, *, key: str = "testing", secret: str = "testing", region: str = "us-east-1") -> Any:
    return boto3.Session().client("redshift", region_name=region, endpoint_url=url, aws_access_key_id=key,
                                  aws_secret_access_key=secret, config=NO_RETRIES)


def request_bytes(body: bytes, *, content_type: str = "application/x-www-form-urlencoded",
                  length: Optional[int] = None, extra: str = "") -> bytes:
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\nX-Amz-Date: 20240101T000000Z\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body) if length is None else length}\r\n{extra}\r\n")
    return head.encode("latin-1") + body


def exchange(url: str, data: bytes, *, half_close: bool = False, timeout: float = 10.0
             ) -> Optional[Tuple[int, Dict[str, str], bytes]]:
    """Send raw bytes; (status, headers, body) of the answer, or None if the server closed without one."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all: read the answer
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def code_of(body: bytes) -> str:
    return re.search(rb"<Code>(.*?)</Code>", body).group(1).decode()


@pytest.fixture
def endpoint():
    rs = intercept()
    rs.add_snapshot(SnapshotIdentifier="keep-me", SnapshotCreateTime=WHEN)
    with rs.serve() as endpoint:
        yield endpoint


def still_serving(endpoint: Endpoint) -> None:
    client = http_client(endpoint.url)
    assert client.describe_cluster_snapshots(SnapshotIdentifier="keep-me")["Snapshots"][0]["Status"] == "available"


# ---------------------------------------------------------------- the same bytes


def seeded(rs: Any) -> Any:
    rs.add_cluster(ClusterIdentifier="prod", ClusterCreateTime=WHEN - dt.timedelta(days=90))
    for i in range(3):
        rs.add_snapshot(SnapshotIdentifier=f"nightly-{i}", ClusterIdentifier="prod", Tags={"team": "data"},
                        SnapshotCreateTime=WHEN + dt.timedelta(days=i), ClusterCreateTime=WHEN - dt.timedelta(days=90))
    rs.add_snapshot(SnapshotIdentifier="shared", ClusterIdentifier="prod", SnapshotCreateTime=WHEN,
                    ClusterCreateTime=WHEN - dt.timedelta(days=90), AccountsWithRestoreAccess=["111122223333"])
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-00-00-00", ClusterIdentifier="prod",
                    SnapshotType="automated", SnapshotCreateTime=WHEN, ClusterCreateTime=WHEN - dt.timedelta(days=90))
    return rs


CALLS: List[Tuple[str, Dict[str, Any]]] = [
    ("describe_cluster_snapshots", {}),
    ("describe_cluster_snapshots", {"SnapshotIdentifier": "nightly-1"}),
    ("describe_cluster_snapshots", {"MaxRecords": 20, "SortingEntities": [{"Attribute": "CREATE_TIME",
                                                                          "SortOrder": "DESC"}]}),
    ("describe_cluster_snapshots", {"MaxRecords": 5}),
    ("delete_cluster_snapshot", {"SnapshotIdentifier": "nightly-0"}),
    ("delete_cluster_snapshot", {"SnapshotIdentifier": "nightly-0"}),
    ("delete_cluster_snapshot", {"SnapshotIdentifier": "shared"}),
    ("delete_cluster_snapshot", {"SnapshotIdentifier": "rs:prod-2024-05-01-00-00-00"}),
    ("batch_delete_cluster_snapshots", {"Identifiers": [{"SnapshotIdentifier": "nightly-1"},
                                                        {"SnapshotIdentifier": "ghost"}]}),
    ("create_tags", {"ResourceName": "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/nightly-2",
                     "Tags": [{"Key": "keep", "Value": "true"}]}),
    ("describe_tags", {"ResourceType": "snapshot"}),
    ("modify_cluster_snapshot", {"SnapshotIdentifier": "nightly-2", "ManualSnapshotRetentionPeriod": 7}),
    ("revoke_snapshot_access", {"SnapshotIdentifier": "shared", "AccountWithRestoreAccess": "111122223333"}),
    ("describe_clusters", {}),
    ("describe_clusters", {"ClusterIdentifier": "ghost"}),
]


def run_calls(client: Any) -> List[Tuple[int, Dict[str, str], bytes, Dict[str, Any]]]:
    seen: List[Tuple[int, Dict[str, str], bytes, Dict[str, Any]]] = []

    def keep(http_response: Any, parsed: Dict[str, Any], **_: Any) -> None:
        request_id = parsed["ResponseMetadata"]["RequestId"]
        body = http_response.content.replace(request_id.encode(), b"REQUEST-ID")
        result = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        headers = {k.lower(): v for k, v in http_response.headers.items() if k.lower() in (
            "content-type", "content-length", "x-amzn-requestid")}
        assert headers.pop("x-amzn-requestid") == request_id
        seen.append((http_response.status_code, headers, body, result))

    client.meta.events.register("after-call.redshift", keep)
    for method, params in CALLS:
        try:
            getattr(client, method)(**params)
        except client.exceptions.ClientError:
            pass
    return seen


def test_every_answer_is_byte_for_byte_the_in_process_one():
    local = make_client()
    with intercept(target=local) as in_process:
        seeded(in_process)
        expected = run_calls(local)
    with seeded(intercept()).serve() as endpoint:
        got = run_calls(http_client(endpoint.url))
    assert len(got) == len(expected) == len(CALLS)
    for (method, params), want, have in zip(CALLS, expected, got, strict=True):
        assert have == want, f"{method}({params})"
    assert {status for status, *_ in got} == {200, 400, 404}


# ---------------------------------------------------------------- bad requests


GOOD = b"Action=DescribeClusterSnapshots&Version=2012-12-01&SnapshotIdentifier=keep-me"


def test_a_truncated_body_of_the_length_it_says_is_answered_and_changes_nothing(endpoint):
    body = b"Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdent"
    status, headers, answer = exchange(endpoint.url, request_bytes(body))
    assert (status, code_of(answer), headers["content-type"]) == (400, "MissingParameter", "text/xml")
    still_serving(endpoint)


def test_a_body_shorter_than_its_length_then_a_close_gets_no_answer_and_no_harm(endpoint):
    assert exchange(endpoint.url, request_bytes(GOOD[:20], length=len(GOOD)), half_close=True) is None
    still_serving(endpoint)
    assert endpoint.rs.calls.of("DescribeClusterSnapshots").call_count == 1  # only still_serving's


def test_a_10_mb_body_is_refused_before_it_is_read(endpoint):
    body = GOOD + b"&Marker=" + b"x" * (10 * 1024 * 1024)
    started = time.monotonic()
    status, headers, answer = exchange(endpoint.url, request_bytes(body))
    assert (status, code_of(answer), headers["content-type"]) == (413, "RequestEntityTooLarge", "text/xml")
    assert f"{len(body):,} bytes".encode() in answer
    assert time.monotonic() - started < 5
    still_serving(endpoint)


def test_a_10_mb_chunked_body_is_cut_off_at_the_limit(endpoint):
    chunk = b"x" * 65536
    data = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(160)) + b"0\r\n\r\n")
    status, _, answer = exchange(endpoint.url, data)
    assert (status, code_of(answer)) == (413, "RequestEntityTooLarge")
    still_serving(endpoint)


def test_a_wrong_content_type_is_refused(endpoint):
    status, _, answer = exchange(endpoint.url, request_bytes(b'{"Action": "DeleteClusterSnapshot"}',
                                                             content_type="application/json"))
    assert (status, code_of(answer)) == (400, "MissingAction")
    assert b"application/json" in answer
    still_serving(endpoint)


def test_a_bad_signature_is_refused_when_signatures_are_verified():
    rs = intercept()
    rs.add_snapshot(SnapshotIdentifier="keep-me")
    with rs.serve(verify_signatures={"AKIDGOOD": "right"}) as endpoint:
        wrong = http_client(endpoint.url, key="AKIDGOOD", secret="wrong")
        with pytest.raises(wrong.exceptions.ClientError) as excinfo:
            wrong.delete_cluster_snapshot(SnapshotIdentifier="keep-me")
        assert excinfo.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert len(rs.snapshots()) == 1
        status, _, answer = exchange(endpoint.url, request_bytes(GOOD))  # a made-up signature
        assert (status, code_of(answer)) == (403, "InvalidClientTokenId")
        right = http_client(endpoint.url, key="AKIDGOOD", secret="right")
        assert right.delete_cluster_snapshot(SnapshotIdentifier="keep-me")["Snapshot"]["Status"] == "deleted"


def test_what_is_not_http_gets_the_servers_400_and_the_server_goes_on(endpoint):
    status, headers, _ = exchange(endpoint.url, b"HELLO THERE\r\n\r\n")
    # uvicorn's own text/plain answer: no Redshift client sends this, nor is AWS's front end Redshift.
    assert (status, headers["content-type"].split(";")[0]) == (400, "text/plain")
    still_serving(endpoint)


def test_a_body_that_stops_coming_times_out():
    rs = intercept()
    sent: List[Dict[str, Any]] = []

    async def run() -> None:
        app = QueryApp(QueryDoor(rs._service, rs.account_id, rs.region), 1024, _inline_executor(), 0.05)
        scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
                 "headers": [(b"content-length", b"10")], "client": ("127.0.0.1", 1)}

        async def receive() -> Dict[str, Any]:
            await asyncio.sleep(10)
            return {}

        async def send(message: Dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 400 and code_of(sent[1]["body"]) == "RequestTimeout"


def _inline_executor() -> Any:
    return ThreadPoolExecutor(1)


# ---------------------------------------------------------------- concurrency and stopping


def test_requests_are_served_concurrently(endpoint):
    """A request whose body is still coming holds up no other request."""
    parts = urlsplit(endpoint.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as slow:
        slow.sendall(request_bytes(GOOD)[:-10])  # all but the end of the body
        started = time.monotonic()
        still_serving(endpoint)
        assert time.monotonic() - started < 5
        slow.sendall(request_bytes(GOOD)[-10:])
        response = http.client.HTTPResponse(slow)
        response.begin()
        assert response.status == 200 and b"keep-me" in response.read()


def test_stop_waits_for_a_request_in_flight(endpoint):
    parts = urlsplit(endpoint.url)
    delete = request_bytes(b"Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=keep-me")
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(delete[:-5])
        time.sleep(0.2)  # the request is in flight
        stopper = threading.Thread(target=endpoint.stop)
        stopper.start()
        time.sleep(0.5)
        assert stopper.is_alive()  # still waiting for the request
        sock.sendall(delete[-5:])
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200 and b"<Status>deleted</Status>" in response.read()
        stopper.join(10)
    assert not stopper.is_alive() and not endpoint.active
    assert endpoint.rs.snapshots() == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=2)
    endpoint.start()  # __exit__ stops it again


# ---------------------------------------------------------------- the Python API


def test_lifecycle():
    endpoint = intercept().serve()
    with pytest.raises(RuntimeError, match=r"this endpoint is not serving: start it first"):
        endpoint.url  # noqa: B018
    with pytest.raises(RuntimeError, match=r"stop\(\) follows start\(\)"):
        endpoint.stop()
    with endpoint:
        assert endpoint.active and endpoint.url == f"http://127.0.0.1:{endpoint.port}" and endpoint.port > 0
        assert repr(endpoint) == f"<Endpoint {endpoint.url}, account 123456789012, region us-east-1>"
        with pytest.raises(RuntimeError, match=r"already serving"):
            endpoint.start()
        with urllib.request.urlopen(endpoint.url + "/_redshift_intercept/health", timeout=10) as page:
            assert json.load(page)["status"] == "ok"
    assert not endpoint.active


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"port": "4566"}, TypeError, "port must be an int (0 picks a free port), got str"),
    ({"port": 70000}, ValueError, "port must be from 0 to 65535, got 70000"),
    ({"host": ""}, TypeError, "host must be a str such as '127.0.0.1', got ''"),
    ({"max_body": 0}, ValueError, "max_body must be at least 1 byte, got 0"),
    ({"verify_signatures": {}}, TypeError, "verify_signatures must be None or a non-empty dict of access key id"),
    ({"verify_signatures": {"AKID": 1}}, TypeError, "verify_signatures must map access key ids (str) to secret"),
])
def test_misuse_names_the_argument(kwargs, error, message):
    with pytest.raises(error) as excinfo:
        intercept().serve(**kwargs)
    assert str(excinfo.value).startswith(message)


def test_a_port_in_use_is_an_oserror(endpoint):
    with pytest.raises(OSError):
        intercept().serve(port=endpoint.port).start()


def test_module_level_serve_makes_its_own_inactive_interceptor():
    with serve(region="eu-west-1", account_id="111122223333") as endpoint:
        rs = endpoint.rs
        assert not rs.active and (rs.region, rs.account_id) == ("eu-west-1", "111122223333")
        rs.add_snapshot(SnapshotIdentifier="mine")
        client = http_client(endpoint.url, region="eu-west-1")
        snapshot = client.delete_cluster_snapshot(SnapshotIdentifier="mine")["Snapshot"]
        assert snapshot["OwnerAccount"] == "111122223333"
        assert endpoint.env["AWS_ENDPOINT_URL_REDSHIFT"] == endpoint.url
        assert endpoint.env["AWS_REGION"] == "eu-west-1"


def test_the_fixture_shares_one_service_with_in_process_calls(redshift_intercept, redshift_intercept_server):
    """The fixture's interceptor is active in this process; the endpoint serves the same service to
    another process; each sees what the other did."""
    redshift_intercept.add_snapshot(SnapshotIdentifier="seen-by-both")
    redshift_intercept.add_snapshot(SnapshotIdentifier="deleted-over-http")
    script = ("import boto3, json\n"
              "c = boto3.client('redshift')\n"
              "c.delete_cluster_snapshot(SnapshotIdentifier='deleted-over-http')\n"
              "print(json.dumps([s['SnapshotIdentifier'] for s in c.describe_cluster_snapshots()['Snapshots']]))\n")
    env = {**os.environ, **redshift_intercept_server.env}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["seen-by-both"]
    in_process = make_client()  # answered in process by the active fixture
    assert [s["SnapshotIdentifier"] for s in in_process.describe_cluster_snapshots()["Snapshots"]] == ["seen-by-both"]
    assert [(c.operation, c.source is not None) for c in redshift_intercept.calls] == [
        ("DeleteClusterSnapshot", True), ("DescribeClusterSnapshots", True), ("DescribeClusterSnapshots", False)]
