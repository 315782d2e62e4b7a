"""The public interceptor: ``intercept()`` / ``RedshiftIntercept``.

One object is a context manager (sync and async), a decorator (sync and
``async def``) and ``start()``/``stop()``. While active it answers Redshift
calls through botocore's event system: call -> decode -> rules -> backend ->
render -> botocore's parser.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import functools
import inspect
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

import boto3
import botocore.client
import botocore.session
from botocore.hooks import first_non_none_response

from . import _hooks, _model
from ._backend import CallJournal, MemoryBackend, SnapshotBackend
from ._clock import Clock
from ._errors import ServiceError, UnhandledOperationError
from ._records import PENDING, check_account_id, check_region, new_cluster, new_snapshot, public
from ._rules import OPERATIONS, Scope, settled
from ._wire import decode_params, new_request_id, render_error, render_success, respond

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

F = TypeVar("F", bound=Callable[..., Any])
Target = Union[None, botocore.client.BaseClient, boto3.session.Session, botocore.session.Session]


@dataclass(slots=True)
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


class Clusters(MemoryBackend):
    """Seeded clusters: interceptor configuration, kept in this process."""

    _key = "ClusterIdentifier"

    def identifiers(self, account_id: str, region: str) -> set:
        return {c["ClusterIdentifier"] for c in self.list(account_id, region)}


@dataclass
class Fault:
    """An error to answer instead of the real outcome (see ``RedshiftIntercept.fail``)."""

    operation: str
    code: str
    message: str
    status: int
    when: Optional[Dict[str, Any]]
    remaining: Optional[int]

    def matches(self, operation: str, params: Dict[str, Any]) -> bool:
        return operation == self.operation and (
            self.when is None or all(params.get(k) == v for k, v in self.when.items()))


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

    def __init__(self, target: Target = None, *, backend: Union[SnapshotBackend, str, None] = None,
                 region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
                 passthrough: bool = False, journal: bool = False) -> None:
        self._target_kind, self._target = _check_target(target)
        self.backend: SnapshotBackend = resolve_backend(backend)
        if not isinstance(journal, bool):
            raise TypeError(f"journal must be True or False, got {journal!r}")
        if journal and not isinstance(self.backend, CallJournal):
            raise TypeError(f"journal=True needs a backend with a call journal (append_call, read_calls), "
                            f"such as SqliteBackend or MemoryBackend; {type(self.backend).__name__} has none")
        self._journal: Optional[CallJournal] = self.backend if journal else None  # type: ignore[assignment]
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
        self.unhandled: CallList = CallList()
        """Calls refused with ``UnhandledOperationError`` (fail closed), in order."""
        self.clock: Clock = Clock()
        """The fake service's time; ``rs.clock.advance(minutes=5)`` instead of sleeping."""
        self.creation_delay: Optional[float] = 0.0
        """Seconds (on ``clock``) a created or copied snapshot stays ``creating``;
        0 (default): the next call already sees it settled. None: it stays
        ``creating`` until ``complete_creation()``."""
        self.creation_outcome: str = "available"
        """What a created or copied snapshot becomes: ``"available"`` or ``"failed"``."""
        self.faults: List[Fault] = []
        self.clusters = Clusters()
        self._started = False
        self._lock = threading.Lock()

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
        record = new_snapshot(self.account_id, region, fields, now=self.clock.now())
        owner = record["OwnerAccount"]
        if not self.backend.insert(owner, region, record):
            raise ValueError(f"SnapshotIdentifier {record['SnapshotIdentifier']!r} already "
                             f"exists in account {owner}, region {region}")
        return copy.deepcopy(record)

    def snapshots(self, region: Optional[str] = None) -> List[Dict[str, Any]]:
        """The snapshots stored for this account in ``region`` (copies), as a
        describe call would see them now (creations due on ``clock`` settled)."""
        scope = self._scope(self._region(region))
        return [public(settled(scope, r)) for r in copy.deepcopy(self.backend.list(
            self.account_id, scope.region))]

    def load_snapshots(self, source: Union[str, os.PathLike[str], Dict[str, Any], Any],
                       region: Optional[str] = None) -> List[Dict[str, Any]]:
        """Seed every snapshot of a ``describe_cluster_snapshots`` response:
        ``{"Snapshots": [...]}`` with ISO-8601 timestamps, as the AWS CLI
        prints it. ``source`` is a path, an open file, or the parsed dict.

        All or nothing: every record is checked (as ``add_snapshot`` does)
        before any is stored, and a duplicate identifier stores none of them.
        Returns the stored records.
        """
        data = _read_json(source, "source")
        if not isinstance(data, dict) or not isinstance(data.get("Snapshots"), list):
            raise ValueError('source must hold {"Snapshots": [...]}, the shape '
                             "describe_cluster_snapshots returns")
        region = self._region(region)
        now = self.clock.now()
        records = []
        for index, fields in enumerate(data["Snapshots"]):
            if not isinstance(fields, dict):
                raise TypeError(f"Snapshots[{index}] must be an object, got {type(fields).__name__}")
            try:
                records.append(new_snapshot(self.account_id, region, fields, now=now))
            except (TypeError, ValueError) as error:
                name = fields.get("SnapshotIdentifier", "?")
                raise type(error)(f"Snapshots[{index}] ({name}): {error}") from None
        stored: List[Dict[str, Any]] = []
        for record in records:
            if not self.backend.insert(record["OwnerAccount"], region, record):
                for done in stored:
                    self.backend.remove(done["OwnerAccount"], region, done["SnapshotIdentifier"],
                                        lambda _: None)
                raise ValueError(f"SnapshotIdentifier {record['SnapshotIdentifier']!r} already exists in "
                                 f"account {record['OwnerAccount']}, region {region}; nothing was loaded")
            stored.append(record)
        return copy.deepcopy(stored)

    def dump_snapshots(self, target: Union[str, os.PathLike[str], Any, None] = None,
                       region: Optional[str] = None) -> Dict[str, Any]:
        """The snapshots of ``snapshots(region)`` as ``{"Snapshots": [...]}``
        with ISO-8601 timestamps, the shape ``load_snapshots`` reads. Written
        as JSON to ``target`` (a path or an open text file) when given;
        a path is replaced atomically."""
        data = {"Snapshots": self.snapshots(region)}
        if target is not None:
            text = json.dumps(data, indent=2, default=_json_default, ensure_ascii=False) + "\n"
            if hasattr(target, "write"):
                target.write(text)
            else:
                write_atomically(os.fspath(target), text)
        return json.loads(json.dumps(data, default=_json_default))

    def add_cluster(self, region: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """Seed a provisioned cluster and return (a copy of) its record.

        ``fields`` use Cluster-shape names (``ClusterIdentifier`` is required).
        New snapshots of it inherit its node type and count, port, database,
        master user, VPC, encryption and KMS key, AZ and versions;
        ``DescribeClusters`` answers for it and ``ClusterExists`` knows it.
        """
        region = self._region(region)
        record = new_cluster(self.account_id, region, fields, now=self.clock.now())
        if not self.clusters.insert(self.account_id, region, record):
            raise ValueError(f"ClusterIdentifier {record['ClusterIdentifier']!r} already exists "
                             f"in account {self.account_id}, region {region}")
        return copy.deepcopy(record)

    def complete_creation(self, snapshot_id: str, region: Optional[str] = None,
                          status: str = "available") -> Dict[str, Any]:
        """Settle a snapshot held in ``creating`` now, as ``available`` or
        ``failed``; returns its record."""
        if status not in ("available", "failed"):
            raise ValueError(f"status must be 'available' or 'failed', got {status!r}")
        region = self._region(region)

        def settle(record: Dict[str, Any]) -> Dict[str, Any]:
            if PENDING not in record:
                raise ValueError(f"snapshot {snapshot_id!r} is not being created "
                                 f"(its status is {record['Status']!r})")
            return {**record, PENDING: {"at": self.clock.now(), "status": status}}

        updated = self.backend.update(self.account_id, region, snapshot_id, settle)
        if updated is None:
            raise KeyError(f"no snapshot {snapshot_id!r} in account {self.account_id}, region {region}")
        return public(settled(self._scope(region), updated))

    # ------------------------------------------------------------ faults

    def fail(self, operation: str, code: str, message: Optional[str] = None, *, status: int = 400,
             times: Optional[int] = 1, when: Optional[Dict[str, Any]] = None) -> Fault:
        """Answer the next ``times`` calls of ``operation`` (None: every call)
        whose parameters include ``when`` with the Redshift error ``code``.

        The error is rendered and parsed like every other: boto3 raises
        ``client.exceptions.<Code>Fault`` where the model knows the code, else
        ``ClientError``. botocore's retry handlers see it as they would a real
        one (a throttled call is retried, without sleeping: the interceptor's
        clock moves instead), and every attempt is recorded in ``calls``.
        """
        names = _model.service_model().operation_names
        if operation not in names:
            close = difflib.get_close_matches(operation, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"operation {operation!r} is not a Redshift operation.{hint}")
        if not isinstance(code, str) or not code:
            raise TypeError(f"code must be a Redshift error code such as 'Throttling', got {code!r}")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive int or None (every call), got {times!r}")
        if when is not None and not isinstance(when, dict):
            raise TypeError(f"when must be a dict of API parameters, got {type(when).__name__}")
        fault = Fault(operation, code, message or f"{code} (injected by redshift-intercept)", status,
                      dict(when) if when else None, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, operation: str, params: Dict[str, Any]) -> Optional[Fault]:
        if not self.faults:
            return None
        with self._lock:
            for fault in self.faults:
                if fault.matches(operation, params):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------ answering

    def _accepts(self, origin: _hooks.Origin, request_signer: Any) -> bool:
        kind = self._target_kind
        if kind is None:
            return True
        if kind == "client":
            return request_signer is self._target._request_signer
        return origin.session is self._target

    def _scope(self, region: str) -> Scope:
        return Scope(self.backend, self.account_id, region, self.clock, self.clusters,
                     self.creation_delay, self.creation_outcome)

    def _answer(self, model: Any, request_dict: dict, context: dict, origin: _hooks.Origin,
                request_signer: Any) -> Optional[tuple]:
        operation = model.name
        rule = OPERATIONS.get(operation)
        params = decode_params(model, request_dict)
        fault = self._take_fault(operation, params)
        if rule is None and fault is None:
            if self.passthrough:
                return None
            refused = Call(operation, _caller_params(context, params), context["client_region"], self.account_id,
                           None, "UnhandledOperation",
                           {"Error": {"Code": "UnhandledOperation", "Message": "not modelled; refused"}})
            self.unhandled.append(refused)
            if self._journal is not None:
                self._journal.append_call(_journal_entry(refused))
            raise UnhandledOperationError(operation, tuple(OPERATIONS))
        attempts = 1
        while True:
            http, parsed = self._attempt(model, request_dict, context, origin, params, rule, fault)
            if http.status_code < 300:
                break
            delay = self._retry_delay(request_signer, model, request_dict, (http, parsed), attempts)
            if delay is None:
                break
            self.clock.advance(delay)
            attempts += 1
            fault = self._take_fault(operation, params)
        parsed["ResponseMetadata"]["RetryAttempts"] = attempts - 1
        return http, parsed

    def _retry_delay(self, request_signer: Any, model: Any, request_dict: dict, response: tuple,
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

    def _attempt(self, model: Any, request_dict: dict, context: dict, origin: _hooks.Origin,
                 params: Dict[str, Any], rule: Any, fault: Optional[Fault]) -> tuple:
        region = context["client_region"]
        request_id = new_request_id()
        try:
            if fault is not None:
                raise ServiceError(fault.code, fault.message, fault.status, fault.status < 500)
            result = rule(self._scope(region), params)
        except ServiceError as error:
            status, body = render_error(model, error, request_id)
        else:
            status, body = 200, render_success(model, result, request_id)
        http, parsed = respond(model, status, body, request_id, origin.parser(model.metadata["protocol"]),
                               request_dict.get("url", ""))
        failed = status >= 300
        # operation, params, region, account_id, response, error_code, error, request_id
        call = Call(model.name, _caller_params(context, params), region, self.account_id,
                    None if failed else parsed, parsed["Error"].get("Code") if failed else None,
                    parsed if failed else None, request_id)
        self.calls.append(call)
        if self._journal is not None:
            self._journal.append_call(_journal_entry(call))
        return http, parsed

    def journal(self) -> CallList:
        """Every call journaled in the backend, by any interceptor in any
        process sharing it, oldest first (``intercept(journal=True)``).
        Calls refused as unhandled appear with ``error_code`` ``"UnhandledOperation"``."""
        if self._journal is None:
            raise RuntimeError("this interceptor keeps no journal: create it with "
                               "intercept(journal=True) and a backend that has one (e.g. SqliteBackend)")
        return CallList(Call(operation=e.get("operation", ""), params=e.get("params", {}),
                             region=e.get("region", ""), account_id=e.get("account_id", ""),
                             response=e.get("response"),
                             error_code=e.get("error_code"), error=e.get("error"),
                             request_id=e.get("request_id", "")) for e in self._journal.read_calls())


def _caller_params(context: dict, decoded: Dict[str, Any]) -> Dict[str, Any]:
    """The API parameters as the caller passed them (kept by our
    before-parameter-build handler), else those decoded from the request."""
    caller = context.get(_hooks.PARAMS_KEY)
    return dict(caller) if caller is not None else decoded


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    partial = f"{path}.partial-{os.getpid()}"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


def _journal_entry(call: Call) -> Dict[str, Any]:
    entry = {"operation": call.operation, "params": call.params, "region": call.region,
             "account_id": call.account_id, "error_code": call.error_code,
             "request_id": call.request_id, "pid": os.getpid()}
    if call.error is not None:
        entry["error"] = {"Error": dict(call.error.get("Error", {}))}
        entry["error_message"] = call.error.get("Error", {}).get("Message", "")
    if call.response is not None:
        entry["response"] = {k: v for k, v in call.response.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(entry, default=_json_default))


def resolve_backend(backend: Union[SnapshotBackend, str, None]) -> SnapshotBackend:
    """A backend object from ``None``, a backend, or a short form:
    ``"memory"``, ``"sqlite://"`` (a new temporary file) or
    ``"sqlite:///path/to/file.db"``."""
    if backend is None or backend == "memory":
        return MemoryBackend()
    if isinstance(backend, str):
        if backend in ("sqlite", "sqlite://"):
            import tempfile

            from ._sqlite import SqliteBackend

            return SqliteBackend(os.path.join(tempfile.mkdtemp(prefix="redshift-intercept-"), "state.db"))
        if backend.startswith("sqlite:///"):
            from ._sqlite import SqliteBackend

            return SqliteBackend(backend[len("sqlite:///"):])
        raise ValueError(f"backend {backend!r} is not a backend short form: use 'memory', 'sqlite://' "
                         "(a new temporary file) or 'sqlite:///path/to/file.db'")
    if not isinstance(backend, SnapshotBackend):
        raise TypeError("backend must implement redshift_intercept.SnapshotBackend "
                        "(insert, get, list, update, remove), e.g. MemoryBackend(), or be a short form "
                        f"such as 'sqlite:///state.db'; got {type(backend).__name__}")
    return backend


def _json_default(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _read_json(source: Any, argument: str) -> Any:
    if isinstance(source, dict):
        return source
    if hasattr(source, "read"):
        text, name = source.read(), getattr(source, "name", argument)
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise FileNotFoundError(f"cannot read {argument} {name!r}: {error.strerror}") from None
    else:
        raise TypeError(f"{argument} must be a path, an open file or a dict, got {type(source).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} is not valid JSON: {error}") from None


def intercept(target: Target = None, *, backend: Union[SnapshotBackend, str, None] = None,
              region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
              passthrough: bool = False, journal: bool = False) -> RedshiftIntercept:
    """Answer boto3 Redshift calls in-process from a snapshot backend.

    :param target: ``None`` for every Redshift client in the process (any
        thread, any session); a Redshift client for that client only; a
        ``boto3.Session`` or botocore session for the clients it creates.
    :param backend: where snapshots live; a fresh ``MemoryBackend()`` by default.
        Short forms: ``"memory"``, ``"sqlite://"`` (a new temporary file),
        ``"sqlite:///path/to/file.db"`` (that file, shared by every process
        that opens it).
    :param region: default region of ``add_snapshot()`` / ``snapshots()``
        (``AWS_DEFAULT_REGION``, else ``us-east-1``). It never limits which
        clients are answered: each call sees its own client's region.
    :param account_id: the AWS account the snapshots belong to.
    :param passthrough: ``False`` (default) refuses Redshift operations that
        are not modelled with :class:`UnhandledOperationError`; ``True`` sends
        them to AWS as usual.
    :param journal: also record every call in the backend's call journal,
        where every process sharing the backend can read it (``rs.journal()``).
    """
    return RedshiftIntercept(target, backend=backend, region=region, account_id=account_id,
                             passthrough=passthrough, journal=journal)
