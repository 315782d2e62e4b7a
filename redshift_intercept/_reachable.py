"""Seeds describe states the API can reach, not states it cannot.

``_records`` checks each field on its own against the model (types, the
ranges of the model's integer types, finite numbers, enums, characters a
reply can carry). This module checks what the service keeps true of a whole
record: its limits (nodes, ports, shared accounts, sizes) and the
consistency of its fields (an ARN and zone of its own region, a KMS key only
when encrypted). Times are not ordered against each other or the clock: a
test may move the clock anywhere. It runs on the complete record, defaults included, so a
seed can describe nothing that ``CreateClusterSnapshot``, ``CopyClusterSnapshot``,
``AuthorizeSnapshotAccess`` and the other calls could not have produced.
Every refusal is a ``ValueError`` naming the field. The README lists each
limit and where it comes from.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from . import _records  # which calls this module: names are read when checks run
from ._arns import snapshot_arn

MAX_NODES = 128
"""Nodes in one cluster: the most any node type allows (ra3.16xlarge, dc2.8xlarge)."""
PORTS = (1150, 65535)
"""The widest port range CreateCluster accepts (dc2; ra3's ranges lie inside it)."""
MAX_SHARED_ACCOUNTS = 20
"""Accounts a snapshot can be shared with (``AuthorizationQuotaExceeded`` beyond)."""
AUTOMATED_RETENTION = (0, 35)
"""Days an automated snapshot is kept (``AutomatedSnapshotRetentionPeriod``)."""

# Sizes are megabytes, or -1 while a snapshot is being created (as real
# create-cluster-snapshot output shows); rates and elapsed times are never
# negative; the time to completion is -1 when unknown.
_SIZES = ("TotalBackupSizeInMegaBytes", "ActualIncrementalBackupSizeInMegaBytes", "BackupProgressInMegaBytes")


def _at_least(record: Mapping[str, Any], field: str, lowest: float, unknown: Optional[float] = None) -> None:
    value = record.get(field)
    if value is None or value >= lowest or value == unknown:
        return
    also = f" (or {unknown:g}: not known yet)" if unknown is not None else ""
    raise ValueError(f"{field} must be >= {lowest:g}{also}, got {value!r}")


def _within(record: Mapping[str, Any], field: str, bounds: tuple[int, int], what: str = "") -> None:
    value = record.get(field)
    if value is not None and not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{field} must be {bounds[0]}..{bounds[1]}{what}, got {value!r}")


def _zone(record: Mapping[str, Any], region: str) -> None:
    zone = record.get("AvailabilityZone")
    if zone is not None and not (zone.startswith(region) and len(zone) > len(region)):
        raise ValueError(f"AvailabilityZone {zone!r} is not a zone of region {region} (like {region}a): "
                         "to seed another region's snapshots, pass region=")


def _kms(record: Mapping[str, Any]) -> None:
    if record.get("Encrypted"):
        return
    for field in ("KmsKeyId", "EncryptedWithHSM"):
        if record.get(field):
            raise ValueError(f"{field} needs Encrypted=True: only an encrypted cluster's snapshots carry one")


def _shared_accounts(record: Mapping[str, Any]) -> None:
    entries = record.get("AccountsWithRestoreAccess") or []
    if entries and record.get("SnapshotType") == "automated":
        raise ValueError("AccountsWithRestoreAccess: automated snapshots cannot be shared; only manual ones")
    if len(entries) > MAX_SHARED_ACCOUNTS:
        raise ValueError(f"AccountsWithRestoreAccess: a snapshot is shared with at most {MAX_SHARED_ACCOUNTS} "
                         f"accounts, got {len(entries)}")
    seen = set()
    for index, entry in enumerate(entries):
        where = f"AccountsWithRestoreAccess[{index}]"
        if set(entry) not in ({"AccountId"}, {"AccountAlias"}):
            raise ValueError(f"{where} needs exactly one of AccountId (12 digits) or AccountAlias "
                             f"({_records.SUPPORT_ACCOUNT!r}), got {dict(entry)!r}")
        if "AccountId" in entry:
            account = _records.check_account_id(entry["AccountId"], f"{where}.AccountId")
        else:
            account = entry["AccountAlias"]
            if account != _records.SUPPORT_ACCOUNT:
                raise ValueError(f"{where}.AccountAlias must be {_records.SUPPORT_ACCOUNT!r}, got {account!r}")
        if account in seen:
            raise ValueError(f"AccountsWithRestoreAccess lists {account} twice")
        seen.add(account)


def check_snapshot(record: Mapping[str, Any], region: str) -> None:
    """Refuse a complete snapshot record that no sequence of API calls could
    have produced. It also runs on the records CreateClusterSnapshot and
    CopyClusterSnapshot build (from a seeded cluster or snapshot, which passed
    the same checks), so nothing here may depend on the clock: a test may set
    it anywhere."""
    _within(record, "NumberOfNodes", (1, MAX_NODES))
    _within(record, "Port", PORTS)
    for field in _SIZES:
        _at_least(record, field, 0, unknown=-1)
    _at_least(record, "CurrentBackupRateInMegaBytesPerSecond", 0)
    _at_least(record, "EstimatedSecondsToCompletion", 0, unknown=-1)
    _at_least(record, "ElapsedTimeInSeconds", 0)
    if record.get("ManualSnapshotRemainingDays") not in (None, -1):
        _within(record, "ManualSnapshotRemainingDays", (0, 3653), " (or -1: kept forever)")
    _shared_accounts(record)
    _zone(record, region)
    _kms(record)
    if "SourceRegion" in record:
        _records.check_region(record["SourceRegion"], "SourceRegion")
    expected = snapshot_arn(region, record["OwnerAccount"], record["ClusterIdentifier"], record["SnapshotIdentifier"])
    if record.get("SnapshotArn", expected) != expected:
        raise ValueError(f"SnapshotArn {record['SnapshotArn']!r} is not this snapshot's ARN, {expected!r} "
                         "(region, owner, cluster and identifier must agree; to seed another region's "
                         "snapshots, pass region=)")


def check_cluster(record: Mapping[str, Any], region: str) -> None:
    """Refuse a complete cluster record that CreateCluster could not have produced."""
    _within(record, "NumberOfNodes", (1, MAX_NODES))
    port = (record.get("Endpoint") or {}).get("Port")
    if port is not None and not PORTS[0] <= port <= PORTS[1]:
        raise ValueError(f"Endpoint.Port must be {PORTS[0]}..{PORTS[1]}, got {port!r}")
    _within(record, "AutomatedSnapshotRetentionPeriod", AUTOMATED_RETENTION)
    _zone(record, region)
    _kms(record)
