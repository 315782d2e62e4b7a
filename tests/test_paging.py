"""Pagination: one order and one marker check for every listing."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from redshift_intercept._errors import ServiceError
from redshift_intercept._paging import Order, encode_marker, page_size, paginate

from .conftest import UTC, error_code

ITEMS = [{"name": n, "size": s} for n, s in [("c", 2.0), ("a", 1.0), ("d", 2.0), ("b", 3.0)]]
BY_NAME = Order(lambda i: (i["name"],), (str,))
BY_SIZE_DESC = Order(lambda i: (i["size"], i["name"]), ((int, float), str), (True, False))


def names(page):
    return [i["name"] for i in page]


def walk(items, order, size):
    pages, marker = [], None
    while True:
        page, marker = paginate(items, order, marker, size, "Test")
        pages.append(names(page))
        if marker is None:
            return pages


def test_pages_follow_the_order_and_end_without_a_marker():
    assert walk(ITEMS, BY_NAME, 3) == [["a", "b", "c"], ["d"]]
    assert walk(ITEMS, BY_SIZE_DESC, 2) == [["b", "c"], ["d", "a"]]
    assert walk([], BY_NAME, 3) == [[]]


def test_a_marker_survives_deletes_between_pages():
    page, marker = paginate(ITEMS, BY_NAME, None, 2, "Test")
    remaining = [i for i in ITEMS if i not in page]  # the caller deleted what it saw
    assert names(paginate(remaining, BY_NAME, marker, 2, "Test")[0]) == ["c", "d"]


def forged(parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


@pytest.mark.parametrize("marker", [
    "garbage!", forged([1]), forged(["a", "b"]), forged({"t": 1}), forged([[["deep"]]]),
    forged([{"t": "not a time"}]), encode_marker([dt.datetime(2024, 1, 1, tzinfo=UTC)]),
    forged([[]]), "W" * 10 + "=",
])
def test_a_marker_we_did_not_issue_is_invalid_parameter_value(marker):
    with pytest.raises(ServiceError) as excinfo:
        paginate([], BY_NAME, marker, 20, "Test")  # no item to compare with: checked all the same
    assert excinfo.value.code == "InvalidParameterValue"
    assert excinfo.value.message == f"Invalid Marker {marker!r}: pass the Marker of a previous Test response."


def test_a_deeply_nested_marker_is_refused_not_a_recursion_error():
    marker = base64.urlsafe_b64encode(b"[" * 100_000).decode()
    with pytest.raises(ServiceError, match="Invalid Marker"):
        paginate(ITEMS, BY_NAME, marker, 20, "Test")


@pytest.mark.parametrize(("params", "size"), [({}, 100), ({"MaxRecords": 20}, 20), ({"MaxRecords": 100}, 100)])
def test_page_size(params, size):
    assert page_size(params) == size


@pytest.mark.parametrize("size", [0, 19, 101])
def test_page_size_out_of_range(size):
    with pytest.raises(ServiceError, match=f"MaxRecords must be between 20 and 100; got {size}."):
        page_size({"MaxRecords": size})


def test_a_forged_describe_clusters_marker_is_refused_through_a_client(rs, client, prod):
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.describe_clusters(Marker=forged([1]))
    assert error_code(excinfo) == "InvalidParameterValue"
    assert excinfo.value.response["Error"]["Message"] == (
        f"Invalid Marker {forged([1])!r}: pass the Marker of a previous DescribeClusters response.")


@pytest.mark.parametrize("method", ["describe_clusters", "describe_cluster_snapshots", "describe_tags"])
@pytest.mark.parametrize("key", [[1], [[]], {"t": 1}, "x", [None, None, None], [[0] * 3]])
def test_forged_markers_of_every_listing_are_refused_through_a_client(rs, client, prod, method, key):
    rs.add_snapshot(SnapshotIdentifier="s", Tags={"k": "v"})
    for marker in (forged(key), base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode()):
        with pytest.raises(client.exceptions.ClientError) as excinfo:
            getattr(client, method)(Marker=marker)
        assert error_code(excinfo) == "InvalidParameterValue"
        assert excinfo.value.response["Error"]["Message"].startswith("Invalid Marker ")
    assert len(rs.calls) == 2 and {c.error_code for c in rs.calls} == {"InvalidParameterValue"}
