"""The interceptor's clock: real UTC time plus an offset a test can move."""

from __future__ import annotations

import datetime as _dt
import threading

UTC = _dt.timezone.utc


class Clock:
    """Time as the fake Redshift sees it: ``now()`` is the real UTC time
    shifted by whatever ``advance()`` / ``set()`` added, so tests move time
    instead of sleeping. Snapshots created through the API settle
    (``creating`` -> ``available``) on this clock."""

    def __init__(self) -> None:
        self._offset = _dt.timedelta(0)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Clock {self.now().isoformat()}>"

    def now(self) -> _dt.datetime:
        """The current time, UTC, to the millisecond (as Redshift reports times)."""
        now = _dt.datetime.now(UTC) + self._offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0,
                days: float = 0) -> _dt.datetime:
        """Move time forward and return the new ``now()``."""
        step = _dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        if step < _dt.timedelta(0):
            raise ValueError("Clock.advance() moves forward only; use set() to go back")
        with self._lock:
            self._offset += step
        return self.now()

    def set(self, when: _dt.datetime) -> None:
        """Make ``now()`` read ``when`` (naive means UTC) from this instant on."""
        if not isinstance(when, _dt.datetime):
            raise TypeError(f"when must be a datetime, got {type(when).__name__}")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            self._offset = when - _dt.datetime.now(UTC)
