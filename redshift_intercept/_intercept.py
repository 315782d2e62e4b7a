"""The public interceptor: ``intercept()`` / ``RedshiftIntercept``.

One object is a context manager (sync and async), a decorator (sync and
``async def``) and ``start()``/``stop()``. While active it answers Redshift
calls through botocore's event system: call -> decode -> rules -> backend ->
render -> botocore's parser.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

import boto3
import botocore.client
import botocore.session

from . import _hooks
from ._backend import MemoryBackend, SnapshotBackend
from ._errors import ServiceError, UnhandledOperationError
from ._records import check_account_id, check_region, new_snapshot
from ._rules import OPERATIONS, Scope
from ._wire import decode_params, new_request_id, render_error, render_success, respond

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

F = TypeVar("F", bound=Callable[..., Any])
Target = Union[None, botocore.client.BaseClient, boto3.session.Session, botocore.session.Session]


@dataclass(frozen=True)
class Call:
    """One Redshift call the interceptor answered."""

    operation: str
    """API name, e.g. ``"DeleteClusterSnapshot"``."""
    params: Dict[str, Any]
    """The validated API parameters, as the caller passed them."""
    region: str
    """The calling client's region."""
    account_id: str
    response: Optional[Dict[str, Any]]
    """The parsed response the caller received; None when the call failed."""
    error_code: Optional[str]
    """The Redshift error code (``"ClusterSnapshotNotFound"``); None on success."""
    error: Optional[Dict[str, Any]] = field(default=None, repr=False)
    """The parsed error response the caller's exception carries; None on success."""
    request_id: str = field(default="", repr=False)


class CallList(List[Call]):
    """Every answered call, in order, with assertion helpers."""

    @property
    def called(self) -> bool:
        return bool(self)

    @property
    def call_count(self) -> int:
        return len(self)

    @property
    def last(self) -> Call:
        if not self:
            raise IndexError("no Redshift call has been answered yet")
        return self[-1]

    def of(self, operation: str) -> CallList:
        """The calls of one operation (API name, e.g. ``"DeleteClusterSnapshot"``)."""
        return CallList(call for call in self if call.operation == operation)

    def assert_called_once(self) -> Call:
        if len(self) != 1:
            raise AssertionError(f"expected exactly 1 Redshift call, got {len(self)}: "
                                 f"{[c.operation for c in self]}")
        return self[0]

    def assert_not_called(self) -> None:
        if self:
            raise AssertionError(f"expected no Redshift call, got {len(self)}: "
                                 f"{[c.operation for c in self]}")


def _check_target(target: object, argument: str = "target") -> tuple[Optional[str], Any]:
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


class RedshiftIntercept:
    """Answers Redshift calls in-process from a snapshot backend.

    Build it with :func:`intercept`. Use it as ``with intercept() as rs:``,
    ``async with``, as a decorator (``@intercept()``; a decorated function
    with a parameter named ``rs`` receives the interceptor), or with
    ``start()`` / ``stop()``.
    """

    def __init__(self, target: Target = None, *, backend: Optional[SnapshotBackend] = None,
                 region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
                 passthrough: bool = False) -> None:
        self._target_kind, self._target = _check_target(target)
        if backend is None:
            backend = MemoryBackend()
        elif not isinstance(backend, SnapshotBackend):
            raise TypeError("backend must implement redshift_intercept.SnapshotBackend "
                            "(insert, get, list, update, remove), e.g. MemoryBackend(); got "
                            f"{type(backend).__name__}")
        self.backend: SnapshotBackend = backend
        if region is None:
            region = os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
            argument = "region (from AWS_DEFAULT_REGION)"
        else:
            argument = "region"
        self.region: str = check_region(region, argument)
        self.account_id: str = check_account_id(account_id)
        if not isinstance(passthrough, bool):
            raise TypeError(f"passthrough must be True or False, got {passthrough!r}")
        self.passthrough: bool = passthrough
        self.calls: CallList = CallList()
        self._started = False

    def __repr__(self) -> str:
        state = "active" if self._started else "inactive"
        scope = self._target_kind or "all clients"
        return (f"<RedshiftIntercept {state}, {scope}, account {self.account_id}, "
                f"region {self.region}, {len(self.calls)} call(s)>")

    # ------------------------------------------------------------ activation

    @property
    def active(self) -> bool:
        return self._started

    def start(self) -> RedshiftIntercept:
        """Begin answering. Nested interceptors stack: the innermost answers."""
        if self._started:
            raise RuntimeError("this interceptor is already active; call stop() first, "
                               "or create another with intercept()")
        if self._target_kind == "client":
            _hooks.install_on_client(self._target)
        elif self._target_kind == "session":
            _hooks.install_on_session(self._target)
        self._started = True
        _hooks.push(self)
        return self

    def stop(self) -> None:
        """Stop answering; the interceptor that was active before this one answers again."""
        if not self._started:
            raise RuntimeError("this interceptor is not active; stop() follows start()")
        self._started = False
        _hooks.remove(self)

    def __enter__(self) -> RedshiftIntercept:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    async def __aenter__(self) -> RedshiftIntercept:
        return self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Decorate ``func`` (sync or ``async def``) so that it runs intercepted."""
        if not callable(func):
            raise TypeError(f"intercept() decorates functions, got {type(func).__name__}")
        signature = inspect.signature(func)
        inject = "rs" in signature.parameters

        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    if inject:
                        kwargs["rs"] = self
                    return await func(*args, **kwargs)
            wrapper: Any = async_wrapper
        else:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    if inject:
                        kwargs["rs"] = self
                    return func(*args, **kwargs)
        if inject:  # so that pytest does not look for a fixture named rs
            wrapper.__signature__ = signature.replace(
                parameters=[p for name, p in signature.parameters.items() if name != "rs"])
        return wrapper

    def attach(self, client: botocore.client.BaseClient) -> botocore.client.BaseClient:
        """Make a Redshift client created before ``redshift_intercept`` was
        imported reachable by every interceptor. Returns the client."""
        kind = None if client is None else _check_target(client, "client")[0]
        if kind != "client":
            raise TypeError(f"attach() takes a Redshift client, got {type(client).__name__}")
        _hooks.install_on_client(client)
        return client

    # ------------------------------------------------------------ state

    def _region(self, region: Optional[str]) -> str:
        return self.region if region is None else check_region(region)

    def add_snapshot(self, region: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """Seed one snapshot and return (a copy of) its full record.

        ``fields`` use Snapshot-shape names (``SnapshotIdentifier`` is
        required); every other field gets a realistic default. ``Tags`` also
        takes a dict and ``AccountsWithRestoreAccess`` a list of account ids.
        ``region`` defaults to the interceptor's. Raises ``TypeError`` /
        ``ValueError`` naming the field for an unknown field, a wrong type or
        value, or an identifier already taken in that account and region.
        """
        region = self._region(region)
        record = new_snapshot(self.account_id, region, fields)
        if not self.backend.insert(self.account_id, region, record):
            raise ValueError(f"SnapshotIdentifier {record['SnapshotIdentifier']!r} already "
                             f"exists in account {self.account_id}, region {region}")
        return copy.deepcopy(record)

    def snapshots(self, region: Optional[str] = None) -> List[Dict[str, Any]]:
        """The snapshots stored for this account in ``region`` (copies)."""
        return copy.deepcopy(self.backend.list(self.account_id, self._region(region)))

    # ------------------------------------------------------------ answering

    def _accepts(self, origin: _hooks.Origin, request_signer: Any) -> bool:
        kind = self._target_kind
        if kind is None:
            return True
        if kind == "client":
            return request_signer is self._target._request_signer
        return origin.session is self._target

    def _answer(self, model: Any, request_dict: dict, context: dict,
                origin: _hooks.Origin) -> Optional[tuple]:
        operation = model.name
        rule = OPERATIONS.get(operation)
        if rule is None:
            if self.passthrough:
                return None
            raise UnhandledOperationError(operation, tuple(OPERATIONS))
        region = context["client_region"]
        params = decode_params(model, request_dict)
        request_id = new_request_id()
        try:
            result = rule(Scope(self.backend, self.account_id, region), params)
        except ServiceError as error:
            status, body = render_error(model, error, request_id)
        else:
            status, body = 200, render_success(model, result, request_id)
        http, parsed = respond(model, status, body, request_id, origin.parser_factory(),
                               request_dict.get("url", ""))
        failed = status >= 300
        caller_params = context.get(_hooks.PARAMS_KEY)
        self.calls.append(Call(
            operation=operation,
            params=dict(caller_params) if caller_params is not None else params,
            region=region,
            account_id=self.account_id,
            response=None if failed else parsed,
            error_code=parsed["Error"].get("Code") if failed else None,
            error=parsed if failed else None,
            request_id=request_id,
        ))
        return http, parsed


def intercept(target: Target = None, *, backend: Optional[SnapshotBackend] = None,
              region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
              passthrough: bool = False) -> RedshiftIntercept:
    """Answer boto3 Redshift calls in-process from a snapshot backend.

    :param target: ``None`` for every Redshift client in the process (any
        thread, any session); a Redshift client for that client only; a
        ``boto3.Session`` or botocore session for the clients it creates.
    :param backend: where snapshots live; a fresh ``MemoryBackend()`` by default.
    :param region: default region of ``add_snapshot()`` / ``snapshots()``
        (``AWS_DEFAULT_REGION``, else ``us-east-1``). It never limits which
        clients are answered: each call sees its own client's region.
    :param account_id: the AWS account the snapshots belong to.
    :param passthrough: ``False`` (default) refuses Redshift operations that
        are not modelled with :class:`UnhandledOperationError`; ``True`` sends
        them to AWS as usual.
    """
    return RedshiftIntercept(target, backend=backend, region=region, account_id=account_id,
                             passthrough=passthrough)
