"""Redshift ARNs: the one place that writes and reads them.

    arn:aws:redshift:<region>:<account>:snapshot:<cluster>/<snapshot>
    arn:aws:redshift:<region>:<account>:cluster:<cluster>
"""

from __future__ import annotations

from typing import NamedTuple, Optional

PREFIX = "arn:aws:redshift:"
SNAPSHOT_FORM = "arn:aws:redshift:<region>:<account>:snapshot:<cluster>/<snapshot>"


def snapshot_arn(region: str, account_id: str, cluster_id: str, snapshot_id: str) -> str:
    return f"{PREFIX}{region}:{account_id}:snapshot:{cluster_id}/{snapshot_id}"


def cluster_arn(region: str, account_id: str, cluster_id: str) -> str:
    return f"{PREFIX}{region}:{account_id}:cluster:{cluster_id}"


class Arn(NamedTuple):
    """A parsed snapshot or cluster ARN. ``snapshot`` is None for a cluster."""

    kind: str
    """``"snapshot"`` or ``"cluster"``."""
    region: str
    account_id: str
    cluster: str
    snapshot: Optional[str]


def parse_arn(text: str) -> Optional[Arn]:
    """The parts of a Redshift snapshot or cluster ARN; None for anything else."""
    parts = text.split(":", 6)
    if len(parts) != 7 or parts[0] != "arn" or parts[1] != "aws" or parts[2] != "redshift":
        return None
    kind, resource = parts[5], parts[6]
    if kind == "cluster":
        return Arn("cluster", parts[3], parts[4], resource, None)
    if kind == "snapshot" and "/" in resource:
        cluster, _, snapshot = resource.partition("/")
        return Arn("snapshot", parts[3], parts[4], cluster, snapshot)
    return None
