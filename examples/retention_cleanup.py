"""A Redshift manual-snapshot retention cleanup, written the way such jobs are.

Deletes manual snapshots older than --days, except those tagged keep=true,
after revoking every account they are shared with; deletes from a thread pool
and waits until each snapshot is really gone. Nothing in it knows about
redshift-intercept: run it against AWS, or against the fake with

    redshift-intercept run --snapshots examples/seed.json -- python examples/retention_cleanup.py --days 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.exceptions import ClientError

log = logging.getLogger("retention_cleanup")


def expired_snapshots(client, days: int, keep_tag: str) -> list[dict]:
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    found = []
    for page in client.get_paginator("describe_cluster_snapshots").paginate(SnapshotType="manual"):
        for snapshot in page["Snapshots"]:
            tags = {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}
            if tags.get(keep_tag, "").lower() == "true":
                continue
            if snapshot["SnapshotCreateTime"] < cutoff and snapshot["Status"] == "available":
                found.append(snapshot)
    return found


def revoke_all(client, snapshot: dict) -> None:
    for account in snapshot.get("AccountsWithRestoreAccess", []):
        client.revoke_snapshot_access(
            SnapshotIdentifier=snapshot["SnapshotIdentifier"],
            SnapshotClusterIdentifier=snapshot["ClusterIdentifier"],
            AccountWithRestoreAccess=account.get("AccountId") or account["AccountAlias"],
        )


def delete_and_wait(client, snapshot: dict, poll_seconds: float) -> bool:
    snapshot_id = snapshot["SnapshotIdentifier"]
    try:
        revoke_all(client, snapshot)
        client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id,
                                       SnapshotClusterIdentifier=snapshot["ClusterIdentifier"])
    except ClientError as error:
        log.warning("could not delete %s: %s", snapshot_id, error.response["Error"]["Message"])
        return False
    while True:  # wait until the snapshot is gone, as Airflow's operator does
        try:
            client.describe_cluster_snapshots(SnapshotIdentifier=snapshot_id)
        except client.exceptions.ClusterSnapshotNotFoundFault:
            log.info("deleted %s", snapshot_id)
            return True
        time.sleep(poll_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="delete manual snapshots older than this")
    parser.add_argument("--keep-tag", default="keep", help="tag key that protects a snapshot (value true)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    client = boto3.client("redshift", region_name=args.region)
    # botocore creates client.exceptions lazily and not thread-safely; create it before the
    # threads share the client, so every thread catches the same exception classes.
    _ = client.exceptions
    candidates = expired_snapshots(client, args.days, args.keep_tag)
    log.info("%d snapshot(s) older than %d days", len(candidates), args.days)
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(lambda s: delete_and_wait(client, s, args.poll_seconds), candidates))
    failed = results.count(False)
    log.info("deleted %d, failed %d", results.count(True), failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
