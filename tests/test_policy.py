"""The IAM identity-policy evaluator, table by table: deny/allow/implicit deny,
actions and resources with their case rules and wildcards, every condition
operator with a matching, a mismatching and an absent key, IfExists and the set
operators, policy variables, date formats, and every refusal with its exact
message (the messages are API). Sources of each rule: notes/iam-evaluator.md."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import botocore.session
import pytest

from redshift_intercept import _iam_table
from redshift_intercept._arns import snapshot_arn
from redshift_intercept._policy import (
    Decision,
    PolicyError,
    PreparedContext,
    Request,
    evaluate,
    parse_policies,
    parse_policy,
)

DELETE = "redshift:DeleteClusterSnapshot"
ACCOUNT = "123456789012"
ARN = f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod/nightly-1"
USER = f"arn:aws:iam::{ACCOUNT}:user/cleanup"
UTC = dt.timezone.utc
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
NOW_EPOCH = 1714564800


def statement(**fields) -> dict:
    return {"Effect": "Allow", "Action": DELETE, "Resource": "*", **fields}


def document(*statements: dict, version: str | None = "2012-10-17") -> dict:
    doc: dict = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


def decide(*documents: dict, action: str = DELETE, resource: str = ARN, context: dict | None = None) -> Decision:
    return evaluate(parse_policies(documents), Request(action, resource, context or {}))


def holds(block: dict, context: dict, version: str | None = "2012-10-17") -> bool:
    """Whether the condition block is true for a request with ``context``."""
    return decide(document(statement(Condition=block), version=version), context=context).allowed


# --- deny, allow, implicit deny ---------------------------------------------------------------------------


def test_explicit_deny_beats_allow_in_the_same_policy():
    decision = decide(document(statement(Sid="Allow"), statement(Sid="Deny", Effect="Deny")))
    assert (decision.allowed, decision.effect, decision.policy, decision.statement, decision.sid) == \
        (False, "Deny", 0, 1, "Deny")


def test_explicit_deny_in_a_later_policy_beats_an_allow_in_an_earlier_one():
    decision = decide(document(statement(Sid="A")), document(statement(Effect="Deny", Resource=ARN)))
    assert (decision.allowed, decision.effect, decision.policy, decision.statement, decision.sid) == \
        (False, "Deny", 1, 0, None)


def test_the_first_matching_allow_decides():
    decision = decide(document(statement(Sid="Other", Action="s3:*")),
                      document(statement(Action="redshift:Describe*"), statement(Sid="Second"),
                               statement(Sid="Third")))
    assert (decision.allowed, decision.effect, decision.policy, decision.statement, decision.sid) == \
        (True, "Allow", 1, 1, "Second")


def test_a_deny_whose_condition_is_false_does_not_deny():
    decision = decide(document(statement(), statement(Effect="Deny", Condition={
        "StringEquals": {"aws:ResourceTag/keep": "true"}})), context={"aws:ResourceTag/keep": "false"})
    assert (decision.allowed, decision.statement) == (True, 0)


@pytest.mark.parametrize("documents", [
    (),
    (document(statement(Action="s3:*")),),
    (document(statement(Effect="Deny", Action="s3:*")),),
    (document(statement(Resource="arn:aws:redshift:us-east-1:123456789012:snapshot:dev/*")),),
], ids=["no policies", "other service", "unrelated deny", "other resource"])
def test_no_matching_allow_is_an_implicit_deny(documents):
    decision = decide(*documents)
    assert (decision.allowed, decision.effect, decision.policy, decision.statement, decision.sid) == \
        (False, None, None, None, None)


def test_statement_may_be_a_single_object():
    decision = decide({"Version": "2012-10-17", "Statement": statement(Sid="Only")})
    assert (decision.allowed, decision.statement, decision.sid) == (True, 0, "Only")


def test_policy_may_be_json_text():
    policy = parse_policy(json.dumps(document(statement(Sid="FromText"))))
    assert evaluate([policy], Request(DELETE, ARN)).sid == "FromText"


@pytest.mark.parametrize(("documents", "line"), [
    ((document(statement(Sid="Cleanup")),),
     f'allowed: {DELETE} on {ARN}, by policy 0, statement 0 (Sid "Cleanup")'),
    ((document(statement(Action="s3:*")), document(statement())),
     f"allowed: {DELETE} on {ARN}, by policy 1, statement 0"),
    ((document(statement(), statement(Effect="Deny", Sid="Keep")),),
     f'denied: {DELETE} on {ARN}, by an explicit Deny in policy 0, statement 1 (Sid "Keep")'),
    ((), f"denied: no statement allows {DELETE} on {ARN} (implicit deny)"),
])
def test_describe_says_what_decided_in_one_line(documents, line):
    assert decide(*documents).describe() == line


def test_decision_repeats_the_request():
    decision = decide(document(statement()), action="REDSHIFT:deleteClusterSnapshot")
    assert (decision.action, decision.resource) == ("REDSHIFT:deleteClusterSnapshot", ARN)


# --- Action and NotAction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("redshift:DeleteClusterSnapshot", DELETE, True),
    ("REDSHIFT:deleteclustersnapshot", DELETE, True),
    ("redshift:DeleteClusterSnapshot", "Redshift:DELETECLUSTERSNAPSHOT", True),
    ("*", DELETE, True),
    ("redshift:*", DELETE, True),
    ("redshift:Delete*", DELETE, True),
    ("redshift:delete*", DELETE, True),
    ("redshift:*Snapshot", DELETE, True),
    ("redshift:*Snapshots", DELETE, False),
    ("redshift:Delete*", "redshift:DescribeClusters", False),
    ("redshift:DeleteClusterSnapsho?", DELETE, True),
    ("redshift:Delete??usterSnapshot", DELETE, True),
    ("redshift:DeleteClusterSnapshot?", DELETE, False),
    ("redshift:DeleteClusterSnapsh?", DELETE, False),
    ("redshift:DeleteCluster", DELETE, False),
    ("redshift:Delete.*", DELETE, False),
    ("redshift-serverless:*", DELETE, False),
    ("s3:*", DELETE, False),
    (["s3:GetObject", "redshift:Delete*"], DELETE, True),
])
def test_action(pattern, action, expected):
    assert decide(document(statement(Action=pattern)), action=action).allowed is expected


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("iam:*", DELETE, True),
    ("redshift:Delete*", DELETE, False),
    ("REDSHIFT:describe*", "redshift:DescribeClusters", False),
    (["s3:*", "redshift:Create*"], DELETE, True),
    (["s3:*", "redshift:*Snapshot"], DELETE, False),
    ("*", DELETE, False),
])
def test_not_action_matches_every_action_it_does_not_list(pattern, action, expected):
    policy = document({"Effect": "Allow", "NotAction": pattern, "Resource": "*"})
    assert decide(policy, action=action).allowed is expected


def test_not_action_with_deny_denies_what_it_does_not_list():
    policies = (document(statement(Action="*")), document({"Effect": "Deny", "NotAction": "redshift:Describe*",
                                                           "Resource": "*"}))
    assert decide(*policies).effect == "Deny"
    assert decide(*policies, action="redshift:DescribeClusters").effect == "Allow"


# --- Resource and NotResource -----------------------------------------------------------------------------

S3_DOC_PATTERN = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*"


@pytest.mark.parametrize(("pattern", "resource", "expected"), [
    ("*", ARN, True),
    ("*", "*", True),
    (ARN, ARN, True),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:Prod/nightly-1", ARN, False),
    (f"arn:aws:redshift:US-EAST-1:{ACCOUNT}:snapshot:prod/nightly-1", ARN, False),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod/*", ARN, True),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*/nightly-1", ARN, True),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod/*", f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*/x",
     False),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*", ARN, True),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:*", ARN, True),
    ("arn:aws:redshift:*:*:*", ARN, True),
    (f"arn:aws:redshift:*:{ACCOUNT}:snapshot:prod/*", ARN, True),
    (f"arn:aws:redshift:us-*:{ACCOUNT}:snapshot:prod/*", ARN, True),
    ("arn:aws:redshift:*:snapshot:prod/nightly-1", ARN, False),
    (f"arn:aws:redshift:us-east-?:{ACCOUNT}:snapshot:prod/nightly-1", ARN, True),
    (f"arn:aws:redshift:us-east-??:{ACCOUNT}:snapshot:prod/nightly-1", ARN, False),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod?nightly-?", ARN, True),
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:cluster:prod", ARN, False),
    ("arn:aws:redshift:us-east-1:210987654321:snapshot:prod/*", ARN, False),
    ("arn:*:redshift:*:*:snapshot:*", ARN, True),
    (ARN, "*", False),
    ("arn:aws:redshift:*:*:*", "*", False),
    (["arn:aws:s3:::bucket", ARN], ARN, True),
    # The IAM User Guide's example for wildcards within the resource part ("Resource" page).
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/test/object.jpg", True),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg", True),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1///test///object.jpg", True),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET//test/object.jpg", True),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/test/", True),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1-test/object.jpg", False),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/test/object.jpg", False),
    (S3_DOC_PATTERN, "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1/2/test.jpg", False),
])
def test_resource(pattern, resource, expected):
    assert decide(document(statement(Resource=pattern)), resource=resource).allowed is expected


@pytest.mark.parametrize(("pattern", "resource", "expected"), [
    (ARN, ARN, False),
    ("arn:aws:redshift:*:*:snapshot:prod/*", ARN, False),
    ("arn:aws:redshift:*:*:cluster:*", ARN, True),
    (ARN, "*", True),
    ("*", ARN, False),
    ("*", "*", False),
    (["arn:aws:redshift:*:*:cluster:*", "arn:aws:redshift:*:*:snapshot:*"], ARN, False),
])
def test_not_resource_matches_every_resource_it_does_not_list(pattern, resource, expected):
    policy = document({"Effect": "Allow", "Action": DELETE, "NotResource": pattern})
    assert decide(policy, resource=resource).allowed is expected


# --- conditions, operator by operator ---------------------------------------------------------------------

REGION = {"aws:RequestedRegion": "us-east-1"}
TAGGED = {"aws:ResourceTag/env": "prod"}
EPOCH = {"aws:EpochTime": 1000}
CLOCK = {"aws:CurrentTime": NOW}
HTTPS = {"aws:SecureTransport": True}
PLAIN = {"aws:SecureTransport": False}
IP = {"aws:SourceIp": "203.0.113.7"}
PRINCIPAL = {"aws:PrincipalArn": USER}
SE, SNE = "StringEquals", "StringNotEquals"


def _region(value: str) -> dict:
    return {"aws:RequestedRegion": value}


def _tags(*keys: str) -> dict:
    return {"aws:TagKeys": list(keys)}


CONDITIONS = [
    # String: case-sensitive exact values, no wildcards; several values OR; absent key false.
    ({SE: {"aws:RequestedRegion": "us-east-1"}}, REGION, True),
    ({SE: {"aws:RequestedRegion": "us-east-1"}}, _region("US-EAST-1"), False),
    ({SE: {"aws:RequestedRegion": "us-east-1"}}, _region("eu-west-1"), False),
    ({SE: {"aws:RequestedRegion": "us-east-1"}}, {}, False),
    ({SE: {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}, REGION, True),
    ({SE: {"aws:RequestedRegion": "us-*"}}, REGION, False),
    ({SE: {"aws:RequestedRegion": "us-*"}}, _region("us-*"), True),
    ({SE: {"aws:PrincipalAccount": 123456789012}}, {"aws:PrincipalAccount": ACCOUNT}, True),
    ({SE: {"aws:ResourceTag/keep": True}}, {"aws:ResourceTag/keep": "true"}, True),
    # Negated: true when no value matches (NOR), and when the key is absent.
    ({SNE: {"aws:RequestedRegion": "us-east-1"}}, REGION, False),
    ({SNE: {"aws:RequestedRegion": "us-east-1"}}, _region("eu-west-1"), True),
    ({SNE: {"aws:RequestedRegion": "us-east-1"}}, {}, True),
    ({SNE: {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, _region("eu-west-1"), False),
    ({SNE: {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, _region("ap-south-1"), True),
    ({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-East-1"}}, REGION, True),
    ({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}}, _region("eu-west-1"), False),
    ({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}}, {}, False),
    ({"StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}}, REGION, False),
    ({"StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}}, _region("eu-west-1"), True),
    ({"StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
    ({"StringLike": {"aws:RequestedRegion": "us-*"}}, REGION, True),
    ({"StringLike": {"aws:RequestedRegion": "us-*"}}, _region("eu-west-1"), False),
    ({"StringLike": {"aws:RequestedRegion": "US-*"}}, REGION, False),
    ({"StringLike": {"aws:RequestedRegion": "us-east-?"}}, REGION, True),
    ({"StringLike": {"aws:RequestedRegion": "us-east-??"}}, REGION, False),
    ({"StringLike": {"aws:RequestedRegion": "us-east-1"}}, REGION, True),
    ({"StringLike": {"aws:RequestedRegion": "us-*"}}, {}, False),
    ({"StringLike": {"aws:ResourceTag/path": "a*c"}}, {"aws:ResourceTag/path": "a/b:c"}, True),
    ({"StringLike": {"aws:ResourceTag/path": "*"}}, {"aws:ResourceTag/path": ""}, True),
    ({"StringNotLike": {"aws:RequestedRegion": "us-*"}}, REGION, False),
    ({"StringNotLike": {"aws:RequestedRegion": "us-*"}}, _region("eu-west-1"), True),
    ({"StringNotLike": {"aws:RequestedRegion": "us-*"}}, {}, True),
    # Condition key names are case-insensitive, the tag key part included; values are not.
    ({SE: {"aws:ResourceTag/env": "prod"}}, TAGGED, True),
    ({SE: {"aws:ResourceTag/Env": "prod"}}, TAGGED, True),
    ({SE: {"aws:ResourceTag/env": "prod"}}, {"aws:RESOURCETAG/ENV": "prod"}, True),
    ({SE: {"AWS:requestedREGION": "us-east-1"}}, REGION, True),
    ({SE: {"aws:ResourceTag/env": "prod"}}, {"aws:ResourceTag/env": "Prod"}, False),
    ({SE: {"aws:ResourceTag/env": "prod"}}, {"aws:ResourceTag/stage": "prod"}, False),
    ({SE: {"aws:ResourceTag/env": "prod"}}, {"aws:RequestTag/env": "prod"}, False),
    ({SE: {"aws:RequestTag/env": "prod"}}, {"aws:RequestTag/env": "prod"}, True),
    # Numeric, on aws:EpochTime.
    ({"NumericEquals": {"aws:EpochTime": 1000}}, EPOCH, True),
    ({"NumericEquals": {"aws:EpochTime": "1000"}}, EPOCH, True),
    ({"NumericEquals": {"aws:EpochTime": "1000.0"}}, EPOCH, True),
    ({"NumericEquals": {"aws:EpochTime": "999"}}, EPOCH, False),
    ({"NumericEquals": {"aws:EpochTime": "1000"}}, {}, False),
    ({"NumericNotEquals": {"aws:EpochTime": "1000"}}, EPOCH, False),
    ({"NumericNotEquals": {"aws:EpochTime": "999"}}, EPOCH, True),
    ({"NumericNotEquals": {"aws:EpochTime": "999"}}, {}, True),
    ({"NumericLessThan": {"aws:EpochTime": "1001"}}, EPOCH, True),
    ({"NumericLessThan": {"aws:EpochTime": "1000"}}, EPOCH, False),
    ({"NumericLessThan": {"aws:EpochTime": "1000.5"}}, EPOCH, True),
    ({"NumericLessThan": {"aws:EpochTime": "1001"}}, {}, False),
    ({"NumericLessThanEquals": {"aws:EpochTime": "1000"}}, EPOCH, True),
    ({"NumericLessThanEquals": {"aws:EpochTime": "999"}}, EPOCH, False),
    ({"NumericGreaterThan": {"aws:EpochTime": "999"}}, EPOCH, True),
    ({"NumericGreaterThan": {"aws:EpochTime": "1000"}}, EPOCH, False),
    ({"NumericGreaterThan": {"aws:EpochTime": "-1"}}, EPOCH, True),
    ({"NumericGreaterThanEquals": {"aws:EpochTime": "1000"}}, EPOCH, True),
    ({"NumericGreaterThanEquals": {"aws:EpochTime": "1001"}}, EPOCH, False),
    ({"NumericGreaterThanEquals": {"aws:EpochTime": "1"}}, {}, False),
    # Date, on aws:CurrentTime and on aws:EpochTime.
    ({"DateEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, True),
    ({"DateEquals": {"aws:CurrentTime": "2024-05-01T12:00:01Z"}}, CLOCK, False),
    ({"DateEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, {}, False),
    ({"DateNotEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, False),
    ({"DateNotEquals": {"aws:CurrentTime": "2024-05-01T12:00:01Z"}}, CLOCK, True),
    ({"DateNotEquals": {"aws:CurrentTime": "2024-05-01T12:00:01Z"}}, {}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2024-05-01T12:00:01Z"}}, CLOCK, True),
    ({"DateLessThan": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, False),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}, {}, False),
    ({"DateLessThanEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, True),
    ({"DateLessThanEquals": {"aws:CurrentTime": "2024-05-01T11:59:59Z"}}, CLOCK, False),
    ({"DateGreaterThan": {"aws:CurrentTime": "2024-05-01T11:59:59Z"}}, CLOCK, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, False),
    ({"DateGreaterThanEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, CLOCK, True),
    ({"DateGreaterThanEquals": {"aws:CurrentTime": "2024-05-01T12:00:00.001Z"}}, CLOCK, False),
    ({"DateEquals": {"aws:CurrentTime": "2024-05-01T12:00:00Z"}}, {"aws:CurrentTime": NOW.replace(tzinfo=None)},
     True),
    ({"DateEquals": {"aws:EpochTime": "2024-05-01T12:00:00Z"}}, {"aws:EpochTime": NOW_EPOCH}, True),
    ({"DateLessThan": {"aws:EpochTime": str(NOW_EPOCH + 1)}}, {"aws:EpochTime": NOW_EPOCH}, True),
    ({"DateLessThan": {"aws:EpochTime": str(NOW_EPOCH)}}, {"aws:EpochTime": NOW_EPOCH}, False),
    # Bool, on aws:SecureTransport; "true"/"false" in any case, or JSON booleans.
    ({"Bool": {"aws:SecureTransport": "true"}}, HTTPS, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, PLAIN, False),
    ({"Bool": {"aws:SecureTransport": "true"}}, {}, False),
    ({"Bool": {"aws:SecureTransport": "false"}}, PLAIN, True),
    ({"Bool": {"aws:SecureTransport": True}}, HTTPS, True),
    ({"Bool": {"aws:SecureTransport": False}}, HTTPS, False),
    ({"Bool": {"aws:SecureTransport": "TRUE"}}, HTTPS, True),
    # IP addresses, on aws:SourceIp; an address without a prefix is one address.
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, IP, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, IP, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.8"}, False),
    ({"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, {"aws:SourceIp": "2001:db8:1234:5678::1"}, True),
    ({"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, IP, False),
    ({"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/24"]}}, IP, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, IP, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # ARN operators, on aws:PrincipalArn: each of the six parts on its own; Equals is Like.
    ({"ArnEquals": {"aws:PrincipalArn": USER}}, PRINCIPAL, True),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, PRINCIPAL, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, PRINCIPAL, True),
    ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:*"}},
     {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/team/cleanup"}, True),
    ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{ACCOUNT}:user/cleanup"}}, PRINCIPAL, True),
    ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}, PRINCIPAL, False),
    ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/Cleanup"}}, PRINCIPAL, False),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, {}, False),
    ({"ArnNotEquals": {"aws:PrincipalArn": USER}}, PRINCIPAL, False),
    ({"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/other"}}, PRINCIPAL, True),
    ({"ArnNotEquals": {"aws:PrincipalArn": USER}}, {}, True),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, PRINCIPAL, True),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, PRINCIPAL, False),
    # The Condition operators page's example: a string match that is not an ARN match.
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"aws:PrincipalArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"},
     False),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"aws:PrincipalArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"},
     True),
    # Null: "true" means the key is absent; an empty aws:TagKeys is absent, an empty string is a value.
    ({"Null": {"aws:ResourceTag/env": "true"}}, {}, True),
    ({"Null": {"aws:ResourceTag/env": "true"}}, TAGGED, False),
    ({"Null": {"aws:ResourceTag/env": "false"}}, TAGGED, True),
    ({"Null": {"aws:ResourceTag/env": "false"}}, {}, False),
    ({"Null": {"aws:ResourceTag/env": True}}, {}, True),
    ({"Null": {"aws:ResourceTag/env": ["true", "false"]}}, TAGGED, True),
    ({"Null": {"aws:ResourceTag/env": "true"}}, {"aws:ResourceTag/env": ""}, False),
    ({"Null": {"aws:TagKeys": "true"}}, _tags(), True),
    ({"Null": {"aws:TagKeys": "false"}}, _tags("env"), True),
    # ...IfExists: true when the key is absent, else the operator's answer.
    ({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, REGION, True),
    ({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, _region("eu-west-1"), False),
    ({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
    ({"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, REGION, False),
    ({"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
    ({"StringLikeIfExists": {"aws:RequestedRegion": "eu-*"}}, {}, True),
    ({"StringLikeIfExists": {"aws:RequestedRegion": "eu-*"}}, REGION, False),
    ({"NumericLessThanIfExists": {"aws:EpochTime": "500"}}, {}, True),
    ({"NumericLessThanIfExists": {"aws:EpochTime": "500"}}, EPOCH, False),
    ({"DateGreaterThanIfExists": {"aws:CurrentTime": "2030-01-01"}}, {}, True),
    ({"DateGreaterThanIfExists": {"aws:CurrentTime": "2030-01-01"}}, CLOCK, False),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {"aws:MultiFactorAuthPresent": True}, False),
    ({"IpAddressIfExists": {"aws:SourceIp": "198.51.100.0/24"}}, {}, True),
    ({"IpAddressIfExists": {"aws:SourceIp": "198.51.100.0/24"}}, IP, False),
    ({"NotIpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    ({"ArnLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, {}, True),
    ({"ArnLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, PRINCIPAL, False),
    # ForAllValues: every request value matches some policy value; true when absent or empty.
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags("env"), True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags("env", "team"), True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags("env", "owner"), False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags(), True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {}, True),
    ({"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}}, _tags("team-a", "team-b"), True),
    ({"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}}, _tags("team-a", "x"), False),
    ({"ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": "Env"}}, _tags("ENV", "env"), True),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}, _tags("env", "team"), True),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}, _tags("env", "secret"), False),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}, {}, True),
    ({"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": "env"}}, {}, True),
    # ForAnyValue: some request value matches some policy value; false when absent or empty,
    # IfExists or not.
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags("env", "owner"), True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags("owner"), False),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}, _tags(), False),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {}, False),
    ({"ForAnyValue:StringLike": {"aws:TagKeys": "env*"}}, _tags("x", "environment"), True),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}}, _tags("env"), False),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}}, _tags("env", "x"), True),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}}, {}, False),
    ({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}, {}, False),
    ({"ForAnyValue:StringNotEqualsIfExists": {"aws:TagKeys": "env"}}, {}, False),
    # A set operator on a single-valued key treats its value as a set of one.
    ({"ForAnyValue:StringEquals": {"aws:RequestedRegion": "us-east-1"}}, REGION, True),
    ({"ForAllValues:StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, REGION, False),
    ({"ForAllValues:StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, {}, True),
    ({"ForAllValues:NumericLessThan": {"aws:EpochTime": "2000"}}, EPOCH, True),
    # Keys under one operator AND; operators AND; values of one key OR.
    ({SE: {"aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": ACCOUNT}},
     {**REGION, "aws:PrincipalAccount": ACCOUNT}, True),
    ({SE: {"aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": ACCOUNT}},
     {**REGION, "aws:PrincipalAccount": "210987654321"}, False),
    ({SE: {"aws:RequestedRegion": "us-east-1"}, "StringLike": {"aws:ResourceTag/env": "pro*"}},
     {**REGION, **TAGGED}, True),
    ({SE: {"aws:RequestedRegion": "us-east-1"}, "StringLike": {"aws:ResourceTag/env": "dev*"}},
     {**REGION, **TAGGED}, False),
    ({}, {}, True),
]


@pytest.mark.parametrize(("block", "context", "expected"), CONDITIONS,
                         ids=[f"{i}-{next(iter(block), 'empty')}" for i, (block, _, _) in enumerate(CONDITIONS)])
def test_condition(block, context, expected):
    assert holds(block, context) is expected


@pytest.mark.parametrize(("value", "when"), [
    ("2024-05-01", dt.datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024-05", dt.datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024-05-01T12:00Z", NOW),
    ("2024-05-01T12:00:00Z", NOW),
    ("2024-05-01T12:00:00.25Z", NOW + dt.timedelta(milliseconds=250)),
    ("2024-05-01T14:00:00+02:00", NOW),
    ("2024-05-01T07:00:00-05:00", NOW),
    ("1714564800", NOW),
    (1714564800, NOW),
    ("2024", dt.datetime(1970, 1, 1, 0, 33, 44, tzinfo=UTC)),  # digits alone are epoch seconds
])
def test_date_formats(value, when):
    assert holds({"DateEquals": {"aws:CurrentTime": value}}, {"aws:CurrentTime": when})
    assert not holds({"DateEquals": {"aws:CurrentTime": value}}, {"aws:CurrentTime": when + dt.timedelta(seconds=1)})


@pytest.mark.parametrize("value", [
    "2024-5-1", "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024/05/01", "May 1 2024", "-1", 1.5, True,
    "2024-02-30", "2024-05-01T25:00Z",
])
def test_date_formats_iam_does_not_accept_are_refused(value):
    with pytest.raises(PolicyError, match="is not a date IAM accepts"):
        parse_policy(document(statement(Condition={"DateEquals": {"aws:CurrentTime": value}})))


# --- policy variables -------------------------------------------------------------------------------------

OWN = f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:${{aws:username}}/*"


@pytest.mark.parametrize(("context", "expected"), [
    ({"aws:username": "prod"}, True),
    ({"aws:username": "dev"}, False),
    ({}, False),
])
def test_variable_in_resource(context, expected):
    assert decide(document(statement(Resource=OWN)), context=context).allowed is expected


def test_variable_without_a_value_matches_no_resource_so_not_resource_applies():
    policy = document({"Effect": "Allow", "Action": DELETE, "NotResource": OWN})
    assert decide(policy).allowed
    assert not decide(policy, context={"aws:username": "prod"}).allowed


OWNER = {"aws:ResourceTag/owner": "cleanup"}


@pytest.mark.parametrize(("block", "context", "expected"), [
    ({SE: {"aws:ResourceTag/owner": "${aws:username}"}}, {**OWNER, "aws:username": "cleanup"}, True),
    ({SE: {"aws:ResourceTag/owner": "${aws:username}"}}, {**OWNER, "aws:username": "other"}, False),
    ({SE: {"aws:ResourceTag/owner": "${aws:username}"}}, OWNER, False),
    ({SNE: {"aws:ResourceTag/owner": "${aws:username}"}}, OWNER, True),
    ({SNE: {"aws:ResourceTag/owner": "${aws:username}"}}, {**OWNER, "aws:username": "cleanup"}, False),
    ({SE: {"aws:ResourceTag/owner": "${AWS:UserName}"}}, {**OWNER, "aws:username": "cleanup"}, True),
    ({SE: {"aws:ResourceTag/owner": "${aws:username, 'cleanup'}"}}, OWNER, True),
    ({SE: {"aws:ResourceTag/owner": "${aws:username, 'cleanup'}"}}, {**OWNER, "aws:username": "alice"}, False),
    ({SE: {"aws:ResourceTag/owner": "team-${aws:ResourceTag/team}"}},
     {"aws:ResourceTag/owner": "team-data", "aws:ResourceTag/team": "data"}, True),
    ({"StringLike": {"aws:ResourceTag/owner": "${aws:username}*"}},
     {"aws:ResourceTag/owner": "abc", "aws:username": "a*"}, False),
    ({"StringLike": {"aws:ResourceTag/owner": "${aws:username}*"}},
     {"aws:ResourceTag/owner": "a*bc", "aws:username": "a*"}, True),
    ({"StringLike": {"aws:ResourceTag/owner": "${*}"}}, {"aws:ResourceTag/owner": "*"}, True),
    ({"StringLike": {"aws:ResourceTag/owner": "${*}"}}, {"aws:ResourceTag/owner": "x"}, False),
    ({"StringLike": {"aws:ResourceTag/owner": "a${?}"}}, {"aws:ResourceTag/owner": "a?"}, True),
    ({"StringLike": {"aws:ResourceTag/owner": "a${?}"}}, {"aws:ResourceTag/owner": "ab"}, False),
    ({SE: {"aws:ResourceTag/owner": "${$}{x}"}}, {"aws:ResourceTag/owner": "${x}"}, True),
    ({SE: {"aws:ResourceTag/created": "${aws:CurrentTime}"}},
     {"aws:ResourceTag/created": "2024-05-01T12:00:00Z", "aws:CurrentTime": NOW + dt.timedelta(milliseconds=5)},
     True),
    ({SE: {"aws:ResourceTag/at": "${aws:EpochTime}"}}, {"aws:ResourceTag/at": "1000", **EPOCH}, True),
    ({SE: {"aws:ResourceTag/tls": "${aws:SecureTransport}"}}, {"aws:ResourceTag/tls": "true", **HTTPS}, True),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}},
     {**PRINCIPAL, "aws:PrincipalAccount": ACCOUNT}, True),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}},
     {**PRINCIPAL, "aws:PrincipalAccount": "210987654321"}, False),
    ({"ArnLike": {"aws:PrincipalArn": "${aws:ResourceTag/admin}"}}, {**PRINCIPAL, "aws:ResourceTag/admin": USER},
     True),
])
def test_variable_in_condition(block, context, expected):
    assert holds(block, context) is expected


@pytest.mark.parametrize(("resource", "expected"), [
    (f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:*/nightly-1", True),
    (ARN, False),
])
def test_special_variables_are_literal_characters_in_resources(resource, expected):
    policy = document(statement(Resource=f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:${{*}}/nightly-1"))
    assert decide(policy, resource=resource).allowed is expected


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_without_version_2012_variables_are_literal_text(version):
    block = {SE: {"aws:ResourceTag/owner": "${aws:username}"}}
    assert holds(block, {"aws:ResourceTag/owner": "${aws:username}"}, version=version)
    assert not holds(block, {**OWNER, "aws:username": "cleanup"}, version=version)
    # What would be refused as a variable is text here.
    parse_policy(document(statement(Resource="arn:aws:redshift:${aws:TagKeys}:1:snapshot:${x"), version=version))


@pytest.mark.parametrize(("version", "expected"), [("2012-10-17", "2012-10-17"), ("2008-10-17", "2008-10-17"),
                                                   (None, "2008-10-17")])
def test_policy_version(version, expected):
    assert parse_policy(document(statement(), version=version)).version == expected


# --- refusals: what IAM refuses, and what this evaluator cannot decide exactly ----------------------------

P0 = "policy 0"
S0 = "policy 0, statement 0"
ARN_HINT = "write it as service:action, such as \"redshift:DeleteClusterSnapshot\" or \"redshift:Describe*\""
DATE_HINT = ('write a W3C ISO 8601 date such as "2024-05-01", "2024-05-01T12:00Z" or "2024-05-01T12:00:00.5+02:00", '
             'or epoch seconds such as "1714564800"')
SUPPORTED = ("aws:CurrentTime, aws:EpochTime, aws:MultiFactorAuthPresent, aws:PrincipalAccount, aws:PrincipalArn, "
             "aws:PrincipalType, aws:RequestedRegion, aws:RequestTag/<key>, aws:ResourceTag/<key>, "
             "aws:SecureTransport, aws:SourceIp, aws:TagKeys, aws:username")
VARIABLES = ("${aws:CurrentTime}, ${aws:EpochTime}, ${aws:MultiFactorAuthPresent}, ${aws:PrincipalAccount}, "
             "${aws:PrincipalArn}, ${aws:PrincipalType}, ${aws:RequestedRegion}, ${aws:RequestTag/<key>}, "
             "${aws:ResourceTag/<key>}, ${aws:SecureTransport}, ${aws:SourceIp}, ${aws:username}, and ${*}, ${?}, "
             "${$}")
STRING_OPERATORS = ("StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, "
                    "StringNotLike")


def cond(block: dict) -> dict:
    return document(statement(Condition=block))


REFUSALS = [
    # The document.
    ('{"Version": ', f"{P0}: not valid JSON (Expecting value: line 1 column 13 (char 12)); pass a dict, or the "
                    "policy's JSON text"),
    ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}',
     f'{P0}: a JSON object has the key "Effect" twice; IAM refuses repeated keys ("Individual elements must not '
     'contain multiple instances of the same key"); keep one'),
    ([], f'{P0}: a policy document is a JSON object with "Version" and "Statement", not a list'),
    ('"text"', f'{P0}: a policy document is a JSON object with "Version" and "Statement", not a string'),
    ({**document(statement()), "Id": "x"},
     f'{P0}: "Id" must not be in an identity-based policy (IAM JSON policy grammar); remove it'),
    ({"Version": "2012-10-17", "statement": [statement()]},
     f'{P0}: unknown element "statement"; an identity-based policy has "Version" and "Statement" (element names '
     'are case-sensitive: did you mean "Statement"?)'),
    ({"Version": "2012-10-17", "Statement": [statement()], "Comment": "x"},
     f'{P0}: unknown element "Comment"; an identity-based policy has "Version" and "Statement"'),
    ({"Version": "2012-10-18", "Statement": [statement()]},
     f'{P0}: Version must be "2012-10-17" or "2008-10-17", not "2012-10-18"; use "2012-10-17"'),
    ({"Version": 20121017, "Statement": [statement()]},
     f'{P0}: Version must be "2012-10-17" or "2008-10-17", not 20121017; use "2012-10-17"'),
    ({"Version": "2012-10-17"},
     f'{P0}: "Statement" is missing; add "Statement": [{{"Effect": ..., "Action": ..., "Resource": ...}}]'),
    ({"Version": "2012-10-17", "Statement": []},
     f'{P0}: "Statement" must be an object or a non-empty list of objects, not an empty list'),
    ({"Version": "2012-10-17", "Statement": "x"},
     f'{P0}: "Statement" must be an object or a non-empty list of objects, not a string'),
    # The statement.
    (document("x"), f"{S0}: a statement is a JSON object, not a string"),
    (document(statement(Sid=1)), f"{S0}: Sid must be a string, not a number"),
    (document(statement(Sid="my-sid")),
     f'{S0}: Sid "my-sid" may contain only A-Z, a-z and 0-9 (IAM: "Statement IDs (SID) must be alpha-numeric"); '
     "remove the other characters"),
    (document(statement(Sid="A"), statement(Sid="B"), statement(Sid="A")),
     f'{P0}, statement 2 (Sid "A"): Sid "A" is also the Sid of statement 0; IAM requires unique Sids ("Statement '
     'IDs (SID) in a single policy must be unique"); rename one'),
    (document(statement(Principal={"AWS": "*"})),
     f'{S0}: "Principal" must not be in an identity-based policy (IAM: "Policy document should not specify a '
     'principal."): the policy applies to the identity it is attached to; remove it'),
    (document(statement(NotPrincipal={"AWS": "*"})),
     f'{S0}: "NotPrincipal" must not be in an identity-based policy (IAM: "Policy document should not specify a '
     'principal."): the policy applies to the identity it is attached to; remove it'),
    (document(statement(Actions="x")),
     f'{S0}: unknown element "Actions"; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, '
     "and Condition"),
    (document(statement(effect="Allow")),
     f'{S0}: unknown element "effect"; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, '
     'and Condition (element names are case-sensitive: did you mean "Effect"?)'),
    (document({"Action": "*", "Resource": "*"}),
     f'{S0}: "Effect" is missing; add "Effect": "Allow" or "Effect": "Deny"'),
    (document(statement(Effect="allow")), f'{S0}: Effect must be "Allow" or "Deny" (case-sensitive), not "allow"'),
    (document(statement(Sid="Named", Effect="Permit")),
     f'{S0} (Sid "Named"): Effect must be "Allow" or "Deny" (case-sensitive), not "Permit"'),
    (document(statement(NotAction="s3:*")), f'{S0}: has both "Action" and "NotAction"; keep one'),
    (document({"Effect": "Allow", "Resource": "*"}),
     f'{S0}: has neither "Action" nor "NotAction" (IAM: "Policy statement must contain actions."); add "Action": '
     '"redshift:DeleteClusterSnapshot"'),
    (document({"Effect": "Allow", "Action": "*"}),
     f'{S0}: has neither "Resource" nor "NotResource" (IAM: "Policy statement must contain resources."); add '
     '"Resource": "*" or an ARN'),
    (document(statement(NotResource="*")), f'{S0}: has both "Resource" and "NotResource"; keep one'),
    (document(statement(Action=[])),
     f'{S0}: "Action" is an empty list (IAM: "Policy statement must contain actions."); list at least one'),
    (document({"Effect": "Allow", "Action": "*", "NotResource": []}),
     f'{S0}: "NotResource" is an empty list (IAM: "Policy statement must contain resources."); list at least one'),
    (document(statement(Action=5)), f'{S0}: "Action" must be a string or a list of strings, not a number'),
    (document(statement(Action=["s3:*", 5])), f'{S0}: "Action" must list strings, and 5 is a number'),
    (document(statement(Resource=None)), f'{S0}: "Resource" must be a string or a list of strings, not null'),
    # Actions.
    (document(statement(Action="DeleteClusterSnapshot")),
     f'{S0}: Action "DeleteClusterSnapshot" has no service prefix (IAM: "Actions/Conditions must be prefaced by a '
     f'vendor, e.g., iam, sdb, ec2, etc."); {ARN_HINT}'),
    (document(statement(Action="redshift:a:b")),
     f'{S0}: Action "redshift:a:b" has more than one colon (IAM: "Actions/Condition can contain only one colon."); '
     f"{ARN_HINT}"),
    (document({"Effect": "Allow", "NotAction": "*:Delete*", "Resource": "*"}),
     f'{S0}: NotAction "*:Delete*" has a wildcard in the service prefix (IAM: "Action vendors (e.g., aws, ec2, '
     f'etc.) must not contain wildcards"); {ARN_HINT}'),
    (document(statement(Action="redshift:Delete Snapshot")),
     f'{S0}: Action "redshift:Delete Snapshot" is not service:ActionName (letters, digits and - in the service; '
     f"letters, digits, _ . - and the wildcards * and ? in the name); {ARN_HINT}"),
    (document(statement(Action="redshift:")),
     f'{S0}: Action "redshift:" is not service:ActionName (letters, digits and - in the service; letters, digits, '
     f"_ . - and the wildcards * and ? in the name); {ARN_HINT}"),
    # Resources.
    (document(statement(Resource="my-snapshot")),
     f'{S0}: Resource "my-snapshot" must be an ARN or "*" (IAM: "Resource my-snapshot must be in ARN format or '
     '\\"*\\"."); write an ARN such as arn:aws:redshift:us-east-1:123456789012:snapshot:prod/*'),
    (document(statement(Resource="arn:aws:redshift")),
     f'{S0}: Resource "arn:aws:redshift" has 3 of the 6 colon-separated parts of an ARN '
     "(arn:partition:service:region:account:resource); write all six, using * for any"),
    (document({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:*:us-east-1:1:snapshot:*"}),
     f'{S0}: NotResource "arn:aws:*:us-east-1:1:snapshot:*" must name a service in its third part, without '
     "wildcards (IAM: \"You can't use a wildcard in the service segment\"), such as redshift"),
    (document(statement(Resource="arn:aws:redshift:us-east-1:${aws:PrincipalAccount}:snapshot:*")),
     f'{S0}: Resource "arn:aws:redshift:us-east-1:${{aws:PrincipalAccount}}:snapshot:*" has a policy variable '
     "before the fifth colon (IAM: \"You can't use a variable to replace parts of the ARN before the fifth "
     'colon"); write the value or * there'),
    (document(statement(Resource="arn:aws:redshift:us-east-1:1:snapshot:${aws:username/*")),
     f'{S0}: Resource "arn:aws:redshift:us-east-1:1:snapshot:${{aws:username/*" has a "${{" without a closing "}}"; '
     "close the policy variable, or write ${$} for a literal $"),
    # Conditions: operators.
    (document(statement(Condition=["x"])),
     f'{S0}: "Condition" must be an object such as {{"StringEquals": {{"aws:RequestedRegion": "us-east-1"}}}}, not '
     "a list"),
    (cond({"StringEquality": {"aws:RequestedRegion": "x"}}),
     f'{S0}, Condition "StringEquality": not an IAM condition operator (IAM: "Invalid Condition type : '
     "StringEquality\"); use an operator from IAM's \"Condition operators\" page, with an optional IfExists suffix "
     "and ForAnyValue: or ForAllValues: prefix"),
    (cond({"stringEquals": {"aws:RequestedRegion": "x"}}),
     f'{S0}, Condition "stringEquals": not an IAM condition operator (IAM: "Invalid Condition type : stringEquals"); '
     'names are case-sensitive: did you mean "StringEquals"?'),
    (cond({"forAnyValue:stringequalsIfExists": {"aws:TagKeys": "x"}}),
     f'{S0}, Condition "forAnyValue:stringequalsIfExists": not an IAM condition operator (IAM: "Invalid Condition '
     'type : forAnyValue:stringequalsIfExists"); names are case-sensitive: did you mean '
     '"ForAnyValue:StringEqualsIfExists"?'),
    (cond({"ForSomeValues:StringEquals": {"aws:TagKeys": "x"}}),
     f'{S0}, Condition "ForSomeValues:StringEquals": not an IAM condition operator (IAM: "Invalid Condition type : '
     "ForSomeValues:StringEquals\"); use an operator from IAM's \"Condition operators\" page, with an optional "
     "IfExists suffix and ForAnyValue: or ForAllValues: prefix"),
    (cond({"NullIfExists": {"aws:RequestedRegion": "true"}}),
     f'{S0}, Condition "NullIfExists": Null takes no IfExists suffix (IAM: "You can add IfExists to the end of any '
     'condition operator name except the Null condition"); use "Null"'),
    (cond({"ForAnyValue:Null": {"aws:TagKeys": "true"}}),
     f'{S0}, Condition "ForAnyValue:Null": Null takes no ForAnyValue:/ForAllValues: prefix: it tests whether the '
     'key is present; use "Null"'),
    (cond({1: {"aws:RequestedRegion": "x"}}), f"{S0}: condition operators are strings, not 1"),
    (cond({"StringEquals": {None: "x"}}), f'{S0}, Condition "StringEquals": condition keys are strings, not null'),
    (cond({"StringEquals": {}}),
     f'{S0}, Condition "StringEquals": must map condition keys to values, such as {{"aws:RequestedRegion": '
     '"us-east-1"}; got an empty object'),
    (cond({"StringEquals": ["x"]}),
     f'{S0}, Condition "StringEquals": must map condition keys to values, such as {{"aws:RequestedRegion": '
     '"us-east-1"}; got a list'),
    # Conditions: keys, and operators that do not work with them.
    (cond({"StringEquals": {"aws:SourceVpc": "x"}}),
     f'{S0}, Condition "StringEquals" "aws:SourceVpc": not a condition key this evaluator supports; it supports '
     f"{SUPPORTED}. Use one of these, or remove the condition"),
    (cond({"StringEquals": {"redshift:DbUser": "x"}}),
     f'{S0}, Condition "StringEquals" "redshift:DbUser": not a condition key this evaluator supports; it supports '
     f"{SUPPORTED}. Use one of these, or remove the condition"),
    (cond({"StringEquals": {"aws:ResourceTag/": "x"}}),
     f'{S0}, Condition "StringEquals" "aws:ResourceTag/": not a condition key this evaluator supports; it '
     f"supports {SUPPORTED}. Use one of these, or remove the condition"),
    (cond({"StringEquals": {"aws:CurrentTime": "x"}}),
     f'{S0}, Condition "StringEquals" "aws:CurrentTime": aws:CurrentTime works with Date operators (DateEquals, '
     "DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals), not StringEquals "
     "(AWS global condition context keys); use one of those"),
    (cond({"ArnLike": {"aws:ResourceTag/Owner": "arn:aws:s3:::b"}}),
     f'{S0}, Condition "ArnLike" "aws:ResourceTag/Owner": aws:ResourceTag/Owner works with String operators '
     f"({STRING_OPERATORS}), not ArnLike (AWS global condition context keys); use one of those"),
    (cond({"NumericEqualsIfExists": {"aws:CurrentTime": "1"}}),
     f'{S0}, Condition "NumericEqualsIfExists" "aws:CurrentTime": aws:CurrentTime works with Date operators '
     "(DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals), not "
     "NumericEquals (AWS global condition context keys); use one of those"),
    (cond({"Bool": {"aws:SourceIp": "true"}}),
     f'{S0}, Condition "Bool" "aws:SourceIp": aws:SourceIp works with IpAddress operators (IpAddress, '
     "NotIpAddress), not Bool (AWS global condition context keys); use one of those"),
    (cond({"BinaryEquals": {"aws:RequestedRegion": "QQ=="}}),
     f'{S0}, Condition "BinaryEquals" "aws:RequestedRegion": BinaryEquals compares binary values, and '
     "aws:RequestedRegion is not one (none of the supported keys is); use an operator for its type"),
    (cond({"StringEquals": {"aws:TagKeys": "x"}}),
     f'{S0}, Condition "StringEquals" "aws:TagKeys": aws:TagKeys is multivalued: use "ForAnyValue:StringEquals" or '
     '"ForAllValues:StringEquals" (AWS: "Multivalued context keys require a condition set operator")'),
    (cond({"StringLikeIfExists": {"aws:TagKeys": "x"}}),
     f'{S0}, Condition "StringLikeIfExists" "aws:TagKeys": aws:TagKeys is multivalued: use '
     '"ForAnyValue:StringLikeIfExists" or "ForAllValues:StringLikeIfExists" (AWS: "Multivalued context keys require '
     'a condition set operator")'),
    # Conditions: values.
    (cond({"StringEquals": {"aws:RequestedRegion": []}}),
     f'{S0}, Condition "StringEquals" "aws:RequestedRegion": the value list is empty; give at least one value'),
    (cond({"StringEquals": {"aws:RequestedRegion": None}}),
     f'{S0}, Condition "StringEquals" "aws:RequestedRegion": values must be strings, numbers or booleans, not null'),
    (cond({"StringEquals": {"aws:RequestedRegion": [["a"]]}}),
     f'{S0}, Condition "StringEquals" "aws:RequestedRegion": values must be strings, numbers or booleans, not a list'),
    (cond({"NumericLessThan": {"aws:EpochTime": "ten"}}),
     f'{S0}, Condition "NumericLessThan" "aws:EpochTime": "ten" is not a number; write an integer or decimal, such '
     'as "10" or 10'),
    (cond({"NumericLessThan": {"aws:EpochTime": "1e3"}}),
     f'{S0}, Condition "NumericLessThan" "aws:EpochTime": "1e3" is not a number; write an integer or decimal, such '
     'as "10" or 10'),
    (cond({"DateLessThan": {"aws:CurrentTime": "2024/01/01"}}),
     f'{S0}, Condition "DateLessThan" "aws:CurrentTime": "2024/01/01" is not a date IAM accepts; {DATE_HINT}'),
    (cond({"Bool": {"aws:SecureTransport": "yes"}}),
     f'{S0}, Condition "Bool" "aws:SecureTransport": "yes" is not a boolean; write "true" or "false"'),
    (cond({"Null": {"aws:SecureTransport": 1}}),
     f'{S0}, Condition "Null" "aws:SecureTransport": 1 is not a boolean; write "true" or "false"'),
    (cond({"IpAddress": {"aws:SourceIp": "300.1.1.1"}}),
     f'{S0}, Condition "IpAddress" "aws:SourceIp": "300.1.1.1" is not an IP address or CIDR range; write one such '
     'as "203.0.113.0/24" or "2001:DB8:1234:5678::/64"'),
    (cond({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}),
     f'{S0}, Condition "ArnLike" "aws:PrincipalArn": "arn:aws:iam::*" is not an ARN: ArnLike compares the six '
     "colon-separated parts of an ARN one by one, so it can never match; write all six "
     "(arn:partition:service:region:account:resource), using * for any"),
    # Conditions: policy variables.
    (cond({"NumericEquals": {"aws:EpochTime": "${aws:EpochTime}"}}),
     f'{S0}, Condition "NumericEquals" "aws:EpochTime": "${{aws:EpochTime}}": policy variables work only with String '
     "and Arn operators, not NumericEquals (IAM policy elements: Variables and tags); write the value"),
    (cond({"StringEquals": {"aws:RequestedRegion": "${aws:userid}"}}),
     f'{S0}, Condition "StringEquals" "aws:RequestedRegion": the policy variable "${{aws:userid}}" in value '
     f'"${{aws:userid}}" is not one this evaluator can resolve; it resolves {VARIABLES}'),
    (cond({"StringEquals": {"aws:RequestedRegion": "a-${aws:TagKeys}"}}),
     f'{S0}, Condition "StringEquals" "aws:RequestedRegion": the policy variable "${{aws:TagKeys}}" in value '
     '"a-${aws:TagKeys}" names a multivalued key, which cannot be a policy variable (IAM: "You can\'t use a '
     'multivalued condition key as a variable")'),
]


@pytest.mark.parametrize(("doc", "message"), REFUSALS, ids=[str(i) for i in range(len(REFUSALS))])
def test_refusal_names_the_problem_where_it_is_and_the_fix(doc, message):
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(doc, index=0)
    assert str(excinfo.value) == message


def test_refusal_carries_its_location():
    with pytest.raises(PolicyError) as excinfo:
        parse_policies([document(statement()), document(statement(), statement(Sid="Bad", Effect="allow"))])
    error = excinfo.value
    assert (error.policy, error.statement, error.sid) == (1, 1, "Bad")
    assert str(error).startswith('policy 1, statement 1 (Sid "Bad"): ')


def test_refusal_without_an_index_names_no_policy():
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(document(statement(Effect="allow")))
    assert str(excinfo.value) == 'statement 0: Effect must be "Allow" or "Deny" (case-sensitive), not "allow"'
    assert isinstance(excinfo.value, ValueError)


def test_empty_sids_may_repeat():
    policy = parse_policy(document(statement(Sid=""), statement(Sid="")))
    assert [s.sid for s in policy.statements] == [None, None]


# --- the request ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("context", "error", "message"), [
    ({"aws:SourceVpc": "vpc-1"}, ValueError,
     f"Request context key 'aws:SourceVpc' is not a condition key this evaluator knows; known keys: {SUPPORTED}"),
    ({"aws:ResourceTag/Env": "a", "aws:resourcetag/env": "b"}, ValueError,
     "Request context has 'aws:ResourceTag/Env' and 'aws:resourcetag/env', which IAM reads as one key (condition "
     "key names are case-insensitive); keep one"),
    ({"aws:TagKeys": [], "AWS:TagKeys": ["a"]}, ValueError,
     "Request context has 'aws:TagKeys' and 'AWS:TagKeys', which IAM reads as one key (condition key names are "
     "case-insensitive); keep one"),
    ({"aws:RequestedRegion": 1}, TypeError, "Request context 'aws:RequestedRegion' must be a str, got 1"),
    ({"aws:TagKeys": "env"}, TypeError, "Request context 'aws:TagKeys' must be a list of str, got 'env'"),
    ({"aws:TagKeys": ["env", 1]}, TypeError, "Request context 'aws:TagKeys' must be a list of str, got ['env', 1]"),
    ({"aws:CurrentTime": "2024-05-01"}, TypeError,
     "Request context 'aws:CurrentTime' must be a datetime, got '2024-05-01'"),
    ({"aws:EpochTime": True}, TypeError,
     "Request context 'aws:EpochTime' must be an int (seconds since 1970), got True"),
    ({"aws:SecureTransport": "true"}, TypeError, "Request context 'aws:SecureTransport' must be a bool, got 'true'"),
    ({"aws:SourceIp": "localhost"}, ValueError,
     "Request context 'aws:SourceIp' must be an IP address, got 'localhost'"),
])
def test_request_context_is_checked(context, error, message):
    with pytest.raises(error) as excinfo:
        Request(DELETE, ARN, context)
    assert str(excinfo.value) == message


def test_request_accepts_a_tuple_of_tag_keys():
    assert holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ("team", "env")})


# --- the parsed policy ------------------------------------------------------------------------------------


def test_statements_keep_their_index_sid_and_effect():
    policy = parse_policy(document(statement(Sid="A"), statement(Effect="Deny")))
    assert [(s.index, s.sid, s.effect) for s in policy.statements] == [(0, "A", "Allow"), (1, None, "Deny")]


@pytest.mark.parametrize(("statements", "action", "expected"), [
    ([statement(Action="redshift:Describe*")], "redshift:DescribeClusters", True),
    ([statement(Action="redshift:Describe*")], DELETE, False),
    ([statement(Action="s3:*"), statement(Action="REDSHIFT:delete*")], DELETE, True),
    ([{"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}], DELETE, True),
    ([{"Effect": "Deny", "NotAction": "redshift:*", "Resource": "*"}], DELETE, False),
])
def test_actions_could_match(statements, action, expected):
    assert parse_policy(document(*statements)).actions_could_match(action) is expected


MIXED = document(
    statement(Sid="DenyKeep", Effect="Deny", Action="redshift:Delete*",
              Resource=f"arn:aws:redshift:*:{ACCOUNT}:snapshot:*/keep-*"),
    statement(Sid="Describe", Action="redshift:Describe*"),
    {"Sid": "NotS3", "Effect": "Deny", "NotAction": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
    statement(Sid="Delete", Action=["redshift:DeleteClusterSnapshot", "redshift:CopyClusterSnapshot"]),
    statement(Sid="Tags", Action="redshift:*Tags", Resource=f"arn:aws:redshift:*:{ACCOUNT}:snapshot:prod/*"),
)


@pytest.mark.parametrize("action", [DELETE, "redshift:DescribeClusters", "redshift:CreateTags", "s3:GetObject",
                                    "REDSHIFT:COPYCLUSTERSNAPSHOT", "ec2:RunInstances"])
@pytest.mark.parametrize("resource", [ARN, f"arn:aws:redshift:us-east-1:{ACCOUNT}:snapshot:prod/keep-1", "*"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_for_action_decides_as_the_whole_policy(action, resource, region):
    policy = parse_policy(MIXED)
    narrowed = policy.for_action(action)
    request = Request(action, resource, {"aws:RequestedRegion": region})
    assert evaluate([narrowed], request) == evaluate([policy], request)
    assert all(s.matches_action(action) for s in narrowed.statements)
    assert [s.index for s in narrowed.statements] == sorted(s.index for s in narrowed.statements)


def test_a_prepared_context_is_the_same_request():
    prepared = PreparedContext({"aws:PrincipalArn": USER, "aws:CurrentTime": NOW})
    policy = document(statement(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/clean*"},
                                           "DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
                                           "StringEquals": {"aws:RequestedRegion": "us-east-1"}}))
    both = Request(DELETE, ARN, {"aws:RequestedRegion": "us-east-1"}, prepared)
    assert decide(policy, context={"aws:PrincipalArn": USER, "aws:CurrentTime": NOW,
                                   "aws:RequestedRegion": "us-east-1"}).allowed
    assert evaluate([parse_policy(policy)], both).allowed
    assert not evaluate([parse_policy(policy)], Request(DELETE, ARN, {}, prepared)).allowed
    with pytest.raises(ValueError, match="Request context and its prepared context both have 'aws:principalarn', "
                                         "which IAM reads as one key; keep one"):
        Request(DELETE, ARN, {"AWS:PrincipalArn": USER}, prepared)
    with pytest.raises(ValueError, match="is not a condition key this evaluator knows"):
        PreparedContext({"aws:Nope": "x"})


# --- wildcards against a reference matcher, exhaustively over small alphabets -----------------------------


def _reference(pattern: str, text: str, colons: bool = True) -> bool:
    """* is any run of characters, ? one character; without ``colons`` neither matches ':'."""
    if not pattern:
        return not text
    if pattern[0] == "*":
        return any(_reference(pattern[1:], text[i:], colons) for i in range(len(text) + 1)
                   if colons or ":" not in text[:i])
    if not text:
        return False
    if pattern[0] == "?":
        return (colons or text[0] != ":") and _reference(pattern[1:], text[1:], colons)
    return pattern[0] == text[0] and _reference(pattern[1:], text[1:], colons)


def _reference_arn(pattern: str, text: str) -> bool:
    patterns, texts = pattern.split(":", 5), text.split(":", 5)
    return len(patterns) == len(texts) == 6 and all(
        _reference(p, t, colons=(i == 5)) for i, (p, t) in enumerate(zip(patterns, texts, strict=True)))


def _words(alphabet: str, longest: int) -> list[str]:
    return ["".join(w) for n in range(longest + 1) for w in itertools.product(alphabet, repeat=n)]


def test_action_wildcards_match_like_the_reference():
    names = _words("ab", 4)
    for pattern in _words("ab*?", 4):
        if not pattern:
            continue
        policy = parse_policy(document(statement(Action=f"svc:{pattern}")))
        for name in names:
            expected = _reference(pattern, name)
            assert policy.actions_could_match(f"svc:{name}") is expected, (pattern, name)
            assert policy.actions_could_match(f"SVC:{name.upper()}") is expected, (pattern, name)


def test_string_like_matches_like_the_reference():
    texts = _words("a/:", 4)
    for pattern in _words("a/:*?", 3):
        policy = parse_policy(document(statement(Condition={"StringLike": {"aws:ResourceTag/x": pattern}})))
        for text in texts:
            request = Request(DELETE, ARN, {"aws:ResourceTag/x": text})
            assert evaluate([policy], request).allowed is _reference(pattern, text), (pattern, text)


def test_resource_wildcards_match_like_the_reference():
    texts = ["arn:aws:s:" + w for w in _words("a:/", 5) if w.count(":") >= 2]
    patterns = ["arn:aws:s:" + w for w in _words("a:*?", 5) if w.count(":") >= 2]
    for pattern in patterns:
        policy = parse_policy(document(statement(Resource=pattern)))
        for text in texts:
            assert evaluate([policy], Request(DELETE, text)).allowed is _reference_arn(pattern, text), (pattern, text)


# --- the Service Authorization Reference table ------------------------------------------------------------

OPERATIONS = ["AuthorizeSnapshotAccess", "BatchDeleteClusterSnapshots", "CopyClusterSnapshot", "CreateCluster",
              "CreateClusterSnapshot", "CreateTags", "DeleteCluster", "DeleteClusterSnapshot", "DeleteTags",
              "DescribeClusterSnapshots", "DescribeClusters", "DescribeEvents", "DescribeTags", "ModifyCluster",
              "ModifyClusterSnapshot", "RestoreFromClusterSnapshot", "RevokeSnapshotAccess"]


def test_table_covers_the_answered_operations_and_names_real_ones():
    model = botocore.session.Session().get_service_model("redshift")
    assert sorted(_iam_table.ACTIONS) == OPERATIONS
    for operation, entry in _iam_table.ACTIONS.items():
        assert operation in model.operation_names
        assert entry.action == f"redshift:{operation}"


@pytest.mark.parametrize(("operation", "resources", "keys"), [
    ("DeleteClusterSnapshot", [("snapshot", True)], ()),
    ("BatchDeleteClusterSnapshots", [("snapshot", True)], ()),
    ("CreateClusterSnapshot", [("snapshot", True)], ("aws:RequestTag/${TagKey}", "aws:TagKeys")),
    ("DeleteTags", [("cluster", False), ("snapshot", False)], ("aws:TagKeys",)),
    ("DescribeClusterSnapshots", [], ()),
    ("DescribeEvents", [], ()),
    ("DescribeClusters", [("cluster", False)], ()),
    ("RestoreFromClusterSnapshot", [("cluster", True), ("snapshot", True)], ("aws:TagKeys",)),
])
def test_table_entries(operation, resources, keys):
    entry = _iam_table.ACTIONS[operation]
    ours = [(r.name, r.required) for r in entry.resources if r.name in ("cluster", "snapshot")]
    assert (ours, entry.condition_keys) == (resources, keys)


def test_arns_of_the_one_home_are_what_policies_name():
    assert snapshot_arn("us-east-1", ACCOUNT, "prod", "nightly-1") == ARN
    policy = document(statement(Resource=f"arn:aws:redshift:*:{ACCOUNT}:snapshot:prod/*"))
    assert decide(policy, resource=snapshot_arn("us-east-1", ACCOUNT, "prod", "x")).allowed
    # A caller that does not name the cluster is authorized against cluster "*", which prod/* does not cover.
    assert not decide(policy, resource=snapshot_arn("us-east-1", ACCOUNT, "*", "x")).allowed
