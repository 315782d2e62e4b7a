"""DescribeEvents: the published events of the caller's account and region,
from the same event log ``rs.events()`` reads."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict

from .._errors import invalid_combination, invalid_value
from .._events import EVENT_ID, SOURCE_TYPES, aws_view, published
from .._paging import Order, page_size, paginate
from .scope import Scope

DEFAULT_DURATION = 60
"""Minutes before the request: "By default, the past hour of events are returned"."""
KEPT = _dt.timedelta(days=14)
""""Returns events ... for the past 14 days."""

_BY_DATE = Order(lambda event: (event["Date"], event[EVENT_ID]), (_dt.datetime, str))


def describe_events(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = page_size(params)
    source_type, source_id = params.get("SourceType"), params.get("SourceIdentifier")
    if source_type is not None and source_type not in SOURCE_TYPES:
        raise invalid_value(f"Invalid SourceType {source_type!r}: use one of {', '.join(SOURCE_TYPES)}.")
    if source_id is not None and source_type is None:
        raise invalid_combination("SourceType must be provided when SourceIdentifier is given.")
    duration = params.get("Duration")
    if duration is not None and duration < 0:
        raise invalid_value(f"Invalid Duration {duration}: it is a number of minutes, 0 or more.")
    now = scope.now
    end = params.get("EndTime", now)
    start = params.get("StartTime")
    if start is None:
        start = now - _dt.timedelta(minutes=DEFAULT_DURATION if duration is None else duration)
    start = max(start, now - KEPT)
    events = [e for e in scope.backend.read_events(scope.account_id, scope.region, start, end)
              if published(e) and (source_type is None or e["SourceType"] == source_type)
              and (source_id is None or e["SourceIdentifier"] == source_id)]
    page, marker = paginate(events, _BY_DATE, params.get("Marker"), size, "DescribeEvents")
    result: Dict[str, Any] = {"Events": [aws_view(e) for e in page]}
    if marker is not None:
        result["Marker"] = marker
    return result
