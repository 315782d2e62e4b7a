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


def test_the_clock_stays_within_the_years_a_response_can_carry(rs, client):
    with pytest.raises(ValueError, match=r"when must be no later than 9999-12-30 \(UTC\), so that time can still "
                                         "pass; got 9999-12-31T23:59:59.999999"):
        rs.clock.set(dt.datetime.max)
    with pytest.raises(ValueError, match=r"Clock.advance\(\) takes a step of at most 999,999,999 days"):
        rs.clock.advance(days=1e10)
    with pytest.raises(ValueError, match="takes a step"):
        rs.clock.advance(float("nan"))
    rs.clock.set(dt.datetime(9999, 12, 29))
    with pytest.raises(ValueError, match="would move the clock past 9999-12-30"):
        rs.clock.advance(days=2)
    assert rs.clock.now().year == 9999
    rs.clock.set(dt.datetime.min)  # the first instant of year 1 is fine: time only moves on
    rs.add_snapshot(SnapshotIdentifier="s")
    assert client.describe_cluster_snapshots()["Snapshots"][0]["SnapshotCreateTime"].year == 1
