"""The service core: the fake Redshift, known to no front door.

``Service.answer(operation, params, caller)`` takes a decoded request and
who makes it, and returns the result in the operation's output shape or
raises ``ServiceError``; it raises ``NotAnswered`` for an operation without
a rule. Turning a request into ``params`` and the result into a response is
the front door's job: the botocore hook (``_hooks``) renders the result to
the wire and parses it with the caller's own parser; other doors (an HTTP
endpoint, an async client) do the same through the same core.

Each answer is one backend unit (``atomic``): what the service did on its
own up to the call's instant (``_rules.lifecycle.catch_up``), what the rule
reads and changes, and the journal entry that records it, take effect
together or not at all. A caller whose identity has policies is authorized
inside that unit, after the catch-up (IAM sees the resources as they are at
the call's instant) and before the rule, so every front door gets the same
decisions; a caller without policies skips it. A door turns the access key a
request is signed with into a ``Caller`` with ``Service.caller``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional

from . import _model
from ._authorize import authorize
from ._backend import CallJournal, SnapshotBackend
from ._calls import Call, CallList, journal_entry, journal_entry_of
from ._characters import check_request
from ._clock import Clock
from ._errors import NotAnswered, ServiceError
from ._faults import Faults
from ._identities import Identities, Identity, refusal_error, unknown_key
from ._policy import Decision
from ._quotas import Quotas
from ._rules import OPERATIONS, Rule, Scope
from ._rules.lifecycle import catch_up
from ._wire import error_status

READ_ONLY = frozenset({"DescribeClusterSnapshots", "DescribeClusters", "DescribeEvents", "DescribeTags"})
"""Operations that change nothing but what the clock made due (a creation
settling, a retention running out): their units start as readers."""


class Caller(NamedTuple):
    """Who makes a call: the account whose resources it sees, its region, and
    its identity (None: the interceptor's default identity, whose calls are
    not evaluated). ``Service.caller`` builds one from an access key."""

    account_id: str
    region: str
    identity: Optional[Identity] = None


def _authorized(rule: Rule, scope: Scope, operation: str, params: Dict[str, Any], identity: Identity,
                decisions: List[Decision]) -> Callable[[], Dict[str, Any]]:
    """The unit of work of an evaluated call: catch up, authorize, then the rule."""
    start = len(decisions)

    def work() -> Dict[str, Any]:
        del decisions[start:]  # a backend that runs the unit again after a conflict decides again
        catch_up(scope)
        scope.refused = authorize(scope, operation, params, identity, decisions)
        return rule(scope, params)

    return work


def _plain(rule: Rule, scope: Scope, params: Dict[str, Any]) -> Callable[[], Dict[str, Any]]:
    """The unit of work of a call that is not evaluated: catch up, then the rule."""
    def work() -> Dict[str, Any]:
        catch_up(scope)
        return rule(scope, params)

    return work


class Service:
    """The state of one fake Redshift and the pipeline every call takes:
    injected fault, else the operation's rule, over the backend, on the clock.

    It also keeps the record of answered calls (``calls``, ``unhandled``,
    and the backend's journal when ``journal`` is set), which every front
    door appends to."""

    def __init__(self, backend: SnapshotBackend, journal: Optional[CallJournal] = None,
                 max_calls: Optional[int] = None) -> None:
        self.backend = backend
        self.journal = journal
        self.clock = Clock()
        self.faults = Faults()
        self.quotas = Quotas()
        self.creation_delay: Optional[float] = 0.0
        self.creation_outcome: str = "available"
        self.cluster_delay: float = 0.0
        """Seconds a created or restored cluster stays ``creating``, and each
        step of a deletion (``final-snapshot``, ``deleting``) lasts."""
        self.restore_delay: float = 0.0
        """Seconds a restored cluster keeps loading its data once available."""
        self.restore_hold: Optional[float] = 86400.0
        """Seconds a cluster deleted while its restore ran keeps its snapshot
        from being deleted (None: for ever; 0: never)."""
        self._default_settings()
        self.calls = CallList(maxlen=max_calls)
        self.unhandled = CallList(maxlen=max_calls)
        self.identities = Identities()

    def caller(self, access_key_id: Optional[str], region: str, default_account: str) -> Caller:
        """Who calls with ``access_key_id`` (None: a request without
        credentials): the identity it names, else the default identity in
        ``default_account``, or, when identities are strict, a caller that
        ``answer`` refuses as AWS refuses an unknown key."""
        identity = self.identities.get(access_key_id)
        if identity is not None:
            return Caller(identity.account_id, region, identity)
        if self.identities.strict:
            return Caller(default_account, region, unknown_key(access_key_id, default_account))
        return Caller(default_account, region)

    def _default_settings(self) -> None:
        self.creation_delay = 0.0
        self.creation_outcome = "available"
        self.cluster_delay = 0.0
        self.restore_delay = 0.0
        self.restore_hold = 86400.0
        self.quotas.reset()

    def reset(self, backend: Optional[SnapshotBackend] = None) -> None:
        """Back to a fresh state: no answered or refused calls, no pending
        faults, no identities (``identities.strict`` stays), the clock at
        real time (what the service does on its own starts again from
        there), every setting at its default (creation, cluster and restore
        delays, quotas). ``backend``, when given,
        replaces the store, clusters, event log and all (and the journal,
        if the old store kept it)."""
        if backend is not None:
            if self.journal is self.backend:
                self.journal = backend  # type: ignore[assignment]
            self.backend = backend
        for record in (self.calls, self.unhandled):
            record.clear()
            record.dropped = 0  # max_calls (the bound) stays
        self.faults.clear()
        self.identities.clear()
        self.clock.reset()
        self._default_settings()

    def scope(self, caller: Caller) -> Scope:
        """What ``caller`` sees of this service's state."""
        return Scope(self, caller.account_id, caller.region)

    def catch_up(self, caller: Caller) -> Scope:
        """Do what the service would have done on its own until now (one
        unit); the scope of ``caller`` at that instant."""
        scope = Scope(self, caller.account_id, caller.region)
        self.backend.atomic(lambda: catch_up(scope))
        return scope

    def answer(self, operation: str, params: Dict[str, Any], caller: Caller, *, request_id: str = "",
               caller_params: Optional[Dict[str, Any]] = None, via: Optional[Dict[str, str]] = None,
               decisions: Optional[List[Decision]] = None) -> Dict[str, Any]:
        """The result of one call (one attempt: a fault with ``times=2``
        answers two attempts). Raises ``ServiceError`` for a modelled error
        (``AccessDenied`` when the caller's policies deny it, before the
        rule reads or changes anything) and ``NotAnswered`` for an operation
        with no rule and no fault.

        A caller a strict interceptor does not know is refused first
        (``InvalidClientTokenId``), as AWS authenticates before anything. A
        caller with policies is authorized in the call's unit, after the
        catch-up and before the rule; its decisions (one per resource) are
        appended to ``decisions`` when given, denied or not.

        A parameter of an answered operation holding a character no reply
        could carry is refused first (``InvalidParameterValue``), as the
        service validates input before it acts; an operation we do not
        answer stays ``NotAnswered`` (refused, or sent on to AWS).

        With a journal, the call is journaled (with ``request_id`` and
        ``caller_params``, the parameters as the caller passed them; default
        ``params``; and ``via``, where an HTTP call came from: ``source`` and
        ``access_key_id``) in the same unit as the changes it made."""
        journal = self.journal
        rule = OPERATIONS.get(operation)
        identity = caller.identity
        try:
            if rule is not None:
                if identity is not None and identity.refusal is not None:
                    raise refusal_error(identity)
                check_request(params)
            fault = self.faults.take(operation, params)
            if fault is not None:
                raise fault.error()
        except ServiceError as error:
            if journal is not None:
                journal.append_call(self._entry(operation, params, caller, request_id, caller_params, via, error=error))
            raise
        if rule is None:
            raise NotAnswered(operation)
        scope = Scope(self, caller.account_id, caller.region)
        write = operation not in READ_ONLY
        made: Optional[List[Decision]] = None
        if identity is None or identity.policies is None:  # not evaluated: no authorization
            work: Callable[[], Dict[str, Any]] = _plain(rule, scope, params)
        else:
            made = [] if decisions is None else decisions
            work = _authorized(rule, scope, operation, params, identity, made)
        if journal is None:
            return self.backend.atomic(work, write)

        def answer_and_journal() -> Dict[str, Any]:
            result = work()
            journal.append_call(self._entry(operation, params, caller, request_id, caller_params, via, result=result,
                                            decisions=made))
            return result

        try:
            return self.backend.atomic(answer_and_journal, write)
        except ServiceError as error:
            journal.append_call(self._entry(operation, params, caller, request_id, caller_params, via, error=error,
                                            decisions=made))
            raise

    @staticmethod
    def _entry(operation: str, params: Dict[str, Any], caller: Caller, request_id: str,
               caller_params: Optional[Dict[str, Any]], via: Optional[Dict[str, str]],
               result: Optional[Dict[str, Any]] = None, error: Optional[ServiceError] = None,
               decisions: Optional[List[Decision]] = None) -> Dict[str, Any]:
        parsed_error = None
        if error is not None:
            sender = error_status(_model.service_model(), error)[1]
            parsed_error = {"Error": {"Type": "Sender" if sender else "Receiver", "Code": error.code,
                                      "Message": error.message}}
        identity = caller.identity
        return journal_entry(operation, params if caller_params is None else caller_params, caller.region,
                             caller.account_id, request_id, result, parsed_error, **(via or {}),
                             principal=None if identity is None or identity.refusal else identity.arn,
                             decisions=None if decisions is None else tuple(decisions))

    def record(self, call: Call) -> None:
        """Keep an answered call (``answer`` journaled it)."""
        self.calls.append(call)

    def record_refused(self, call: Call) -> None:
        """Keep a call refused as not modelled (and journal it)."""
        self.unhandled.append(call)
        if self.journal is not None:
            self.journal.append_call(journal_entry_of(call))
