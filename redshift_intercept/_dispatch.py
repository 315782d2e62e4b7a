"""The service core: the fake Redshift, known to no front door.

``Service.answer(operation, params, caller)`` takes a decoded request and
who makes it, and returns the result in the operation's output shape or
raises ``ServiceError``; it raises ``NotAnswered`` for an operation without
a rule. Turning a request into ``params`` and the result into a response is
the front door's job: the botocore hook (``_hooks``) renders the result to
the wire and parses it with the caller's own parser; other doors (an HTTP
endpoint, an async client) do the same through the same core.
"""

from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional

from ._backend import CallJournal, Clusters, SnapshotBackend
from ._calls import Call, CallList, journal_entry
from ._clock import Clock
from ._errors import NotAnswered
from ._faults import Faults
from ._rules import OPERATIONS, Scope


class Caller(NamedTuple):
    """Who makes a call: the account whose resources it sees, and its region."""

    account_id: str
    region: str


class Service:
    """The state of one fake Redshift and the pipeline every call takes:
    injected fault, else the operation's rule, over the backend, on the clock.

    It also keeps the record of answered calls (``calls``, ``unhandled``,
    the backend's journal when ``journal`` is set), which every front door
    appends to."""

    def __init__(self, backend: SnapshotBackend, journal: Optional[CallJournal] = None) -> None:
        self.backend = backend
        self.journal = journal
        self.clock = Clock()
        self.clusters = Clusters()
        self.faults = Faults()
        self.creation_delay: Optional[float] = 0.0
        self.creation_outcome: str = "available"
        self.calls = CallList()
        self.unhandled = CallList()

    def scope(self, caller: Caller) -> Scope:
        """What ``caller`` sees of this service's state."""
        return Scope(self, caller.account_id, caller.region)

    def answer(self, operation: str, params: Dict[str, Any], caller: Caller) -> Dict[str, Any]:
        """The result of one call (one attempt: a fault with ``times=2``
        answers two attempts). Raises ``ServiceError`` for a modelled error
        and ``NotAnswered`` for an operation with no rule and no fault."""
        fault = self.faults.take(operation, params)
        if fault is not None:
            raise fault.error()
        rule = OPERATIONS.get(operation)
        if rule is None:
            raise NotAnswered(operation)
        return rule(Scope(self, caller.account_id, caller.region), params)

    def record(self, call: Call) -> None:
        """Keep an answered call (and journal it)."""
        self.calls.append(call)
        if self.journal is not None:
            self.journal.append_call(journal_entry(call))

    def record_refused(self, call: Call) -> None:
        """Keep a call refused as not modelled (and journal it)."""
        self.unhandled.append(call)
        if self.journal is not None:
            self.journal.append_call(journal_entry(call))
