"""The botocore front door: how calls reach the service, and how its
answers go back, through botocore's event system.

On import, ``botocore.register_initializer`` puts two inert handlers on every
botocore session created from then on (boto3 sessions included), and on
boto3's default session if it already exists. Every client copies its
session's handlers when it is created, so every Redshift client made after
the import carries them, whatever thread or session it comes from:

- ``before-parameter-build.redshift``: keeps the caller's API parameters in
  the request context (for ``rs.calls``);
- ``before-call.redshift``: asks the active routes (one per active
  interceptor), innermost first, whether one answers this call. With none
  active it returns None at once and botocore goes on as if we were not
  there.

A route that answers decodes the serialized request, asks its service
(``_dispatch``), renders the result as the XML Redshift sends and parses it
with the calling client's own parser (``_wire``), records the call, and asks
the client's ``needs-retry`` handlers after an error, as botocore's endpoint
would.

A client made before the import is reached by ``rs.attach(client)`` (or by
passing it as ``target``), which puts the same handlers on that client.
"""

from __future__ import annotations

import inspect
import sys
import threading
import weakref
from typing import Any, Callable, Dict, Optional

import boto3
import botocore
import botocore.client
import botocore.session
from botocore.hooks import first_non_none_response
from botocore.parsers import ResponseParserFactory

from ._calls import Call
from ._dispatch import Caller, Service
from ._errors import NotAnswered, ServiceError, UnhandledOperationError
from ._rules import OPERATIONS
from ._wire import decode_params, new_request_id, render_error, render_success, respond

PARAMS_KEY = "redshift_intercept.params"
_STASH_ID = "redshift_intercept.params"
_SESSION_ID = "redshift_intercept.session"
_CLIENT_ID = "redshift_intercept.client"


class Origin:
    """Where a call comes from: the session whose handler fired (``session``,
    None for a handler put on one client), and the response parser factory
    the calling client uses. One per installed handler."""

    __slots__ = ("_parser", "_session", "parser_factory")

    def __init__(self, session_ref: Optional[Callable[[], Any]], parser_factory: Callable[[], Any]) -> None:
        self._session = session_ref
        self.parser_factory = parser_factory
        self._parser: Optional[tuple] = None

    @property
    def session(self) -> Any:
        return None if self._session is None else self._session()

    def parser(self, protocol: str) -> Any:
        """``parser_factory().create_parser(protocol)``, reused while the
        factory and its defaults (e.g. a custom timestamp parser) stay the
        same: botocore's parsers keep no state between ``parse`` calls, so one
        serves every call and thread. A factory of another class is asked
        every time."""
        factory = self.parser_factory()
        cached = self._parser
        if (cached is not None and cached[0] is factory and cached[1] == protocol
                and cached[2] == factory._defaults):
            return cached[3]
        parser = factory.create_parser(protocol)
        if type(factory) is ResponseParserFactory:
            self._parser = (factory, protocol, dict(factory._defaults), parser)
        return parser


# ---------------------------------------------------------------- targets


def check_target(target: object, argument: str = "target") -> tuple[Optional[str], Any]:
    """(kind, object) for an interceptor's target: (None, None) for every
    client, ("client", client) or ("session", botocore session)."""
    if target is None:
        return None, None
    if isinstance(target, botocore.client.BaseClient):
        service = target.meta.service_model.service_name
        if service != "redshift":
            raise ValueError(f"{argument} is a {service!r} client; redshift-intercept answers "
                             "Redshift clients only (boto3.client('redshift'))")
        return "client", target
    if isinstance(target, boto3.session.Session):
        return "session", target._session
    if isinstance(target, botocore.session.Session):
        return "session", target
    if inspect.isfunction(target) or inspect.ismethod(target):
        raise TypeError("target must be a Redshift client, a boto3/botocore Session or None; "
                        "got a function. To decorate, call intercept: @intercept(), not @intercept")
    raise TypeError("target must be a Redshift client, a boto3.Session, a botocore Session "
                    f"or None, got {type(target).__name__}")


class Route:
    """One active interceptor as this door sees it: which calls it takes
    (its target), the service that answers them, the account calls are made
    in, and whether calls the service does not answer go through to AWS."""

    __slots__ = ("account_id", "kind", "passthrough", "service", "target")

    def __init__(self, service: Service, account_id: str, passthrough: bool, kind: Optional[str],
                 target: Any) -> None:
        self.service = service
        self.account_id = account_id
        self.passthrough = passthrough
        self.kind = kind
        self.target = target

    def accepts(self, origin: Origin, request_signer: Any) -> bool:
        kind = self.kind
        if kind is None:
            return True
        if kind == "client":
            return request_signer is self.target._request_signer
        return origin.session is self.target


_lock = threading.Lock()
# Replaced, never mutated, so the hot path reads it without a lock.
_routes: tuple[Route, ...] = ()


def open_route(route: Route) -> None:
    """Start answering for ``route`` (innermost from now on)."""
    global _routes
    if route.kind == "client":
        install_on_client(route.target)
    elif route.kind == "session":
        install_on_session(route.target)
    with _lock:
        _routes = (*_routes, route)


def close_route(route: Route) -> None:
    global _routes
    with _lock:
        _routes = tuple(r for r in _routes if r is not route)


# ---------------------------------------------------------------- handlers


def _stash(params: dict, context: dict, **_: Any) -> None:
    context[PARAMS_KEY] = params


def _install(register: Callable[..., None], origin: Origin, unique_id: str) -> None:
    def before_call(**kwargs: Any) -> Optional[tuple]:
        return _before_call(origin, **kwargs) if _routes else None

    register("before-parameter-build.redshift", _stash, unique_id=_STASH_ID)
    register("before-call.redshift", before_call, unique_id=unique_id)


def install_on_session(session: Any) -> None:
    """Put our handlers on a botocore session (idempotent)."""
    ref = weakref.ref(session)

    def parser_factory() -> Any:
        live = ref()
        return (live.get_component("response_parser_factory") if live is not None
                else ResponseParserFactory())

    _install(session.register, Origin(ref, parser_factory), _SESSION_ID)


def install_on_client(client: Any) -> None:
    """Put our handlers on one client, ahead of any it copied (idempotent)."""
    ref = weakref.ref(client)

    def parser_factory() -> Any:
        live = ref()
        return live._endpoint._response_parser_factory if live is not None else ResponseParserFactory()

    _install(client.meta.events.register_first, Origin(None, parser_factory), _CLIENT_ID)


_installed = False


def install_globally() -> None:
    """Reach every session created from now on, and boto3's default one."""
    global _installed
    if _installed:
        return
    _installed = True
    botocore.register_initializer(install_on_session)
    boto3_module = sys.modules.get("boto3")
    default = getattr(boto3_module, "DEFAULT_SESSION", None)
    if default is not None:
        install_on_session(default._session)


# ---------------------------------------------------------------- answering


def _before_call(origin: Origin, model: Any, params: dict, request_signer: Any, context: dict,
                 **_: Any) -> Optional[tuple]:
    """Ask the active routes, innermost first (the handlers only call this
    while some are active)."""
    for route in reversed(_routes):
        if route.accepts(origin, request_signer):
            return _answer(route, model, params, context, origin, request_signer)
    return None


def _answer(route: Route, model: Any, request_dict: dict, context: dict, origin: Origin,
            request_signer: Any) -> Optional[tuple]:
    """``(http response, parsed response)`` for botocore, as its endpoint
    would return them, retries included; None to let the call through."""
    params = decode_params(model, request_dict)
    caller = Caller(route.account_id, context["client_region"])
    shown = _caller_params(context, params)
    attempts = 1
    while True:
        try:
            http, parsed = _attempt(route.service, model, request_dict, origin, params, shown, caller)
        except NotAnswered as refused:
            if route.passthrough:
                return None
            route.service.record_refused(Call(
                model.name, shown, caller.region, caller.account_id, None,
                "UnhandledOperation", {"Error": {"Code": "UnhandledOperation", "Message": "not modelled; refused"}}))
            raise UnhandledOperationError(model.name, tuple(OPERATIONS), refused.detail) from None
        if http.status_code < 300:
            break
        delay = _retry_delay(request_signer, model, request_dict, (http, parsed), attempts)
        if delay is None:
            break
        route.service.clock.advance(delay)
        attempts += 1
    parsed["ResponseMetadata"]["RetryAttempts"] = attempts - 1
    return http, parsed


def _attempt(service: Service, model: Any, request_dict: dict, origin: Origin, params: Dict[str, Any],
             shown: Dict[str, Any], caller: Caller) -> tuple:
    request_id = new_request_id()
    try:
        result = service.answer(model.name, params, caller, request_id=request_id, caller_params=shown)
    except ServiceError as error:
        status, body = render_error(model, error, request_id)
    else:
        status, body = 200, render_success(model, result, request_id)
    http, parsed = respond(model, status, body, request_id, origin.parser(model.metadata["protocol"]),
                           request_dict.get("url", ""))
    failed = status >= 300
    # operation, params, region, account_id, response, error_code, error, request_id
    service.record(Call(model.name, shown, caller.region, caller.account_id,
                        None if failed else parsed, parsed["Error"].get("Code") if failed else None,
                        parsed if failed else None, request_id))
    return http, parsed


def _retry_delay(request_signer: Any, model: Any, request_dict: dict, response: tuple,
                 attempts: int) -> Optional[float]:
    """Ask the client's retry handlers, as botocore's endpoint does after an error."""
    events = getattr(request_signer, "_event_emitter", None)
    if events is None:
        return None
    responses = events.emit(
        f"needs-retry.{model.service_model.service_id.hyphenize()}.{model.name}",
        response=response, endpoint=None, operation=model, attempts=attempts,
        caught_exception=None, request_dict=request_dict)
    delay = first_non_none_response(responses)
    return None if delay is None or delay is False else float(delay)


def _caller_params(context: dict, decoded: Dict[str, Any]) -> Dict[str, Any]:
    """The API parameters as the caller passed them (kept by our
    before-parameter-build handler), else those decoded from the request."""
    caller = context.get(PARAMS_KEY)
    return dict(caller) if caller is not None else decoded
