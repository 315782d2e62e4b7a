"""The HTTP front door: one Redshift query-protocol request in, one response out.

``QueryDoor.handle`` takes what an HTTP server read (method, path, query
string, headers, body, the client's address) and returns the status, headers
and body to send. It knows no server library (``_server`` runs it under
uvicorn) and answers through the same core and renderer as the botocore door
(``_dispatch.Service.answer``, ``_wire.render_success`` / ``render_error``),
so a client gets exactly the XML an in-process call is parsed from.

In order, a request is:

1. read: ``GET`` takes its parameters from the query string, ``POST`` from
   the query string and a form body; other methods, undecodable text and
   repeated parameters are refused;
2. authenticated: the SigV4 ``Authorization`` header (or a presigned URL)
   names the access key and, in its credential scope, the region; with
   secret keys, the signature is checked;
3. routed: ``Action`` must name a Redshift operation of ``Version``
   2012-12-01;
4. decoded: the parameters are checked against the operation's input shape
   (types, required members); unknown parameters are ignored;
5. answered by the service core, rendered, recorded (``rs.calls`` when the
   door records calls, and the backend's call journal when the service keeps
   one, with the caller's address and access key).

Every refusal is an AWS-style ``<ErrorResponse>``; an unexpected failure is
``InternalFailure`` (500) with its traceback on the server's stderr, never
in the response.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl

from botocore.model import OperationModel, Shape
from botocore.parsers import ResponseParserFactory
from botocore.utils import parse_timestamp

from . import _model, _seeding, _sigv4
from ._calls import Call, journal_entry
from ._dispatch import Caller, Service
from ._errors import NotAnswered, ServiceError, invalid_client_token
from ._policy import Decision
from ._records import check_account_id, check_region
from ._rules import OPERATIONS
from ._shapes import _element, decoder_for
from ._wire import http_date, new_request_id, render_error, render_service_error, render_success, respond

MAX_BODY = 1 << 20
"""The default limit of a request body, in bytes (1 MiB). The largest
request a Redshift snapshot call needs, 100 identifiers of 255 characters
in a batch delete, is about 40 KB."""

ADMIN_PREFIX = "/_redshift_intercept/"
FORM = "application/x-www-form-urlencoded"
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_INTEGER = re.compile(r"[+-]?\d{1,20}")
_INT_RANGES = {"integer": (-(2 ** 31), 2 ** 31 - 1), "long": (-(2 ** 63), 2 ** 63 - 1)}

Headers = Mapping[str, Sequence[str]]


@dataclass
class Response:
    """What to send: status, headers (as a server sends them) and body."""

    status: int
    headers: List[Tuple[bytes, bytes]]
    body: bytes


class Refused(Exception):
    """A request the door answers with ``error`` before any operation runs."""

    def __init__(self, error: ServiceError, extra_headers: Sequence[Tuple[bytes, bytes]] = ()) -> None:
        super().__init__(error.message)
        self.error = error
        self.extra_headers = list(extra_headers)


def _error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status, status < 500)


def _shown(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


class QueryDoor:
    """Answers query-protocol requests from ``service``.

    ``account_id`` and ``region`` are the defaults: the account of every
    caller until identities exist, and what the state page shows.
    ``secrets`` maps access key ids to secret keys: when given, signatures are
    verified and a key it does not know is refused (``InvalidClientTokenId``).
    ``record_calls`` keeps each answered call in ``service.calls`` (parsed as
    a botocore client parses it), as the in-process door does."""

    def __init__(self, service: Service, account_id: str, region: str, *,
                 secrets: Optional[Mapping[str, str]] = None, record_calls: bool = True) -> None:
        self.service = service
        self.account_id = account_id
        self.region = region
        self.secrets = None if secrets is None else dict(secrets)
        self.record_calls = record_calls
        self.service_model = _model.service_model()
        self.version: str = self.service_model.api_version
        self._parser = ResponseParserFactory().create_parser(self.service_model.metadata["protocol"])
        self._counter = itertools.count(1)
        self.requests = 0
        """Query-protocol requests answered so far (any outcome)."""

    # ------------------------------------------------------------ entry point

    def handle(self, method: str, raw_path: str, raw_query: bytes, headers: Headers, body: bytes,
               client: Optional[Tuple[str, int]] = None) -> Response:
        """The response to one request. Never raises."""
        try:
            if raw_path.startswith(ADMIN_PREFIX):
                return self._admin(method, raw_path, raw_query)
            return self._query(method, raw_path, raw_query, headers, body, _address(client))
        except Exception:  # a bug or a backend failure: the client gets XML, the log gets the traceback
            sys.stderr.write("redshift-intercept serve: internal error answering a request:\n")
            traceback.print_exc()
            error = _error("InternalFailure", "The request processing has failed because of an unknown error, "
                           "exception or failure. The server's log says what happened.", 500)
            request_id = new_request_id()
            return self._xml(*render_service_error(self.service_model, error, request_id), request_id)

    # ------------------------------------------------------------ the query protocol

    def _query(self, method: str, raw_path: str, raw_query: bytes, headers: Headers, body: bytes,
               source: Optional[str]) -> Response:
        request_id = new_request_id()
        self.requests = next(self._counter)
        action = ""
        key: Optional[str] = None
        caller = Caller(self.account_id, self.region)
        try:
            form, query = self._parameters(method, raw_query, headers, body)
            action = form.get("Action", "")
            signature = _sigv4.read_signature(headers, query)
            key = signature.access_key_id
            region = signature.region
            try:
                check_region(region)
            except ValueError:
                # Real text.
                raise _sigv4.mismatch(f"Credential should be scoped to a valid region, not '{region}'. ") from None
            if self.secrets is not None:
                secret = self.secrets.get(key)
                if secret is None:
                    raise invalid_client_token()
                _sigv4.verify(signature, secret, method, raw_path, raw_query.decode("latin-1"), headers, body)
            caller = self.service.caller(key, region, self.account_id)  # the identity the key names
            model = self._operation(form)
            params = decode_request(model.input_shape, form)
        except ServiceError as error:
            return self._refuse(error, (), request_id, action, caller, key, source)
        except Refused as refused:
            return self._refuse(refused.error, refused.extra_headers, request_id, action, caller, key, source)
        return self._answer(model, params, caller, request_id, key, source)

    def refuse_unread(self, error: ServiceError, client: Optional[Tuple[str, int]]) -> Response:
        """The answer to a request refused before its body was read (too
        large, too slow), journaled like every other refusal."""
        self.requests = next(self._counter)
        return self._refuse(error, (), new_request_id(), "", Caller(self.account_id, self.region), None,
                            _address(client))

    def _parameters(self, method: str, raw_query: bytes, headers: Headers, body: bytes
                    ) -> Tuple[Dict[str, str], Dict[str, str]]:
        """(every parameter, those of the query string alone)."""
        if method not in ("GET", "POST"):
            raise Refused(_error("MethodNotAllowed", f"The query protocol takes POST / with a form body, or GET / "
                                 f"with a query string; not {_shown(method)}.", 405), [(b"allow", b"GET, POST")])
        query_pairs = _parse_form(raw_query)
        body_pairs: List[Tuple[str, str]] = []
        if method == "POST" and body:
            content_type = (headers.get("content-type") or [FORM])[0]
            media_type = content_type.split(";", 1)[0].strip().lower()
            if media_type != FORM:
                if not any(name == "Action" for name, _ in query_pairs):
                    raise _error("MissingAction", "The request is missing an action or a required parameter: a "
                                 f"POST body is read only as {FORM}, and this one is {_shown(content_type)!r}.")
            else:
                body_pairs = _parse_form(body)
        form: Dict[str, str] = {}
        for name, value in query_pairs + body_pairs:
            if name in form:
                raise _error("InvalidQueryParameter", f"The parameter {_shown(name)} appears more than once in the "
                             "request; give each parameter once.")
            form[name] = value
        return form, dict(query_pairs)

    def _operation(self, form: Dict[str, str]) -> OperationModel:
        action = form.get("Action")
        if not action:
            raise _error("MissingAction", "The request is missing an action or a required parameter: name the "
                         "operation in the Action parameter, e.g. Action=DescribeClusterSnapshots.")
        version = form.get("Version")
        if action not in self.service_model.operation_names:
            # AWS's words for an action the service does not have.
            raise _error("InvalidAction", f"Could not find operation {_shown(action)} for version "
                         f"{_shown(version or '')}")
        if not version:
            raise _error("MissingParameter", "The request must contain the parameter Version (the Redshift API "
                         f"version, {self.version}).")
        if version != self.version:
            raise _error("InvalidAction", f"Could not find operation {action} for version {_shown(version)}")
        return self.service_model.operation_model(action)

    def _answer(self, model: OperationModel, params: Dict[str, Any], caller: Caller, request_id: str,
                key: Optional[str], source: Optional[str]) -> Response:
        service = self.service
        via = {"access_key_id": key or ""}
        if source is not None:
            via["source"] = source
        identity = caller.identity
        decisions: Optional[List[Decision]] = None if identity is None or identity.policies is None else []
        try:
            result = service.answer(model.name, params, caller, request_id=request_id, via=via, decisions=decisions)
        except ServiceError as error:
            status, body = render_error(model, error, request_id)
        except NotAnswered:
            refusal = unhandled(model.name)
            status, body = render_error(model, refusal, request_id)
            service.record_refused(Call(model.name, params, caller.region, caller.account_id, None, refusal.code,
                                        self._parsed_error(status, body, request_id), request_id, source, key))
            return self._xml(status, body, request_id)
        else:
            status, body = 200, render_success(model, result, request_id)
        if self.record_calls:
            parsed = respond(model, status, body, request_id, self._parser, "")[1]
            failed = status >= 300
            service.record(Call(model.name, params, caller.region, caller.account_id, None if failed else parsed,
                                parsed["Error"].get("Code") if failed else None, parsed if failed else None,
                                request_id, source, key,
                                principal=None if identity is None or identity.refusal else identity.arn,
                                decisions=None if decisions is None else tuple(decisions)))
        return self._xml(status, body, request_id)

    def _refuse(self, error: ServiceError, extra_headers: Sequence[Tuple[bytes, bytes]], request_id: str,
                action: str, caller: Caller, key: Optional[str], source: Optional[str]) -> Response:
        """A request refused before any operation ran: rendered, journaled and
        (when recording) kept in ``calls`` under the action it named."""
        status, body = render_service_error(self.service_model, error, request_id)
        service = self.service
        if self.record_calls or service.journal is not None:
            parsed = self._parsed_error(status, body, request_id)
            if self.record_calls:
                service.record(Call(action, {}, caller.region, caller.account_id, None, error.code, parsed,
                                    request_id, source, key))
            if service.journal is not None:
                service.journal.append_call(journal_entry(action, {}, caller.region, caller.account_id, request_id,
                                                          None, {"Error": parsed["Error"]}, source, key))
        response = self._xml(status, body, request_id)
        response.headers.extend(extra_headers)
        return response

    def _parsed_error(self, status: int, body: bytes, request_id: str) -> Dict[str, Any]:
        """The error as a botocore client parses it."""
        parsed = self._parser.parse({"headers": {"x-amzn-requestid": request_id}, "status_code": status,
                                     "body": body, "context": {}}, None)
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
        return parsed

    @staticmethod
    def _xml(status: int, body: bytes, request_id: str) -> Response:
        return Response(status, [(b"x-amzn-RequestId", request_id.encode("ascii")), (b"Content-Type", b"text/xml"),
                                 (b"Content-Length", str(len(body)).encode("ascii")),
                                 (b"Date", http_date().encode("ascii"))], body)

    # ------------------------------------------------------------ our own pages

    def _admin(self, method: str, raw_path: str, raw_query: bytes) -> Response:
        page = raw_path[len(ADMIN_PREFIX):]
        if page not in ("health", "state"):
            return _json(404, {"error": f"no page {raw_path!r}: the endpoint's own pages are "
                                        f"{ADMIN_PREFIX}health and {ADMIN_PREFIX}state"})
        if method not in ("GET", "HEAD"):
            return _json(405, {"error": f"{ADMIN_PREFIX}{page} answers GET only"}, [(b"allow", b"GET")])
        if page == "health":
            try:
                self.service.backend.atomic(lambda: None, False)
            except Exception as error:  # the backend cannot answer: not ready
                return _json(503, {"status": "unavailable", "error": str(error)})
            return _json(200, {"status": "ok", "service": "redshift", "account_id": self.account_id,
                               "region": self.region, "requests": self.requests})
        try:
            options = dict(parse_qsl(raw_query.decode("utf-8"), keep_blank_values=True))
            region = check_region(options.get("region", self.region), "region")
            account = check_account_id(options.get("account", self.account_id), "account")
        except (TypeError, ValueError) as error:
            return _json(400, {"error": str(error)})
        return _json(200, _seeding.dump_snapshots(self.service, Caller(account, region), None))


def unhandled(operation: str) -> ServiceError:
    """The refusal of a Redshift operation we do not model (fail closed)."""
    return ServiceError(
        "UnhandledOperation",
        f"redshift-intercept does not answer Redshift {operation}: it is not modelled, so the call was refused "
        f"and nothing was sent to AWS. Answered operations: {', '.join(OPERATIONS)}.", 501, False)


def _json(status: int, data: Any, extra: Sequence[Tuple[bytes, bytes]] = ()) -> Response:
    body = (json.dumps(data, indent=2) + "\n").encode("utf-8")
    return Response(status, [(b"Content-Type", b"application/json"),
                             (b"Content-Length", str(len(body)).encode("ascii")),
                             (b"Date", http_date().encode("ascii")), *extra], body)


def _address(client: Optional[Tuple[str, int]]) -> Optional[str]:
    if not client:
        return None
    host, port = client[0], client[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _parse_form(data: bytes) -> List[Tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs, strictly: a ``%`` not
    followed by two hex digits, or text that is not UTF-8 once decoded, is
    ``MalformedQueryString`` (404, as AWS documents it)."""
    if not data:
        return []
    if _BAD_ESCAPE.search(data):
        raise _error("MalformedQueryString", "The query string contains a syntax error: a '%' that is not "
                     "followed by two hexadecimal digits.", 404)
    try:
        return parse_qsl(data.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise _error("MalformedQueryString", "The query string contains a syntax error: it is not UTF-8 text "
                     "once decoded.", 404) from None


# ---------------------------------------------------------------- parameters


def decode_request(shape: Optional[Shape], form: Dict[str, str]) -> Dict[str, Any]:
    """The API parameters of a query-protocol form, checked as the service
    checks them: a value of the wrong type is ``InvalidParameterValue``, a
    required member that is missing ``MissingParameter``. Parameters the
    input shape does not have are ignored (a newer SDK may send members our
    model does not know yet)."""
    if shape is None:
        return {}
    for key, value in form.items():
        member = _scalar_at(shape, key)
        if member is not None:
            form[key] = _checked_scalar(member, key, value)
    params: Dict[str, Any] = decoder_for(shape)(form, "")
    _check_required(shape, params, "")
    return params


def _scalar_at(shape: Shape, key: str) -> Optional[Shape]:
    """The scalar shape a flattened query key (``Tags.Tag.1.Key``) addresses, or None."""
    parts = key.split(".")
    current = shape
    index = 0
    while index < len(parts):
        kind = current.type_name
        if kind == "structure":
            found = None
            for name, member in current.members.items():  # type: ignore[attr-defined]
                if _element(member, name) == parts[index]:
                    found = member
                    break
            if found is None:
                return None
            current, index = found, index + 1
        elif kind == "list":
            member = current.member  # type: ignore[attr-defined]
            if (index + 1 >= len(parts) or parts[index] != _element(member, "member")
                    or not parts[index + 1].isdigit()):
                return None
            current, index = member, index + 2
        else:
            return None
    return None if current.type_name in ("structure", "list", "map") else current


def _checked_scalar(shape: Shape, key: str, value: str) -> str:
    """``value`` as the decoder reads it, or ``InvalidParameterValue``."""
    kind = shape.type_name
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
            raise _invalid(key, value, f"an integer from {low} to {high}")
    elif kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise _invalid(key, value, "true or false")
        return value.lower()
    elif kind in ("double", "float"):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _invalid(key, value, "a number")
    elif kind == "timestamp":
        try:
            parse_timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise _invalid(key, value, "a timestamp such as 2024-05-01T12:00:00Z") from None
    return value


def _invalid(key: str, value: str, expected: str) -> ServiceError:
    return _error("InvalidParameterValue", f"Invalid value {_shown(value)!r} for parameter {_shown(key)}: expected "
                  f"{expected}.")


def _check_required(shape: Shape, value: Any, prefix: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        for name in shape.required_members:  # type: ignore[attr-defined]
            if name not in value:
                raise _error("MissingParameter", f"The request must contain the parameter "
                             f"{prefix}{_element(members[name], name)}.")
        for name, member in members.items():
            if name in value and member.type_name in ("structure", "list"):
                _check_required(member, value[name], f"{prefix}{_element(member, name)}.")
    elif kind == "list":
        member = shape.member  # type: ignore[attr-defined]
        if member.type_name in ("structure", "list"):
            tag = _element(member, "member")
            for position, item in enumerate(value, 1):
                _check_required(member, item, f"{prefix}{tag}.{position}.")

