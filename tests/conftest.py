"""Shared test helpers. No test needs AWS credentials or the network: clients
get dummy keys and a closed loopback endpoint (``make_client``, the one
client factory, from the public ``redshift_intercept.testing``), so anything
that escaped our interception fails with EndpointConnectionError instead of
reaching AWS."""

from __future__ import annotations

import datetime as dt

import pytest

from redshift_intercept.testing import CLOSED_ENDPOINT, NO_RETRIES, make_client

__all__ = ["ARN", "CLOSED_ENDPOINT", "NO_RETRIES", "UTC", "error_code", "make_client"]

UTC = dt.timezone.utc
ARN = "arn:aws:redshift:us-east-1:123456789012:snapshot:{cluster}/{snapshot}"


def error_code(excinfo) -> str:
    """The Redshift error code of a ``pytest.raises`` ClientError."""
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def client():
    return make_client()


@pytest.fixture
def rs(redshift_intercept):
    """The plugin's fixture, under a short name."""
    return redshift_intercept


@pytest.fixture
def prod(rs):
    """A seeded cluster whose attributes differ from every snapshot default."""
    return rs.add_cluster(ClusterIdentifier="prod", NodeType="ra3.4xlarge", NumberOfNodes=4,
                          Encrypted=True, KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k",
                          ManualSnapshotRetentionPeriod=30)


# Property-based tests (tests/test_properties.py): a short run by default;
# --hypothesis-profile=thorough (or REDSHIFT_INTERCEPT_HYPOTHESIS=thorough)
# for thousands of examples. See the README's Reliability section.
try:
    import os

    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - the test extra installs it
    pass
else:
    _PROFILE = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                            HealthCheck.data_too_large]}
    settings.register_profile("ci", max_examples=20, **_PROFILE)
    settings.register_profile("thorough", max_examples=1000, **_PROFILE)
    settings.load_profile(os.environ.get("REDSHIFT_INTERCEPT_HYPOTHESIS", "ci"))


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def rs_both(request, tmp_path):
    """An active interceptor on a fresh MemoryBackend, then on a fresh SqliteBackend file,
    then in a fresh namespace on the test PostgreSQL server (skipped without one)."""
    from redshift_intercept import intercept
    from tests.postgres_support import fresh_backend

    backend = fresh_backend(request.param, tmp_path / "state.db")
    try:
        with intercept(backend=backend) as interceptor:
            yield interceptor
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


@pytest.fixture(scope="session")
def postgres_dsn():
    """The DSN of the test PostgreSQL server (tests/postgres_support.py): skips without one."""
    from tests.postgres_support import require_postgres

    return require_postgres()
