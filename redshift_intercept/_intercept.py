"""The public interceptor: ``intercept()`` / ``RedshiftIntercept``.

One object is a context manager (sync and async), a decorator (functions,
sync and ``async def``, and test classes: ``_decorate``) and
``start()``/``stop()``. It owns a ``Service`` (the fake
Redshift's state, ``_dispatch``) and, while active, a route through which
the botocore front door (``_hooks``) answers calls from it. The seeding
methods are thin: their work is in ``_seeding``.
"""

from __future__ import annotations

import os
import shutil
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Concatenate,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    ParamSpec,
    Sequence,
    TypeVar,
    Union,
    overload,
)

import botocore.client
import botocore.session

from . import _decorate, _hooks, _seeding
from ._backend import CallJournal, SnapshotBackend, resolve_backend
from ._calls import Call, CallList, call_from_entry, check_max_calls
from ._clock import Clock
from ._dispatch import Caller, Service
from ._faults import Fault, Faults
from ._files import read_json
from ._identities import Identity, PolicyDocument, identities_from_json, new_identity
from ._least_privilege import required_policy
from ._names import check_account_id, check_region
from ._quotas import Quotas
from ._sqlite import SqliteBackend

if TYPE_CHECKING:  # pragma: no cover
    from ._server import Endpoint

_MAX_DELAY = 100 * 365 * 86400.0
"""The longest ``creation_delay``: a century of the clock's seconds."""
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)
if TYPE_CHECKING:
    import boto3

    Target = Union[None, botocore.client.BaseClient, boto3.session.Session, botocore.session.Session]
else:  # boto3 is not imported for a program that does not use it (redshift-intercept run)
    Target = Union[None, botocore.client.BaseClient, botocore.session.Session, Any]


class RedshiftIntercept:
    """Answers Redshift calls in-process from a snapshot backend.

    Build it with :func:`intercept`. Use it as ``with intercept() as rs:``,
    ``async with``, with ``start()`` / ``stop()``, or as a decorator of a
    function or a test class (``@intercept()``; a parameter named ``rs``
    receives the interceptor). ``with`` and ``start()`` keep the state
    between activations; each decorated call and each test of a decorated
    class starts from a fresh one (``reset()``).
    """

    def __init__(self, target: Target = None, *, backend: Union[SnapshotBackend, str, None] = None,
                 region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
                 passthrough: bool = False, journal: bool = False, max_calls: Optional[int] = None,
                 strict_identities: bool = False) -> None:
        self._target_kind, self._target = _hooks.check_target(target)
        check_max_calls(max_calls)
        resolved = resolve_backend(backend)
        # A backend made here (None, "memory", "sqlite://") is ours to replace on reset().
        self._made_backend = backend is None or (isinstance(backend, str) and not backend.startswith("sqlite:///"))
        self._backend_form = backend if isinstance(backend, str) else None
        if not isinstance(journal, bool):
            raise TypeError(f"journal must be True or False, got {journal!r}")
        if journal and not isinstance(resolved, CallJournal):
            raise TypeError(f"journal=True needs a backend with a call journal (append_call, read_calls), "
                            f"such as SqliteBackend or MemoryBackend; {type(resolved).__name__} has none")
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
        if not isinstance(strict_identities, bool):
            raise TypeError(f"strict_identities must be True or False, got {strict_identities!r}")
        self._service = Service(resolved, journal=resolved if journal else None,  # type: ignore[arg-type]
                                max_calls=max_calls)
        self._service.identities.strict = strict_identities
        self._route: Optional[_hooks.Route] = None

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        scope = self._target_kind or "all clients"
        return (f"<RedshiftIntercept {state}, {scope}, account {self.account_id}, "
                f"region {self.region}, {len(self.calls)} call(s)>")

    # ------------------------------------------------------------ the service's state

    @property
    def backend(self) -> SnapshotBackend:
        """Where the snapshots live."""
        return self._service.backend

    @property
    def calls(self) -> CallList:
        """Every answered call, in order (the newest ``max_calls`` of them
        when ``intercept(max_calls=...)`` bounds it; ``calls.dropped`` counts
        the rest)."""
        return self._service.calls

    @property
    def unhandled(self) -> CallList:
        """Calls refused with ``UnhandledOperationError`` (fail closed), in order."""
        return self._service.unhandled

    @property
    def clock(self) -> Clock:
        """The fake service's time; ``rs.clock.advance(minutes=5)`` instead of sleeping."""
        return self._service.clock

    @property
    def faults(self) -> Faults:
        """The pending injected faults (``fail()``), in order."""
        return self._service.faults

    @property
    def creation_delay(self) -> Optional[float]:
        """Seconds (on ``clock``) a created or copied snapshot stays ``creating``;
        0 (default): the next call already sees it settled. None: it stays
        ``creating`` until ``complete_creation()``."""
        return self._service.creation_delay

    @creation_delay.setter
    def creation_delay(self, value: Optional[float]) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"creation_delay must be a number of seconds or None, got {type(value).__name__}")
            if not 0 <= value <= _MAX_DELAY:
                raise ValueError(f"creation_delay must be 0..{_MAX_DELAY:.0f} seconds (or None: until "
                                 f"complete_creation()), got {value!r}")
        self._service.creation_delay = value

    @property
    def creation_outcome(self) -> str:
        """What a created or copied snapshot becomes: ``"available"`` or ``"failed"``."""
        return self._service.creation_outcome

    @creation_outcome.setter
    def creation_outcome(self, value: str) -> None:
        if value not in ("available", "failed"):
            raise ValueError(f"creation_outcome must be 'available' or 'failed', got {value!r}")
        self._service.creation_outcome = value

    @property
    def cluster_delay(self) -> float:
        """Seconds (on ``clock``) a created or restored cluster stays
        ``creating``, and each step of a deletion lasts (``final-snapshot``,
        then ``deleting``); 0 (default): the next call sees the next state."""
        return self._service.cluster_delay

    @cluster_delay.setter
    def cluster_delay(self, value: float) -> None:
        self._service.cluster_delay = _seconds(value, "cluster_delay")

    @property
    def restore_delay(self) -> float:
        """Seconds a restored cluster, once available, keeps loading its data
        (``RestoreStatus`` ``restoring``); 0 (default): it is ``completed`` when
        it becomes available."""
        return self._service.restore_delay

    @restore_delay.setter
    def restore_delay(self, value: float) -> None:
        self._service.restore_delay = _seconds(value, "restore_delay")

    @property
    def restore_hold(self) -> Optional[float]:
        """Seconds a cluster deleted without a final snapshot while its
        restore was still loading keeps the snapshot it was restored from in
        use (deleting it is refused); default a day, None: for ever, 0: never."""
        return self._service.restore_hold

    @restore_hold.setter
    def restore_hold(self, value: Optional[float]) -> None:
        self._service.restore_hold = None if value is None else _seconds(value, "restore_hold")

    @property
    def quotas(self) -> Quotas:
        """The account's quotas per region (AWS's defaults):
        ``rs.quotas.manual_snapshots = 5``, ``rs.quotas.clusters = 2``."""
        return self._service.quotas

    # ------------------------------------------------------------ activation

    @property
    def active(self) -> bool:
        return self._route is not None

    def start(self) -> RedshiftIntercept:
        """Begin answering. Nested interceptors stack: the innermost answers."""
        if self._route is not None:
            raise RuntimeError("this interceptor is already active; call stop() first, "
                               "or create another with intercept()")
        self._route = _hooks.Route(self._service, self.account_id, self.passthrough, self._target_kind,
                                   self._target)
        _hooks.open_route(self._route)
        return self

    def stop(self) -> None:
        """Stop answering; the interceptor that was active before this one answers again."""
        if self._route is None:
            raise RuntimeError("this interceptor is not active; stop() follows start()")
        route, self._route = self._route, None
        _hooks.close_route(route)

    def __enter__(self) -> RedshiftIntercept:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    async def __aenter__(self) -> RedshiftIntercept:
        return self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Start again from a fresh state, as a decorated call does: no
        snapshots, clusters or events in a backend the interceptor made
        itself (``None``, ``"memory"``, ``"sqlite://"``: it gets a new, empty
        one), empty ``calls`` and ``unhandled``, no pending faults, no
        identities (``add_identity`` seeds them as ``add_snapshot`` seeds
        snapshots; ``strict_identities`` stays), ``clock`` back at real
        time, every setting at its default (``creation_delay``,
        ``creation_outcome``, ``cluster_delay``, ``restore_delay``,
        ``restore_hold``, ``quotas``). A backend you
        passed in (an object, or a named file ``"sqlite:///path"``) keeps
        its snapshots, clusters and events."""
        replacement = None
        if self._made_backend:
            old, replacement = self._service.backend, resolve_backend(self._backend_form)
            if isinstance(old, SqliteBackend):  # a temporary file in a directory of its own
                old.close()
                shutil.rmtree(os.path.dirname(old.path), ignore_errors=True)
        self._service.reset(replacement)

    def _begin_fresh(self) -> None:
        """``reset()`` and ``start()``, for a decorated call (an active
        interceptor is refused before its state is touched)."""
        if self._route is not None:
            self.start()  # raises: already active
        self.reset()
        self.start()

    @overload
    def __call__(self, func: C) -> C: ...

    @overload
    def __call__(self, func: Callable[Concatenate[RedshiftIntercept, P], R]) -> Callable[P, R]: ...

    @overload
    def __call__(self, func: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, func: Any) -> Any:
        """Decorate a function (sync or ``async def``) or a class.

        A decorated function runs intercepted, from a fresh state on every
        call (``reset()``). A parameter named ``rs`` receives the
        interceptor; as the first parameter it also disappears from the
        signature type checkers see (``def job(rs: RedshiftIntercept,
        days: int)`` decorates to ``(days: int)``).

        A decorated class is returned as is, with its ``test*`` methods and
        ``setUp``/``tearDown``, ``asyncSetUp``/``asyncTearDown``,
        ``setup_method``/``teardown_method`` running intercepted; each test
        starts from a fresh state before its ``setUp``.
        """
        return _decorate.decorate(self, func)

    def serve(self, host: str = "127.0.0.1", port: int = 0, *,
              verify_signatures: Optional[Mapping[str, str]] = None, max_body: Optional[int] = None) -> Endpoint:
        """An HTTP endpoint answering the Redshift query protocol from this
        interceptor's service, for any SDK, the AWS CLI or curl in any
        process: ``with rs.serve() as endpoint:`` then point clients at
        ``endpoint.url``. It shares everything with in-process calls
        (state, clock, faults, ``calls``), whether or not the interceptor is
        active; leaving the ``with`` waits for in-flight requests.

        ``port=0`` picks a free port. ``verify_signatures`` maps access key
        ids to secret keys: then every request's SigV4 signature is checked,
        and a key it does not name is refused. Bodies over ``max_body``
        bytes (default 1 MiB) are refused (413). Needs ``pip install 'redshift-intercept[serve]'``.
        """
        from ._server import Endpoint

        return Endpoint(self, host, port, verify_signatures=verify_signatures, max_body=max_body)

    def attach(self, client: botocore.client.BaseClient) -> botocore.client.BaseClient:
        """Make a Redshift client created before ``redshift_intercept`` was
        imported reachable by every interceptor. Returns the client."""
        kind = None if client is None else _hooks.check_target(client, "client")[0]
        if kind != "client":
            raise TypeError(f"attach() takes a Redshift client, got {type(client).__name__}")
        _hooks.install_on_client(client)
        return client

    # ------------------------------------------------------------ state

    def _caller(self, region: Optional[str]) -> Caller:
        return Caller(self.account_id, self.region if region is None else check_region(region))

    def add_snapshot(self, region: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """Seed one snapshot and return (a copy of) its full record.

        ``fields`` use Snapshot-shape names (``SnapshotIdentifier`` is
        required); every other field gets a realistic default. ``Tags`` also
        takes a dict and ``AccountsWithRestoreAccess`` a list of account ids.
        ``region`` defaults to the interceptor's. Raises ``TypeError`` /
        ``ValueError`` naming the field for an unknown field, a wrong type or
        value, or an identifier already taken in that account and region.
        """
        return _seeding.add_snapshot(self._service, self._caller(region), fields)

    def snapshots(self, region: Optional[str] = None) -> List[Dict[str, Any]]:
        """The snapshots stored for this account in ``region`` (copies), as a
        describe call would see them now (creations due on ``clock`` settled)."""
        return _seeding.snapshots(self._service, self._caller(region))

    def load_snapshots(self, source: Union[str, os.PathLike[str], Dict[str, Any], Any],
                       region: Optional[str] = None) -> List[Dict[str, Any]]:
        """Seed every snapshot of a ``describe_cluster_snapshots`` response:
        ``{"Snapshots": [...]}`` with ISO-8601 timestamps, as the AWS CLI
        prints it. ``source`` is a path, an open file, or the parsed dict.

        All or nothing: every record is checked (as ``add_snapshot`` does)
        before any is stored, and a duplicate identifier stores none of them.
        Returns the stored records.
        """
        return _seeding.load_snapshots(self._service, self._caller(region), source)

    def dump_snapshots(self, target: Union[str, os.PathLike[str], Any, None] = None,
                       region: Optional[str] = None) -> Dict[str, Any]:
        """The snapshots of ``snapshots(region)`` as ``{"Snapshots": [...]}``
        with ISO-8601 timestamps, the shape ``load_snapshots`` reads. Written
        as JSON to ``target`` (a path or an open text file) when given;
        a path is replaced atomically."""
        return _seeding.dump_snapshots(self._service, self._caller(region), target)

    def add_cluster(self, region: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """Seed a provisioned cluster and return (a copy of) its record.

        ``fields`` use Cluster-shape names (``ClusterIdentifier`` is required).
        New snapshots of it inherit its node type and count, port, database,
        master user, VPC, encryption and KMS key, AZ and versions;
        ``DescribeClusters`` answers for it and ``ClusterExists`` knows it.
        """
        return _seeding.add_cluster(self._service, self._caller(region), fields)

    def clusters(self, region: Optional[str] = None) -> List[Dict[str, Any]]:
        """The clusters stored for this account in ``region`` (copies), as
        ``describe_clusters`` would list them, in the order they were added."""
        return _seeding.clusters(self._service, self._caller(region))

    def events(self, region: Optional[str] = None) -> List[Dict[str, Any]]:
        """Everything recorded about this account's clusters and snapshots in
        ``region``, oldest first: the ``Event`` fields ``DescribeEvents``
        shows (``EventId`` only on the events AWS publishes) plus ``Action``
        (``taken``, ``expired``, ``deleted``, ``deleted with cluster``, ...)
        and ``By`` (``"Redshift"`` for what the service did on its own, else
        the operation). The service first catches up with ``clock``."""
        return _seeding.events(self._service, self._caller(region))

    def complete_creation(self, snapshot_id: str, region: Optional[str] = None,
                          status: str = "available") -> Dict[str, Any]:
        """Settle a snapshot held in ``creating`` now, as ``available`` or
        ``failed``; returns its record."""
        return _seeding.complete_creation(self._service, self._caller(region), snapshot_id, status)

    # ------------------------------------------------------------ identities

    def add_identity(self, access_key_id: str, *, arn: str, account_id: Optional[str] = None,
                     policies: Optional[Sequence[PolicyDocument]] = None, name: Optional[str] = None) -> Identity:
        """Make calls signed with ``access_key_id`` calls of this identity, in its account.

        ``arn`` is the caller's ARN: an IAM user (``arn:aws:iam::<account>:user/<name>``), a role
        session (``arn:aws:sts::<account>:assumed-role/<role>/<session>``) or the root user
        (``arn:aws:iam::<account>:root``); ``account_id``, if given, must be its account.
        ``policies`` are its identity-based policies (dicts or JSON text), evaluated for every
        call as IAM evaluates them; None (the default): its calls are not evaluated (every
        action allowed); ``[]``: every call is implicitly denied. ``name`` (default: the ARN's
        last part) is what ``redshift-intercept run --as`` and ``required_policy`` accept.
        A malformed policy raises ``PolicyError`` naming the problem, and nothing is added.
        """
        return self._service.identities.add(new_identity(access_key_id, account_id, arn, policies, name))

    def load_identities(self, source: Union[str, os.PathLike[str], Dict[str, Any], Any]) -> List[Identity]:
        """Add every identity of an identities file (what ``redshift-intercept run
        --identities`` reads): ``{access key id: {"arn": ..., "policies": [...],
        "account_id", "name", "secret_access_key" (all optional)}}``, a path, an
        open file or the parsed dict. All or nothing: every entry is checked
        (as ``add_identity`` checks it) before any is added."""
        loaded = [identity for identity, _ in identities_from_json(read_json(source, "source"), "source")]
        registry = self._service.identities
        taken = [i.access_key_id for i in loaded if registry.get(i.access_key_id) is not None]
        if taken:
            raise ValueError(f"source: access_key_id {taken[0]!r} already names an identity; nothing was added")
        return [registry.add(identity) for identity in loaded]

    @property
    def identities(self) -> List[Identity]:
        """The identities added with ``add_identity``, in order."""
        return list(self._service.identities)

    @property
    def strict_identities(self) -> bool:
        """Whether a call with an access key no identity has is refused (``InvalidClientTokenId``)."""
        return self._service.identities.strict

    def required_policy(self, identity: Optional[str] = None) -> Dict[str, Any]:
        """The smallest identity-based policy that allows every call answered so
        far (of ``identity``, an access key id, name or ARN of an added
        identity; None: every call) and nothing else: its actions, on exactly
        the resources IAM authorized them against. Raises ``ValueError`` when
        there is no call to allow."""
        calls: Iterable[Call] = self.calls
        if identity is not None:
            if not isinstance(identity, str):
                raise TypeError(f"identity must be an access key id, name or ARN (a str), got "
                                f"{type(identity).__name__}")
            try:
                arn = self._service.identities.find(identity).arn
            except LookupError as error:
                raise LookupError(f"identity: {error}") from None
            calls = [call for call in self.calls if call.principal == arn]
        return required_policy(calls)

    # ------------------------------------------------------------ faults, journal

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
        return self._service.faults.add(operation, code, message, status=status, times=times, when=when)

    def journal(self) -> CallList:
        """Every call journaled in the backend, by any interceptor in any
        process sharing it, oldest first (``intercept(journal=True)``).
        Calls refused as unhandled appear with ``error_code`` ``"UnhandledOperation"``."""
        return CallList(call_from_entry(entry) for entry in self._journal().read_calls())

    def clear_journal(self) -> int:
        """Empty the backend's call journal (for every process sharing the
        backend) and return how many calls it held: a long run on
        ``MemoryBackend`` with ``journal=True`` keeps its memory bounded this way."""
        return self._journal().clear_calls()

    def _journal(self) -> CallJournal:
        journal = self._service.journal
        if journal is None:
            raise RuntimeError("this interceptor keeps no journal: create it with "
                               "intercept(journal=True) and a backend that has one (e.g. SqliteBackend)")
        return journal


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 seconds, got {value}")
    return float(value)


def intercept(target: Target = None, *, backend: Union[SnapshotBackend, str, None] = None,
              region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID,
              passthrough: bool = False, journal: bool = False, max_calls: Optional[int] = None,
              strict_identities: bool = False) -> RedshiftIntercept:
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
    :param max_calls: keep only the newest ``max_calls`` calls in ``rs.calls``
        and ``rs.unhandled`` (``None``, the default: every call; ``0``: none),
        so that a long run does not grow without bound. The journal, if any,
        still records every call.
    :param strict_identities: refuse a call whose access key names no identity
        added with ``add_identity`` (``InvalidClientTokenId``, HTTP 403), as
        AWS refuses an unknown key; by default such calls are made by the
        interceptor's default identity (``account_id``, every action allowed).
    """
    return RedshiftIntercept(target, backend=backend, region=region, account_id=account_id,
                             passthrough=passthrough, journal=journal, max_calls=max_calls,
                             strict_identities=strict_identities)


def serve(host: str = "127.0.0.1", port: int = 0, *, backend: Union[SnapshotBackend, str, None] = None,
          region: Optional[str] = None, account_id: str = DEFAULT_ACCOUNT_ID, journal: bool = False,
          max_calls: Optional[int] = None, verify_signatures: Optional[Mapping[str, str]] = None,
          max_body: Optional[int] = None, strict_identities: bool = False) -> Endpoint:
    """An HTTP endpoint on a new interceptor's service:
    ``intercept(backend=..., region=..., account_id=..., journal=..., max_calls=...,
    strict_identities=...).serve(host, port, ...)``. The interceptor (seeding,
    ``calls``, ``clock``, ``fail``, ``add_identity``) is ``endpoint.rs``; it is
    not activated, so this process's own boto3 calls are not intercepted."""
    rs = intercept(backend=backend, region=region, account_id=account_id, journal=journal, max_calls=max_calls,
                   strict_identities=strict_identities)
    return rs.serve(host, port, verify_signatures=verify_signatures, max_body=max_body)
