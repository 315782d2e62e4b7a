"""How calls reach us: botocore's event system.

On import, ``botocore.register_initializer`` puts two inert handlers on every
botocore session created from then on (boto3 sessions included), and on
boto3's default session if it already exists. Every client copies its
session's handlers when it is created, so every Redshift client made after
the import carries them, whatever thread or session it comes from:

- ``before-parameter-build.redshift``: keeps the caller's API parameters in
  the request context (for ``rs.calls``);
- ``before-call.redshift``: asks the active interceptors, innermost first,
  whether one answers this call. With none active it returns None at once and
  botocore goes on as if we were not there.

A client made before the import is reached by ``rs.attach(client)`` (or by
passing it as ``target``), which puts the same handlers on that client.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional

import botocore
from botocore.parsers import ResponseParserFactory

if TYPE_CHECKING:  # pragma: no cover
    from ._intercept import RedshiftIntercept

PARAMS_KEY = "redshift_intercept.params"
_STASH_ID = "redshift_intercept.params"
_SESSION_ID = "redshift_intercept.session"
_CLIENT_ID = "redshift_intercept.client"

_lock = threading.Lock()
# Replaced, never mutated, so the hot path reads it without a lock.
_active: tuple[RedshiftIntercept, ...] = ()


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


def push(interceptor: RedshiftIntercept) -> None:
    global _active
    with _lock:
        _active = (*_active, interceptor)


def remove(interceptor: RedshiftIntercept) -> None:
    global _active
    with _lock:
        _active = tuple(i for i in _active if i is not interceptor)


def active() -> tuple[RedshiftIntercept, ...]:
    return _active


def _stash(params: dict, context: dict, **_: Any) -> None:
    context[PARAMS_KEY] = params


def _dispatch(origin: Origin, model: Any, params: dict, request_signer: Any,
              context: dict, **_: Any) -> Optional[tuple]:
    """Ask the active interceptors, innermost first (the handlers only call
    this while some are active)."""
    for interceptor in reversed(_active):
        if interceptor._accepts(origin, request_signer):
            return interceptor._answer(model, params, context, origin, request_signer)
    return None


def install_on_session(session: Any) -> None:
    """Put our handlers on a botocore session (idempotent)."""
    ref = weakref.ref(session)

    def parser_factory() -> Any:
        live = ref()
        return (live.get_component("response_parser_factory") if live is not None
                else ResponseParserFactory())

    origin = Origin(ref, parser_factory)

    def before_call(**kwargs: Any) -> Optional[tuple]:
        return _dispatch(origin, **kwargs) if _active else None

    session.register("before-parameter-build.redshift", _stash, unique_id=_STASH_ID)
    session.register("before-call.redshift", before_call, unique_id=_SESSION_ID)


def install_on_client(client: Any) -> None:
    """Put our handlers on one client, ahead of any it copied (idempotent)."""
    ref = weakref.ref(client)

    def parser_factory() -> Any:
        live = ref()
        return live._endpoint._response_parser_factory if live is not None else ResponseParserFactory()

    origin = Origin(None, parser_factory)

    def before_call(**kwargs: Any) -> Optional[tuple]:
        return _dispatch(origin, **kwargs) if _active else None

    events = client.meta.events
    events.register_first("before-parameter-build.redshift", _stash, unique_id=_STASH_ID)
    events.register_first("before-call.redshift", before_call, unique_id=_CLIENT_ID)


_installed = False


def install_globally() -> None:
    """Reach every session created from now on, and boto3's default one."""
    global _installed
    if _installed:
        return
    _installed = True
    botocore.register_initializer(install_on_session)
    boto3 = sys.modules.get("boto3")
    default = getattr(boto3, "DEFAULT_SESSION", None)
    if default is not None:
        install_on_session(default._session)
