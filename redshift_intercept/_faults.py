"""Fault injection: errors to answer instead of the real outcome
(``RedshiftIntercept.fail``)."""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from . import _model
from ._characters import first_unsendable
from ._errors import ServiceError


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

    def error(self) -> ServiceError:
        return ServiceError(self.code, self.message, self.status, self.status < 500)


class Faults(List[Fault]):
    """The pending faults, in the order they were added; thread-safe."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, operation: str, code: str, message: Optional[str] = None, *, status: int = 400,
            times: Optional[int] = 1, when: Optional[Dict[str, Any]] = None) -> Fault:
        """Check the arguments of ``RedshiftIntercept.fail`` and queue the fault."""
        names = _model.service_model().operation_names
        if operation not in names:
            close = difflib.get_close_matches(operation, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"operation {operation!r} is not a Redshift operation.{hint}")
        if not isinstance(code, str) or not code:
            raise TypeError(f"code must be a Redshift error code such as 'Throttling', got {code!r}")
        if message is not None and not isinstance(message, str):
            raise TypeError(f"message must be a str or None, got {type(message).__name__}")
        for argument, text in (("code", code), ("message", message or "")):
            bad = first_unsendable(text)
            if bad is not None:
                raise ValueError(f"{argument} contains the character {bad!r}, which no AWS response can carry")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive int or None (every call), got {times!r}")
        if when is not None and not isinstance(when, dict):
            raise TypeError(f"when must be a dict of API parameters, got {type(when).__name__}")
        fault = Fault(operation, code, message or f"{code} (injected by redshift-intercept)", status,
                      dict(when) if when else None, times)
        with self._lock:
            self.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            super().clear()

    def take(self, operation: str, params: Dict[str, Any]) -> Optional[Fault]:
        """The first pending fault for this call, counting it used; None if none matches."""
        if not self:
            return None
        with self._lock:
            for fault in self:
                if fault.matches(operation, params):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self.remove(fault)
                    return fault
        return None
