"""Shared test helpers. No test needs AWS credentials or the network: clients
get dummy keys and a closed loopback endpoint, so anything that escaped our
interception fails with EndpointConnectionError instead of reaching AWS."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

CLOSED_ENDPOINT = "http://127.0.0.1:9"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2)


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def make_client(region: str = "us-east-1", session=None, service: str = "redshift"):
    """A client that can only ever reach a closed port on this machine."""
    session = session or boto3.Session()
    return session.client(
        service,
        region_name=region,
        endpoint_url=CLOSED_ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES,
    )


@pytest.fixture
def client():
    return make_client()


@pytest.fixture
def rs(redshift_intercept):
    """The plugin's fixture, under a short name."""
    return redshift_intercept
