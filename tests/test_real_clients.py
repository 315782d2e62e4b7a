"""Clients that are not boto3, pointed at the endpoint as their users would:
the AWS SDK for JavaScript v3, the AWS CLI v1 with --endpoint-url, and curl
with a hand-written query body. Installed and cached by ``tests/external.py``;
CI requires them (``REDSHIFT_INTERCEPT_REQUIRE_CLIENTS=1``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import re
import subprocess
from typing import Any, Dict, List

import pytest

from redshift_intercept import intercept

from .external import aws_cli, js_clients, need

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
OLD = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def seed(rs: Any, count: int = 45) -> None:
    rs.add_cluster(ClusterIdentifier="prod")
    for i in range(count):
        rs.add_snapshot(SnapshotIdentifier=f"old-{i:03d}", ClusterIdentifier="prod", NumberOfNodes=4,
                        SnapshotCreateTime=OLD + dt.timedelta(hours=i), Tags={"team": "data"})
    rs.add_snapshot(SnapshotIdentifier="shared", ClusterIdentifier="prod", SnapshotCreateTime=OLD,
                    AccountsWithRestoreAccess=["111122223333"])


def isolated_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The environment of a client process: no AWS settings of this machine, only ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(extra)
    return env


# ---------------------------------------------------------------- JavaScript


def test_the_aws_sdk_for_javascript_v3():
    folder = js_clients()
    rs = intercept()
    seed(rs)
    with rs.serve(verify_signatures={"AKIDJAVASCRIPT": "js-secret"}) as endpoint:  # the SDK's own SigV4, checked
        done = subprocess.run(["node", str(folder / "cleanup.mjs"), endpoint.url, "AKIDJAVASCRIPT", "js-secret"],
                              capture_output=True, text=True, timeout=300, env=isolated_env({}))
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)

    listed = [i for page in seen["pages"] for i in page]
    assert [len(page) for page in seen["pages"]] == [20, 20, 6]  # the paginator followed every Marker
    assert listed == ["old-000", "shared"] + [f"old-{i:03d}" for i in range(1, 45)]  # oldest first; ties by id

    assert seen["deleted"]["id"] == "old-000" and seen["deleted"]["status"] == "deleted"
    assert seen["deleted"]["created"] == "2024-01-01T00:00:00.000Z"  # a Date, parsed from our XML
    assert seen["deleted"]["nodes"] == 4 and seen["deleted"]["tags"] == [{"Key": "team", "Value": "data"}]

    shared = seen["shared"]
    assert shared["invalidState"] is True and shared["name"] == "InvalidClusterSnapshotStateFault"
    assert (shared["fault"], shared["status"]) == ("client", 400)
    assert "other accounts still have access to it" in shared["message"]
    assert seen["again"]["notFound"] is True and seen["again"]["status"] == 404

    assert seen["batch"] == {"resources": ["old-001", "old-002"], "errors": [
        ["shared", "InvalidClusterSnapshotState"], ["ghost", "ClusterSnapshotNotFound"]]}
    remaining = [s["SnapshotIdentifier"] for s in rs.snapshots()]
    assert remaining == [f"old-{i:03d}" for i in range(3, 45)] + ["shared"]
    assert {(c.access_key_id, c.source.split(":")[0]) for c in rs.calls} == {("AKIDJAVASCRIPT", "127.0.0.1")}
    assert rs.calls.of("DeleteClusterSnapshot")[0].request_id == seen["deleted"]["requestId"]


def _readme_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if containing in block)


def test_the_readme_pytest_example_runs_the_readme_javascript(pytester):
    """The README's pytest example, whose cleanup.mjs is the README's JavaScript snippet."""
    folder = js_clients()
    (pytester.path / "cleanup.mjs").write_text(_readme_block("js", "RedshiftClient"), encoding="utf-8")
    (pytester.path / "node_modules").symlink_to(folder / "node_modules")
    pytester.makepyfile(test_readme_example=_readme_block("python", "redshift_intercept_server"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_readme_compose_file_runs_serve_as_documented():
    from redshift_intercept._cli import _parser
    from redshift_intercept._http import ADMIN_PREFIX

    compose = _readme_block("yaml", "services:")
    command = re.search(r"exec (redshift-intercept serve .*?)\"", compose, re.S).group(1).split()
    args = _parser().parse_args(command[1:])
    assert (args.subcommand, args.host, args.port, args.out) == ("serve", "0.0.0.0", 4566, "/state/final.json")
    assert f"http://127.0.0.1:4566{ADMIN_PREFIX}health" in compose
    environment = dict(re.findall(r"^      (AWS_\w+): (\S+)$", compose, re.M))
    assert environment["AWS_ENDPOINT_URL_REDSHIFT"] == "http://redshift:4566"
    with intercept().serve() as endpoint:  # the variables the endpoint itself hands to child processes
        assert set(environment) <= set(endpoint.env)


# ---------------------------------------------------------------- the AWS CLI v1


def test_the_readme_python_example_runs(monkeypatch):
    aws = aws_cli()
    monkeypatch.setenv("PATH", f"{aws.parent}{os.pathsep}{os.environ['PATH']}")
    exec(compile(_readme_block("python", "rs.serve()"), "README.md", "exec"), {})



def test_the_aws_cli_v1_with_endpoint_url():
    aws = aws_cli()
    rs = intercept()
    seed(rs, count=130)  # more than one page of 100: the CLI paginates by itself
    with rs.serve() as endpoint:
        env = isolated_env({"AWS_ACCESS_KEY_ID": "AKIDCLI", "AWS_SECRET_ACCESS_KEY": "cli-secret"})

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(aws), "redshift", *args, "--endpoint-url", endpoint.url, "--region",
                                   "us-east-1", "--output", "json"], capture_output=True, text=True, env=env,
                                  timeout=300)

        listed = cli("describe-cluster-snapshots", "--query", "Snapshots[].SnapshotIdentifier")
        deleted = cli("delete-cluster-snapshot", "--snapshot-identifier", "old-000")
        refused = cli("delete-cluster-snapshot", "--snapshot-identifier", "shared")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == ["old-000", "shared"] + [f"old-{i:03d}" for i in range(1, 130)]
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout)["Snapshot"]["Status"] == "deleted"
    assert refused.returncode == 255  # v1 exits 255 on any error (v2 says 254 for a service error)
    assert ("An error occurred (InvalidClusterSnapshotState) when calling the DeleteClusterSnapshot operation: "
            "Cannot delete the snapshot shared because other accounts still have access to it.") in refused.stderr
    assert [c.operation for c in rs.calls] == ["DescribeClusterSnapshots"] * 2 + ["DeleteClusterSnapshot"] * 2
    assert {c.access_key_id for c in rs.calls} == {"AKIDCLI"}


# ---------------------------------------------------------------- curl


def curl(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([need("curl"), "--silent", "--show-error", *args], capture_output=True, timeout=60)
    done.stdout = done.stdout.decode("utf-8")  # decoded by hand: text mode would turn \r\n into \n
    return done


HAND_WRITTEN = ("AWS4-HMAC-SHA256 Credential=AKIDCURL/20240101/us-east-1/redshift/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=not-checked")


def test_curl_with_a_hand_written_query_body():
    rs = intercept()
    seed(rs, count=2)
    with rs.serve() as endpoint:
        unsigned = curl("--write-out", "\n%{http_code}", "--data",
                        "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=old-000", endpoint.url)
        written = curl("--include", "--header", f"Authorization: {HAND_WRITTEN}",
                       "--header", "X-Amz-Date: 20240101T000000Z", "--data",
                       "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=old-000", endpoint.url)
    body, status = unsigned.stdout.rsplit("\n", 1)
    assert status == "403" and "<Code>MissingAuthenticationToken</Code>" in body
    head, xml = written.stdout.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 200 OK")
    headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
    assert headers["Content-Type"] == "text/xml" and re.fullmatch(r"[0-9a-f-]{36}", headers["x-amzn-RequestId"])
    assert "Date" in headers and int(headers["Content-Length"]) == len(xml.encode("utf-8"))
    assert xml.startswith('<DeleteClusterSnapshotResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">'
                          "<DeleteClusterSnapshotResult><Snapshot><SnapshotIdentifier>old-000</SnapshotIdentifier>")
    assert f"<RequestId>{headers['x-amzn-RequestId']}</RequestId>" in xml
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["old-001", "shared"]


def test_curl_signing_with_aws_sigv4_is_verified():
    rs = intercept()
    seed(rs, count=2)
    with rs.serve(verify_signatures={"AKIDCURL": "curl-secret"}) as endpoint:
        def signed(secret: str) -> List[str]:
            done = curl("--write-out", "\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:redshift",
                        "--user", f"AKIDCURL:{secret}", "--data",
                        "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=old-000", endpoint.url)
            return done.stdout.rsplit("\n", 1)

        wrong_body, wrong_status = signed("not-it")
        right_body, right_status = signed("curl-secret")
    assert wrong_status == "403" and "<Code>SignatureDoesNotMatch</Code>" in wrong_body
    assert right_status == "200" and "<Status>deleted</Status>" in right_body
    assert [c.error_code for c in rs.calls] == ["SignatureDoesNotMatch", None]


@pytest.fixture(autouse=True)
def _no_network_but_loopback(monkeypatch):
    """Every client here is told its endpoint; none falls back to AWS's."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
