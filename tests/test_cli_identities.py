"""The command line and IAM: ``--identities``, ``--as``, ``--strict-identities``
and ``--policy-out``, on the shipped example and on small programs."""

from __future__ import annotations

import json
import sys

import pytest

from .test_cli import EXAMPLES, cli, program

ME = "123456789012"
OTHER = "444455556666"
RUN_EXAMPLE = ("--", sys.executable, EXAMPLES / "retention_cleanup.py", "--days", "30", "--poll-seconds", "0")


def report_calls(stderr: str) -> list:
    return [(c["operation"], c["identifiers"], c["outcome"]) for c in json.loads(stderr)["calls"]]


def test_the_policy_a_run_needs_lets_the_same_run_pass_as_that_identity(tmp_path):
    policy_file = tmp_path / "policy.json"
    first = cli("run", "--snapshots", EXAMPLES / "seed.json", "--report", "json", "--policy-out", policy_file,
                *RUN_EXAMPLE)
    assert first.returncode == 0, first.stderr
    policy = json.loads(policy_file.read_text())
    actions = {s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]) for s in policy["Statement"]}
    assert actions == {"redshift:DescribeClusterSnapshots", "redshift:DeleteClusterSnapshot",
                       "redshift:RevokeSnapshotAccess"}

    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIACLEANUPEXAMPLE": {
        "arn": f"arn:aws:iam::{ME}:user/cleanup", "policies": [policy], "secret_access_key": "not-a-secret"}}))
    again_file = tmp_path / "again.json"
    second = cli("run", "--snapshots", EXAMPLES / "seed.json", "--report", "json", "--identities", identities,
                 "--as", "cleanup", "--strict-identities", "--policy-out", again_file, *RUN_EXAMPLE)
    assert second.returncode == 0, second.stderr
    assert sorted(report_calls(second.stderr)) == sorted(report_calls(first.stderr))
    assert json.loads(again_file.read_text()) == policy


def test_the_same_run_with_a_narrower_policy_is_refused_where_aws_would_refuse_it(tmp_path):
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "redshift:DescribeClusterSnapshots", "Resource": "*"},
        {"Effect": "Allow", "Action": ["redshift:DeleteClusterSnapshot", "redshift:RevokeSnapshotAccess"],
         "Resource": f"arn:aws:redshift:us-east-1:{ME}:snapshot:staging/*"}]}
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIACLEANUPEXAMPLE": {"arn": f"arn:aws:iam::{ME}:user/cleanup",
                                                             "policies": [narrow]}}))
    result = cli("run", "--snapshots", EXAMPLES / "seed.json", "--identities", identities, "--as",
                 "AKIACLEANUPEXAMPLE", *RUN_EXAMPLE)
    assert result.returncode == 1  # the program saw AccessDenied and said it failed
    assert "is not authorized to perform: redshift:DeleteClusterSnapshot on resource: " \
           f"arn:aws:redshift:us-east-1:{ME}:snapshot:prod/" in result.stdout
    assert "AccessDenied" in result.stderr


def test_as_gives_the_program_that_identitys_credentials_and_account(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"Snapshots": [
        {"SnapshotIdentifier": "ours"},
        {"SnapshotIdentifier": "theirs", "OwnerAccount": OTHER, "AccountsWithRestoreAccess": [ME]}]}))
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIAOTHEREXAMPLE": {"arn": f"arn:aws:sts::{OTHER}:assumed-role/bi/run",
                                                           "name": "bi", "secret_access_key": "s3cr3t"}}))
    code = program(tmp_path, """
        import os, boto3
        credentials = boto3.Session().get_credentials()
        print(credentials.access_key, credentials.secret_key, os.environ.get("AWS_SESSION_TOKEN"))
        snapshots = boto3.client("redshift").describe_cluster_snapshots()["Snapshots"]
        print([(s["SnapshotIdentifier"], s["OwnerAccount"], "AccountsWithRestoreAccess" in s) for s in snapshots])
    """)
    result = cli("run", "--snapshots", seed, "--identities", identities, "--as", "bi", "--",
                 sys.executable, code, AWS_SESSION_TOKEN="from-the-shell")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"AKIAOTHEREXAMPLE s3cr3t None\n[('theirs', '{OTHER}', True)]\n"


def test_strict_identities_refuse_the_programs_own_keys(tmp_path):
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIAKNOWN": {"arn": f"arn:aws:iam::{ME}:user/known"}}))
    code = program(tmp_path, """
        import boto3, botocore.exceptions
        try:
            boto3.client("redshift").describe_cluster_snapshots()
        except botocore.exceptions.ClientError as error:
            print(error.response["Error"]["Code"])
    """)
    result = cli("run", "--identities", identities, "--strict-identities", "--", sys.executable, code,
                 AWS_ACCESS_KEY_ID="AKIAUNKNOWN", AWS_SECRET_ACCESS_KEY="x")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "InvalidClientTokenId\n"


def test_no_call_no_policy_file(tmp_path):
    policy_file = tmp_path / "policy.json"
    result = cli("run", "--policy-out", policy_file, "--", sys.executable, "-c", "pass")
    assert result.returncode == 0
    assert f"redshift-intercept: no Redshift call was answered, so no policy is needed; {policy_file} was not " \
           "written\n" in result.stderr
    assert not policy_file.exists()


@pytest.mark.parametrize(("content", "extra", "message"), [
    ("[]", [], "identities file '{path}' must hold an object mapping access key ids to identities"),
    ('{"AKID": {"arn": "arn:aws:iam::123456789012:role/r"}}', [],
     "identities file '{path}': AKID: arn must be the ARN of the caller"),
    ('{"AKID": {"arn": "arn:aws:iam::123456789012:user/u", "policies": [{"Version": "2012-10-17", '
     '"Statement": [{"Effect": "Allow", "Resource": "*"}]}]}}', [],
     "identities file '{path}': AKID: policies: policy 0, statement 0: has neither \"Action\" nor \"NotAction\""),
    ('{"AKID": {"arn": "arn:aws:iam::123456789012:user/u"}}', ["--as", "nobody"],
     "--as: no identity has the access key id, name or ARN 'nobody'; identities: u (AKID)"),
    ("{nope", [], "identities file '{path}' is not valid JSON"),
])
def test_bad_identities_are_one_line_errors_before_the_program_runs(tmp_path, content, extra, message):
    path = tmp_path / "identities.json"
    path.write_text(content)
    result = cli("run", "--identities", path, *extra, "--", sys.executable, "-c", "print('ran')")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("redshift-intercept: " + message.format(path=path))
    assert result.stderr.count("\n") == 1


def test_as_needs_identities():
    result = cli("run", "--as", "cleanup", "--", sys.executable, "-c", "print('ran')")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "redshift-intercept: --as needs --identities: the file that says who NAME is\n"


def test_the_command_checks_identities_without_botocore_when_nothing_is_called(tmp_path):
    """issue 12: a run that seeds nothing and calls nothing costs no botocore
    in the command's process; an identities file (and --as) is checked
    there before the program runs, and needs none either."""
    from .test_cli import _parent_imports

    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIACLEANUPEXAMPLE": {"arn": f"arn:aws:iam::{ME}:user/cleanup",
                                                             "policies": [{"Version": "2012-10-17", "Statement": {
                                                                 "Effect": "Allow", "Action": "redshift:*",
                                                                 "Resource": "*"}}]}}))
    result, imported = _parent_imports(tmp_path, "run", "--identities", identities, "--as", "cleanup",
                                       "--strict-identities", "--", sys.executable, "-c", "pass")
    assert result.returncode == 0, result.stderr
    assert imported == []
