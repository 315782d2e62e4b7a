"""Seeding and reading the state directly, outside any call: the work
behind ``add_snapshot``, ``load_snapshots``, ``dump_snapshots``,
``snapshots``, ``add_cluster``, ``clusters``, ``events`` and
``complete_creation``. What reads the state first catches the service up to
its clock, as a call would.

Records are checked (``_records``) before anything is stored, so a refused
seed stores nothing; what is returned are copies.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any, Dict, List, Union

from ._backend import CLUSTER
from ._dispatch import Caller, Service
from ._events import public_view
from ._files import json_default, read_json, to_json_text, write_atomically
from ._records import PENDING, new_cluster, new_snapshot, public, snapshot_fields_from_cluster
from ._rules import Scope, settled
from ._rules.due import with_due
from ._rules.lifecycle import link_automated, seeded_cluster_plans


def _scheduled(scope: Scope, owner: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """A seeded snapshot as it is stored: due when its retention ends; an
    automated one joins its cluster's automated snapshots (call in a unit)."""
    if record["SnapshotType"] == "automated":
        return link_automated(scope, owner, scope.region, record)
    return with_due(record)


def with_cluster(service: Service, caller: Caller, fields: Dict[str, Any]) -> Dict[str, Any]:
    """``fields`` of a snapshot over what it inherits from its cluster, when
    that cluster is seeded in the caller's account and region: what a
    snapshot created with ``CreateClusterSnapshot`` takes from it, and its
    retention period as the default of a manual snapshot."""
    cluster_id = fields.get("ClusterIdentifier")
    if not isinstance(cluster_id, str) or fields.get("OwnerAccount", caller.account_id) != caller.account_id:
        return fields
    cluster = service.backend.get(caller.account_id, caller.region, cluster_id, CLUSTER)
    if cluster is None:
        return fields
    inherited = snapshot_fields_from_cluster(cluster)
    if "NodeType" in fields:  # the node types it restores to follow the one given
        inherited.pop("RestorableNodeTypes", None)
    if fields.get("Encrypted") is False:  # an unencrypted snapshot carries no key (_reachable)
        inherited.pop("KmsKeyId", None)
        inherited.pop("EncryptedWithHSM", None)
    if fields.get("SnapshotType", "manual") == "manual" and "ManualSnapshotRetentionPeriod" in cluster:
        inherited["ManualSnapshotRetentionPeriod"] = cluster["ManualSnapshotRetentionPeriod"]
    return {**inherited, **fields}


def add_snapshot(service: Service, caller: Caller, fields: Dict[str, Any]) -> Dict[str, Any]:
    fields = with_cluster(service, caller, fields)
    record = new_snapshot(caller.account_id, caller.region, fields, now=service.clock.now())
    owner = record["OwnerAccount"]
    scope = service.scope(caller)

    def store() -> None:
        if not service.backend.insert(owner, caller.region, _scheduled(scope, owner, record)):
            raise ValueError(f"SnapshotIdentifier {record['SnapshotIdentifier']!r} already "
                             f"exists in account {owner}, region {caller.region}")

    service.backend.atomic(store)
    return copy.deepcopy(record)


def snapshots(service: Service, caller: Caller) -> List[Dict[str, Any]]:
    scope = service.catch_up(caller)
    return [public(settled(scope, r)) for r in copy.deepcopy(service.backend.list(caller.account_id, caller.region))]


def load_snapshots(service: Service, caller: Caller, source: Any) -> List[Dict[str, Any]]:
    data = read_json(source, "source")
    if not isinstance(data, dict) or not isinstance(data.get("Snapshots"), list):
        raise ValueError('source must hold {"Snapshots": [...]}, the shape '
                         "describe_cluster_snapshots returns")
    region = caller.region
    now = service.clock.now()
    records = []
    for index, fields in enumerate(data["Snapshots"]):
        if not isinstance(fields, dict):
            raise TypeError(f"Snapshots[{index}] must be an object, got {type(fields).__name__}")
        try:
            records.append(new_snapshot(caller.account_id, region, with_cluster(service, caller, fields), now=now))
        except (TypeError, ValueError) as error:
            name = fields.get("SnapshotIdentifier", "?")
            raise type(error)(f"Snapshots[{index}] ({name}): {error}") from None
    backend = service.backend
    scope = service.scope(caller)

    def store_all() -> None:  # one unit: a duplicate, a failure or a kill stores none of them
        for record in records:
            owner = record["OwnerAccount"]
            if not backend.insert(owner, region, _scheduled(scope, owner, record)):
                raise ValueError(f"SnapshotIdentifier {record['SnapshotIdentifier']!r} already exists in "
                                 f"account {record['OwnerAccount']}, region {region}; nothing was loaded")

    backend.atomic(store_all)
    return copy.deepcopy(records)


def dump_snapshots(service: Service, caller: Caller, target: Union[str, os.PathLike[str], Any, None]
                   ) -> Dict[str, Any]:
    data = {"Snapshots": snapshots(service, caller)}
    if target is not None:
        text = to_json_text(data)
        if hasattr(target, "write"):
            target.write(text)
        else:
            write_atomically(os.fspath(target), text)
    return json.loads(json.dumps(data, default=json_default))


def add_cluster(service: Service, caller: Caller, fields: Dict[str, Any]) -> Dict[str, Any]:
    record = new_cluster(caller.account_id, caller.region, fields, now=service.clock.now())
    account, region = caller.account_id, caller.region
    backend = service.backend
    scope = service.scope(caller)

    def store() -> None:
        if backend.get(account, region, record["ClusterIdentifier"], CLUSTER) is not None:
            raise ValueError(f"ClusterIdentifier {record['ClusterIdentifier']!r} already exists "
                             f"in account {account}, region {region}")
        # Seeding may scan: automated snapshots seeded before their cluster join it.
        automated = [s for s in backend.list(account, region)
                     if s["SnapshotType"] == "automated" and s["ClusterIdentifier"] == record["ClusterIdentifier"]]
        if not backend.insert(account, region, seeded_cluster_plans(scope, account, region, record, automated),
                              CLUSTER):
            raise ValueError(f"ClusterIdentifier {record['ClusterIdentifier']!r} already exists "
                             f"in account {account}, region {region}")

    backend.atomic(store)
    return copy.deepcopy(record)


def clusters(service: Service, caller: Caller) -> List[Dict[str, Any]]:
    service.catch_up(caller)
    return [public(c) for c in copy.deepcopy(service.backend.list(caller.account_id, caller.region, CLUSTER))]


def events(service: Service, caller: Caller) -> List[Dict[str, Any]]:
    service.catch_up(caller)
    return [public_view(e) for e in copy.deepcopy(service.backend.read_events(caller.account_id, caller.region))]


def complete_creation(service: Service, caller: Caller, snapshot_id: str, status: str) -> Dict[str, Any]:
    if status not in ("available", "failed"):
        raise ValueError(f"status must be 'available' or 'failed', got {status!r}")

    def settle(record: Dict[str, Any]) -> Dict[str, Any]:
        if PENDING not in record:
            raise ValueError(f"snapshot {snapshot_id!r} is not being created "
                             f"(its status is {record['Status']!r})")
        return {**record, PENDING: {"at": service.clock.now(), "status": status}}

    updated = service.backend.update(caller.account_id, caller.region, snapshot_id,
                                     lambda r: with_due(settle(r)))
    if updated is None:
        raise KeyError(f"no snapshot {snapshot_id!r} in account {caller.account_id}, region {caller.region}")
    scope = service.catch_up(caller)  # settles it now, with its event
    return public(settled(scope, service.backend.get(caller.account_id, caller.region, snapshot_id) or updated))
