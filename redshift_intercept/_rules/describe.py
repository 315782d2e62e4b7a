"""DescribeClusterSnapshots: what the caller may see, filtered, sorted and paged."""

from __future__ import annotations

import datetime as _dt
import operator
from typing import Any, Callable, Dict, List, Optional

from .._backend import Snapshot
from .._errors import cluster_not_found, invalid_combination, invalid_value, snapshot_not_found
from .._paging import Order, encode_marker, marker_bound, page_size, paginate
from .._records import PENDING
from .._tags import TagFilter
from .scope import Scope, settled, shared_with, snapshot_arn_parts, view

# attribute -> (its value in a record, its type in a marker)
_SORT_ATTRIBUTES: Dict[str, tuple[Callable[[Snapshot], Any], Any]] = {
    "SOURCE_TYPE": (lambda r: r["SnapshotType"], str),
    "TOTAL_SIZE": (lambda r: r.get("TotalBackupSizeInMegaBytes", 0.0), (int, float)),
    "CREATE_TIME": (lambda r: r["SnapshotCreateTime"], _dt.datetime),
}

_default_key = operator.itemgetter("SnapshotCreateTime", "OwnerAccount", "SnapshotIdentifier")


def _after_default(records: List[Snapshot], bound: tuple) -> List[Snapshot]:
    """The paginator's case, without building a key per record: compare the create time first."""
    when, rest = bound[0], bound[1:]
    return [r for r in records if (created := r["SnapshotCreateTime"]) > when or (
        created == when and (r["OwnerAccount"], r["SnapshotIdentifier"]) > rest)]


_DEFAULT_TYPES = (_dt.datetime, str, str)
_DEFAULT_ORDER = Order(_default_key, _DEFAULT_TYPES, after=_after_default)


def _order(entities: List[Dict[str, str]]) -> Order:
    """A total order: the requested attributes, then create time, owner and id,
    so a marker (the last key returned) survives deletes between pages."""
    if not entities:
        return _DEFAULT_ORDER
    fields = []
    for entity in entities:
        attribute = entity.get("Attribute")
        if attribute not in _SORT_ATTRIBUTES:
            raise invalid_value(f"Invalid SortingEntities attribute {attribute!r}: use SOURCE_TYPE, "
                                "TOTAL_SIZE or CREATE_TIME.")
        order = entity.get("SortOrder", "ASC")
        if order not in ("ASC", "DESC"):
            raise invalid_value(f"Invalid SortOrder {order!r}: use ASC or DESC.")
        fields.append((*_SORT_ATTRIBUTES[attribute], order == "DESC"))
    getters = [get for get, _, _ in fields]

    def key(record: Snapshot) -> tuple:
        return (*[get(record) for get in getters], *_default_key(record))

    return Order(key, [kind for _, kind, _ in fields] + list(_DEFAULT_TYPES),
                 [flag for _, _, flag in fields] + [False, False, False])


def _visible(scope: Scope, params: Dict[str, Any]) -> List[Snapshot]:
    """The snapshots the caller may see that match the identity filters."""
    snapshot_id, arn = params.get("SnapshotIdentifier"), params.get("SnapshotArn")
    owner = params.get("OwnerAccount")
    if arn is not None:
        arn_owner, _, arn_id = snapshot_arn_parts(scope, arn)
        if snapshot_id is not None and snapshot_id != arn_id:
            return []
        snapshot_id, owner = arn_id, owner or arn_owner
        if owner != arn_owner:
            return []
    if snapshot_id is not None and owner in (None, scope.account_id):
        own = scope.backend.get(scope.account_id, scope.region, snapshot_id)
        if own is not None:
            return [own]
    if snapshot_id is not None and owner == scope.account_id:
        return []
    if owner == scope.account_id:
        return scope.backend.list(scope.account_id, scope.region)
    me = scope.account_id
    if owner is None and snapshot_id is None:  # a plain listing: ours, plus what others share with us
        return scope.backend.list(me, scope.region) + [
            r for r in scope.backend.list(None, scope.region)
            if r["OwnerAccount"] != me and r["SnapshotType"] == "manual" and shared_with(r, me)]
    candidates = scope.backend.list(None, scope.region)
    seen = []
    for record in candidates:
        record_owner = record["OwnerAccount"]
        if owner is not None and record_owner != owner:
            continue
        if snapshot_id is not None and record["SnapshotIdentifier"] != snapshot_id:
            continue
        if record_owner == scope.account_id or (
                record["SnapshotType"] == "manual" and shared_with(record, scope.account_id)):
            seen.append(record)
    return seen


def _filters(scope: Scope, params: Dict[str, Any]) -> List[Callable[[Snapshot], bool]]:
    """One test per filter the request gives; none for a plain listing."""
    tests: List[Callable[[Snapshot], bool]] = []
    cluster_id, snapshot_type = params.get("ClusterIdentifier"), params.get("SnapshotType")
    start, end = params.get("StartTime"), params.get("EndTime")
    if cluster_id is not None:
        tests.append(lambda r: r["ClusterIdentifier"] == cluster_id)
    if snapshot_type is not None:
        tests.append(lambda r: r["SnapshotType"] == snapshot_type)
    if start is not None:
        tests.append(lambda r: r["SnapshotCreateTime"] >= start)
    if end is not None:
        tests.append(lambda r: r["SnapshotCreateTime"] <= end)
    tags = TagFilter(params)
    if tags:  # snapshots shared with the caller "are not returned with the tag key and tag value request parameters"
        me = scope.account_id
        tests.append(lambda r: r["OwnerAccount"] == me and tags.selects(r.get("Tags", ())))
    if params.get("ClusterExists") is False:
        existing = {c["ClusterIdentifier"] for c in scope.clusters()}
        tests.append(lambda r: r["ClusterIdentifier"] not in existing)
    return tests


def describe_cluster_snapshots(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = page_size(params)
    snapshot_type = params.get("SnapshotType")
    if snapshot_type not in (None, "manual", "automated"):
        raise invalid_value(f"Invalid SnapshotType {snapshot_type!r}: use manual or automated.")
    cluster_id = params.get("ClusterIdentifier")
    cluster_exists = params.get("ClusterExists")
    if cluster_exists is True:
        if cluster_id is None:
            raise invalid_combination("ClusterIdentifier is required when ClusterExists is true.")
        if scope.cluster(cluster_id) is None:
            raise cluster_not_found(cluster_id)
    order = _order(params.get("SortingEntities", []))
    named = params.get("SnapshotIdentifier") or params.get("SnapshotArn")

    scan = getattr(scope.backend, "scan_snapshots", None)
    if scan is not None and order is _DEFAULT_ORDER and not named and params.get("OwnerAccount") in (
            None, scope.account_id):
        page, marker = _scanned_page(scope, scan, params, size)
        return _result(scope, page, marker)
    records = _visible(scope, params)
    if named and not records:
        raise snapshot_not_found(params.get("SnapshotIdentifier") or named)
    records = [settled(scope, r) if PENDING in r else r for r in records]
    tests = _filters(scope, params)
    matched = [r for r in records if all(test(r) for test in tests)] if tests else records
    page, marker = paginate(matched, order, params.get("Marker"), size, "DescribeClusterSnapshots")
    return _result(scope, page, marker)


def _result(scope: Scope, page: List[Snapshot], marker: Optional[str]) -> Dict[str, Any]:
    result: Dict[str, Any] = {"Snapshots": [view(scope, r) for r in page]}
    if marker is not None:
        result["Marker"] = marker
    return result


_SCAN_BATCH_MAX = 1000


def _scanned_page(scope: Scope, scan: Callable[..., List[Snapshot]], params: Dict[str, Any],
                  size: int) -> tuple[List[Snapshot], Optional[str]]:
    """The page of a listing in the default order from a backend's index
    (``PageScan``): the same page as listing everything and sorting, read in
    batches from right after the marker until ``size + 1`` snapshots match.
    A page costs what it reads: ``size + 1`` rows for the caller's own
    snapshots, more when filters or other accounts' unshared snapshots
    (in a listing of every owner) are skipped."""
    bound = marker_bound(_DEFAULT_ORDER, params.get("Marker"), "DescribeClusterSnapshots")
    me = scope.account_id
    own_only = params.get("OwnerAccount") == me
    tests = _filters(scope, params)
    page: List[Snapshot] = []
    batch = size + 1
    while True:
        rows = scan(me if own_only else None, scope.region, bound, batch)
        for record in rows:
            if record["OwnerAccount"] != me and not (
                    record["SnapshotType"] == "manual" and shared_with(record, me)):
                continue
            if PENDING in record:
                record = settled(scope, record)
            if all(test(record) for test in tests):
                page.append(record)
                if len(page) > size:
                    return page[:size], encode_marker(_default_key(page[size - 1]))
        if len(rows) < batch:
            return page, None
        bound = _default_key(rows[-1])
        batch = min(batch * 2, _SCAN_BATCH_MAX)
