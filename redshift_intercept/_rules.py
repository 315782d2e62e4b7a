"""The Redshift rules, one function per answered operation.

A rule takes the decoded request parameters and a ``Scope`` (backend,
account, region, clock, clusters), applies what the service does, and
returns the result in the operation's output shape, or raises
``ServiceError`` with the modelled code. Every change goes through one
atomic backend call, so a refused call changes nothing. Messages whose real
text is not public are ours; the README documents them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import operator
from typing import Any, Callable, Dict, Iterable, List, Optional

from ._backend import Snapshot, SnapshotBackend
from ._errors import ServiceError
from ._records import (
    PENDING,
    SUPPORT_ACCOUNT,
    account_entry,
    check_identifier,
    new_snapshot,
    public,
    remaining_days,
    retention_ok,
    snapshot_fields_from_cluster,
    tag_problem,
)

DELETABLE_STATES = ("available", "failed", "cancelled")
MAX_SHARED_ACCOUNTS = 20
MAX_TAGS = 50
MAX_BATCH_DELETE = 100


class Scope:
    """Whose resources a call sees (one account in one region) and the
    interceptor-owned settings the rules need. ``now`` is read from the
    interceptor's clock on first use and then fixed: one instant per call."""

    __slots__ = ("_clock", "_now", "account_id", "backend", "clusters", "creation_delay", "creation_outcome",
                 "region")

    def __init__(self, backend: SnapshotBackend, account_id: str, region: str, clock: Any, clusters: Any,
                 creation_delay: Optional[float] = 0.0, creation_outcome: str = "available") -> None:
        self.backend = backend
        self.account_id = account_id
        self.region = region
        self._clock = clock  # anything with now() -> aware datetime (a Clock)
        self._now: Optional[_dt.datetime] = None
        self.clusters = clusters  # _intercept.Clusters
        self.creation_delay = creation_delay
        self.creation_outcome = creation_outcome

    @property
    def now(self) -> _dt.datetime:
        now = self._now
        if now is None:
            now = self._now = self._clock.now()
        return now


# ---------------------------------------------------------------- errors


def snapshot_not_found(snapshot_id: str) -> ServiceError:
    return ServiceError("ClusterSnapshotNotFound", f"Snapshot {snapshot_id} not found.")


def cluster_not_found(cluster_id: str) -> ServiceError:
    return ServiceError("ClusterNotFound", f"Cluster {cluster_id} not found.")


def invalid_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, status=400, sender=True)


def invalid_combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message, status=400, sender=True)


def invalid_state(message: str) -> ServiceError:
    return ServiceError("InvalidClusterSnapshotState", message)


def invalid_retention(value: int) -> ServiceError:
    return ServiceError("InvalidRetentionPeriodFault",
                        f"Invalid manual snapshot retention period {value}: it must be -1 "
                        "(retain indefinitely) or between 1 and 3653 days.")


# ---------------------------------------------------------------- records


def _settle(record: Snapshot) -> Snapshot:
    pending = record.get(PENDING)
    if pending is None:
        return record
    settled = public(record)
    settled["Status"] = pending["status"]
    settled["BackupProgressInMegaBytes"] = settled.get("ActualIncrementalBackupSizeInMegaBytes", 0.0)
    settled["EstimatedSecondsToCompletion"] = 0
    settled["CurrentBackupRateInMegaBytesPerSecond"] = 0.0
    return settled


def settled(scope: Scope, record: Snapshot) -> Snapshot:
    """``record`` as it is now: a snapshot whose creation time on the
    interceptor's clock has come is stored as ``available`` (or ``failed``)."""
    pending = record.get(PENDING)
    if pending is None or pending["at"] is None or pending["at"] > scope.now:
        return record
    owner = record["OwnerAccount"]
    done = scope.backend.update(owner, scope.region, record["SnapshotIdentifier"], _settle)
    return done if done is not None else _settle(record)


def view(scope: Scope, record: Snapshot, **overrides: Any) -> Snapshot:
    """The record as the calling account sees it in a response (one copy)."""
    shown = {**record, **overrides}
    shown.pop(PENDING, None)
    retention = shown.get("ManualSnapshotRetentionPeriod")
    if retention is not None:
        shown["ManualSnapshotRemainingDays"] = -1 if retention == -1 else remaining_days(shown, scope.now)
    if shown["OwnerAccount"] != scope.account_id:
        shown.pop("AccountsWithRestoreAccess", None)  # visible only to the owner
    return shown


def _shared_with(record: Snapshot, account_id: str) -> bool:
    return any(entry.get("AccountId") == account_id
               for entry in record.get("AccountsWithRestoreAccess", ()))


def _own(scope: Scope, snapshot_id: str, cluster_id: Optional[str] = None) -> Snapshot:
    record = scope.backend.get(scope.account_id, scope.region, snapshot_id)
    if record is None or (cluster_id is not None and record["ClusterIdentifier"] != cluster_id):
        raise snapshot_not_found(snapshot_id)
    return settled(scope, record)


def _parse_snapshot_arn(scope: Scope, arn: str) -> tuple[str, str, str]:
    """(owner account, cluster, snapshot) of a snapshot ARN in the caller's region."""
    parts = arn.split(":", 6)
    if (len(parts) != 7 or parts[:3] != ["arn", "aws", "redshift"] or parts[5] != "snapshot"
            or "/" not in parts[6]):
        raise invalid_value(f"{arn} is not a valid snapshot ARN: expected "
                            "arn:aws:redshift:<region>:<account>:snapshot:<cluster>/<snapshot>.")
    cluster, _, snapshot_id = parts[6].partition("/")
    if parts[3] != scope.region:
        raise snapshot_not_found(snapshot_id)
    return parts[4], cluster, snapshot_id


def _identify(scope: Scope, params: Dict[str, Any]) -> tuple[str, Optional[str]]:
    """(snapshot id, cluster id or None) from SnapshotIdentifier or SnapshotArn."""
    snapshot_id, arn = params.get("SnapshotIdentifier"), params.get("SnapshotArn")
    if (snapshot_id is None) == (arn is None):
        raise invalid_combination("Specify either SnapshotIdentifier or SnapshotArn, not both "
                                  "and not neither.")
    cluster_id = params.get("SnapshotClusterIdentifier")
    if arn is not None:
        owner, arn_cluster, snapshot_id = _parse_snapshot_arn(scope, arn)
        if owner != scope.account_id:
            raise snapshot_not_found(snapshot_id)
        cluster_id = cluster_id or arn_cluster
    assert snapshot_id is not None
    return snapshot_id, cluster_id


# ---------------------------------------------------------------- delete


def _deletable(snapshot_id: str, cluster_id: Optional[str]) -> Callable[[Snapshot], None]:
    def check(record: Snapshot) -> None:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise snapshot_not_found(snapshot_id)
        if record["SnapshotType"] != "manual":
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because only manual snapshots "
                "may be deleted; automated snapshots are removed by Amazon Redshift when "
                "their retention period ends.")
        if record["Status"] not in DELETABLE_STATES:
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because it is in the "
                f"'{record['Status']}' state. A snapshot can be deleted in the available, "
                "failed or cancelled state.")
        shared = record.get("AccountsWithRestoreAccess")
        if shared:
            accounts = ", ".join(a.get("AccountId") or a.get("AccountAlias", "?") for a in shared)
            raise invalid_state(
                f"Cannot delete the snapshot {snapshot_id} because other accounts still have "
                f"access to it. Revoke access for {accounts} with RevokeSnapshotAccess first.")

    return check


def _delete_one(scope: Scope, snapshot_id: str, cluster_id: Optional[str]) -> Snapshot:
    record = scope.backend.get(scope.account_id, scope.region, snapshot_id)
    if record is not None and PENDING in record:
        settled(scope, record)
    removed = scope.backend.remove(scope.account_id, scope.region, snapshot_id,
                                   _deletable(snapshot_id, cluster_id))
    if removed is None:
        raise snapshot_not_found(snapshot_id)
    return removed


def delete_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    removed = _delete_one(scope, params["SnapshotIdentifier"], params.get("SnapshotClusterIdentifier"))
    return {"Snapshot": view(scope, removed, Status="deleted")}


def batch_delete_cluster_snapshots(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    entries = params.get("Identifiers", [])
    if len(entries) > MAX_BATCH_DELETE:
        raise ServiceError("BatchDeleteRequestSizeExceeded",
                           f"The request contains {len(entries)} snapshot identifiers; a batch "
                           f"delete takes at most {MAX_BATCH_DELETE}.")
    resources: List[str] = []
    errors: List[Dict[str, str]] = []
    for entry in entries:
        snapshot_id = entry.get("SnapshotIdentifier", "")
        cluster_id = entry.get("SnapshotClusterIdentifier")
        try:
            _delete_one(scope, snapshot_id, cluster_id)
        except ServiceError as error:
            failure = {"SnapshotIdentifier": snapshot_id, "FailureCode": error.code,
                       "FailureReason": error.message}
            if cluster_id is not None:
                failure["SnapshotClusterIdentifier"] = cluster_id
            errors.append(failure)
        else:
            resources.append(snapshot_id)
    return {"Resources": resources, "Errors": errors}


# ---------------------------------------------------------------- create / copy


def _require_available(record: Snapshot, verb: str) -> None:
    if record["Status"] != "available":
        raise invalid_state(f"Cannot {verb} the snapshot {record['SnapshotIdentifier']} because it is in "
                            f"the '{record['Status']}' state; it must be available.")


def _check_new_identifier(snapshot_id: str) -> None:
    try:
        check_identifier(snapshot_id, "SnapshotIdentifier")
    except ValueError as error:
        raise invalid_value(str(error)) from None


def _check_retention(params: Dict[str, Any], default: int) -> int:
    retention = params.get("ManualSnapshotRetentionPeriod", default)
    if not retention_ok(retention):
        raise invalid_retention(retention)
    return retention


def _check_tags(tags: Iterable[Dict[str, str]], existing: int = 0) -> None:
    tags = list(tags)
    for tag in tags:
        problem = tag_problem(tag.get("Key"), tag.get("Value", ""))
        if problem:
            raise ServiceError("InvalidTagFault", problem + ".")
    if existing + len(tags) > MAX_TAGS:
        raise ServiceError("TagLimitExceededFault",
                           f"A resource can have at most {MAX_TAGS} tags; this request would "
                           f"give it {existing + len(tags)}.")


def _pending(scope: Scope) -> Dict[str, Any]:
    delay = scope.creation_delay
    at = None if delay is None else scope.now + _dt.timedelta(seconds=delay)
    return {"at": at, "status": scope.creation_outcome}


def _start_creating(scope: Scope, fields: Dict[str, Any]) -> Snapshot:
    record = new_snapshot(scope.account_id, scope.region, fields, now=scope.now)
    record["Status"] = "creating"
    record["BackupProgressInMegaBytes"] = 0.0
    record["CurrentBackupRateInMegaBytesPerSecond"] = 0.0
    record["EstimatedSecondsToCompletion"] = int(scope.creation_delay or 0)
    record["ElapsedTimeInSeconds"] = 0
    stored = {**record, PENDING: _pending(scope)}
    if not scope.backend.insert(scope.account_id, scope.region, stored):
        raise ServiceError("ClusterSnapshotAlreadyExists",
                           f"Cannot create the snapshot because a snapshot with the identifier "
                           f"{record['SnapshotIdentifier']} already exists.")
    return record


def create_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id, cluster_id = params["SnapshotIdentifier"], params["ClusterIdentifier"]
    _check_new_identifier(snapshot_id)
    cluster = scope.clusters.get(scope.account_id, scope.region, cluster_id)
    if cluster is None:
        raise cluster_not_found(cluster_id)
    if cluster["ClusterStatus"] != "available":
        raise ServiceError("InvalidClusterState",
                           f"Cannot create a snapshot of cluster {cluster_id} in the "
                           f"'{cluster['ClusterStatus']}' state; it must be available.")
    retention = _check_retention(params, cluster.get("ManualSnapshotRetentionPeriod", -1))
    tags = params.get("Tags", [])
    _check_tags(tags)
    fields = snapshot_fields_from_cluster(cluster)
    fields.update(SnapshotIdentifier=snapshot_id, SnapshotType="manual",
                  ManualSnapshotRetentionPeriod=retention, Tags=tags, SnapshotCreateTime=scope.now)
    return {"Snapshot": view(scope, _start_creating(scope, fields))}


def copy_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    source_id, target_id = params["SourceSnapshotIdentifier"], params["TargetSnapshotIdentifier"]
    source = _own(scope, source_id, params.get("SourceSnapshotClusterIdentifier"))
    if source["SnapshotType"] != "automated":
        raise invalid_state(f"Cannot copy the snapshot {source_id}: only automated snapshots can "
                            "be copied to a manual snapshot.")
    _require_available(source, "copy")
    _check_new_identifier(target_id)
    retention = _check_retention(params, -1)
    fields = {k: v for k, v in public(source).items()
              if k not in ("SnapshotArn", "Tags", "AccountsWithRestoreAccess", "Status",
                           "ManualSnapshotRemainingDays", "SnapshotRetentionStartTime")}
    fields.update(SnapshotIdentifier=target_id, SnapshotType="manual",
                  ManualSnapshotRetentionPeriod=retention, SnapshotRetentionStartTime=scope.now)
    return {"Snapshot": view(scope, _start_creating(scope, fields))}


# ---------------------------------------------------------------- sharing, retention


def _account_entry(account: str) -> Dict[str, str]:
    try:
        return account_entry(account, "AccountWithRestoreAccess")
    except ValueError:
        raise invalid_value(f"Invalid account {account!r}: AccountWithRestoreAccess must be a "
                            f"12-digit AWS account ID or {SUPPORT_ACCOUNT}.") from None


def _change_own(scope: Scope, snapshot_id: str, cluster_id: Optional[str],
                change: Callable[[Snapshot], Snapshot]) -> Dict[str, Any]:
    """Apply ``change`` atomically to one of the caller's snapshots (checking
    its cluster when given) and answer with the changed snapshot."""
    _own(scope, snapshot_id, cluster_id)  # settles a due creation first

    def checked(record: Snapshot) -> Snapshot:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise snapshot_not_found(snapshot_id)
        return change(record)

    updated = scope.backend.update(scope.account_id, scope.region, snapshot_id, checked)
    if updated is None:
        raise snapshot_not_found(snapshot_id)
    return {"Snapshot": view(scope, updated)}


def _same_account(entry: Dict[str, str], wanted: Dict[str, str]) -> bool:
    key = "AccountId" if "AccountId" in wanted else "AccountAlias"
    return entry.get(key) == wanted[key]


def authorize_snapshot_access(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id, cluster_id = _identify(scope, params)
    account = params["AccountWithRestoreAccess"]
    wanted = _account_entry(account)

    def share(record: Snapshot) -> Snapshot:
        if record["SnapshotType"] != "manual":
            raise invalid_state(f"Cannot share the snapshot {snapshot_id}: only manual snapshots "
                                "can be shared.")
        _require_available(record, "share")
        shared = record.get("AccountsWithRestoreAccess", [])
        if any(_same_account(entry, wanted) for entry in shared):
            raise ServiceError("AuthorizationAlreadyExists",
                               f"Account {account} is already authorized to restore the snapshot "
                               f"{snapshot_id}.")
        if len(shared) >= MAX_SHARED_ACCOUNTS:
            raise ServiceError("AuthorizationQuotaExceeded",
                               f"The snapshot {snapshot_id} is already shared with "
                               f"{MAX_SHARED_ACCOUNTS} accounts, the most allowed.")
        return {**record, "AccountsWithRestoreAccess": [*shared, wanted]}

    return _change_own(scope, snapshot_id, cluster_id, share)


def revoke_snapshot_access(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id, cluster_id = _identify(scope, params)
    account = params["AccountWithRestoreAccess"]

    def unshare(record: Snapshot) -> Snapshot:
        shared = record.get("AccountsWithRestoreAccess", [])
        kept = [e for e in shared if account not in (e.get("AccountId"), e.get("AccountAlias"))]
        if len(kept) == len(shared):
            raise ServiceError("AuthorizationNotFound",
                               f"Account {account} is not authorized to restore the snapshot "
                               f"{snapshot_id}.")
        changed = {**record, "AccountsWithRestoreAccess": kept}
        if not kept:
            del changed["AccountsWithRestoreAccess"]
        return changed

    return _change_own(scope, snapshot_id, cluster_id, unshare)


def modify_cluster_snapshot(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id = params["SnapshotIdentifier"]
    retention = params.get("ManualSnapshotRetentionPeriod")
    force = params.get("Force", False)

    def modify(record: Snapshot) -> Snapshot:
        if retention is None:
            return record
        if record["SnapshotType"] != "manual":
            raise invalid_state(f"Cannot modify the retention period of the snapshot {snapshot_id}: "
                                "only manual snapshots have one.")
        if not retention_ok(retention):
            raise invalid_retention(retention)
        start = record.get("SnapshotRetentionStartTime") or record["SnapshotCreateTime"]
        if retention != -1 and not force and (scope.now - start).days >= retention:
            raise ServiceError(
                "InvalidRetentionPeriodFault",
                f"The retention period {retention} has already passed for the snapshot "
                f"{snapshot_id}, which would be deleted at once. Use Force=True to apply it anyway.")
        return {**record, "ManualSnapshotRetentionPeriod": retention}

    return _change_own(scope, snapshot_id, None, modify)


# ---------------------------------------------------------------- describe


def _marker_encode(key: Iterable[Any]) -> str:
    parts = [{"t": part.isoformat()} if isinstance(part, _dt.datetime) else part for part in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def _marker_decode(marker: str) -> list:
    try:
        key = json.loads(base64.urlsafe_b64decode(marker.encode()))
        if isinstance(key, list):
            key = [_dt.datetime.fromisoformat(part["t"]) if isinstance(part, dict) else part for part in key]
    except (ValueError, TypeError, KeyError):
        key = None
    if not isinstance(key, list):
        raise invalid_value(f"Invalid Marker {marker!r}: pass the Marker of a previous response.")
    return key


_SORT_ATTRIBUTES: Dict[str, Callable[[Snapshot], Any]] = {
    "SOURCE_TYPE": lambda r: r["SnapshotType"],
    "TOTAL_SIZE": lambda r: r.get("TotalBackupSizeInMegaBytes", 0.0),
    "CREATE_TIME": lambda r: r["SnapshotCreateTime"],
}

SortKey = Callable[[Snapshot], tuple]


_default_key: SortKey = operator.itemgetter("SnapshotCreateTime", "OwnerAccount", "SnapshotIdentifier")


def _sort_key(entities: List[Dict[str, str]]) -> tuple[SortKey, List[bool]]:
    """A total order: the requested attributes, then create time, owner and id,
    so a marker (the last key returned) survives deletes between pages.
    Also says which parts of the key sort descending."""
    fields = []
    for entity in entities:
        attribute = entity.get("Attribute")
        if attribute not in _SORT_ATTRIBUTES:
            raise invalid_value(f"Invalid SortingEntities attribute {attribute!r}: use SOURCE_TYPE, "
                                "TOTAL_SIZE or CREATE_TIME.")
        order = entity.get("SortOrder", "ASC")
        if order not in ("ASC", "DESC"):
            raise invalid_value(f"Invalid SortOrder {order!r}: use ASC or DESC.")
        fields.append((_SORT_ATTRIBUTES[attribute], order == "DESC"))
    descending = [flag for _, flag in fields] + [False, False, False]
    if not fields:
        return _default_key, descending

    def key(record: Snapshot) -> tuple:
        parts = [_Descending(get(record)) if flag else get(record) for get, flag in fields]
        return (*parts, *_default_key(record))

    return key, descending


class _Descending:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __gt__(self, other: _Descending) -> bool:
        return other.value > self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def _plain(key: tuple) -> list:
    return [part.value if isinstance(part, _Descending) else part for part in key]


def _page_size(params: Dict[str, Any]) -> int:
    size = params.get("MaxRecords", 100)
    if not 20 <= size <= 100:
        raise invalid_value(f"MaxRecords must be between 20 and 100; got {size}.")
    return size


def _paginate(records: List[Snapshot], order: tuple[SortKey, List[bool]],
              params: Dict[str, Any], size: int) -> tuple[List[Snapshot], Optional[str]]:
    """The page after the marker, and the marker of the page after it."""
    key, descending = order
    marker = params.get("Marker")
    if marker:
        after = _marker_decode(marker)
        if len(after) != len(descending):
            raise invalid_value(f"Invalid Marker {marker!r}: it belongs to a request with other "
                                "SortingEntities.")
        bound = tuple(_Descending(v) if flag else v for v, flag in zip(after, descending, strict=True))
        try:
            if key is _default_key:  # the paginator's case: compare the create time first, cheaply
                when, rest = bound[0], bound[1:]
                records = [r for r in records if (created := r["SnapshotCreateTime"]) > when or (
                    created == when and (r["OwnerAccount"], r["SnapshotIdentifier"]) > rest)]
            else:
                records = [r for r in records if key(r) > bound]
        except TypeError:
            raise invalid_value(f"Invalid Marker {marker!r}: pass the Marker of a previous response.") from None
    # sorted() beats heapq.nsmallest here: stores keep insertion order, which is
    # mostly create-time order already, and timsort runs through that in one pass.
    page = sorted(records, key=key)[:size + 1]
    next_marker = _marker_encode(_plain(key(page[size - 1]))) if len(page) > size else None
    return page[:size], next_marker


def _visible(scope: Scope, params: Dict[str, Any]) -> List[Snapshot]:
    """The snapshots the caller may see that match the identity filters."""
    snapshot_id, arn = params.get("SnapshotIdentifier"), params.get("SnapshotArn")
    owner = params.get("OwnerAccount")
    if arn is not None:
        arn_owner, _, arn_id = _parse_snapshot_arn(scope, arn)
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
            if r["OwnerAccount"] != me and r["SnapshotType"] == "manual" and _shared_with(r, me)]
    candidates = scope.backend.list(None, scope.region)
    seen = []
    for record in candidates:
        record_owner = record["OwnerAccount"]
        if owner is not None and record_owner != owner:
            continue
        if snapshot_id is not None and record["SnapshotIdentifier"] != snapshot_id:
            continue
        if record_owner == scope.account_id or (
                record["SnapshotType"] == "manual" and _shared_with(record, scope.account_id)):
            seen.append(record)
    return seen


def _filters(scope: Scope, params: Dict[str, Any]) -> List[Callable[[Snapshot], bool]]:
    """One test per filter the request gives; none for a plain listing."""
    tests: List[Callable[[Snapshot], bool]] = []
    cluster_id, snapshot_type = params.get("ClusterIdentifier"), params.get("SnapshotType")
    start, end = params.get("StartTime"), params.get("EndTime")
    tag_keys, tag_values = params.get("TagKeys"), params.get("TagValues")
    if cluster_id is not None:
        tests.append(lambda r: r["ClusterIdentifier"] == cluster_id)
    if snapshot_type is not None:
        tests.append(lambda r: r["SnapshotType"] == snapshot_type)
    if start is not None:
        tests.append(lambda r: r["SnapshotCreateTime"] >= start)
    if end is not None:
        tests.append(lambda r: r["SnapshotCreateTime"] <= end)
    if tag_keys:
        tests.append(lambda r: any(t["Key"] in tag_keys for t in r.get("Tags", ())))
    if tag_values:
        tests.append(lambda r: any(t.get("Value") in tag_values for t in r.get("Tags", ())))
    if params.get("ClusterExists") is False:
        existing = scope.clusters.identifiers(scope.account_id, scope.region)
        tests.append(lambda r: r["ClusterIdentifier"] not in existing)
    return tests


def describe_cluster_snapshots(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = _page_size(params)
    snapshot_type = params.get("SnapshotType")
    if snapshot_type not in (None, "manual", "automated"):
        raise invalid_value(f"Invalid SnapshotType {snapshot_type!r}: use manual or automated.")
    cluster_id = params.get("ClusterIdentifier")
    cluster_exists = params.get("ClusterExists")
    if cluster_exists is True:
        if cluster_id is None:
            raise invalid_combination("ClusterIdentifier is required when ClusterExists is true.")
        if scope.clusters.get(scope.account_id, scope.region, cluster_id) is None:
            raise cluster_not_found(cluster_id)
    order = _sort_key(params.get("SortingEntities", []))
    named = params.get("SnapshotIdentifier") or params.get("SnapshotArn")

    records = _visible(scope, params)
    if named and not records:
        raise snapshot_not_found(params.get("SnapshotIdentifier") or named)
    records = [settled(scope, r) if PENDING in r else r for r in records]
    tests = _filters(scope, params)
    matched = [r for r in records if all(test(r) for test in tests)] if tests else records
    page, marker = _paginate(matched, order, params, size)
    result: Dict[str, Any] = {"Snapshots": [view(scope, r) for r in page]}
    if marker is not None:
        result["Marker"] = marker
    return result


# ---------------------------------------------------------------- clusters


def describe_clusters(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = _page_size(params)
    cluster_id = params.get("ClusterIdentifier")
    if cluster_id is not None:
        cluster = scope.clusters.get(scope.account_id, scope.region, cluster_id)
        if cluster is None:
            raise cluster_not_found(cluster_id)
        clusters = [cluster]
    else:
        clusters = scope.clusters.list(scope.account_id, scope.region)
    tag_keys, tag_values = params.get("TagKeys"), params.get("TagValues")
    if tag_keys:
        clusters = [c for c in clusters if any(t["Key"] in tag_keys for t in c.get("Tags", ()))]
    if tag_values:
        clusters = [c for c in clusters if any(t.get("Value") in tag_values for t in c.get("Tags", ()))]
    ordered = sorted(clusters, key=lambda c: c["ClusterIdentifier"])
    if params.get("Marker"):
        after = _marker_decode(params["Marker"])
        ordered = [c for c in ordered if [c["ClusterIdentifier"]] > after]
    page = ordered[:size]
    result: Dict[str, Any] = {"Clusters": page}
    if len(ordered) > size:
        result["Marker"] = _marker_encode([page[-1]["ClusterIdentifier"]])
    return result


# ---------------------------------------------------------------- tags


def _resource(scope: Scope, arn: str) -> tuple[str, str, Optional[str]]:
    """(resource type, identifier, cluster of a snapshot) for a snapshot or cluster ARN."""
    parts = arn.split(":", 6)
    if len(parts) == 7 and parts[:3] == ["arn", "aws", "redshift"] and parts[5] == "cluster":
        if parts[3] != scope.region or parts[4] != scope.account_id:
            raise _resource_not_found(arn)
        return "cluster", parts[6], None
    if len(parts) == 7 and parts[:3] == ["arn", "aws", "redshift"] and parts[5] == "snapshot":
        try:
            owner, cluster_id, snapshot_id = _parse_snapshot_arn(scope, arn)
        except ServiceError:
            raise _resource_not_found(arn) from None
        if owner != scope.account_id:
            raise _resource_not_found(arn)
        return "snapshot", snapshot_id, cluster_id
    raise _resource_not_found(arn)


def _resource_not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundFault", f"The resource with ARN {arn} was not found.")


def _change_tags(scope: Scope, arn: str, change: Callable[[List[Dict[str, str]]], list]) -> None:
    kind, identifier, cluster_id = _resource(scope, arn)

    def apply(record: Dict[str, Any]) -> Dict[str, Any]:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise _resource_not_found(arn)
        return {**record, "Tags": change(record.get("Tags", []))}

    if kind == "cluster":
        updated = scope.clusters.update(scope.account_id, scope.region, identifier, apply)
    else:
        updated = scope.backend.update(scope.account_id, scope.region, identifier, apply)
    if updated is None:
        raise _resource_not_found(arn)


def create_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    new = params.get("Tags", [])

    def add(tags: List[Dict[str, str]]) -> list:
        merged = {t["Key"]: t.get("Value", "") for t in tags}
        added = {t["Key"]: t.get("Value", "") for t in new}
        fresh = [k for k in added if k not in merged]
        _check_tags(new, existing=len(merged) - (len(added) - len(fresh)))
        merged.update(added)
        return [{"Key": k, "Value": v} for k, v in merged.items()]

    _change_tags(scope, params["ResourceName"], add)
    return {}


def delete_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    keys = set(params.get("TagKeys", []))
    _change_tags(scope, params["ResourceName"], lambda tags: [t for t in tags if t["Key"] not in keys])
    return {}


def describe_tags(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    size = _page_size(params)
    resource_type = params.get("ResourceType")
    if resource_type is not None:
        resource_type = resource_type.lower()
    arn = params.get("ResourceName")
    resources: List[tuple[str, str, List[Dict[str, str]]]] = []
    if arn is not None:
        kind, identifier, cluster_id = _resource(scope, arn)
        if kind == "cluster":
            record = scope.clusters.get(scope.account_id, scope.region, identifier)
        else:
            record = scope.backend.get(scope.account_id, scope.region, identifier)
            if record is not None and record["ClusterIdentifier"] != cluster_id:
                record = None
        if record is None:
            raise _resource_not_found(arn)
        resources.append((kind, arn, record.get("Tags", [])))
    else:
        if resource_type in (None, "cluster"):
            resources += [("cluster", _cluster_arn(scope, c["ClusterIdentifier"]), c.get("Tags", []))
                          for c in scope.clusters.list(scope.account_id, scope.region)]
        if resource_type in (None, "snapshot"):
            resources += [("snapshot", r["SnapshotArn"], r.get("Tags", []))
                          for r in scope.backend.list(scope.account_id, scope.region)]
    tag_keys, tag_values = params.get("TagKeys"), params.get("TagValues")
    # Clusters, then snapshots, each by ARN, each resource's tags by key; the
    # marker is the last (type, ARN, key) returned, so resources and tags
    # deleted between pages (a cleanup deleting what it just listed) make
    # the next page skip nothing.
    tagged = []
    for kind, name, tags in resources:
        if resource_type is not None and kind != resource_type:
            continue
        for tag in tags:
            if tag_keys and tag["Key"] not in tag_keys:
                continue
            if tag_values and tag.get("Value") not in tag_values:
                continue
            tagged.append(((kind, name, tag["Key"]), tag))
    if params.get("Marker"):
        bound = _tags_marker(params["Marker"])
        tagged = [item for item in tagged if item[0] > bound]
    tagged.sort(key=lambda item: item[0])
    page = [{"Tag": dict(tag), "ResourceName": name, "ResourceType": kind}
            for (kind, name, _), tag in tagged[:size]]
    result: Dict[str, Any] = {"TaggedResources": page}
    if len(tagged) > size:
        result["Marker"] = _marker_encode(tagged[size - 1][0])
    return result


def _tags_marker(marker: str) -> tuple:
    """The (type, ARN, key) a DescribeTags marker remembers."""
    try:
        after = _marker_decode(marker)
    except ServiceError:
        after = []
    if len(after) != 3 or not all(isinstance(part, str) for part in after):
        raise invalid_value(f"Invalid Marker {marker!r}: pass the Marker of a previous DescribeTags response.")
    return tuple(after)


def _cluster_arn(scope: Scope, cluster_id: str) -> str:
    return f"arn:aws:redshift:{scope.region}:{scope.account_id}:cluster:{cluster_id}"


Rule = Callable[[Scope, Dict[str, Any]], Dict[str, Any]]

OPERATIONS: Dict[str, Rule] = {
    "AuthorizeSnapshotAccess": authorize_snapshot_access,
    "BatchDeleteClusterSnapshots": batch_delete_cluster_snapshots,
    "CopyClusterSnapshot": copy_cluster_snapshot,
    "CreateClusterSnapshot": create_cluster_snapshot,
    "CreateTags": create_tags,
    "DeleteClusterSnapshot": delete_cluster_snapshot,
    "DeleteTags": delete_tags,
    "DescribeClusterSnapshots": describe_cluster_snapshots,
    "DescribeClusters": describe_clusters,
    "DescribeTags": describe_tags,
    "ModifyClusterSnapshot": modify_cluster_snapshot,
    "RevokeSnapshotAccess": revoke_snapshot_access,
}
