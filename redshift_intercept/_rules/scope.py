"""What one call sees: its ``Scope`` (the caller's account and region over
the service's state) and the helpers every snapshot rule shares to find a
record and show it as the caller sees it."""

from __future__ import annotations

import datetime as _dt
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional

from .._arns import SNAPSHOT_FORM, parse_arn
from .._backend import CLUSTER, DUE, Record, Snapshot
from .._errors import ServiceError, invalid_combination, invalid_value, snapshot_not_found
from .._records import PENDING, public, remaining_days
from .due import PIN, with_due

if TYPE_CHECKING:  # pragma: no cover
    from .._dispatch import Service


_NONE_REFUSED: Mapping[int, ServiceError] = MappingProxyType({})


class Scope:
    """Whose resources a call sees (one account in one region) and the
    service settings the rules need. ``now`` is read from the service's
    clock on first use and then fixed: one instant per call."""

    __slots__ = ("_clock", "_now", "account_id", "backend", "creation_delay", "creation_outcome", "refused",
                 "region", "service")

    def __init__(self, service: Service, account_id: str, region: str) -> None:
        self.service = service
        self.backend = service.backend
        self.account_id = account_id
        self.region = region
        self._clock = service.clock
        self._now: Optional[_dt.datetime] = None
        self.creation_delay = service.creation_delay
        self.creation_outcome = service.creation_outcome
        self.refused: Mapping[int, ServiceError] = _NONE_REFUSED
        """Entries of a batch the caller may not touch (IAM denied them), by index, with the error to report."""

    @property
    def now(self) -> _dt.datetime:
        now = self._now
        if now is None:
            now = self._now = self._clock.now()
        return now

    def cluster(self, cluster_id: str) -> Optional[Record]:
        """One of the caller's clusters, or None."""
        return self.backend.get(self.account_id, self.region, cluster_id, CLUSTER)

    def clusters(self) -> List[Record]:
        """The caller's clusters in its region."""
        return self.backend.list(self.account_id, self.region, CLUSTER)


def finish_creation(record: Snapshot) -> Snapshot:
    """A snapshot in ``creating`` as it is once its creation is over:
    ``available`` or ``failed``; a manual snapshot's retention starts then
    (``SnapshotRetentionStartTime``), and it is due when that ends."""
    pending = record.get(PENDING)
    if pending is None:
        return record
    settled = public(record)
    settled["Status"] = pending["status"]
    if settled.get("SnapshotType") == "manual" and pending["at"] is not None:
        settled["SnapshotRetentionStartTime"] = pending["at"]
    settled["BackupProgressInMegaBytes"] = settled.get("ActualIncrementalBackupSizeInMegaBytes", 0.0)
    settled["EstimatedSecondsToCompletion"] = 0
    settled["CurrentBackupRateInMegaBytesPerSecond"] = 0.0
    return with_due(settled)


def settled(scope: Scope, record: Snapshot) -> Snapshot:
    """``record`` as it is now: a snapshot whose creation time on the
    service's clock has come is stored as ``available`` (or ``failed``).
    (Every call first catches the service up, which settles it with its
    event; this covers records stored without a due time.)"""
    pending = record.get(PENDING)
    if pending is None or pending["at"] is None or pending["at"] > scope.now:
        return record
    owner = record["OwnerAccount"]
    done = scope.backend.update(owner, scope.region, record["SnapshotIdentifier"], finish_creation)
    return done if done is not None else finish_creation(record)


def view(scope: Scope, record: Snapshot, **overrides: Any) -> Snapshot:
    """The record as the calling account sees it in a response (one copy)."""
    shown = {**record, **overrides}
    shown.pop(PENDING, None)
    shown.pop(DUE, None)
    shown.pop(PIN, None)
    retention = shown.get("ManualSnapshotRetentionPeriod")
    if retention is not None:
        shown["ManualSnapshotRemainingDays"] = -1 if retention == -1 else remaining_days(shown, scope.now)
    if shown["OwnerAccount"] != scope.account_id:
        shown.pop("AccountsWithRestoreAccess", None)  # visible only to the owner
    return shown


def shared_with(record: Snapshot, account_id: str) -> bool:
    return any(entry.get("AccountId") == account_id
               for entry in record.get("AccountsWithRestoreAccess", ()))


def own(scope: Scope, snapshot_id: str, cluster_id: Optional[str] = None) -> Snapshot:
    """One of the caller's snapshots, settled; not found if ``cluster_id`` is
    given and is not its cluster."""
    record = scope.backend.get(scope.account_id, scope.region, snapshot_id)
    if record is None or (cluster_id is not None and record["ClusterIdentifier"] != cluster_id):
        raise snapshot_not_found(snapshot_id)
    return settled(scope, record)


def snapshot_arn_parts(scope: Scope, arn: str) -> tuple[str, str, str]:
    """(owner account, cluster, snapshot) of a snapshot ARN in the caller's
    region; ``InvalidParameterValue`` for anything that is not a snapshot ARN."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.snapshot is None:
        raise invalid_value(f"{arn} is not a valid snapshot ARN: expected {SNAPSHOT_FORM}.")
    if parsed.region != scope.region:
        raise snapshot_not_found(parsed.snapshot)
    return parsed.account_id, parsed.cluster, parsed.snapshot


def identify(scope: Scope, params: Dict[str, Any]) -> tuple[str, Optional[str]]:
    """(snapshot id, cluster id or None) from SnapshotIdentifier or SnapshotArn."""
    snapshot_id, arn = params.get("SnapshotIdentifier"), params.get("SnapshotArn")
    if (snapshot_id is None) == (arn is None):
        raise invalid_combination("Specify either SnapshotIdentifier or SnapshotArn, not both "
                                  "and not neither.")
    cluster_id = params.get("SnapshotClusterIdentifier")
    if arn is not None:
        owner, arn_cluster, snapshot_id = snapshot_arn_parts(scope, arn)
        if owner != scope.account_id:
            raise snapshot_not_found(snapshot_id)
        cluster_id = cluster_id or arn_cluster
    assert snapshot_id is not None
    return snapshot_id, cluster_id


def change_own(scope: Scope, snapshot_id: str, cluster_id: Optional[str],
               change: Callable[[Snapshot], Snapshot]) -> Dict[str, Any]:
    """Apply ``change`` atomically to one of the caller's snapshots (checking
    its cluster when given) and answer with the changed snapshot."""
    own(scope, snapshot_id, cluster_id)  # settles a due creation first

    def checked(record: Snapshot) -> Snapshot:
        if cluster_id is not None and record["ClusterIdentifier"] != cluster_id:
            raise snapshot_not_found(snapshot_id)
        return change(record)

    updated = scope.backend.update(scope.account_id, scope.region, snapshot_id, checked)
    if updated is None:
        raise snapshot_not_found(snapshot_id)
    return {"Snapshot": view(scope, updated)}
