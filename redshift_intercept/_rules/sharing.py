"""AuthorizeSnapshotAccess and RevokeSnapshotAccess: the accounts a manual
snapshot is shared with."""

from __future__ import annotations

from typing import Any, Dict

from .._backend import Snapshot
from .._errors import ServiceError, invalid_state, invalid_value
from .._records import SUPPORT_ACCOUNT, account_entry
from .create import require_available
from .scope import Scope, change_own, identify, shared_with, snapshot_arn_parts

MAX_SHARED_ACCOUNTS = 20


def _account_entry(account: str) -> Dict[str, str]:
    try:
        return account_entry(account, "AccountWithRestoreAccess")
    except ValueError:
        raise invalid_value(f"Invalid account {account!r}: AccountWithRestoreAccess must be a "
                            f"12-digit AWS account ID or {SUPPORT_ACCOUNT}.") from None


def _same_account(entry: Dict[str, str], wanted: Dict[str, str]) -> bool:
    key = "AccountId" if "AccountId" in wanted else "AccountAlias"
    return entry.get(key) == wanted[key]


def _not_the_owner(scope: Scope, params: Dict[str, Any]) -> None:
    """``AccessToSnapshotDenied`` when the caller names a snapshot of another
    account that is shared with it: it may restore it, but only the owner may
    change who else can."""
    arn = params.get("SnapshotArn")
    me, region = scope.account_id, scope.region
    if arn is not None:
        owner, _, snapshot_id = snapshot_arn_parts(scope, arn)
        if owner == me:
            return
        record = scope.backend.get(owner, region, snapshot_id)
        shared = [] if record is None else [record]
    else:
        named = params.get("SnapshotIdentifier")
        if named is None or scope.backend.get(me, region, named) is not None:
            return
        snapshot_id = named
        shared = [r for r in scope.backend.list(None, region)
                  if r["SnapshotIdentifier"] == snapshot_id and r["OwnerAccount"] != me]
    for record in shared:
        if record["SnapshotType"] == "manual" and shared_with(record, me):
            raise ServiceError("AccessToSnapshotDenied",
                               f"Account {me} cannot change access to the snapshot {snapshot_id} of account "
                               f"{record['OwnerAccount']}: only a snapshot's owner can authorize or revoke access "
                               "to it.")


def authorize_snapshot_access(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    snapshot_id, cluster_id = identify(scope, params)
    account = params["AccountWithRestoreAccess"]
    wanted = _account_entry(account)

    def share(record: Snapshot) -> Snapshot:
        if account == record["OwnerAccount"]:
            raise invalid_value(f"Account {account} owns the snapshot {snapshot_id}: authorize another account "
                                "to restore it; the owner always can.")
        if record["SnapshotType"] != "manual":
            raise invalid_state(f"Cannot share the snapshot {snapshot_id}: only manual snapshots "
                                "can be shared.")
        require_available(record, "share")
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

    return change_own(scope, snapshot_id, cluster_id, share)


def revoke_snapshot_access(scope: Scope, params: Dict[str, Any]) -> Dict[str, Any]:
    _not_the_owner(scope, params)
    snapshot_id, cluster_id = identify(scope, params)
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

    return change_own(scope, snapshot_id, cluster_id, unshare)
