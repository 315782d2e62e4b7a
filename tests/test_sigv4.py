"""SigV4 as the endpoint reads it: who signed, AWS's refusals, and verification
against signatures made by botocore's own signer."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Tuple
from urllib.parse import unquote, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from redshift_intercept._errors import ServiceError
from redshift_intercept._sigv4 import MISMATCH_TEXT, read_signature, verify

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY = b"Action=DeleteClusterSnapshot&Version=2012-12-01&SnapshotIdentifier=nightly-1"


def signed(body: bytes = BODY, url: str = "http://127.0.0.1:4566/", method: str = "POST", region: str = "eu-west-1",
           service: str = "redshift", secret: str = SECRET, extra: Dict[str, str] | None = None
           ) -> Tuple[str, str, str, Dict[str, List[str]], bytes]:
    """(method, raw path, raw query, headers, body) of a request botocore signed, as a server receives it."""
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(extra or {})})
    SigV4Auth(Credentials(KEY, secret), service, region).add_auth(request)
    parts = urlsplit(url)
    headers = {"host": [parts.netloc]}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    return method, parts.path, parts.query, headers, body


def refusal(excinfo) -> Tuple[str, int, str]:
    error: ServiceError = excinfo.value
    return error.code, error.status, error.message


def test_the_header_names_the_key_and_the_scope():
    _, _, _, headers, _ = signed(region="ap-southeast-2")
    signature = read_signature(headers, {})
    assert (signature.access_key_id, signature.region, signature.service) == (KEY, "ap-southeast-2", "redshift")
    assert signature.date == signature.amz_date[:8] == dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    assert "host" in signature.signed_headers and not signature.presigned


def test_botocore_signatures_verify():
    method, path, query, headers, body = signed()
    verify(read_signature(headers, {}), SECRET, method, path, query, headers, body)


def test_a_get_with_a_query_string_and_an_odd_path_verifies():
    method, path, query, headers, body = signed(
        body=b"", method="GET", url="http://127.0.0.1:4566/a%20b/./c/?Action=DescribeClusterSnapshots"
                                    "&Version=2012-12-01&TagKeys.TagKey.1=team%20a&Marker=x%2By")
    verify(read_signature(headers, {}), SECRET, method, path, query, headers, body)


def test_a_presigned_url_verifies():
    request = AWSRequest(method="GET", url="http://127.0.0.1:4566/?Action=DescribeClusterSnapshots"
                                           "&Version=2012-12-01")
    SigV4QueryAuth(Credentials(KEY, SECRET), "redshift", "us-east-1", expires=60).add_auth(request)
    parts = urlsplit(request.url)
    query = {key: unquote(value) for key, value in (pair.split("=", 1) for pair in parts.query.split("&"))}
    headers = {"host": [parts.netloc]}
    signature = read_signature(headers, query)
    assert signature.presigned and signature.access_key_id == KEY
    verify(signature, SECRET, "GET", parts.path, parts.query, headers, b"")


@pytest.mark.parametrize("change", ["secret", "body", "header", "region"])
def test_any_change_is_a_mismatch(change):
    method, path, query, headers, body = signed(extra={"X-Amz-User-Agent": "sdk/1"})
    headers["x-amz-user-agent"] = ["sdk/1"]
    secret = SECRET
    if change == "secret":
        secret = "not-the-secret"
    elif change == "body":
        body = body.replace(b"nightly-1", b"nightly-2")
    elif change == "header":
        headers["x-amz-user-agent"] = ["sdk/2"]
    else:
        headers["authorization"] = [headers["authorization"][0].replace("/eu-west-1/", "/us-east-1/")]
    with pytest.raises(ServiceError) as excinfo:
        verify(read_signature(headers, {}), secret, method, path, query, headers, body)
    assert refusal(excinfo) == ("SignatureDoesNotMatch", 403, MISMATCH_TEXT)


def test_an_unsigned_request_is_missing_its_token():
    with pytest.raises(ServiceError) as excinfo:
        read_signature({"host": ["h"]}, {})
    assert refusal(excinfo) == ("MissingAuthenticationToken", 403, "Request is missing Authentication Token")


@pytest.mark.parametrize(("authorization", "date", "message"), [
    ("AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/redshift/aws4_request", "20240101T000000Z",
     "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
     "parameter. Authorization=AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/redshift/aws4_request"),
    ("Bearer eyJhbGciOi", None,
     "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
     "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either "
     "a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer eyJhbGciOi"),
    ("AWS4-HMAC-SHA256 Credential= AK/20240101/us-east-1/redshift/aws4_request, SignedHeaders=host, Signature=00",
     "20240101T000000Z",
     "'AK/20240101/us-east-1/redshift/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization "
     "header: 'AWS4-HMAC-SHA256 Credential= AK/20240101/us-east-1/redshift/aws4_request, SignedHeaders=host, "
     "Signature=00'."),
    ("AWS4-HMAC-SHA256 Credential=AK/us-east-1/redshift/aws4_request, SignedHeaders=host, Signature=00",
     "20240101T000000Z",
     "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
     "'AK/us-east-1/redshift/aws4_request'"),
])
def test_a_malformed_header_is_an_incomplete_signature(authorization, date, message):
    headers = {"authorization": [authorization]}
    if date:
        headers["x-amz-date"] = [date]
    with pytest.raises(ServiceError) as excinfo:
        read_signature(headers, {})
    assert refusal(excinfo) == ("IncompleteSignature", 400, message)


def test_a_request_signed_for_another_service_is_refused_as_aws_does():
    _, _, _, headers, _ = signed(service="sts")
    with pytest.raises(ServiceError) as excinfo:
        read_signature(headers, {})
    assert refusal(excinfo) == ("SignatureDoesNotMatch", 403, "Credential should be scoped to correct service: "
                                                              "'redshift'. ")


def test_a_header_named_as_signed_must_be_sent():
    method, path, query, headers, body = signed(extra={"X-Amz-User-Agent": "sdk/1"})
    del headers["x-amz-user-agent"]
    with pytest.raises(ServiceError) as excinfo:
        verify(read_signature(headers, {}), SECRET, method, path, query, headers, body)
    assert refusal(excinfo) == ("IncompleteSignature", 400, "'x-amz-user-agent' is named as a SignedHeader, but it "
                                                            "does not exist in the HTTP request.")


def test_the_scope_date_must_be_the_signed_date():
    method, path, query, headers, body = signed()
    day = headers["x-amz-date"][0][:8]
    headers["authorization"] = [headers["authorization"][0].replace(f"/{day}/", "/19990101/")]
    with pytest.raises(ServiceError) as excinfo:
        verify(read_signature(headers, {}), SECRET, method, path, query, headers, body)
    code, status, message = refusal(excinfo)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                              f"HTTP: '19990101' != '{day}'")


def test_header_and_query_signatures_together_are_refused():
    _, _, _, headers, _ = signed()
    with pytest.raises(ServiceError) as excinfo:
        read_signature(headers, {"X-Amz-Signature": "00"})
    assert excinfo.value.code == "IncompleteSignature"


def test_an_incomplete_presigned_url_names_what_it_needs():
    with pytest.raises(ServiceError) as excinfo:
        read_signature({}, {"X-Amz-Credential": "AK/20240101/us-east-1/redshift/aws4_request"})
    assert refusal(excinfo) == (
        "IncompleteSignature", 400, "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "
        "'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.")
