"""The interceptor's clock."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import UTC


def test_clock(rs):
    start = rs.clock.now()
    assert start.tzinfo is UTC and start.microsecond % 1000 == 0
    later = rs.clock.advance(hours=2)
    assert dt.timedelta(hours=2) <= later - start < dt.timedelta(hours=2, seconds=5)
    rs.clock.set(dt.datetime(2030, 1, 1))
    assert rs.clock.now().year == 2030
    with pytest.raises(ValueError, match="moves forward only"):
        rs.clock.advance(-1)
    with pytest.raises(TypeError, match="when must be a datetime"):
        rs.clock.set("2030-01-01")
    assert rs.add_snapshot(SnapshotIdentifier="s")["SnapshotCreateTime"].year == 2030
