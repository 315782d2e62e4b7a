"""Who is calling: identities told apart by the access key the client signs
with, the default identity for keys nobody added, strict refusal, and the
checks of ``add_identity`` (their messages are API)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import botocore
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from redshift_intercept import PolicyError, intercept

from .conftest import CLOSED_ENDPOINT, NO_RETRIES, error_code, make_client

A, B = "111111111111", "222222222222"
CLEANUP = f"arn:aws:iam::{A}:user/cleanup"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "redshift:*", "Resource": "*"}]}


def test_a_key_names_its_identity_and_its_account(rs):
    rs.add_snapshot(SnapshotIdentifier="mine")
    rs.add_snapshot(SnapshotIdentifier="theirs", OwnerAccount=B)
    rs.add_identity("AKIDB", arn=f"arn:aws:iam::{B}:user/bi")

    default = make_client()  # "testing": a key nobody added
    other = make_client(access_key_id="AKIDB")
    assert [s["SnapshotIdentifier"] for s in default.describe_cluster_snapshots()["Snapshots"]] == ["mine"]
    assert [s["SnapshotIdentifier"] for s in other.describe_cluster_snapshots()["Snapshots"]] == ["theirs"]

    assert [(c.account_id, c.principal) for c in rs.calls] == [(rs.account_id, None),
                                                                 (B, f"arn:aws:iam::{B}:user/bi")]
    assert rs.calls[0].decisions is None and rs.calls[1].decisions is None  # no policies: not evaluated


def test_an_identity_without_policies_is_not_evaluated_and_one_with_none_may_do_nothing(rs):
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.add_identity("AKIDFREE", arn=f"arn:aws:iam::{rs.account_id}:user/admin")
    rs.add_identity("AKIDNONE", arn=f"arn:aws:iam::{rs.account_id}:user/nobody", policies=[])

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        make_client(access_key_id="AKIDNONE").delete_cluster_snapshot(SnapshotIdentifier="s")
    assert error_code(excinfo) == "AccessDenied"
    assert rs.calls.last.decision.effect is None  # an implicit deny: no statement at all
    assert make_client(access_key_id="AKIDFREE").delete_cluster_snapshot(SnapshotIdentifier="s")
    assert rs.snapshots() == []


def test_strict_identities_refuse_an_unknown_key_as_aws_does():
    with intercept(strict_identities=True) as rs:
        rs.add_snapshot(SnapshotIdentifier="s")
        client = make_client(access_key_id="AKIDNOBODY")
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="s")
        error = excinfo.value.response
        assert error["Error"] == {"Type": "Sender", "Code": "InvalidClientTokenId",
                                  "Message": "The security token included in the request is invalid."}
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert len(rs.snapshots()) == 1  # a refused call changes nothing
        assert rs.calls.last.error_code == "InvalidClientTokenId" and rs.calls.last.principal is None

        rs.add_identity("AKIDNOBODY", arn=f"arn:aws:iam::{rs.account_id}:user/now-known")
        assert client.delete_cluster_snapshot(SnapshotIdentifier="s")["Snapshot"]["Status"] == "deleted"
        assert rs.strict_identities is True


def test_strict_identities_and_a_client_that_cannot_sign():
    with intercept(strict_identities=True):
        unsigned = boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT,
                                          config=NO_RETRIES.merge(Config(signature_version=botocore.UNSIGNED)))
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            unsigned.describe_cluster_snapshots()
        assert excinfo.value.response["Error"]["Code"] == "MissingAuthenticationToken"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

        no_credentials = boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT,
                                                config=NO_RETRIES)
        with pytest.raises(botocore.exceptions.NoCredentialsError):  # as signing the real request raises
            no_credentials.describe_cluster_snapshots()


def test_without_strict_a_client_without_credentials_is_the_default_identity(rs):
    rs.add_identity("AKIDB", arn=f"arn:aws:iam::{B}:user/bi")
    client = boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT,
                                    config=NO_RETRIES)
    assert client.describe_cluster_snapshots()["Snapshots"] == []
    assert rs.calls.last.account_id == rs.account_id


def test_refreshable_credentials_are_read_as_the_signer_reads_them(rs):
    """botocore's signer freezes the client's credentials for each request,
    refreshing them when they are due: the key of the refreshed credentials
    is the caller."""
    rs.add_identity("AKIDFIRST", arn=f"arn:aws:iam::{A}:user/first")
    rs.add_identity("AKIDSECOND", arn=f"arn:aws:iam::{B}:user/second")
    keys = iter(["AKIDFIRST", "AKIDSECOND"])
    now = dt.datetime.now(dt.timezone.utc)

    def refresh():
        return {"access_key": next(keys), "secret_key": "s", "token": None,
                "expiry_time": (now + dt.timedelta(minutes=1)).isoformat()}  # always inside the refresh window

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    session = boto3.Session()
    session._session._credentials = credentials
    client = session.client("redshift", region_name="us-east-1", endpoint_url=CLOSED_ENDPOINT, config=NO_RETRIES)

    client.describe_cluster_snapshots()
    assert rs.calls.last.account_id == B  # refreshed before the call, as signing would have


def test_two_clients_of_one_process_in_two_accounts_at_once(rs):
    rs.add_identity("AKIDA", arn=CLEANUP, policies=[ALLOW_ALL])
    rs.add_identity("AKIDB", arn=f"arn:aws:sts::{B}:assumed-role/Reader/session-1", policies=[ALLOW_ALL])
    a, b = make_client(access_key_id="AKIDA"), make_client(access_key_id="AKIDB")
    rs.add_snapshot(SnapshotIdentifier="same-name")
    rs.add_snapshot(SnapshotIdentifier="same-name", OwnerAccount=A)
    b.describe_cluster_snapshots()
    a.delete_cluster_snapshot(SnapshotIdentifier="same-name")
    assert rs.backend.get(A, "us-east-1", "same-name") is None
    assert rs.backend.get(rs.account_id, "us-east-1", "same-name") is not None
    assert rs.calls[0].principal == f"arn:aws:sts::{B}:assumed-role/Reader/session-1"


# ---------------------------------------------------------------- add_identity's checks


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"access_key_id": 42, "arn": CLEANUP}, TypeError,
     "access_key_id must be a str such as 'AKIAIOSFODNN7EXAMPLE', got int"),
    ({"access_key_id": " AKID", "arn": CLEANUP}, ValueError,
     "access_key_id must be a non-empty key without surrounding spaces, got ' AKID'"),
    ({"access_key_id": "AKID"}, TypeError,
     "missing 1 required keyword-only argument: 'arn'"),
    ({"access_key_id": "AKID", "arn": "arn:aws:iam::111111111111:role/Reader"}, ValueError,
     "arn must be the ARN of the caller: arn:aws:iam::<account>:user/<name>, "
     "arn:aws:sts::<account>:assumed-role/<role>/<session> or arn:aws:iam::<account>:root; "
     "got 'arn:aws:iam::111111111111:role/Reader'"),
    ({"access_key_id": "AKID", "arn": CLEANUP, "account_id": B}, ValueError,
     f"account_id '{B}' is not the account of arn '{CLEANUP}' ({A}); leave account_id out, it is read from the ARN"),
    ({"access_key_id": "AKID", "arn": CLEANUP, "account_id": "42"}, ValueError,
     "account_id must be 12 digits, like '123456789012'; got '42'"),
    ({"access_key_id": "AKID", "arn": f"arn:aws:iam::{A}:root", "policies": [ALLOW_ALL]}, ValueError,
     "policies cannot be attached to the root user (arn ends in :root): IAM evaluates no identity-based policy "
     "for it; pass policies=None, or use an IAM user or role session ARN"),
    ({"access_key_id": "AKID", "arn": CLEANUP, "policies": ALLOW_ALL}, TypeError,
     "policies must be a list of policy documents (dicts or JSON text), e.g. "
     '[{"Version": "2012-10-17", "Statement": [...]}], or None for an identity whose calls are not evaluated; '
     "got dict"),
    ({"access_key_id": "AKID", "arn": CLEANUP, "name": ""}, TypeError, "name must be a non-empty str, got ''"),
])
def test_misuse_names_the_argument(rs, kwargs, error, message):
    with pytest.raises(error) as excinfo:
        rs.add_identity(**kwargs)
    assert message in str(excinfo.value)
    assert rs.identities == []


@pytest.mark.parametrize(("policy", "message"), [
    ("{not json", "policies: policy 0: not valid JSON"),
    ({"Version": "2012-10-18", "Statement": []}, 'policies: policy 0: Version must be "2012-10-17" or '
                                                 '"2008-10-17", not "2012-10-18"; use "2012-10-17"'),
    ({"Version": "2012-10-17", "Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}},
     'policies: policy 0, statement 0: Effect must be "Allow" or "Deny" (case-sensitive), not "Permit"'),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]},
     'policies: policy 0, statement 0: has neither "Action" nor "NotAction"'),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                              "Condition": {"StringEquals": {"redshift:DbUser": "x"}}}]},
     "policies: policy 0, statement 0, Condition \"StringEquals\" \"redshift:DbUser\""),
])
def test_malformed_policies_are_refused_when_added(rs, policy, message):
    with pytest.raises(PolicyError) as excinfo:
        rs.add_identity("AKID", arn=CLEANUP, policies=[ALLOW_ALL, policy][1:])
    assert str(excinfo.value).startswith(message)
    assert rs.identities == []


def test_policies_as_json_text_and_names(rs):
    identity = rs.add_identity("AKID", arn=f"arn:aws:iam::{A}:user/ops/cleanup", policies=[json.dumps(ALLOW_ALL)])
    assert (identity.name, identity.account_id, identity.documents) == ("cleanup", A, (ALLOW_ALL,))
    session = rs.add_identity("AKID2", arn=f"arn:aws:sts::{B}:assumed-role/Reader/nightly", name="reader")
    assert (session.name, session.policies) == ("reader", None)
    assert [i.access_key_id for i in rs.identities] == ["AKID", "AKID2"]
    with pytest.raises(ValueError, match="access_key_id 'AKID' already names the identity"):
        rs.add_identity("AKID", arn=CLEANUP)


def test_load_identities_all_or_nothing(rs, tmp_path):
    path = tmp_path / "identities.json"
    path.write_text(json.dumps({"AKIDA": {"arn": CLEANUP, "policies": [ALLOW_ALL], "secret_access_key": "s"},
                                "AKIDB": {"arn": f"arn:aws:iam::{B}:user/bi", "name": "bi"}}))
    assert [i.name for i in rs.load_identities(path)] == ["cleanup", "bi"]
    with pytest.raises(ValueError, match="source: access_key_id 'AKIDA' already names an identity; nothing"):
        rs.load_identities({"AKIDC": {"arn": CLEANUP}, "AKIDA": {"arn": CLEANUP}})
    assert len(rs.identities) == 2
    with pytest.raises(ValueError, match="source: AKIDD: unknown field 'policy'; fields: arn, account_id, name"):
        rs.load_identities({"AKIDD": {"arn": CLEANUP, "policy": []}})


def test_strict_identities_must_be_a_bool():
    with pytest.raises(TypeError, match="strict_identities must be True or False, got 'yes'"):
        intercept(strict_identities="yes")


@pytest.mark.redshift_intercept(strict_identities=True)
def test_the_marker_takes_strict_identities(rs):
    assert rs.strict_identities
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        make_client().describe_cluster_snapshots()
    assert error_code(excinfo) == "InvalidClientTokenId"
