"""Time: the interceptor's ``Clock`` (real UTC time plus an offset a test
can move) and the one place where times are cut to what Redshift sends."""

from __future__ import annotations

import datetime as _dt
import threading

UTC = _dt.timezone.utc


LATEST = _dt.datetime(9999, 12, 30, tzinfo=UTC)
"""The latest time the clock may be set or advanced to: a day before the
last a response can carry, so that real time can still pass."""


def to_millis(value: _dt.datetime) -> _dt.datetime:
    """``value`` cut to the millisecond: Redshift reports times to the
    millisecond, so that is all a record keeps and all a response carries."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utc_now() -> _dt.datetime:
    """The real current time, UTC, to the millisecond."""
    return to_millis(_dt.datetime.now(UTC))


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
        return to_millis(_dt.datetime.now(UTC) + self._offset)

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0,
                days: float = 0) -> _dt.datetime:
        """Move time forward and return the new ``now()``."""
        try:
            step = _dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        except (OverflowError, ValueError):  # ValueError: NaN
            raise ValueError("Clock.advance() takes a step of at most 999,999,999 days; got "
                             f"seconds={seconds!r}, minutes={minutes!r}, hours={hours!r}, days={days!r}") from None
        if step < _dt.timedelta(0):
            raise ValueError("Clock.advance() moves forward only; use set() to go back")
        with self._lock:
            try:
                beyond = _dt.datetime.now(UTC) + self._offset + step > LATEST
            except OverflowError:
                beyond = True
            if beyond:
                raise ValueError(f"Clock.advance() would move the clock past {LATEST:%Y-%m-%d}, the latest "
                                 "time it can show")
            self._offset += step
        return self.now()

    def reset(self) -> None:
        """Back to the real time: undo every ``advance()`` and ``set()``."""
        with self._lock:
            self._offset = _dt.timedelta(0)

    def set(self, when: _dt.datetime) -> None:
        """Make ``now()`` read ``when`` (naive means UTC) from this instant on."""
        if not isinstance(when, _dt.datetime):
            raise TypeError(f"when must be a datetime, got {type(when).__name__}")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            too_late = when > LATEST
        except OverflowError:  # pragma: no cover - an offset beyond the year 9999
            too_late = True
        if too_late:
            raise ValueError(f"when must be no later than {LATEST:%Y-%m-%d} (UTC), so that time can still "
                             f"pass; got {when.isoformat()}")
        with self._lock:
            self._offset = when - _dt.datetime.now(UTC)
