"""redshift_intercept.testing: the client every test (and benchmark) uses."""

import pytest
from botocore.exceptions import EndpointConnectionError

from redshift_intercept import intercept
from redshift_intercept.testing import CLOSED_ENDPOINT, make_client


def test_the_client_reaches_only_a_closed_port_once_and_without_retries():
    client = make_client()
    assert client.meta.endpoint_url == CLOSED_ENDPOINT == "http://127.0.0.1:9"
    assert client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
    with pytest.raises(EndpointConnectionError):  # nothing answers it: nothing escapes
        client.describe_cluster_snapshots()


def test_the_client_takes_an_access_key_a_region_and_an_endpoint():
    client = make_client("eu-west-1", access_key_id="AKIDEXAMPLE", endpoint_url="http://127.0.0.1:8")
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:8"
    assert client._request_signer._credentials.access_key == "AKIDEXAMPLE"
    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="s1", region="eu-west-1")
        assert [s["SnapshotIdentifier"] for s in client.describe_cluster_snapshots()["Snapshots"]] == ["s1"]


def test_no_endpoint_means_the_services_own():
    assert make_client(endpoint_url=None).meta.endpoint_url == "https://redshift.us-east-1.amazonaws.com"
