"""Events: what happened to a cluster or a snapshot, recorded once in the
backend's event log and read two ways.

``DescribeEvents`` shows the events Amazon Redshift publishes (those with an
``EventId``: ``REDSHIFT-EVENT-2000`` and so on, with AWS's categories,
severities and message wording where it is public); ``rs.events()`` shows
them all, including what the service does on its own that AWS publishes no
event for (automated snapshots taken and expired), each with what happened
(``Action``) and who did it (``By``: ``Redshift`` for the service on its
own, else the operation that did it).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import time
from typing import Any, Dict, NamedTuple, Optional

from ._backend import EVENT_ID
from ._shapes import format_timestamp

ACTION = "redshift_intercept:action"
BY = "redshift_intercept:by"
"""Private keys of a stored event: what happened, who did it; and
``EVENT_ID``, a unique id that sorts in the order events were made (the
tie-break of events of the same date in the log and in ``DescribeEvents``
markers)."""
_made = itertools.count()
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)

SERVICE = "Redshift"
"""``By`` of what the service does on its own."""

CLUSTER_SOURCE, SNAPSHOT_SOURCE = "cluster", "cluster-snapshot"
SOURCE_TYPES = ("cluster", "cluster-parameter-group", "cluster-security-group", "cluster-snapshot",
                "scheduled-action")


class Kind(NamedTuple):
    """One kind of event: AWS's id (None: AWS publishes none), category,
    severity, source type, and the message, formatted with ``at`` (the
    event's time as AWS writes it in messages), ``cluster`` and ``snapshot``."""

    event_id: Optional[str]
    category: str
    severity: str
    source_type: str
    message: str


# AWS's ids, categories and severities (DescribeEventCategories, the event
# notification tables); the 2000, 2001 and 2011 texts are AWS's own (the
# DescribeEvents sample response); the others follow the same style.
KINDS: Dict[str, Kind] = {
    "cluster-created": Kind("REDSHIFT-EVENT-2000", "management", "INFO", CLUSTER_SOURCE,
                            "Amazon Redshift cluster '{cluster}' has been created at {at} UTC and is ready for use."),
    "cluster-deleted": Kind("REDSHIFT-EVENT-2001", "management", "INFO", CLUSTER_SOURCE,
                            "Amazon Redshift cluster '{cluster}' has been deleted at {at} UTC. "
                            "A final snapshot was not saved."),
    "cluster-deleted-final": Kind("REDSHIFT-EVENT-2001", "management", "INFO", CLUSTER_SOURCE,
                                  "Amazon Redshift cluster '{cluster}' has been deleted at {at} UTC. "
                                  "A final snapshot was saved."),
    "restore-started": Kind("REDSHIFT-EVENT-2008", "management", "INFO", CLUSTER_SOURCE,
                            "The restore of Amazon Redshift cluster '{cluster}' from snapshot '{snapshot}' "
                            "started at {at} UTC."),
    "restore-succeeded": Kind("REDSHIFT-EVENT-3003", "monitoring", "INFO", CLUSTER_SOURCE,
                              "Amazon Redshift cluster '{cluster}' has been restored from snapshot '{snapshot}' "
                              "at {at} UTC and is available for queries."),
    "restore-transferred": Kind("REDSHIFT-EVENT-3537", "monitoring", "INFO", CLUSTER_SOURCE,
                                "The data transfer for the restore of Amazon Redshift cluster '{cluster}' from "
                                "snapshot '{snapshot}' completed at {at} UTC."),
    "snapshot-started": Kind("REDSHIFT-EVENT-2009", "management", "INFO", SNAPSHOT_SOURCE,
                             "A user snapshot '{snapshot}' for Amazon Redshift cluster '{cluster}' started "
                             "at {at} UTC."),
    "snapshot-completed": Kind("REDSHIFT-EVENT-3004", "monitoring", "INFO", SNAPSHOT_SOURCE,
                               "The user snapshot '{snapshot}' for your Amazon Redshift cluster '{cluster}' "
                               "completed successfully at {at} UTC."),
    "snapshot-failed": Kind("REDSHIFT-EVENT-3503", "monitoring", "ERROR", SNAPSHOT_SOURCE,
                            "The user snapshot '{snapshot}' for your Amazon Redshift cluster '{cluster}' failed "
                            "at {at} UTC."),
    "snapshot-deleted": Kind("REDSHIFT-EVENT-2011", "management", "INFO", SNAPSHOT_SOURCE,
                             "The cluster snapshot '{snapshot}' for Amazon Redshift cluster '{cluster}' was deleted "
                             "at {at} UTC."),
    "final-started": Kind("REDSHIFT-EVENT-2012", "management", "INFO", SNAPSHOT_SOURCE,
                          "The final snapshot '{snapshot}' for Amazon Redshift cluster '{cluster}' was started "
                          "at {at} UTC."),
    "final-completed": Kind("REDSHIFT-EVENT-3005", "monitoring", "INFO", SNAPSHOT_SOURCE,
                            "The final snapshot '{snapshot}' for Amazon Redshift cluster '{cluster}' completed "
                            "successfully at {at} UTC."),
    "final-failed": Kind("REDSHIFT-EVENT-3502", "monitoring", "ERROR", SNAPSHOT_SOURCE,
                         "The final snapshot '{snapshot}' for Amazon Redshift cluster '{cluster}' failed at {at} UTC."),
    # AWS publishes no event for these; rs.events() shows them, DescribeEvents does not.
    "automated-taken": Kind(None, "management", "INFO", SNAPSHOT_SOURCE,
                            "The automated snapshot '{snapshot}' of Amazon Redshift cluster '{cluster}' was taken "
                            "at {at} UTC."),
    "automated-deleted": Kind(None, "management", "INFO", SNAPSHOT_SOURCE,
                              "The automated snapshot '{snapshot}' of Amazon Redshift cluster '{cluster}' was "
                              "deleted at {at} UTC."),
}


def message_time(when: _dt.datetime) -> str:
    """A time as AWS writes it in event messages: ``2019-12-27 00:16`` (UTC)."""
    text = format_timestamp(when)  # "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC, from lookup tables: cheaper than str()
    return text[:10] + " " + text[11:16]


def new_event(kind: str, at: _dt.datetime, action: str, by: str, cluster: str,
              snapshot: Optional[str] = None) -> Dict[str, Any]:
    """An event to store: the ``Event`` shape plus its private keys."""
    spec = KINDS[kind]
    event: Dict[str, Any] = {
        "SourceIdentifier": snapshot if spec.source_type == SNAPSHOT_SOURCE else cluster,
        "SourceType": spec.source_type,
        "Message": spec.message.format(cluster=cluster, snapshot=snapshot, at=message_time(at)),
        "EventCategories": [spec.category],
        "Severity": spec.severity,
        "Date": at,
    }
    if spec.event_id is not None:
        event["EventId"] = spec.event_id
    event[ACTION] = action
    event[BY] = by
    event[EVENT_ID] = f"{time.time_ns():020d}-{next(_made):09d}-{_pid}"
    return event


def published(event: Dict[str, Any]) -> bool:
    """Whether AWS publishes this event (``DescribeEvents`` shows it)."""
    return "EventId" in event


def aws_view(event: Dict[str, Any]) -> Dict[str, Any]:
    """The event as ``DescribeEvents`` answers it."""
    return {k: v for k, v in event.items() if k not in (ACTION, BY, EVENT_ID)}


def public_view(event: Dict[str, Any]) -> Dict[str, Any]:
    """The event as ``rs.events()`` shows it: the ``Event`` fields plus
    ``Action`` and ``By``."""
    shown = aws_view(event)
    shown["Action"] = event.get(ACTION, "")
    shown["By"] = event.get(BY, "")
    return shown
