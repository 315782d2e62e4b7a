"""A permanent guard: generated input through real boto3 clients, on both
backends. Every call either round-trips exactly or raises botocore's
``ClientError`` / ``ParamValidationError``; any other exception out of a
boto3 call, or out of seeding other than ``TypeError`` / ``ValueError``, fails.

Text is drawn to hurt: XML metacharacters and ``]]>``, character references
spelled out, control characters, U+FFFE/U+FFFF, lone surrogates, bidi
overrides and combining marks, every script, empty strings and strings of
10,000 characters, next to valid identifiers, tags and account ids so that
calls also get past the first check.

The default run is short (the ``ci`` profile, see ``conftest.py``). For
thousands of examples::

    python -m pytest tests/test_properties.py --hypothesis-profile=thorough
    REDSHIFT_INTERCEPT_HYPOTHESIS=thorough python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import event, given, settings
from hypothesis import strategies as st

from redshift_intercept import intercept
from redshift_intercept._characters import first_unsendable
from redshift_intercept._rules.due import retention_end
from redshift_intercept.testing import assert_identical, make_client
from tests.postgres_support import fresh_backend

ACCOUNT, OTHER = "123456789012", "111122223333"
ARN = "arn:aws:redshift:us-east-1:123456789012:snapshot:{cluster}/{snapshot}"
CLUSTER_ARN = "arn:aws:redshift:us-east-1:123456789012:cluster:prod"

# ---------------------------------------------------------------- what is drawn

NASTY = [
    "", " ", "]]>", "<", ">", "&", "&amp;", "&#1;", "&#xD;", "<![CDATA[x]]>", "'", '"', "\\", "%", "+", "=",
    "\r", "\n", "\r\n", "\t", "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x1f", "\x7f", "\x85",
    "\ufffe", "\uffff", "\ud800", "\udfff", "\udc80x", "\u202e", "\u200f", "\u2066", "\u0301", "e\u0301",
    "\u2028", "\u00a0", "\u3000", "雪", "ٱ", "שָׁלוֹם", "🎉", "\U0010ffff", "_.:/=+-@", "aws:", "AWS:x",
    "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/s1", "rs:prod-2024-05-01-03-00-00",
]
LONG = ["a" * 10_000, "é" * 10_000, "<&>" * 3_334, "\u202e" * 10_000, "a" * 127, "a" * 128, "a" * 129,
        "a" * 255, "a" * 256, "a" * 257, "a-" * 127 + "a"]
VALID_ID = st.from_regex(r"[A-Za-z](?:-?[A-Za-z0-9]){0,12}", fullmatch=True)
TAG_CHARS = st.one_of(st.characters(categories=["L", "N", "Zs", "Zl", "Zp"]), st.sampled_from("_.:/=+-@"))

nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4), VALID_ID), max_size=5).map("".join),
    st.text(max_size=30),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12),  # surrogates included
    st.sampled_from(LONG),
)
identifier = st.one_of(VALID_ID, VALID_ID, nasty_text)
tag_text = st.one_of(st.text(TAG_CHARS, max_size=20), nasty_text)
tags = st.lists(st.fixed_dictionaries({"Key": tag_text, "Value": tag_text}), max_size=4)
account = st.one_of(st.sampled_from([OTHER, "210987654321", "amazon-redshift-support", ACCOUNT]),
                    st.from_regex(r"\d{12}", fullmatch=True), nasty_text)
when = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                 timezones=st.one_of(st.none(), st.just(dt.timezone.utc), st.integers(-14 * 60, 14 * 60).map(
                     lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))))),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "9999-12-31T23:00:00-05:00", "1e20",
                     "2024-02-30T00:00:00Z", "1e9", "nan", "", "2024-05-01T12:34:56.789+14:00"]),
    nasty_text,
)


def mostly(valid: Any, nasty: Any = nasty_text) -> Any:
    """Seven valid draws to one nasty: with a dozen fields, about half the
    seeds and calls get past the first check to exercise what comes after."""
    return st.one_of(*[valid] * 7, nasty)


valid_tags = st.lists(st.fixed_dictionaries({
    "Key": st.text(TAG_CHARS, min_size=1, max_size=20).filter(lambda k: not k.lower().startswith("aws:")),
    "Value": st.text(TAG_CHARS, max_size=30)}), max_size=4, unique_by=lambda t: t["Key"])
valid_accounts = st.lists(st.one_of(st.from_regex(r"\d{12}", fullmatch=True), st.just("amazon-redshift-support")),
                          max_size=3, unique=True)
valid_time = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                          timezones=st.one_of(st.none(), st.just(dt.timezone.utc)))
filter_time = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1),
                           timezones=st.just(dt.timezone.utc))

# ---------------------------------------------------------------- harness

_files = itertools.count()


@pytest.fixture(scope="module")
def client():
    return make_client()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


@contextlib.contextmanager
def fresh(kind: str, workdir: Any, journal: bool = False) -> Iterator[Any]:
    """An active interceptor on a new, empty backend of ``kind``."""
    backend: Any = fresh_backend(kind, workdir / f"{next(_files)}.db")
    try:
        with intercept(backend=backend, journal=journal) as rs:
            yield rs
    finally:
        if kind != "memory":
            backend.close()


def call(rs: Any, client: Any, method: str, **params: Any) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(response, None) or (None, error code); ParamValidationError is
    ``"ParamValidation"``. Anything else propagates: a failure. Checks that
    every call that reached us is recorded, with its outcome."""
    before = len(rs.calls)
    try:
        response = getattr(client, method)(**params)
    except ParamValidationError:
        assert len(rs.calls) == before, "botocore refused it: we never saw it"
        event(f"{method}: ParamValidationError")
        return None, "ParamValidation"
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert len(rs.calls) == before + 1 and rs.calls[-1].error_code == code
        assert rs.calls[-1].params == params
        event(f"{method}: {code}")
        return None, code
    assert len(rs.calls) == before + 1 and rs.calls[-1].error_code is None
    event(f"{method}: answered")
    return response, None


def renderable(rs: Any, client: Any) -> List[Dict[str, Any]]:
    """Everything stored can be described, listed by tag and dumped; returns the state."""
    listed = [s for page in client.get_paginator("describe_cluster_snapshots").paginate() for s in page["Snapshots"]]
    for page in client.get_paginator("describe_tags").paginate():
        assert all(t["ResourceName"].startswith("arn:aws:redshift:") for t in page["TaggedResources"])
    dumped = rs.dump_snapshots()
    assert [s["SnapshotIdentifier"] for s in dumped["Snapshots"]] == [s["SnapshotIdentifier"] for s in rs.snapshots()]
    own = [s["SnapshotIdentifier"] for s in listed if s["OwnerAccount"] == rs.account_id]
    assert sorted(own) == sorted(s["SnapshotIdentifier"] for s in rs.snapshots())
    return rs.snapshots()


def seed_world(rs: Any) -> None:
    rs.add_cluster(ClusterIdentifier="prod", Tags={"tier": "gold"})
    rs.add_snapshot(SnapshotIdentifier="s1", ClusterIdentifier="prod", Tags={"team": "bi", "env": "prod"},
                    SnapshotCreateTime="2024-05-01T00:00:00Z")
    rs.add_snapshot(SnapshotIdentifier="shared", ClusterIdentifier="prod", AccountsWithRestoreAccess=[OTHER],
                    SnapshotCreateTime="2024-05-02T00:00:00Z")
    rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-03-00-00-00", ClusterIdentifier="prod",
                    SnapshotType="automated", SnapshotCreateTime="2024-05-03T00:00:00Z")
    rs.add_snapshot(SnapshotIdentifier="theirs", OwnerAccount=OTHER, AccountsWithRestoreAccess=[ACCOUNT])


BACKENDS = pytest.mark.parametrize("kind", ["memory", "sqlite", "postgresql"])

# ---------------------------------------------------------------- seeds

# Text a response can carry, as tricky as it gets: what free-text fields hold.
SENDABLE = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(lambda c: first_unsendable(c) is None),
            max_size=30),
    st.sampled_from([t for t in NASTY + LONG if first_unsendable(t) is None]),
)

valid_seed = st.fixed_dictionaries({"SnapshotIdentifier": VALID_ID}, optional={
    "ClusterIdentifier": VALID_ID, "Tags": valid_tags, "AccountsWithRestoreAccess": valid_accounts,
    "SnapshotCreateTime": valid_time, "ClusterCreateTime": valid_time, "SnapshotRetentionStartTime": valid_time,
    "Status": st.sampled_from(["available", "creating", "failed", "cancelled", "final snapshot"]),
    "NumberOfNodes": st.integers(1, 128), "Port": st.integers(1150, 65535),
    "TotalBackupSizeInMegaBytes": st.one_of(st.just(-1.0), st.floats(0, 1e12)),
    "ElapsedTimeInSeconds": st.integers(0, 2**63 - 1),
    "ManualSnapshotRetentionPeriod": st.one_of(st.just(-1), st.integers(1, 3653)),
    "MasterUsername": SENDABLE, "MaintenanceTrackName": SENDABLE, "DBName": SENDABLE,
    "NodeType": st.sampled_from(["ra3.xlplus", "ra3.16xlarge", "dc2.large"]),
    "Encrypted": st.just(True), "KmsKeyId": SENDABLE,
})
"""A seed the API could have made (a manual snapshot), its free text as tricky as a response can carry."""

snapshot_seed = st.fixed_dictionaries({"SnapshotIdentifier": identifier}, optional={
    "ClusterIdentifier": identifier,
    "Tags": st.one_of(tags, st.dictionaries(tag_text, tag_text, max_size=3)),
    "AccountsWithRestoreAccess": st.lists(st.one_of(account, st.fixed_dictionaries(
        {}, optional={"AccountId": account, "AccountAlias": account})), max_size=3),
    "SnapshotCreateTime": when, "ClusterCreateTime": when, "SnapshotRetentionStartTime": when,
    "Status": st.one_of(st.sampled_from(["available", "creating", "failed", "cancelled", "final snapshot"]),
                        nasty_text),
    "SnapshotType": st.sampled_from(["manual", "manual", "automated"]),
    "NumberOfNodes": st.integers(-2, 200), "Port": st.integers(-1, 70_000),
    "TotalBackupSizeInMegaBytes": st.floats(), "ElapsedTimeInSeconds": st.integers(-2, 2**64),
    "ManualSnapshotRetentionPeriod": st.integers(-3, 4000),
    "MasterUsername": nasty_text, "MaintenanceTrackName": nasty_text, "NodeType": nasty_text,
    "Encrypted": st.booleans(), "KmsKeyId": nasty_text, "AvailabilityZone": nasty_text, "SnapshotArn": nasty_text,
})
"""Any seed: most are refused (TypeError or ValueError), the rest must round-trip."""


@BACKENDS
@given(fields=st.one_of(valid_seed, snapshot_seed))
def test_a_seed_is_refused_or_round_trips_through_every_read(kind, workdir, client, fields):
    with fresh(kind, workdir) as rs:
        try:
            record = rs.add_snapshot(**fields)
        except (TypeError, ValueError):
            assert rs.snapshots() == []  # a refused seed stores nothing
            return
        snapshot_id = record["SnapshotIdentifier"]
        end = retention_end(record)
        if end is not None and end <= rs.clock.now():  # its retention had run out: Redshift deletes it (issue 14)
            assert rs.snapshots() == [] and [(e["SourceIdentifier"], e["Action"]) for e in rs.events()] == [
                (snapshot_id, "expired")]
            return
        [stored] = renderable(rs, client)
        described, code = call(rs, client, "describe_cluster_snapshots", SnapshotIdentifier=snapshot_id)
        assert code is None and described is not None
        assert_identical(described["Snapshots"], [stored])
        arn = record["SnapshotArn"]
        tagged, code = call(rs, client, "describe_tags", ResourceName=arn)
        assert code is None and tagged is not None
        assert [t["Tag"] for t in tagged["TaggedResources"]] == sorted(record["Tags"], key=lambda t: t["Key"])
        dumped = rs.dump_snapshots()
    with fresh(kind, workdir) as again:
        again.load_snapshots(dumped)
        assert_identical(again.snapshots(), [stored])
        deleted, code = call(again, client, "delete_cluster_snapshot", SnapshotIdentifier=snapshot_id)
        if code is None:
            assert deleted is not None
            assert_identical(deleted["Snapshot"], {**stored, "Status": "deleted"})
            assert again.snapshots() == []
        else:
            assert code == "InvalidClusterSnapshotState"
            assert_identical(again.snapshots(), [stored])


valid_cluster = st.fixed_dictionaries({"ClusterIdentifier": VALID_ID}, optional={
    "Tags": valid_tags, "NumberOfNodes": st.integers(1, 128), "NodeType": SENDABLE,
    "ClusterStatus": st.sampled_from(["available", "available", "paused"]),
    "ManualSnapshotRetentionPeriod": st.one_of(st.just(-1), st.integers(1, 3653)), "ClusterCreateTime": valid_time,
    "Endpoint": st.fixed_dictionaries({}, optional={"Address": SENDABLE, "Port": st.integers(1150, 65535)}),
    "MasterUsername": SENDABLE, "Encrypted": st.just(True), "KmsKeyId": SENDABLE,
})
cluster_seed = st.one_of(valid_cluster, st.fixed_dictionaries({"ClusterIdentifier": identifier}, optional={
    "Tags": tags, "NumberOfNodes": st.integers(-2, 200), "NodeType": nasty_text,
    "ClusterStatus": st.one_of(st.sampled_from(["available", "paused"]), nasty_text),
    "ManualSnapshotRetentionPeriod": st.integers(-3, 4000), "ClusterCreateTime": when,
    "Endpoint": st.fixed_dictionaries({}, optional={"Address": nasty_text, "Port": st.integers(0, 70_000)}),
    "MasterUsername": nasty_text, "Encrypted": st.booleans(), "KmsKeyId": nasty_text,
}))


@BACKENDS
@given(fields=cluster_seed, snapshot_id=mostly(VALID_ID), new_tags=mostly(valid_tags, tags))
def test_a_cluster_seed_is_refused_or_described_and_snapshotted(kind, workdir, client, fields, snapshot_id,
                                                                  new_tags):
    with fresh(kind, workdir) as rs:
        try:
            cluster = rs.add_cluster(**fields)
        except (TypeError, ValueError):
            assert rs.clusters() == []
            return
        described, code = call(rs, client, "describe_clusters", ClusterIdentifier=cluster["ClusterIdentifier"])
        assert code is None and described is not None
        assert_identical(described["Clusters"], [cluster])
        made, code = call(rs, client, "create_cluster_snapshot", SnapshotIdentifier=snapshot_id,
                          ClusterIdentifier=cluster["ClusterIdentifier"], Tags=new_tags)
        state = renderable(rs, client)
        if code is not None:
            assert code in ("InvalidParameterValue", "InvalidClusterState", "InvalidTagFault",
                            "TagLimitExceededFault", "InvalidRetentionPeriodFault")
            assert state == []
            return
        assert made is not None and made["Snapshot"]["SnapshotIdentifier"] == snapshot_id
        assert made["Snapshot"]["Tags"] == new_tags and [s["Tags"] for s in state] == [new_tags]


# ---------------------------------------------------------------- every answered operation


def operations(draw: Any) -> Tuple[str, Dict[str, Any]]:
    """One call of one of the twelve answered operations, with drawn parameters."""
    known = st.sampled_from(["s1", "shared", "theirs", "rs:prod-2024-05-03-00-00-00", "ghost"])
    some_id = draw(st.one_of(known, known, identifier))
    other_id = draw(st.one_of(known, VALID_ID, identifier))
    arn = draw(st.one_of(st.sampled_from([ARN.format(cluster="prod", snapshot="s1"), CLUSTER_ARN,
                                          ARN.format(cluster="prod", snapshot="ghost")]), nasty_text))
    choice = draw(st.integers(0, 13))
    if choice == 0:
        return "delete_cluster_snapshot", {"SnapshotIdentifier": some_id, **draw(
            st.fixed_dictionaries({}, optional={"SnapshotClusterIdentifier": st.one_of(st.just("prod"), identifier)}))}
    if choice == 1:
        return "batch_delete_cluster_snapshots", {"Identifiers": [
            {"SnapshotIdentifier": i} for i in draw(st.lists(st.one_of(known, identifier), max_size=4))]}
    if choice == 2:
        return "describe_cluster_snapshots", draw(st.fixed_dictionaries({}, optional={
            "SnapshotIdentifier": st.one_of(known, identifier), "SnapshotArn": st.just(arn),
            "ClusterIdentifier": identifier, "OwnerAccount": account}))
    if choice == 3:
        return "describe_clusters", draw(st.fixed_dictionaries({}, optional={
            "ClusterIdentifier": st.one_of(st.just("prod"), identifier), "Marker": nasty_text,
            "TagKeys": st.lists(tag_text, max_size=2), "TagValues": st.lists(tag_text, max_size=2)}))
    if choice == 4:
        return "create_cluster_snapshot", {"SnapshotIdentifier": some_id, "ClusterIdentifier": draw(
            st.one_of(st.just("prod"), identifier)), "Tags": draw(mostly(valid_tags, tags))}
    if choice == 5:
        return "copy_cluster_snapshot", {"SourceSnapshotIdentifier": some_id, "TargetSnapshotIdentifier": other_id}
    if choice in (6, 7):
        method = "authorize_snapshot_access" if choice == 6 else "revoke_snapshot_access"
        target = draw(st.sampled_from([{"SnapshotIdentifier": some_id}, {"SnapshotArn": arn},
                                       {"SnapshotIdentifier": some_id, "SnapshotArn": arn}, {}]))
        return method, {**target, "AccountWithRestoreAccess": draw(mostly(st.sampled_from(
            [OTHER, "210987654321", "amazon-redshift-support"]), account))}
    if choice == 8:
        return "modify_cluster_snapshot", {"SnapshotIdentifier": some_id, **draw(st.fixed_dictionaries({}, optional={
            "ManualSnapshotRetentionPeriod": st.integers(-3, 4000), "Force": st.booleans()}))}
    if choice == 9:
        return "create_tags", {"ResourceName": arn, "Tags": draw(mostly(valid_tags, tags))}
    if choice == 10:
        return "delete_tags", {"ResourceName": arn, "TagKeys": draw(st.lists(tag_text, max_size=3))}
    if choice == 11:
        return "describe_tags", draw(st.fixed_dictionaries({}, optional={
            "ResourceName": st.just(arn), "ResourceType": st.one_of(st.sampled_from(["snapshot", "cluster"]),
                                                                    nasty_text),
            "TagKeys": st.lists(tag_text, max_size=2), "TagValues": st.lists(tag_text, max_size=2),
            "MaxRecords": st.integers(0, 150), "Marker": nasty_text}))
    return "describe_cluster_snapshots", draw(st.fixed_dictionaries({}, optional={
        "TagKeys": st.lists(tag_text, max_size=2), "TagValues": st.lists(tag_text, max_size=2),
        "SnapshotType": st.one_of(st.sampled_from(["manual", "automated"]), nasty_text),
        "StartTime": filter_time, "EndTime": filter_time, "MaxRecords": st.integers(0, 150),
        "Marker": nasty_text, "ClusterExists": st.booleans(),
        "SortingEntities": st.lists(st.fixed_dictionaries({"Attribute": st.one_of(st.sampled_from(
            ["SOURCE_TYPE", "TOTAL_SIZE", "CREATE_TIME"]), nasty_text)}, optional={
            "SortOrder": st.one_of(st.sampled_from(["ASC", "DESC"]), nasty_text)}), max_size=2)}))


@BACKENDS
@given(data=st.data())
def test_every_operation_either_answers_or_refuses_and_a_refusal_changes_nothing(kind, workdir, client, data):
    with fresh(kind, workdir) as rs:
        seed_world(rs)
        for _ in range(data.draw(st.integers(1, 3))):
            method, params = operations(data.draw)
            before = renderable(rs, client)
            response, code = call(rs, client, method, **params)
            after = renderable(rs, client)
            if code is not None:
                assert after == before, f"{method} refused with {code} but changed the state"
                continue
            assert response is not None
            check_answer(method, params, response, after)


def check_answer(method: str, params: Dict[str, Any], response: Dict[str, Any], after: List[Dict[str, Any]]) -> None:
    """What a successful answer says about the request, exactly."""
    ids = {s["SnapshotIdentifier"] for s in after}
    if method == "delete_cluster_snapshot":
        assert response["Snapshot"]["SnapshotIdentifier"] == params["SnapshotIdentifier"] not in ids
    elif method == "batch_delete_cluster_snapshots":
        assert not set(response["Resources"]) & ids
        assert sorted(response["Resources"] + [e["SnapshotIdentifier"] for e in response["Errors"]]) == sorted(
            i["SnapshotIdentifier"] for i in params["Identifiers"])
    elif method in ("create_cluster_snapshot", "copy_cluster_snapshot"):
        new_id = params.get("SnapshotIdentifier") or params["TargetSnapshotIdentifier"]
        assert response["Snapshot"]["SnapshotIdentifier"] == new_id and new_id in ids
        if method == "create_cluster_snapshot":
            assert [s["Tags"] for s in after if s["SnapshotIdentifier"] == new_id] == [params["Tags"]]
    elif method in ("authorize_snapshot_access", "revoke_snapshot_access"):
        entries = response["Snapshot"].get("AccountsWithRestoreAccess", [])
        shared = {e.get("AccountId") or e.get("AccountAlias") for e in entries}
        assert (params["AccountWithRestoreAccess"] in shared) is (method == "authorize_snapshot_access")
    elif method == "modify_cluster_snapshot" and "ManualSnapshotRetentionPeriod" in params:
        assert response["Snapshot"]["ManualSnapshotRetentionPeriod"] == params["ManualSnapshotRetentionPeriod"]
    elif method == "describe_cluster_snapshots":
        for snapshot in response["Snapshots"]:
            if "SnapshotIdentifier" in params:
                assert snapshot["SnapshotIdentifier"] == params["SnapshotIdentifier"]
            if "ClusterIdentifier" in params:
                assert snapshot["ClusterIdentifier"] == params["ClusterIdentifier"]
            if params.get("SnapshotType"):
                assert snapshot["SnapshotType"] == params["SnapshotType"]
            if params.get("TagKeys"):
                assert {t["Key"] for t in snapshot["Tags"]} & set(params["TagKeys"])
            if params.get("TagValues"):
                assert {t["Value"] for t in snapshot["Tags"]} & set(params["TagValues"])
            if "StartTime" in params:
                assert snapshot["SnapshotCreateTime"] >= params["StartTime"]
            if "EndTime" in params:
                assert snapshot["SnapshotCreateTime"] <= params["EndTime"]
    elif method == "describe_tags":
        for tagged in response["TaggedResources"]:
            if "ResourceName" in params:
                assert tagged["ResourceName"] == params["ResourceName"]
            if params.get("TagKeys"):
                assert tagged["Tag"]["Key"] in params["TagKeys"]
            if params.get("TagValues"):
                assert tagged["Tag"]["Value"] in params["TagValues"]


# ---------------------------------------------------------------- tags


@BACKENDS
@given(first=mostly(valid_tags, tags), second=mostly(valid_tags, tags), removed=st.lists(tag_text, max_size=3))
def test_tags_are_refused_or_stored_and_sent_back_exactly(kind, workdir, client, first, second, removed):
    with fresh(kind, workdir) as rs:
        rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
        arn = ARN.format(cluster="prod", snapshot="s")
        expected: Dict[str, str] = {}
        for batch in (first, second):
            _, code = call(rs, client, "create_tags", ResourceName=arn, Tags=batch)
            if code is None:
                expected.update((t["Key"], t["Value"]) for t in batch)
            else:
                assert code in ("InvalidTagFault", "TagLimitExceededFault", "InvalidParameterValue")
            [snapshot] = renderable(rs, client)
            assert snapshot["Tags"] == [{"Key": k, "Value": v} for k, v in expected.items()]
        _, code = call(rs, client, "delete_tags", ResourceName=arn, TagKeys=removed)
        if code is None:
            expected = {k: v for k, v in expected.items() if k not in removed}
        described, _ = call(rs, client, "describe_tags", ResourceName=arn)
        assert described is not None
        assert [(t["Tag"]["Key"], t["Tag"]["Value"]) for t in described["TaggedResources"]] == sorted(expected.items())


# ---------------------------------------------------------------- whole seed files


seed_file = st.fixed_dictionaries({"Snapshots": st.lists(st.one_of(
    snapshot_seed, snapshot_seed.map(lambda f: {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                                for k, v in f.items()}),
    st.dictionaries(nasty_text, st.one_of(nasty_text, st.integers(), st.none()), max_size=2),
    st.one_of(st.none(), nasty_text, st.lists(st.integers(), max_size=2))), max_size=4)})


@BACKENDS
@given(payload=st.one_of(seed_file, st.dictionaries(nasty_text, nasty_text, max_size=2)))
def test_load_snapshots_loads_all_or_nothing(kind, workdir, client, payload):
    with fresh(kind, workdir) as rs:
        rs.add_snapshot(SnapshotIdentifier="kept")
        before = rs.snapshots()
        try:
            loaded = rs.load_snapshots(payload)
        except (TypeError, ValueError):
            assert_identical(rs.snapshots(), before)
            return
        state = renderable(rs, client)
        assert [s["SnapshotIdentifier"] for s in state] == ["kept"] + [r["SnapshotIdentifier"] for r in loaded]
        assert len(loaded) == len(payload["Snapshots"])


# ---------------------------------------------------------------- threads


@pytest.fixture(scope="module")
def clients():
    return [make_client() for _ in range(4)]


@BACKENDS
@settings(max_examples=max(2, settings().max_examples // 50))
@given(data=st.data())
def test_threads_of_generated_calls_lose_nothing(kind, workdir, clients, data):
    """Four threads, each with its own client, make 20 generated calls each
    at once: every call answers or refuses as above, every call that reached
    us is in rs.calls and in the journal exactly once, and the state stays
    renderable."""
    plans = [[operations(data.draw) for _ in range(20)] for _ in clients]
    with fresh(kind, workdir, journal=True) as rs:
        seed_world(rs)
        outcomes: List[List[str]] = [[] for _ in clients]

        def run(index: int) -> None:
            for method, params in plans[index]:
                try:
                    getattr(clients[index], method)(**params)
                    outcomes[index].append("answered")
                except ParamValidationError:
                    outcomes[index].append("ParamValidation")
                except ClientError as error:
                    outcomes[index].append(error.response["Error"]["Code"])

        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(run, range(len(clients))))  # an exception of any other kind is raised here
        reached = sum(outcome != "ParamValidation" for thread in outcomes for outcome in thread)
        assert sum(map(len, outcomes)) == 80
        assert len(rs.calls) == reached
        journaled = rs.journal()
        assert sorted(c.request_id for c in journaled) == sorted(c.request_id for c in rs.calls)
        assert len({c.request_id for c in rs.calls}) == reached
        renderable(rs, clients[0])
