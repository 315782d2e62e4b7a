"""The HTTP door and IAM: the access key of a SigV4 request names the
identity, as it does for an in-process call, and the same core authorizes
it: AccessDenied, InvalidClientTokenId and the recorded decision are the
same over HTTP; ``redshift-intercept serve --identities`` loads them."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from redshift_intercept import intercept
from redshift_intercept.testing import NO_RETRIES

from .test_serve_command import served  # noqa: F401 (a fixture)

pytest.importorskip("uvicorn")

ME = "123456789012"
USER = f"arn:aws:iam::{ME}:user/cleanup"
PROD_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "redshift:DeleteClusterSnapshot",
     "Resource": f"arn:aws:redshift:us-east-1:{ME}:snapshot:prod/*"}]}


def http_client(url: str, key: str) -> object:
    return boto3.Session().client("redshift", region_name="us-east-1", endpoint_url=url, aws_access_key_id=key,
                                  aws_secret_access_key="testing", config=NO_RETRIES)


def test_an_http_call_is_made_by_the_identity_its_key_names():
    rs = intercept()  # not active: this process's clients go over HTTP
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    rs.add_identity("AKIDCLEANUP", arn=USER, policies=[PROD_ONLY])
    with rs.serve() as endpoint:
        client = http_client(endpoint.url, "AKIDCLEANUP")
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier="s")
        error = excinfo.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
        assert error["Error"]["Message"] == (
            f"User: {USER} is not authorized to perform: redshift:DeleteClusterSnapshot on resource: "
            f"arn:aws:redshift:us-east-1:{ME}:snapshot:*/s because no identity-based policy allows the "
            "redshift:DeleteClusterSnapshot action")
        assert client.delete_cluster_snapshot(SnapshotIdentifier="s", SnapshotClusterIdentifier="prod")
    assert [(c.access_key_id, c.principal, c.decision.allowed) for c in rs.calls] == [
        ("AKIDCLEANUP", USER, False), ("AKIDCLEANUP", USER, True)]
    assert rs.snapshots() == []


def test_strict_identities_over_http():
    rs = intercept(strict_identities=True)
    with rs.serve() as endpoint:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            http_client(endpoint.url, "AKIDNOBODY").describe_cluster_snapshots()
        assert excinfo.value.response["Error"]["Code"] == "InvalidClientTokenId"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        rs.add_identity("AKIDNOBODY", arn=USER)
        assert http_client(endpoint.url, "AKIDNOBODY").describe_cluster_snapshots()["Snapshots"] == []


def test_serve_loads_the_identities_file(served, tmp_path):  # noqa: F811
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"Snapshots": [{"SnapshotIdentifier": "s", "ClusterIdentifier": "prod"}]}))
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKIDCLEANUP": {"arn": USER, "policies": [PROD_ONLY]}}))
    server = served("--snapshots", seed, "--identities", identities, "--strict-identities")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("AKIDCLEANUP").delete_cluster_snapshot(SnapshotIdentifier="s")
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client("AKIDOTHER").delete_cluster_snapshot(SnapshotIdentifier="s", SnapshotClusterIdentifier="prod")
    assert excinfo.value.response["Error"]["Code"] == "InvalidClientTokenId"
    deleted = server.client("AKIDCLEANUP").delete_cluster_snapshot(SnapshotIdentifier="s",
                                                                  SnapshotClusterIdentifier="prod")
    assert deleted["Snapshot"]["Status"] == "deleted"
    assert server.stop().returncode == 0


def test_serve_refuses_a_bad_identities_file_before_listening(tmp_path, capsys):
    from redshift_intercept._cli import main

    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"AKID": {"arn": USER, "policies": [{"Version": "2012-10-17"}]}}))
    assert main(["serve", "--identities", str(identities)]) == 2
    assert capsys.readouterr().err == (
        f"redshift-intercept: identities file '{identities}': AKID: policies: policy 0: \"Statement\" is missing; "
        'add "Statement": [{"Effect": ..., "Action": ..., "Resource": ...}]\n')
