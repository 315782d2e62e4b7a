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
would. That answering core is written once for sync and aiobotocore
clients: for an aio client the handler returns a coroutine, which the aio
emitter awaits (``_aio``).

A client made before the import is reached by ``rs.attach(client)`` (or by
passing it as ``target``), which puts the same handlers on that client.
"""

from __future__ import annotations

import inspect
import sys
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional

import botocore
import botocore.client
import botocore.session
from botocore.exceptions import NoCredentialsError
from botocore.hooks import first_non_none_response
from botocore.parsers import ResponseParserFactory

from ._aio import aio_http_response, async_events, drive_async
from ._calls import Call
from ._dispatch import Caller, Service
from ._errors import NotAnswered, ServiceError, UnhandledOperationError
from ._policy import Decision
from ._rules import OPERATIONS
from ._wire import (
    Steps,
    decode_params,
    http_response,
    modeled_error_shape,
    new_request_id,
    parser_input,
    render_error,
    render_success,
)

PARAMS_KEY = "redshift_intercept.params"
_STASH_ID = "redshift_intercept.params"
_SESSION_ID = "redshift_intercept.session"
_CLIENT_ID = "redshift_intercept.client"


class Origin:
    """Where a call comes from: the session whose handler fired (``session``,
    None for a handler put on one client), the response parser factory
    the calling client uses, and whether that client is an aiobotocore one
    (``aio``: its events are async, see ``_aio``). One per installed handler."""

    __slots__ = ("_parser", "_session", "aio", "parser_factory")

    def __init__(self, session_ref: Optional[Callable[[], Any]], parser_factory: Callable[[], Any],
                 aio: bool = False) -> None:
        self._session = session_ref
        self.parser_factory = parser_factory
        self.aio = aio
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
    boto3_session = sys.modules.get("boto3.session")  # a boto3 Session exists only once boto3 is imported
    if boto3_session is not None and isinstance(target, boto3_session.Session):
        return "session", target._session
    if isinstance(target, botocore.session.Session):
        return "session", target
    if inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target):
        what = "class" if inspect.isclass(target) else "function"
        raise TypeError("target must be a Redshift client, a boto3/botocore Session or None; "
                        f"got a {what}. To decorate, call intercept: @intercept(), not @intercept")
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

    _install(session.register, Origin(ref, parser_factory, async_events(session.get_component("event_emitter"))),
             _SESSION_ID)


def install_on_client(client: Any) -> None:
    """Put our handlers on one client, ahead of any it copied (idempotent)."""
    ref = weakref.ref(client)

    def parser_factory() -> Any:
        live = ref()
        return live._endpoint._response_parser_factory if live is not None else ResponseParserFactory()

    _install(client.meta.events.register_first, Origin(None, parser_factory, async_events(client.meta.events)),
             _CLIENT_ID)


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
                 **_: Any) -> Any:
    """Ask the active routes, innermost first (the handlers only call this
    while some are active). For an aiobotocore client the answer is a
    coroutine, which its emitter awaits (``_aio``)."""
    for route in reversed(_routes):
        if route.accepts(origin, request_signer):
            if origin.aio:
                return drive_async(_answer_steps(route, model, params, context, origin, request_signer, True))
            return _answer(route, model, params, context, origin, request_signer)
    return None


def _answer(route: Route, model: Any, request_dict: dict, context: dict, origin: Origin,
            request_signer: Any) -> Optional[tuple]:
    """``(http response, parsed response)`` for a sync botocore client, as
    its endpoint would return them, retries included; None to let the call
    through. Runs the answering core, in which nothing is awaitable for a
    sync client (``_aio.drive_async`` runs it for an aio one)."""
    steps = _answer_steps(route, model, request_dict, context, origin, request_signer, False)
    try:
        awaitable = next(steps)
    except StopIteration as done:
        return done.value
    steps.close()
    getattr(awaitable, "close", lambda: None)()  # no "never awaited" warning
    raise TypeError(f"an async parser, emitter or credentials ({type(awaitable).__name__}) answered a sync "
                    "botocore client")


def _answer_steps(route: Route, model: Any, request_dict: dict, context: dict, origin: Origin,
                  request_signer: Any, aio: bool) -> Steps:
    """The answering core, for sync and aio clients alike: attempts, each
    parsed by the client's parser and recorded, the client's retry
    decisions, and the answer, ``(http, parsed)`` or None (let through).

    What an aio client makes async (its parser's result, its ``needs-retry``
    emission, the frozen form of its credentials when identities are told
    apart) is yielded, to be awaited by ``_aio.drive_async``; on a sync
    client nothing is yielded (``_answer``)."""
    params = decode_params(model, request_dict)
    service = route.service
    if service.identities.active:
        credentials = _signing_credentials(request_signer, context, service.identities.strict)
        access_key = None
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            if inspect.isawaitable(frozen):  # aiobotocore's credentials: a coroutine
                frozen = yield frozen
            access_key = frozen.access_key
        caller = service.caller(access_key, context["client_region"], route.account_id)
    else:
        caller = Caller(route.account_id, context["client_region"])
    identity = caller.identity
    principal = None if identity is None or identity.refusal else identity.arn
    shown = _caller_params(context, params)
    attempts = 1
    while True:
        try:
            status, body, request_id, decisions = _attempt(service, model, params, shown, caller)
        except NotAnswered as refused:
            if route.passthrough:
                return None
            service.record_refused(Call(
                model.name, shown, caller.region, caller.account_id, None,
                "UnhandledOperation", {"Error": {"Code": "UnhandledOperation", "Message": "not modelled; refused"}}))
            raise UnhandledOperationError(model.name, tuple(OPERATIONS), refused.detail) from None
        http = (aio_http_response if aio else http_response)(request_dict.get("url", ""), status, request_id, body)
        # Parsed as botocore's endpoint does: the client's parser, then the
        # modelled error's shape (Endpoint._add_modeled_error_fields).
        parser = origin.parser(model.metadata["protocol"])
        response_dict = parser_input(model, http, body)
        parsed = parser.parse(response_dict, model.output_shape)
        if not isinstance(parsed, dict):  # an async parser's coroutine
            parsed = yield parsed
        failed = status >= 300
        if failed:
            error_shape = modeled_error_shape(model, parsed)
            if error_shape is not None:
                fields = parser.parse(response_dict, error_shape)
                parsed.update(fields if isinstance(fields, dict) else (yield fields))
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
        # operation, params, region, account_id, response, error_code, error, request_id, principal, decisions
        service.record(Call(model.name, shown, caller.region, caller.account_id,
                            None if failed else parsed, parsed["Error"].get("Code") if failed else None,
                            parsed if failed else None, request_id, principal=principal, decisions=decisions))
        if not failed:
            break
        # After an error, ask the client's retry handlers, as its endpoint does.
        responses = _needs_retry(request_signer, model, request_dict, (http, parsed), attempts)
        if not isinstance(responses, list):  # aiobotocore's emitter: a coroutine
            responses = yield responses
        delay = first_non_none_response(responses)
        if delay is None or delay is False:
            break
        service.clock.advance(float(delay))
        attempts += 1
    parsed["ResponseMetadata"]["RetryAttempts"] = attempts - 1
    return http, parsed


def _attempt(service: Service, model: Any, params: Dict[str, Any], shown: Dict[str, Any],
             caller: Caller) -> tuple[int, bytes, str, Optional[tuple[Decision, ...]]]:
    """One attempt: (HTTP status, the body Redshift sends, request id, the
    caller's policy decisions, None for an identity without policies)."""
    request_id = new_request_id()
    identity = caller.identity
    decisions: Optional[List[Decision]] = None if identity is None or identity.policies is None else []
    try:
        result = service.answer(model.name, params, caller, request_id=request_id, caller_params=shown,
                                decisions=decisions)
    except ServiceError as error:
        status, body = render_error(model, error, request_id)
    else:
        status, body = 200, render_success(model, result, request_id)
    return status, body, request_id, None if decisions is None else tuple(decisions)


def _signing_credentials(request_signer: Any, context: dict, strict: bool) -> Any:
    """The credentials this request would be signed with, chosen as
    botocore's and aiobotocore's signers choose them
    (``RequestSigner.get_auth_instance``): the request's own if it carries
    some, else the client's. Their frozen form, which refreshes refreshable
    credentials when they are due as signing the real request would, holds
    the access key (``_answer_steps``; a coroutine on an aio client). None
    for a client that does not sign (``UNSIGNED``) or has no credentials;
    with ``strict``, a client that has none cannot sign, and botocore's
    ``NoCredentialsError`` is raised, as the real call would raise it."""
    if request_signer.signature_version is botocore.UNSIGNED:
        return None
    credentials = context.get("signing", {}).get("request_credentials") or request_signer._credentials
    if credentials is None and strict:
        raise NoCredentialsError()
    return credentials


def _needs_retry(request_signer: Any, model: Any, request_dict: dict, response: tuple, attempts: int) -> Any:
    """Emit ``needs-retry`` on the client's events: the handlers' responses
    (a list; a coroutine of one on an aio client)."""
    events = getattr(request_signer, "_event_emitter", None)
    if events is None:
        return []
    return events.emit(
        f"needs-retry.{model.service_model.service_id.hyphenize()}.{model.name}",
        response=response, endpoint=None, operation=model, attempts=attempts,
        caught_exception=None, request_dict=request_dict)


def _caller_params(context: dict, decoded: Dict[str, Any]) -> Dict[str, Any]:
    """The API parameters as the caller passed them (kept by our
    before-parameter-build handler), else those decoded from the request."""
    caller = context.get(PARAMS_KEY)
    return dict(caller) if caller is not None else decoded
