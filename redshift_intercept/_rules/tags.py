"""CreateTags, DeleteTags and DescribeTags on snapshots and clusters."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from .._arns import cluster_arn, parse_arn
from .._errors import resource_not_found
from .._paging import Order, page_size, paginate
from .._tags import Tag, TagFilter, check_tags
from .scope import Scope


def _resource(scope: Scope, arn: str) -> tuple[str, str, Optional[str]]:
    """(resource type, identifier, cluster of a snapshot) for one of the
    caller's snapshot or cluster ARNs; ``ResourceNotFoundFault`` otherwise."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.region != scope.region or parsed.account_id != scope.account_id:
        raise resource_not_found(arn)
    if parsed.snapshot is None:
        return "cluster", parsed.cluster, None
    return "snapshot", parsed.snapshot, parsed.cluster


def _change_tags(scope: Scope, arn: str, change: Callable[[List[Tag]], List[Tag]]) -> None:
    kind, identifier, cluster_id = _resource(scope, arn)

    def apply(record: Dict[str, Any]) -> Dict[str, Any]:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise resource_not_found(arn)
        return {**record, "Tags": change(record.get("Tags", []))}

    if scope.backend.update(scope.account_id, scope.region, identifier, apply, kind) is None:
        raise resource_not_found(arn)


def create_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    new = params.get("Tags", [])

    def add(tags: List[Tag]) -> List[Tag]:
        merged = {t["Key"]: t.get("Value", "") for t in tags}
        added = {t["Key"]: t.get("Value", "") for t in new}
        fresh = [k for k in added if k not in merged]
        check_tags(new, existing=len(merged) - (len(added) - len(fresh)))
        merged.update(added)
        return [{"Key": k, "Value": v} for k, v in merged.items()]

    _change_tags(scope, params["ResourceName"], add)
    return {}


def delete_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    keys = set(params.get("TagKeys", []))
    _change_tags(scope, params["ResourceName"], lambda tags: [t for t in tags if t["Key"] not in keys])
    return {}


# Clusters, then snapshots, each by ARN, each resource's tags by key; the
# marker is the last (type, ARN, key) returned, so resources and tags deleted
# between pages (a cleanup deleting what it just listed) make the next page
# skip nothing.
_BY_RESOURCE_AND_KEY = Order(lambda item: item[0], (str, str, str))


def describe_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = page_size(params)
    resource_type = params.get("ResourceType")
    if resource_type is not None:
        resource_type = resource_type.lower()
    arn = params.get("ResourceName")
    resources: List[tuple[str, str, List[Tag]]] = []
    if arn is not None:
        kind, identifier, cluster_id = _resource(scope, arn)
        if kind == "cluster":
            record = scope.cluster(identifier)
        else:
            record = scope.backend.get(scope.account_id, scope.region, identifier)
            if record is not None and record["ClusterIdentifier"] != cluster_id:
                record = None
        if record is None:
            raise resource_not_found(arn)
        resources.append((kind, arn, record.get("Tags", [])))
    else:
        if resource_type in (None, "cluster"):
            resources += [("cluster", cluster_arn(scope.region, scope.account_id, c["ClusterIdentifier"]),
                           c.get("Tags", [])) for c in scope.clusters()]
        if resource_type in (None, "snapshot"):
            resources += [("snapshot", r["SnapshotArn"], r.get("Tags", []))
                          for r in scope.backend.list(scope.account_id, scope.region)]
    selected = TagFilter(params)
    tagged = [((kind, name, tag["Key"]), tag) for kind, name, tags in resources
              if resource_type is None or kind == resource_type
              for tag in tags if selected.selects_tag(tag)]
    page, marker = paginate(tagged, _BY_RESOURCE_AND_KEY, params.get("Marker"), size, "DescribeTags")
    result: Dict[str, Any] = {"TaggedResources": [{"Tag": dict(tag), "ResourceName": name, "ResourceType": kind}
                                                  for (kind, name, _), tag in page]}
    if marker is not None:
        result["Marker"] = marker
    return result
