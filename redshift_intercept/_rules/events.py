"""DescribeEvents: the published events of the caller's account and region,
from the same event log ``rs.events()`` reads."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List

from .._backend import EVENT_ID
from .._errors import invalid_combination, invalid_value
from .._events import SOURCE_TYPES, aws_view, published
from .._paging import Order, encode_marker, marker_bound, page_size
from .scope import Scope

DEFAULT_DURATION = 60
"""Minutes before the request: "By default, the past hour of events are returned"."""
KEPT = _dt.timedelta(days=14)
""""Returns events ... for the past 14 days."""

_BY_DATE = Order(lambda event: (event["Date"], event[EVENT_ID]), (_dt.datetime, str))
"""The event log's own order: a marker is the last (Date, id) returned."""
READ = 101
"""Events read from the log at a time (a page of 100 and one more)."""


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
    after = marker_bound(_BY_DATE, params.get("Marker"), "DescribeEvents")
    # Read the log in order from the marker on, a page at a time, until the
    # page is full: the cost is the page's, not the window's.
    matched: List[Dict[str, Any]] = []
    while len(matched) <= size:
        batch = scope.backend.read_events(scope.account_id, scope.region, start, end, after, READ)
        matched += [e for e in batch if published(e) and (source_type is None or e["SourceType"] == source_type)
                    and (source_id is None or e["SourceIdentifier"] == source_id)]
        if len(batch) < READ:
            break
        after = _BY_DATE.key(batch[-1])
    page = matched[:size]
    result: Dict[str, Any] = {"Events": [aws_view(e) for e in page]}
    if len(matched) > size:
        result["Marker"] = encode_marker(_BY_DATE.key(page[-1]))
    return result
