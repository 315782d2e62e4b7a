"""Redshift ARNs: written and read in one place."""

from __future__ import annotations

import pytest

from redshift_intercept._arns import Arn, cluster_arn, parse_arn, snapshot_arn


def test_snapshot_and_cluster_arns_round_trip():
    snapshot = snapshot_arn("us-east-1", "123456789012", "prod", "nightly")
    cluster = cluster_arn("eu-west-1", "210987654321", "prod")

    assert snapshot == "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/nightly"
    assert cluster == "arn:aws:redshift:eu-west-1:210987654321:cluster:prod"
    assert parse_arn(snapshot) == Arn("snapshot", "us-east-1", "123456789012", "prod", "nightly")
    assert parse_arn(cluster) == Arn("cluster", "eu-west-1", "210987654321", "prod", None)


def test_an_automated_snapshot_id_keeps_its_colon():
    arn = snapshot_arn("us-east-1", "123456789012", "prod", "rs:prod-2024-05-01-03-00-00")
    assert parse_arn(arn).snapshot == "rs:prod-2024-05-01-03-00-00"


@pytest.mark.parametrize("text", [
    "", "not-an-arn", "arn:aws:redshift:us-east-1:123456789012:snapshot:no-slash",
    "arn:aws:s3:us-east-1:123456789012:snapshot:prod/s", "arn:aws-cn:redshift:us-east-1:1:cluster:c",
    "arn:aws:redshift:us-east-1:123456789012:parametergroup:default",
])
def test_anything_else_is_none(text):
    assert parse_arn(text) is None
