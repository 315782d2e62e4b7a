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
import weakref
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import ResponseParserFactory

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
    name = model.name
    out = [f'<{name}Response xmlns="{_namespace(model.service_model)}">']
    shape = model.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
        out.append(f"<{wrapper}>")
        renderer_for(shape)(result, out)
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
               f"</{name}Response>")
    return "".join(out).encode("utf-8")


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
    status, sender = error_status(model.service_model, error)
    body = (
        f'<ErrorResponse xmlns="{_namespace(model.service_model)}"><Error>'
        f"<Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{escape_text(error.code)}</Code>"
        f"<Message>{escape_text(error.message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, body.encode("utf-8")


def new_request_id() -> str:
    """A random UUID (version 4), as AWS request ids are. ``random`` rather
    than ``uuid4()``: an id needs no cryptographic randomness, and this
    avoids a system call per request. (``random`` is reseeded after fork.)"""
    n = random.getrandbits(128)
    n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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


_PARSERS: weakref.WeakKeyDictionary[Any, tuple[dict, str, Any]] = weakref.WeakKeyDictionary()


def parser_for(factory: Any, protocol: str) -> Any:
    """``factory.create_parser(protocol)``, reused while the factory's
    defaults (e.g. a custom timestamp parser) stay the same. botocore's
    parsers keep no state between ``parse`` calls, so one serves every call
    and thread; a factory of another class is asked every time."""
    if type(factory) is not ResponseParserFactory:
        return factory.create_parser(protocol)
    cached = _PARSERS.get(factory)
    defaults = factory._defaults
    if cached is None or cached[1] != protocol or cached[0] != defaults:
        cached = (dict(defaults), protocol, factory.create_parser(protocol))
        _PARSERS[factory] = cached
    return cached[2]


def respond(model: OperationModel, status: int, body: bytes, request_id: str,
            parser_factory: Any, url: str) -> tuple[AWSResponse, dict]:
    """Build the HTTP response and parse it the way botocore's endpoint does."""
    headers = {
        "x-amzn-requestid": request_id,
        "content-type": "text/xml",
        "content-length": str(len(body)),
        "date": http_date(),
    }
    http = AWSResponse(url, status, headers, _Body(body))
    response_dict = {
        "headers": http.headers,
        "status_code": status,
        "context": {"operation_name": model.name},
        "body": body,
    }
    parser = parser_for(parser_factory, model.metadata["protocol"])
    parsed = parser.parse(response_dict, model.output_shape)
    if status >= 300:
        # As botocore's Endpoint._add_modeled_error_fields does.
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(parser.parse(response_dict, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return http, parsed
