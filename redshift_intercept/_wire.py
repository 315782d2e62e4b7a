"""The wire: decode a botocore request, render the Redshift query-protocol XML
answer, and hand it to botocore's own response parser.

The parser is never replaced: success and error bodies go through the
client's configured ``ResponseParserFactory`` exactly as an HTTP response
would, so callers get botocore's types, metadata and exception classes.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Any, Generator, Optional

from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.model import OperationModel, ServiceModel, Shape

from ._characters import printable
from ._errors import ServiceError
from ._shapes import decoder_for, escape_text, renderer_for


class _Body:
    """The ``raw`` of an ``AWSResponse``: what ``.content`` streams from."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any):
        yield self._data

    def read(self, *_: Any) -> bytes:
        return self._data


def decode_params(model: OperationModel, request_dict: dict) -> dict:
    """The API parameters the serialized query body carries."""
    shape = model.input_shape
    if shape is None:
        return {}
    return decoder_for(shape)(request_dict["body"], "")


def _namespace(service_model: ServiceModel) -> str:
    return service_model.metadata["xmlNamespace"]


def render_success(model: OperationModel, result: dict, request_id: str) -> bytes:
    envelope = _ENVELOPES.get(model.name)
    if envelope is None:
        envelope = _ENVELOPES[model.name] = _envelope(model)
    head, render, tail = envelope
    out = [head]
    if render is not None:
        render(result, out)
    out.append(f"{tail}{request_id}</RequestId></ResponseMetadata></{model.name}Response>")
    return "".join(out).encode("utf-8")


# Per operation name, as renderers are per shape name: one Redshift model per process.
_ENVELOPES: dict[str, tuple[str, Any, str]] = {}


def _envelope(model: OperationModel) -> tuple[str, Any, str]:
    """(text before the result, the result's renderer or None, text between it and the request id)."""
    name = model.name
    head = f'<{name}Response xmlns="{_namespace(model.service_model)}">'
    shape = model.output_shape
    if shape is None:
        return head, None, "<ResponseMetadata><RequestId>"
    wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
    return f"{head}<{wrapper}>", renderer_for(shape), f"</{wrapper}><ResponseMetadata><RequestId>"


def error_status(service_model: ServiceModel, error: ServiceError) -> tuple[int, bool]:
    """(HTTP status, sender fault) for ``error``, from the model when it knows the code."""
    status, sender = error.status, error.sender
    if status is None or sender is None:
        shape = service_model.shape_for_error_code(error.code)
        details = shape.metadata.get("error", {}) if shape is not None else {}
        if status is None:
            status = details.get("httpStatusCode", 400)
        if sender is None:
            sender = details.get("senderFault", True)
    return status, sender


def render_error(model: OperationModel, error: ServiceError, request_id: str) -> tuple[int, bytes]:
    return render_service_error(model.service_model, error, request_id)


def render_service_error(service_model: ServiceModel, error: ServiceError, request_id: str) -> tuple[int, bytes]:
    """``render_error`` for an error that belongs to no operation (a request
    the HTTP endpoint refuses before it knows the operation)."""
    status, sender = error_status(service_model, error)
    body = (
        f'<ErrorResponse xmlns="{_namespace(service_model)}"><Error>'
        f"<Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{escape_text(printable(error.code))}</Code>"
        f"<Message>{escape_text(printable(error.message))}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, body.encode("utf-8")


def new_request_id() -> str:
    """A random UUID (version 4), as AWS request ids are. ``random`` rather
    than ``uuid4()``: an id needs no cryptographic randomness, and this
    avoids a system call per request. (``random`` is reseeded after fork.)"""
    h = f"{_getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_getrandbits = random.getrandbits
# The RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The ``date`` header: RFC 7231 GMT, computed once per second."""
    global _date_cache
    now = int(time.time())
    second, text = _date_cache
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date_cache = (now, text)
    return text


def _fast_header_keys() -> Optional[tuple]:
    """The ``HeadersDict`` keys of our four response headers, if this
    botocore's ``AWSResponse`` and ``HeadersDict`` are the plain records they
    have been in every release we support (checked once, on import); else
    None, and responses are built through their constructors."""
    try:
        probe = AWSResponse("http://probe", 200, dict.fromkeys(_HEADER_NAMES, "v"), None)
        headers = probe.headers
        if (type(headers) is not HeadersDict or set(vars(headers)) != {"_dict"}
                or type(headers._dict) is not dict or probe._content is not None
                or set(vars(probe)) != {"url", "status_code", "headers", "raw", "_content"}):
            return None
        keys = tuple(headers._dict)
        if [str(key) for key in keys] != list(_HEADER_NAMES) or dict(headers) != dict.fromkeys(_HEADER_NAMES, "v"):
            return None
        return keys
    except Exception:  # pragma: no cover - a botocore that changed these classes
        return None


_HEADER_NAMES = ("x-amzn-requestid", "content-type", "content-length", "date")
_HEADER_KEYS = _fast_header_keys()


def http_response(url: str, status: int, request_id: str, body: bytes) -> AWSResponse:
    """The ``AWSResponse`` botocore's endpoint would build for ``body``: the
    same class, headers (a case-insensitive ``HeadersDict``) and ``raw``."""
    keys = _HEADER_KEYS
    if keys is None:
        values = (request_id, "text/xml", str(len(body)), http_date())
        return AWSResponse(url, status, dict(zip(_HEADER_NAMES, values, strict=True)), _Body(body))
    headers = HeadersDict.__new__(HeadersDict)
    headers._dict = {keys[0]: request_id, keys[1]: "text/xml", keys[2]: str(len(body)), keys[3]: http_date()}
    http = AWSResponse.__new__(AWSResponse)
    http.url, http.status_code, http.headers, http.raw, http._content = url, status, headers, _Body(body), None
    return http


def parser_input(model: OperationModel, http: AWSResponse, body: bytes) -> dict:
    """What botocore's endpoint hands the response parser for ``http``, which carries ``body``."""
    return {
        "headers": http.headers,
        "status_code": http.status_code,
        "context": {"operation_name": model.name},
        "body": body,
    }


def modeled_error_shape(model: OperationModel, parsed: dict) -> Optional[Shape]:
    """The shape of the error ``parsed`` carries, when the model knows its
    code: botocore's endpoint parses the body again with it and adds its
    fields (``Endpoint._add_modeled_error_fields``)."""
    code = parsed.get("Error", {}).get("Code")
    return model.service_model.shape_for_error_code(code) if code else None


def respond(model: OperationModel, status: int, body: bytes, request_id: str,
            parser: Any, url: str) -> tuple[AWSResponse, dict]:
    """Build the HTTP response and parse it with a sync ``parser`` the way
    botocore's endpoint does (the HTTP endpoint's record of a call; the
    botocore door runs the same steps in ``_hooks._answer_steps``, where an
    aio client's parser may be async)."""
    http = http_response(url, status, request_id, body)
    response_dict = parser_input(model, http, body)
    parsed = parser.parse(response_dict, model.output_shape)
    if status >= 300:
        error_shape = modeled_error_shape(model, parsed)
        if error_shape is not None:
            parsed.update(parser.parse(response_dict, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return http, parsed


Steps = Generator[Any, Any, Any]
"""The answering core's generator (``_hooks._answer_steps``): it yields what
must be awaited (an async parser's or emitter's result, on an aiobotocore
client), gets its value sent back, and returns the answer."""
