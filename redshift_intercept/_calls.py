"""The record of answered calls: ``Call``, ``CallList``, and the entries a
backend's call journal keeps."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ._files import json_default
from ._policy import Decision


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
    source: Optional[str] = field(default=None, repr=False)
    """Where an HTTP call came from (``"127.0.0.1:50312"``); None for an in-process call."""
    access_key_id: Optional[str] = field(default=None, repr=False)
    """The access key an HTTP call was signed with; None for an in-process call."""
    principal: Optional[str] = None
    """The ARN of the identity that made the call (``rs.add_identity``); None:
    the interceptor's default identity."""
    decisions: Optional[Tuple[Decision, ...]] = field(default=None, repr=False)
    """IAM's decision for each resource the call was authorized against, in
    order; None when the caller's calls are not evaluated (no policies)."""

    @property
    def decision(self) -> Optional[Decision]:
        """The decision that settled the call: its first denial, else its first
        allow; None when it was not evaluated (or named no resource)."""
        if not self.decisions:
            return None
        return next((d for d in self.decisions if not d.allowed), self.decisions[0])


def check_max_calls(value: object, argument: str = "max_calls") -> Optional[int]:
    """``None`` (no bound) or a number of calls >= 0."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{argument} must be None (keep every call) or an int >= 0, got {value!r}")
    return value


_trimming = threading.Lock()


class CallList(List[Call]):
    """Every answered call, in order, with assertion helpers.

    A plain ``list`` (index it, slice it, ``clear()`` it), optionally
    bounded: with ``maxlen`` set, appending a call beyond ``maxlen`` lets the
    oldest go, as ``collections.deque(maxlen=...)`` does, and ``dropped``
    counts the calls let go so far. ``maxlen=0`` keeps none. Other list
    methods (``extend``, ``insert``...) are not bounded: the bound is on what
    the interceptor records.
    """

    # Class defaults, so that a list rebuilt by pickle or copy (which appends
    # before it sets attributes) works as an unbounded one.
    maxlen: Optional[int] = None
    """The most calls kept; None: no bound."""
    dropped: int = 0
    """How many of the oldest calls the bound has let go."""

    def __init__(self, calls: Iterable[Call] = (), *, maxlen: Optional[int] = None) -> None:
        super().__init__(calls)
        if maxlen is not None:
            self.maxlen = check_max_calls(maxlen, "maxlen")
            self._trim()

    def append(self, call: Call) -> None:
        if self.maxlen is None:
            super().append(call)
            return
        with _trimming:
            super().append(call)
            self._trim()

    def _trim(self) -> None:
        excess = len(self) - (self.maxlen or 0)
        if excess > 0:
            del self[:excess]
            self.dropped += excess

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


def journal_entry(operation: str, params: Dict[str, Any], region: str, account_id: str, request_id: str,
                  response: Optional[Dict[str, Any]] = None, error: Optional[Dict[str, Any]] = None,
                  source: Optional[str] = None, access_key_id: Optional[str] = None,
                  principal: Optional[str] = None, decisions: Optional[Tuple[Decision, ...]] = None
                  ) -> Dict[str, Any]:
    """A call as a journal keeps it: JSON values only (times as Redshift
    writes them), and the writing process's id. ``response`` is the result
    the caller got (without ``ResponseMetadata``); ``error`` the parsed error
    (``{"Error": {"Code", "Message", "Type"}}``); ``source`` and
    ``access_key_id`` where an HTTP call came from and the key it was signed
    with (absent for in-process calls); ``principal`` and ``decisions`` who
    made it and IAM's decisions, when there are some."""
    entry: Dict[str, Any] = {"operation": operation, "params": params, "region": region, "account_id": account_id,
                             "error_code": None if error is None else error["Error"].get("Code"),
                             "request_id": request_id, "pid": os.getpid()}
    if source is not None:
        entry["source"] = source
    if access_key_id is not None:
        entry["access_key_id"] = access_key_id
    if principal is not None:
        entry["principal"] = principal
    if decisions is not None:
        entry["decisions"] = [decision._asdict() for decision in decisions]
    if error is not None:
        entry["error"] = {"Error": dict(error["Error"])}
        entry["error_message"] = error["Error"].get("Message", "")
    if response is not None:
        entry["response"] = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(entry, default=json_default))


def journal_entry_of(call: Call) -> Dict[str, Any]:
    """``journal_entry`` for a ``Call``."""
    return journal_entry(call.operation, call.params, call.region, call.account_id, call.request_id,
                         call.response, None if call.error is None else {"Error": call.error.get("Error", {})},
                         call.source, call.access_key_id, call.principal, call.decisions)


def call_from_entry(entry: Dict[str, Any]) -> Call:
    """A journal entry (``journal_entry``) back as a ``Call``."""
    return Call(operation=entry.get("operation", ""), params=entry.get("params", {}),
                region=entry.get("region", ""), account_id=entry.get("account_id", ""),
                response=entry.get("response"), error_code=entry.get("error_code"), error=entry.get("error"),
                request_id=entry.get("request_id", ""), source=entry.get("source"),
                access_key_id=entry.get("access_key_id"), principal=entry.get("principal"),
                decisions=None if "decisions" not in entry else tuple(Decision(**d) for d in entry["decisions"]))
