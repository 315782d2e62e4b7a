"""The record of answered calls: ``Call``, ``CallList``, and the entries a
backend's call journal keeps."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ._files import json_default


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


def journal_entry(operation: str, params: Dict[str, Any], region: str, account_id: str, request_id: str,
                  response: Optional[Dict[str, Any]] = None, error: Optional[Dict[str, Any]] = None
                  ) -> Dict[str, Any]:
    """A call as a journal keeps it: JSON values only (times as Redshift
    writes them), and the writing process's id. ``response`` is the result
    the caller got (without ``ResponseMetadata``); ``error`` the parsed error
    (``{"Error": {"Code", "Message", "Type"}}``)."""
    entry: Dict[str, Any] = {"operation": operation, "params": params, "region": region, "account_id": account_id,
                             "error_code": None if error is None else error["Error"].get("Code"),
                             "request_id": request_id, "pid": os.getpid()}
    if error is not None:
        entry["error"] = {"Error": dict(error["Error"])}
        entry["error_message"] = error["Error"].get("Message", "")
    if response is not None:
        entry["response"] = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(entry, default=json_default))


def journal_entry_of(call: Call) -> Dict[str, Any]:
    """``journal_entry`` for a ``Call``."""
    return journal_entry(call.operation, call.params, call.region, call.account_id, call.request_id,
                         call.response, None if call.error is None else {"Error": call.error.get("Error", {})})


def call_from_entry(entry: Dict[str, Any]) -> Call:
    """A journal entry (``journal_entry``) back as a ``Call``."""
    return Call(operation=entry.get("operation", ""), params=entry.get("params", {}),
                region=entry.get("region", ""), account_id=entry.get("account_id", ""),
                response=entry.get("response"), error_code=entry.get("error_code"), error=entry.get("error"),
                request_id=entry.get("request_id", ""))
