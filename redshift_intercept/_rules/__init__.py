"""The Redshift rules, one function per answered operation, grouped by family.

A rule takes the caller's ``Scope`` and the decoded request parameters,
applies what the service does, and returns the result in the operation's
output shape, or raises ``ServiceError`` with the modelled code. Every change
goes through one atomic backend call, so a refused call changes nothing.
Messages whose real text is not public are ours; the README documents them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from .clusters import create_cluster, delete_cluster, describe_clusters, modify_cluster
from .create import copy_cluster_snapshot, create_cluster_snapshot
from .delete import batch_delete_cluster_snapshots, delete_cluster_snapshot
from .describe import describe_cluster_snapshots
from .events import describe_events
from .restore import restore_from_cluster_snapshot
from .retention import modify_cluster_snapshot
from .scope import Scope, settled, view
from .sharing import authorize_snapshot_access, revoke_snapshot_access
from .tags import create_tags, delete_tags, describe_tags

Rule = Callable[[Scope, Dict[str, Any]], Dict[str, Any]]

OPERATIONS: Dict[str, Rule] = {
    "AuthorizeSnapshotAccess": authorize_snapshot_access,
    "BatchDeleteClusterSnapshots": batch_delete_cluster_snapshots,
    "CopyClusterSnapshot": copy_cluster_snapshot,
    "CreateCluster": create_cluster,
    "CreateClusterSnapshot": create_cluster_snapshot,
    "CreateTags": create_tags,
    "DeleteCluster": delete_cluster,
    "DeleteClusterSnapshot": delete_cluster_snapshot,
    "DeleteTags": delete_tags,
    "DescribeClusterSnapshots": describe_cluster_snapshots,
    "DescribeClusters": describe_clusters,
    "DescribeEvents": describe_events,
    "DescribeTags": describe_tags,
    "ModifyCluster": modify_cluster,
    "ModifyClusterSnapshot": modify_cluster_snapshot,
    "RestoreFromClusterSnapshot": restore_from_cluster_snapshot,
    "RevokeSnapshotAccess": revoke_snapshot_access,
}
"""Every answered operation (API name) and its rule."""

__all__ = ["OPERATIONS", "Rule", "Scope", "settled", "view"]
