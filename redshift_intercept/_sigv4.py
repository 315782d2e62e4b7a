"""Signature Version 4 as a Redshift endpoint reads it.

``read_signature`` finds who signed a request (the access key and the
credential scope: date, region, service) in the ``Authorization`` header or
in the ``X-Amz-*`` query parameters of a presigned URL, and refuses an
unsigned or malformed one with the error AWS gives. ``verify`` recomputes
the signature from the request and a secret key, as AWS does, and refuses a
mismatch with ``SignatureDoesNotMatch``.

Every refusal is a ``ServiceError`` the HTTP door renders as Redshift XML.
Texts quoted from real AWS responses are marked; the others are ours.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, unquote

from ._errors import ServiceError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "redshift"
_QUERY_KEYS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_SEPARATORS = re.compile(r"[,\s]+")

Headers = Mapping[str, Sequence[str]]
"""Request headers: lower-case name -> every value sent, in order."""


@dataclass(frozen=True)
class Signature:
    """What a SigV4 request says about who signed it, and how."""

    access_key_id: str
    date: str
    """The credential scope's date, ``YYYYMMDD``."""
    region: str
    service: str
    signed_headers: Tuple[str, ...]
    signature: str
    amz_date: str
    """``X-Amz-Date`` (or the ``Date`` header): the time that was signed."""
    presigned: bool
    """True when the signature came in the query string (a presigned URL)."""


def missing_token() -> ServiceError:
    # The text of a real (STS, query protocol) response.
    return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403, True)


def incomplete(message: str) -> ServiceError:
    return ServiceError("IncompleteSignature", message, 400, True)


def mismatch(message: str) -> ServiceError:
    return ServiceError("SignatureDoesNotMatch", message, 403, True)


MISMATCH_TEXT = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                 "Secret Access Key and signing method. Consult the service documentation for details.")
"""AWS's text for a wrong signature (quoted from real responses)."""


def _first(headers: Headers, name: str) -> Optional[str]:
    values = headers.get(name)
    return values[0] if values else None


def read_signature(headers: Headers, query: Mapping[str, str]) -> Signature:
    """The signature of a request (its headers and its query-string
    parameters), or the ``ServiceError`` AWS answers an unsigned or
    malformed one with."""
    authorization = _first(headers, "authorization")
    in_query = any(key in query for key in _QUERY_KEYS)
    if authorization is not None and in_query:
        # S3's words; Redshift's are not public.
        raise incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
                         "Authorization header should be specified")
    if authorization is not None:
        signature = _from_header(authorization, headers)
    elif in_query:
        signature = _from_query(query)
    else:
        raise missing_token()
    if signature.service != SERVICE:
        # Real text (CloudFormation, another query-protocol service), trailing space included.
        raise mismatch(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    return signature


def _from_header(header: str, headers: Headers) -> Signature:
    algorithm, _, rest = header.strip().partition(" ")
    fields: Dict[str, str] = {}
    if algorithm == ALGORITHM:
        for part in _SEPARATORS.split(rest):  # AWS splits on commas and on spaces alike
            if not part:
                continue
            key, equals, value = part.partition("=")
            if not equals:
                # Real text (IncompleteSignatureException of a JSON service).
                raise incomplete(f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization "
                                 f"header: '{header}'.")
            fields[key.strip()] = value.strip()
    amz_date = _first(headers, "x-amz-date") or _first(headers, "date")
    # Real text, as AWS lists every missing part and then the header.
    problems = [f"Authorization header requires '{name}' parameter."
                for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise incomplete(" ".join(problems) + f" Authorization={header}")
    return _signature(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date or "", False)


def _from_query(query: Mapping[str, str]) -> Signature:
    if any(not query.get(key) for key in _QUERY_KEYS):
        # S3's words for the same mistake.
        raise incomplete("AWS query-string parameters must include " + ", ".join(f"'{k}'" for k in _QUERY_KEYS)
                         + ". Re-examine the query-string parameters.")
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise incomplete(f"X-Amz-Algorithm must be {ALGORITHM}, got '{query['X-Amz-Algorithm']}'.")
    return _signature(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"],
                      query["X-Amz-Date"], True)


def _signature(credential: str, signed_headers: str, signature: str, amz_date: str, presigned: bool) -> Signature:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        # Real text.
        raise incomplete("Credential must have exactly 5 slash-delimited elements, e.g. "
                         f"keyid/date/region/service/term, got '{credential}'")
    key, date, region, service, terminator = parts
    if terminator != "aws4_request":
        raise mismatch(f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. ")
    names = tuple(signed_headers.split(";"))
    return Signature(key, date, region, service, names, signature, amz_date, presigned)


# ---------------------------------------------------------------- verifying


def verify(signature: Signature, secret_access_key: str, method: str, raw_path: str, raw_query: str,
           headers: Headers, body: bytes) -> None:
    """Recompute the signature from the request as AWS does, with
    ``secret_access_key``; raise ``SignatureDoesNotMatch`` (or
    ``IncompleteSignature`` for a header named as signed but not sent)."""
    if not _AMZ_DATE.fullmatch(signature.amz_date):
        raise incomplete(f"X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', got "
                         f"'{signature.amz_date}'.")
    if signature.amz_date[:8] != signature.date:
        # Real text.
        raise mismatch(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                       f"HTTP: '{signature.date}' != '{signature.amz_date[:8]}', from '{signature.amz_date}'.")
    if "host" not in signature.signed_headers:
        # Real text.
        raise incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    expected = sign(secret_access_key, signature, canonical_request(signature, method, raw_path, raw_query,
                                                                     headers, body))
    if not hmac.compare_digest(expected, signature.signature):
        raise mismatch(MISMATCH_TEXT)


def canonical_request(signature: Signature, method: str, raw_path: str, raw_query: str, headers: Headers,
                      body: bytes) -> str:
    lines = [method, _canonical_path(raw_path), _canonical_query(raw_query, signature.presigned)]
    for name in signature.signed_headers:
        values = headers.get(name)
        if values is None:
            # Real text (an AWS service's IncompleteSignatureException).
            raise incomplete(f"'{name}' is named as a SignedHeader, but it does not exist in the HTTP request.")
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    lines.append("")
    lines.append(";".join(signature.signed_headers))
    content_hash = _first(headers, "x-amz-content-sha256")
    lines.append(content_hash if content_hash else hashlib.sha256(body).hexdigest())
    return "\n".join(lines)


def sign(secret_access_key: str, signature: Signature, canonical: str) -> str:
    """The hex signature of ``canonical`` under ``signature``'s scope."""
    scope = f"{signature.date}/{signature.region}/{signature.service}/aws4_request"
    string_to_sign = "\n".join((ALGORITHM, signature.amz_date, scope,
                                hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (signature.date, signature.region, signature.service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical_path(raw_path: str) -> str:
    """The path as SigV4 signs it for every service but S3: normalized,
    then each segment URI-encoded again (the client encoded it once)."""
    path = raw_path or "/"
    normalized = posixpath.normpath(path)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    if normalized.startswith("//"):  # normpath keeps a leading double slash
        normalized = "/" + normalized.lstrip("/")
    return quote(normalized, safe="/~")


def _canonical_query(raw_query: str, presigned: bool) -> str:
    pairs: List[Tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)
