"""DescribeClusters, over the seeded clusters."""

from __future__ import annotations

from typing import Any, Dict

from .._errors import cluster_not_found
from .._paging import Order, page_size, paginate
from .._tags import TagFilter
from .scope import Scope

_BY_IDENTIFIER = Order(lambda cluster: (cluster["ClusterIdentifier"],), (str,))


def describe_clusters(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = page_size(params)
    cluster_id = params.get("ClusterIdentifier")
    if cluster_id is not None:
        cluster = scope.cluster(cluster_id)
        if cluster is None:
            raise cluster_not_found(cluster_id)
        clusters = [cluster]
    else:
        clusters = scope.clusters()
    tags = TagFilter(params)
    if tags:
        clusters = [c for c in clusters if tags.selects(c.get("Tags", ()))]
    page, marker = paginate(clusters, _BY_IDENTIFIER, params.get("Marker"), size, "DescribeClusters")
    result: Dict[str, Any] = {"Clusters": page}
    if marker is not None:
        result["Marker"] = marker
    return result
