"""Snapshot records: realistic defaults and strict, model-driven validation.

A record is a plain ``dict`` in the botocore ``Snapshot`` shape with Python
values (``datetime`` in UTC, ``int``, ``float``, ``bool``, lists of dicts), the
same shape ``describe_cluster_snapshots`` returns. Records are checked once,
when they are seeded; the rules and renderers trust them afterwards.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import zlib
from typing import Any, Dict, Mapping

from botocore.model import Shape
from botocore.utils import parse_timestamp

from . import _model, _reachable
from ._arns import snapshot_arn
from ._characters import first_unsendable, is_surrogate
from ._clock import UTC, to_millis, utc_now
from ._names import check_account_id as check_account_id
from ._names import check_region as check_region
from ._tags import MAX_TAGS, first_tag_problem

SNAPSHOT_STATES = ("available", "creating", "failed", "cancelled", "final snapshot")
SNAPSHOT_TYPES = ("manual", "automated")
SUPPORT_ACCOUNT = "amazon-redshift-support"

_IDENTIFIER = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*\Z")
_AUTOMATED_IDENTIFIER = re.compile(r"rs:[A-Za-z](?:-?[A-Za-z0-9])*\Z")


def check_identifier(value: str, field: str, automated: bool = False) -> None:
    pattern = _AUTOMATED_IDENTIFIER if automated else _IDENTIFIER
    if len(value) > 255 or not pattern.match(value):
        form = "'rs:' followed by " if automated else ""
        raise ValueError(
            f"{field} {value!r} is not a valid Redshift identifier: {form}1-255 letters, "
            "digits or hyphens, starting with a letter, with no two consecutive hyphens "
            "and no trailing hyphen"
        )


# ---------------------------------------------------------------- validation


def _type_error(field: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{field} must be {expected}, got {type(value).__name__} {value!r}")


# What the model's integer types can carry (Java's int and long).
_INTEGER_RANGES = {"integer": 2**31, "long": 2**63}


def _check_value(shape: Shape, value: Any, field: str) -> Any:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(field, "a str", value)
        bad = first_unsendable(value)
        if bad is not None:
            why = "a lone surrogate: UTF-8 cannot encode it" if is_surrogate(bad) else "XML 1.0 forbids it"
            raise ValueError(f"{field} contains the character {bad!r}, which no AWS response can carry ({why})")
        if shape.enum and value not in shape.enum:
            raise ValueError(f"{field} must be one of {tuple(shape.enum)}, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(field, "a bool", value)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(field, "an int", value)
        limit = _INTEGER_RANGES[kind]
        if not -limit <= value < limit:
            raise ValueError(f"{field} must fit in a signed {limit.bit_length()}-bit {kind}, got {value}")
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(field, "a float", value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"{field} must be a finite number, got {value!r}")
        return number
    if kind == "timestamp":
        return _check_timestamp(value, field)
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise _type_error(field, "a list", value)
        return [_check_value(shape.member, item, f"{field}[{i}]") for i, item in enumerate(value)]
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise _type_error(field, "a dict", value)
        return _check_structure(shape, value, field)
    raise TypeError(f"{field}: shape type {kind!r} is not supported")  # pragma: no cover


def _check_timestamp(value: Any, field: str) -> _dt.datetime:
    if isinstance(value, str):
        try:
            value = parse_timestamp(value)
        except (ValueError, TypeError, OverflowError, RuntimeError):  # RuntimeError: botocore's, for "1e20"
            raise ValueError(f"{field} must be a datetime or an ISO-8601 string, got {value!r}") from None
    if not isinstance(value, _dt.datetime):
        raise _type_error(field, "a datetime or an ISO-8601 string", value)
    if value.tzinfo is None:  # botocore reads naive datetimes as UTC; so do we
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"{field} {value.isoformat()} is not a time between 0001-01-01 and 9999-12-31 in UTC, "
                         "the years a response can carry") from None
    # Redshift sends milliseconds; keep exactly what a response can carry.
    return to_millis(utc)


def earlier(when: _dt.datetime, days: int) -> _dt.datetime:
    """``days`` before ``when``, or the first instant of year 1 if that is
    earlier than any time a response can carry."""
    try:
        return when - _dt.timedelta(days=days)
    except OverflowError:
        return _dt.datetime.min.replace(tzinfo=UTC)


def _unknown_field(shape: Shape, name: str, where: str) -> TypeError:
    close = difflib.get_close_matches(name, list(shape.members), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else f" Known fields: {', '.join(shape.members)}."
    return TypeError(f"{where} got an unknown field {name!r}.{hint}")


def _check_structure(shape: Shape, value: Mapping, field: str, where: str = "add_snapshot()") -> dict:
    """Check a structure; ``field`` is its path, ``""`` for a whole record.
    The result has the model's member order, as a response has, at every
    level: what is stored reads back exactly as a call returns it."""
    result = {}
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            raise _unknown_field(shape, name, field or where)
        if item is not None:
            result[name] = _check_value(member, item, f"{field}.{name}" if field else name)
    return {name: result[name] for name in shape.members if name in result}


# ---------------------------------------------------------------- snapshots


def _coerce_conveniences(fields: dict) -> None:
    """Accept the two short forms people reach for: ``Tags={"k": "v"}`` and
    ``AccountsWithRestoreAccess=["111122223333"]``."""
    tags = fields.get("Tags")
    if isinstance(tags, Mapping):
        fields["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    accounts = fields.get("AccountsWithRestoreAccess")
    if isinstance(accounts, (list, tuple)):
        converted = []
        for entry in accounts:
            if isinstance(entry, str):
                entry = account_entry(entry, "AccountsWithRestoreAccess entry")
            converted.append(entry)
        fields["AccountsWithRestoreAccess"] = converted


def _digest(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


PENDING = "redshift_intercept:pending"
"""Key of a record's private bookkeeping (never rendered, never returned):
for a snapshot in ``creating``, when it settles and into which status."""
PRIVATE_PREFIX = "redshift_intercept:"
"""Every private key starts so (``PENDING``, the lifecycle's ``DUE``, ...)."""


def public(record: Mapping[str, Any]) -> dict:
    """The record without our private bookkeeping."""
    return {k: v for k, v in record.items() if not k.startswith(PRIVATE_PREFIX)}


def retention_ok(value: int) -> bool:
    """-1 (keep forever) or 1..3653 days, as Redshift allows."""
    return value == -1 or 1 <= value <= 3653


def account_entry(account: str, argument: str) -> Dict[str, str]:
    """An ``AccountsWithRestoreAccess`` entry for an account id or the support alias."""
    if account == SUPPORT_ACCOUNT:
        return {"AccountAlias": SUPPORT_ACCOUNT}
    return {"AccountId": check_account_id(account, argument)}


def check_retention(value: int) -> None:
    if not retention_ok(value):
        raise ValueError("ManualSnapshotRetentionPeriod must be -1 (keep forever) or 1..3653 "
                         f"days, got {value}")


def _check_tags(checked: Mapping[str, Any]) -> None:
    tags = checked.get("Tags", ())
    problem = first_tag_problem(tags)
    if problem:
        raise ValueError(f"Tags: {problem}")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"Tags: a resource has at most {MAX_TAGS} tags, got {len(tags)}")


def new_snapshot(account_id: str, region: str, fields: Mapping[str, Any],
                 now: _dt.datetime | None = None) -> dict:
    """Build a complete, validated snapshot record.

    Every field an available manual snapshot of a provisioned cluster carries
    gets a realistic default derived from the identifiers, region and
    account; ``fields`` (Snapshot-shape names) override any of them.
    """
    snapshot_shape = _model.shape("Snapshot")
    fields = dict(fields)
    _coerce_conveniences(fields)
    checked = _check_structure(snapshot_shape, fields, "")
    if "SnapshotIdentifier" not in checked:
        raise TypeError("add_snapshot() missing required field 'SnapshotIdentifier'")
    snapshot_id = checked["SnapshotIdentifier"]
    snapshot_type = checked.get("SnapshotType", "manual")
    if snapshot_type not in SNAPSHOT_TYPES:
        raise ValueError(f"SnapshotType must be one of {SNAPSHOT_TYPES}, got {snapshot_type!r}")
    automated = snapshot_type == "automated"
    check_identifier(snapshot_id, "SnapshotIdentifier", automated=automated)
    status = checked.get("Status", "available")
    if status not in SNAPSHOT_STATES:
        raise ValueError(f"Status must be one of {SNAPSHOT_STATES}, got {status!r}")
    if automated and "ManualSnapshotRetentionPeriod" in checked:
        raise ValueError("ManualSnapshotRetentionPeriod is only carried by manual snapshots")
    retention = checked.get("ManualSnapshotRetentionPeriod", -1)
    check_retention(retention)
    _check_tags(checked)
    cluster = checked.get("ClusterIdentifier", "examplecluster")
    check_identifier(cluster, "ClusterIdentifier")
    if "OwnerAccount" in checked:
        check_account_id(checked["OwnerAccount"], "OwnerAccount")
        account_id = checked["OwnerAccount"]
    for entry in checked.get("AccountsWithRestoreAccess", ()):
        if "AccountId" not in entry and "AccountAlias" not in entry:
            raise ValueError("each AccountsWithRestoreAccess entry needs an AccountId or AccountAlias")

    seed = _digest(account_id, region, cluster, snapshot_id)
    created = checked.get("SnapshotCreateTime") or (now or utc_now())
    node_type = checked.get("NodeType", "ra3.xlplus")
    nodes = checked.get("NumberOfNodes", 2)
    total = float(1024 + seed % 500_000)
    incremental = float(round(total * (0.05 + (seed >> 8) % 40 / 100), 1))
    record: dict[str, Any] = {
        "SnapshotIdentifier": snapshot_id,
        "ClusterIdentifier": cluster,
        "SnapshotCreateTime": created,
        "Status": status,
        "Port": 5439,
        "AvailabilityZone": region + "abc"[seed % 3],
        "ClusterCreateTime": earlier(created, 30 + seed % 300),
        "MasterUsername": "awsuser",
        "ClusterVersion": "1.0",
        "EngineFullVersion": "1.0.86047",
        "SnapshotType": snapshot_type,
        "NodeType": node_type,
        "NumberOfNodes": nodes,
        "DBName": "dev",
        "VpcId": f"vpc-{_digest(account_id, region, cluster):08x}{seed % 0xFFFFFFFFF:09x}",
        "Encrypted": False,
        "EncryptedWithHSM": False,
        "OwnerAccount": account_id,
        "TotalBackupSizeInMegaBytes": total,
        "ActualIncrementalBackupSizeInMegaBytes": incremental,
        "BackupProgressInMegaBytes": incremental,
        "CurrentBackupRateInMegaBytesPerSecond": 0.0,
        "EstimatedSecondsToCompletion": 0,
        "ElapsedTimeInSeconds": 5 + seed % 600,
        "Tags": [],
        "RestorableNodeTypes": [node_type],
        "EnhancedVpcRouting": False,
        "MaintenanceTrackName": "current",
        "SnapshotArn": snapshot_arn(region, account_id, cluster, snapshot_id),
    }
    if not automated:
        record["ManualSnapshotRetentionPeriod"] = retention
        record["SnapshotRetentionStartTime"] = created
    record.update(checked)
    if not automated and "ManualSnapshotRemainingDays" not in checked:
        record["ManualSnapshotRemainingDays"] = remaining_days(record, now or utc_now())
    if not record.get("AccountsWithRestoreAccess"):
        # Real responses leave the element out when nobody is authorized.
        record.pop("AccountsWithRestoreAccess", None)
    _reachable.check_snapshot(record, region)
    # Model order, so that a record reads like a response.
    return {name: record[name] for name in snapshot_shape.members if name in record}


def remaining_days(record: Mapping[str, Any], now: _dt.datetime) -> int:
    retention = record.get("ManualSnapshotRetentionPeriod", -1)
    if retention == -1:
        return -1
    start = record.get("SnapshotRetentionStartTime") or record["SnapshotCreateTime"]
    # Never more than the period itself, even if the clock was set before the start.
    return max(0, min(retention, retention - (now - start).days))


# ---------------------------------------------------------------- clusters

CLUSTER_STATES = ("available", "creating", "deleting", "modifying", "paused", "rebooting",
                  "resizing", "final-snapshot", "incompatible-network", "storage-full",
                  "incompatible-hsm", "incompatible-parameters", "incompatible-restore", "hardware-failure",
                  "renaming", "rotating-keys", "updating-hsm", "prep-for-resize", "resize-cleanup",
                  "cancelling-resize")


def new_cluster(account_id: str, region: str, fields: Mapping[str, Any],
                now: _dt.datetime | None = None) -> dict:
    """A complete, validated provisioned cluster record (``Cluster`` shape)."""
    cluster_shape = _model.shape("Cluster")
    fields = dict(fields)
    _coerce_conveniences(fields)
    checked = _check_structure(cluster_shape, fields, "", "add_cluster()")
    if "ClusterIdentifier" not in checked:
        raise TypeError("add_cluster() missing required field 'ClusterIdentifier'")
    cluster = checked["ClusterIdentifier"]
    check_identifier(cluster, "ClusterIdentifier")
    status = checked.get("ClusterStatus", "available")
    if status not in CLUSTER_STATES:
        raise ValueError(f"ClusterStatus must be one of {CLUSTER_STATES}, got {status!r}")
    check_retention(checked.get("ManualSnapshotRetentionPeriod", -1))
    _check_tags(checked)
    seed = _digest(account_id, region, cluster)
    port = checked.get("Endpoint", {}).get("Port", 5439)
    record: dict[str, Any] = {
        "ClusterIdentifier": cluster,
        "NodeType": "ra3.xlplus",
        "ClusterStatus": status,
        "ClusterAvailabilityStatus": "Available" if status == "available" else "Maintenance",
        "MasterUsername": "awsuser",
        "DBName": "dev",
        "Endpoint": {"Address": f"{cluster}.c{seed % 0xFFFFFFFF:08x}.{region}.redshift.amazonaws.com",
                     "Port": port},
        "ClusterCreateTime": earlier(now or utc_now(), 30 + seed % 300),
        "AutomatedSnapshotRetentionPeriod": 1,
        "ManualSnapshotRetentionPeriod": -1,
        "ClusterSecurityGroups": [],
        "VpcSecurityGroups": [],
        "ClusterParameterGroups": [],
        "ClusterSubnetGroupName": "default",
        "VpcId": f"vpc-{seed:08x}{_digest(account_id, region, cluster, 'vpc') % 0xFFFFFFFFF:09x}",
        "AvailabilityZone": region + "abc"[seed % 3],
        "PreferredMaintenanceWindow": "sat:07:00-sat:07:30",
        "PendingModifiedValues": {},
        "ClusterVersion": "1.0",
        "AllowVersionUpgrade": True,
        "NumberOfNodes": 2,
        "PubliclyAccessible": False,
        "Encrypted": False,
        "Tags": [],
        "EnhancedVpcRouting": False,
        "IamRoles": [],
        "MaintenanceTrackName": "current",
        "ClusterNamespaceArn": f"arn:aws:redshift:{region}:{account_id}:namespace:"
                               f"{seed:08x}-{seed % 0xFFFF:04x}-4{seed % 0xFFF:03x}-8{seed % 0xFFF:03x}-"
                               f"{_digest(cluster) :08x}{seed % 0xFFFF:04x}",
    }
    record.update(checked)
    _reachable.check_cluster(record, region)
    return {name: record[name] for name in cluster_shape.members if name in record}


def snapshot_fields_from_cluster(cluster: Mapping[str, Any]) -> dict:
    """What a new snapshot inherits from the cluster it is taken of."""
    inherited = {
        "ClusterIdentifier": cluster["ClusterIdentifier"],
        "NodeType": cluster.get("NodeType"),
        "NumberOfNodes": cluster.get("NumberOfNodes"),
        "Port": cluster.get("Endpoint", {}).get("Port"),
        "DBName": cluster.get("DBName"),
        "MasterUsername": cluster.get("MasterUsername"),
        "VpcId": cluster.get("VpcId"),
        "Encrypted": cluster.get("Encrypted"),
        "KmsKeyId": cluster.get("KmsKeyId"),
        "AvailabilityZone": cluster.get("AvailabilityZone"),
        "ClusterCreateTime": cluster.get("ClusterCreateTime"),
        "ClusterVersion": cluster.get("ClusterVersion"),
        "EnhancedVpcRouting": cluster.get("EnhancedVpcRouting"),
        "MaintenanceTrackName": cluster.get("MaintenanceTrackName"),
        "MasterPasswordSecretArn": cluster.get("MasterPasswordSecretArn"),
        "MasterPasswordSecretKmsKeyId": cluster.get("MasterPasswordSecretKmsKeyId"),
    }
    if "NodeType" in cluster:
        inherited["RestorableNodeTypes"] = [cluster["NodeType"]]
    return {k: v for k, v in inherited.items() if v is not None}
