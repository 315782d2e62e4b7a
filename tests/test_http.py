"""The HTTP door without sockets: every refusal AWS-style, nothing changed by
a refused call, the journal's record of each request, and the endpoint's own
health and state pages."""

from __future__ import annotations

import json
import re
from typing import Dict, List, Optional

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from redshift_intercept import MemoryBackend, intercept
from redshift_intercept._http import QueryDoor, Response

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDCALLER/20240101/{region}/redshift/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000")
FORM = "application/x-www-form-urlencoded; charset=utf-8"
CLIENT = ("127.0.0.1", 50312)


def send(door: QueryDoor, body: str | bytes = b"", *, method: str = "POST", query: bytes = b"", path: str = "/",
         region: str = "us-east-1", headers: Optional[Dict[str, List[str]]] = None, signed: bool = True) -> Response:
    sent = {"host": ["127.0.0.1:4566"], "x-amz-date": ["20240101T000000Z"], "content-type": [FORM]}
    if signed:
        sent["authorization"] = [AUTH.format(region=region)]
    sent.update(headers or {})
    data = body.encode("utf-8") if isinstance(body, str) else body
    return door.handle(method, path, query, sent, data, CLIENT)


def error_of(response: Response) -> tuple[int, str, str]:
    text = response.body.decode("utf-8")
    assert text.startswith('<ErrorResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><Error><Type>')
    code = re.search(r"<Code>(.*?)</Code>", text).group(1)
    message = re.search(r"<Message>(.*?)</Message>", text, re.S).group(1)
    return response.status, code, message


def header(response: Response, name: str) -> str:
    return next(v.decode() for k, v in response.headers if k.decode().lower() == name)


@pytest.fixture
def rs():
    rs = intercept(journal=True)
    rs.add_snapshot(SnapshotIdentifier="keep-me")
    return rs


@pytest.fixture
def door(rs):
    return QueryDoor(rs._service, rs.account_id, rs.region)


DELETE = "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=keep-me"


def test_an_answer_has_the_headers_aws_sends(door, rs):
    response = send(door, DELETE)
    assert response.status == 200
    assert [k.decode().lower() for k, _ in response.headers] == ["x-amzn-requestid", "content-type",
                                                                 "content-length", "date"]
    assert header(response, "content-type") == "text/xml"
    assert header(response, "content-length") == str(len(response.body))
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", header(response, "date"))
    request_id = header(response, "x-amzn-requestid")
    assert response.body.endswith(f"<RequestId>{request_id}</RequestId></ResponseMetadata>"
                                  "</DeleteClusterSnapshotResponse>".encode())
    assert rs.snapshots() == []


@pytest.mark.parametrize(("request_args", "expected"), [
    ({"method": "PUT", "body": DELETE},
     (405, "MethodNotAllowed", "The query protocol takes POST / with a form body, or GET / with a query string; "
                               "not PUT.")),
    ({"body": DELETE + "&Marker=%zz"},
     (404, "MalformedQueryString", "The query string contains a syntax error: a '%' that is not followed by two "
                                   "hexadecimal digits.")),
    ({"body": DELETE + "&Marker=%ff%fe"},
     (404, "MalformedQueryString", "The query string contains a syntax error: it is not UTF-8 text once decoded.")),
    ({"body": DELETE + "&SnapshotIdentifier=other"},
     (400, "InvalidQueryParameter", "The parameter SnapshotIdentifier appears more than once in the request; give "
                                    "each parameter once.")),
    ({"body": json.dumps({"SnapshotIdentifier": "keep-me"}), "headers": {"content-type": ["application/json"]}},
     (400, "MissingAction", "The request is missing an action or a required parameter: a POST body is read only as "
                            "application/x-www-form-urlencoded, and this one is 'application/json'.")),
    ({"body": "Version=2012-12-01&SnapshotIdentifier=keep-me"},
     (400, "MissingAction", "The request is missing an action or a required parameter: name the operation in the "
                            "Action parameter, e.g. Action=DescribeClusterSnapshots.")),
    ({"body": "Action=DeleteClusterSnap&Version=2012-12-01&SnapshotIdentifier=keep-me"},
     (400, "InvalidAction", "Could not find operation DeleteClusterSnap for version 2012-12-01")),
    ({"body": "Action=DeleteClusterSnapshot&Version=2011-01-01&SnapshotIdentifier=keep-me"},
     (400, "InvalidAction", "Could not find operation DeleteClusterSnapshot for version 2011-01-01")),
    ({"body": "Action=DeleteClusterSnapshot&SnapshotIdentifier=keep-me"},
     (400, "MissingParameter", "The request must contain the parameter Version (the Redshift API version, "
                               "2012-12-01).")),
    ({"body": "Action=DeleteClusterSnapshot&Version=2012-12-01"},
     (400, "MissingParameter", "The request must contain the parameter SnapshotIdentifier.")),
    ({"body": "Action=BatchDeleteClusterSnapshots&Version=2012-12-01"
              "&Identifiers.DeleteClusterSnapshotMessage.1.SnapshotIdentifier=keep-me"
              "&Identifiers.DeleteClusterSnapshotMessage.2.SnapshotClusterIdentifier=prod"},
     (400, "MissingParameter", "The request must contain the parameter "
                               "Identifiers.DeleteClusterSnapshotMessage.2.SnapshotIdentifier.")),
    ({"body": "Action=DescribeClusterSnapshots&Version=2012-12-01&MaxRecords=twenty"},
     (400, "InvalidParameterValue", "Invalid value 'twenty' for parameter MaxRecords: expected an integer from "
                                    "-2147483648 to 2147483647.")),
    ({"body": "Action=DescribeClusterSnapshots&Version=2012-12-01&MaxRecords=99999999999"},
     (400, "InvalidParameterValue", "Invalid value '99999999999' for parameter MaxRecords: expected an integer "
                                    "from -2147483648 to 2147483647.")),
    ({"body": "Action=ModifyClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=keep-me&Force=maybe"},
     (400, "InvalidParameterValue", "Invalid value 'maybe' for parameter Force: expected true or false.")),
    ({"body": "Action=DescribeClusterSnapshots&Version=2012-12-01&StartTime=last+week"},
     (400, "InvalidParameterValue", "Invalid value 'last week' for parameter StartTime: expected a timestamp such "
                                    "as 2024-05-01T12:00:00Z.")),
    ({"body": DELETE, "signed": False},
     (403, "MissingAuthenticationToken", "Request is missing Authentication Token")),
    ({"body": DELETE, "region": "moon-1"},
     (403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not 'moon-1'. ")),
])
def test_bad_requests_get_the_error_aws_gives_and_change_nothing(door, rs, request_args, expected):
    before = rs.snapshots()
    response = send(door, **request_args)
    assert error_of(response) == expected
    assert header(response, "content-type") == "text/xml"
    assert rs.snapshots() == before
    if expected[0] == 405:
        assert header(response, "allow") == "GET, POST"
    recorded = rs.calls.last
    assert (recorded.error_code, recorded.source, recorded.response) == (expected[1], "127.0.0.1:50312", None)
    assert rs.journal().last.error_code == expected[1]


def test_a_wrong_content_type_with_the_action_in_the_url_is_answered_from_the_url(door, rs):
    response = send(door, "{}", query=b"Action=DescribeClusterSnapshots&Version=2012-12-01",
                    headers={"content-type": ["application/json"]})
    assert response.status == 200 and b"<SnapshotIdentifier>keep-me</SnapshotIdentifier>" in response.body


def test_a_get_with_a_query_string_is_answered(door):
    response = send(door, method="GET", query=b"Action=DescribeClusterSnapshots&Version=2012-12-01"
                                                b"&SnapshotIdentifier=keep-me")
    assert response.status == 200 and b"<SnapshotIdentifier>keep-me</SnapshotIdentifier>" in response.body


def test_values_are_read_as_the_service_reads_them(door, rs):
    rs.add_snapshot(SnapshotIdentifier="long-kept", ManualSnapshotRetentionPeriod=30)
    response = send(door, "Action=ModifyClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=long-kept"
                          "&ManualSnapshotRetentionPeriod=%2B7&Force=TRUE&SomethingNewer=ignored")
    assert response.status == 200, response.body
    assert rs.calls.last.params == {"SnapshotIdentifier": "long-kept", "ManualSnapshotRetentionPeriod": 7,
                                    "Force": True}


def test_the_region_is_the_signature_scopes(door, rs):
    rs.add_snapshot(region="eu-west-1", SnapshotIdentifier="in-ireland")
    assert error_of(send(door, "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=in-ireland"))[1] \
        == "ClusterSnapshotNotFound"
    assert send(door, "Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=in-ireland",
                region="eu-west-1").status == 200
    assert rs.calls.last.region == "eu-west-1"
    assert rs.snapshots(region="eu-west-1") == []


def test_an_unmodelled_action_is_refused_by_name_and_sent_nowhere(door, rs):
    response = send(door, "Action=DescribeClusterParameters&Version=2012-12-01&ParameterGroupName=default")
    status, code, message = error_of(response)
    assert (status, code) == (501, "UnhandledOperation")
    assert message.startswith("redshift-intercept does not answer Redshift DescribeClusterParameters: it is not "
                              "modelled, so the call was refused and nothing was sent to AWS. Answered operations: ")
    assert "<Type>Receiver</Type>" in response.body.decode()
    assert [(c.operation, c.params, c.source) for c in rs.unhandled] == [
        ("DescribeClusterParameters", {"ParameterGroupName": "default"}, "127.0.0.1:50312")]
    assert rs.journal().last.error_code == "UnhandledOperation"


def test_an_injected_fault_answers_over_http_too(door, rs):
    rs.fail("DeleteClusterSnapshot", "Throttling", "Rate exceeded", status=400)
    assert error_of(send(door, DELETE)) == (400, "Throttling", "Rate exceeded")
    assert send(door, DELETE).status == 200


def test_the_journal_records_who_called_and_from_where(door, rs):
    send(door, DELETE)
    send(door, "Action=Nope&Version=2012-12-01")
    entries = rs.journal()
    assert [(c.operation, c.error_code, c.source, c.access_key_id) for c in entries] == [
        ("DeleteClusterSnapshot", None, "127.0.0.1:50312", "AKIDCALLER"),
        ("Nope", "InvalidAction", "127.0.0.1:50312", "AKIDCALLER")]
    assert entries[0].response["Snapshot"]["Status"] == "deleted"


def test_an_unexpected_failure_is_an_internal_failure_without_a_traceback(rs, capsys):
    class Broken(MemoryBackend):
        def atomic(self, work, write=True):
            raise RuntimeError("disk on fire")

    broken = intercept(backend=Broken())
    door = QueryDoor(broken._service, broken.account_id, broken.region)
    response = send(door, DELETE)
    status, code, message = error_of(response)
    assert (status, code) == (500, "InternalFailure")
    assert message.startswith("The request processing has failed because of an unknown error")
    assert "disk on fire" not in response.body.decode() and "Traceback" not in response.body.decode()
    assert "RuntimeError: disk on fire" in capsys.readouterr().err
    health = send(door, method="GET", path="/_redshift_intercept/health")
    assert health.status == 503 and json.loads(health.body) == {"status": "unavailable", "error": "disk on fire"}


def test_with_secret_keys_signatures_are_checked(rs):
    door = QueryDoor(rs._service, rs.account_id, rs.region, secrets={"AKIDGOOD": "good-secret"})

    def signed_send(key: str, secret: str) -> Response:
        request = AWSRequest("POST", "http://127.0.0.1:4566/", data=DELETE.encode(),
                             headers={"Content-Type": FORM})
        SigV4Auth(Credentials(key, secret), "redshift", "us-east-1").add_auth(request)
        headers = {"host": ["127.0.0.1:4566"]}
        headers.update({k.lower(): [v] for k, v in request.headers.items()})
        return door.handle("POST", "/", b"", headers, DELETE.encode(), CLIENT)

    assert error_of(signed_send("AKIDOTHER", "good-secret")) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    assert error_of(signed_send("AKIDGOOD", "bad-secret"))[:2] == (403, "SignatureDoesNotMatch")
    assert len(rs.snapshots()) == 1
    assert signed_send("AKIDGOOD", "good-secret").status == 200
    assert rs.snapshots() == []


def test_health_and_state_pages(door, rs):
    health = send(door, method="GET", path="/_redshift_intercept/health", signed=False)
    assert health.status == 200 and header(health, "content-type") == "application/json"
    assert json.loads(health.body)["status"] == "ok"
    state = send(door, method="GET", path="/_redshift_intercept/state", signed=False)
    assert json.loads(state.body) == rs.dump_snapshots()
    rs.add_snapshot(region="eu-west-1", SnapshotIdentifier="in-ireland")
    ireland = send(door, method="GET", path="/_redshift_intercept/state", query=b"region=eu-west-1")
    assert [s["SnapshotIdentifier"] for s in json.loads(ireland.body)["Snapshots"]] == ["in-ireland"]
    bad = send(door, method="GET", path="/_redshift_intercept/state", query=b"region=moon")
    assert bad.status == 400 and "region must be an AWS region name" in json.loads(bad.body)["error"]
    assert send(door, method="GET", path="/_redshift_intercept/nope").status == 404
    assert send(door, method="POST", path="/_redshift_intercept/state").status == 405
    assert rs.calls == []  # our own pages are not Redshift calls
