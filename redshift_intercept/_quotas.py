"""Quotas: how many manual snapshots, clusters and nodes an account may have
in a region (``rs.quotas``).

Defaults are AWS's documented defaults (Cluster Management Guide, "Quotas and
limits in Amazon Redshift"): 20 manual ("user") snapshots, 200 nodes per
account and region, 128 nodes per cluster. The guide lists no limit on the
number of clusters, so ``clusters`` is off (None) until a test sets it.
"""

from __future__ import annotations

from typing import Any, Optional

_DEFAULTS = {"manual_snapshots": 20, "clusters": None, "nodes": 200, "nodes_per_cluster": 128}


class Quotas:
    """Per account and region, as AWS counts them. Each is an int >= 0, or
    None for no limit. Settable: ``rs.quotas.manual_snapshots = 5``."""

    __slots__ = tuple(_DEFAULTS)

    manual_snapshots: Optional[int]
    """Manual snapshots owned by the account (copies and final snapshots
    included, automated and shared ones not): ``ClusterSnapshotQuotaExceeded``."""
    clusters: Optional[int]
    """Clusters: ``ClusterQuotaExceeded``."""
    nodes: Optional[int]
    """Nodes over every cluster of the account: ``NumberOfNodesQuotaExceeded``."""
    nodes_per_cluster: Optional[int]
    """Nodes in one cluster: ``NumberOfNodesPerClusterLimitExceeded``."""

    def __init__(self) -> None:
        for name, value in _DEFAULTS.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _DEFAULTS:
            raise AttributeError(f"Quotas has no quota {name!r}; the quotas are {', '.join(_DEFAULTS)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"quotas.{name} must be an int >= 0 or None (no limit), got {value!r}")
        if value is not None and value < 0:
            raise ValueError(f"quotas.{name} must be >= 0 or None (no limit), got {value}")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _DEFAULTS)
        return f"Quotas({shown})"

    def reset(self) -> None:
        """Back to AWS's defaults."""
        for name, value in _DEFAULTS.items():
            object.__setattr__(self, name, value)
