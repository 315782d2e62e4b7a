"""An unmodified cleanup program (examples/retention_cleanup.py) run end to end:
paginate, filter by age/tag/type, revoke shared accounts, delete from a thread
pool, wait for absence. It must leave exactly the state AWS would."""

from __future__ import annotations

import datetime as dt
import importlib.util
import pathlib

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "retention_cleanup.py"


@pytest.fixture
def cleanup():
    spec = importlib.util.spec_from_file_location("retention_cleanup", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_retention_cleanup_leaves_exactly_what_aws_would(rs, cleanup, monkeypatch, caplog):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    now = dt.datetime.now(dt.timezone.utc)
    old, recent = now - dt.timedelta(days=90), now - dt.timedelta(days=3)
    rs.add_cluster(ClusterIdentifier="prod")
    for i in range(120):  # enough for several pages
        rs.add_snapshot(SnapshotIdentifier=f"old-{i:03d}", ClusterIdentifier="prod", SnapshotCreateTime=old)
    rs.add_snapshot(SnapshotIdentifier="recent", ClusterIdentifier="prod", SnapshotCreateTime=recent)
    rs.add_snapshot(SnapshotIdentifier="old-kept", ClusterIdentifier="prod", SnapshotCreateTime=old,
                    Tags={"keep": "True"})
    rs.add_snapshot(SnapshotIdentifier="old-shared", ClusterIdentifier="prod", SnapshotCreateTime=old,
                    AccountsWithRestoreAccess=["111122223333", "444455556666"])
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-01-01-00-00-00", ClusterIdentifier="prod",
                    SnapshotType="automated", SnapshotCreateTime=old)
    rs.add_snapshot(SnapshotIdentifier="old-creating", ClusterIdentifier="prod", SnapshotCreateTime=old,
                    Status="creating")
    rs.add_snapshot(region="eu-west-1", SnapshotIdentifier="old-elsewhere", SnapshotCreateTime=old)
    # Another account's snapshot shared with us is listed, but it is not ours to delete.
    rs.add_snapshot(SnapshotIdentifier="partner-old", OwnerAccount="999988887777", SnapshotCreateTime=old,
                    AccountsWithRestoreAccess=[rs.account_id])

    exit_code = cleanup.main(["--days", "30", "--poll-seconds", "0"])

    remaining = sorted(s["SnapshotIdentifier"] for s in rs.snapshots())
    assert remaining == ["old-creating", "old-kept", "recent", "rs:prod-2024-01-01-00-00-00"]
    assert [s["SnapshotIdentifier"] for s in rs.snapshots(region="eu-west-1")] == ["old-elsewhere"]
    deletes = rs.calls.of("DeleteClusterSnapshot")
    assert sorted(c.params["SnapshotIdentifier"] for c in deletes if c.error_code is None) == sorted(
        [f"old-{i:03d}" for i in range(120)] + ["old-shared"])
    revokes = rs.calls.of("RevokeSnapshotAccess")
    assert sorted(c.params["AccountWithRestoreAccess"] for c in revokes) == ["111122223333", "444455556666"]
    # The partner's snapshot was refused (not found in our account) and reported as a failure.
    assert [c.error_code for c in deletes if c.params["SnapshotIdentifier"] == "partner-old"] == [
        "ClusterSnapshotNotFound"]
    assert exit_code == 1
    assert "could not delete partner-old: Snapshot partner-old not found." in caplog.text
    polls = rs.calls.of("DescribeClusterSnapshots")
    assert sum(1 for c in polls if c.error_code == "ClusterSnapshotNotFound") == 121
