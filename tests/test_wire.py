"""The wire layer's fast paths against their plain equivalents: the two
renderer tiers write the same XML, timestamps and request ids keep their
formats, the HTTP response is botocore's own, and the parser is reused only
while the client's factory says the same thing."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections import OrderedDict

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.parsers import ResponseParserFactory
from botocore.serialize import create_serializer

from redshift_intercept import _hooks, _rules, _shapes, _wire
from redshift_intercept._records import new_snapshot

UTC = dt.timezone.utc
MODEL = botocore.session.get_session().get_service_model("redshift")
SNAPSHOT = MODEL.shape_for("Snapshot")


def both_tiers(shape, value) -> tuple[str, str]:
    """(what the public renderer writes, what the generic tier writes)."""
    fast, generic = [], []
    _shapes.renderer_for(shape)(value, fast)
    _shapes._compile_generic_structure(shape)(value, generic)
    return "".join(fast), "".join(generic)


def straight_line(shape, value) -> tuple[str, bool]:
    """What the straight-line code compiled for ``value``'s key order writes,
    and whether it handed the value to the generic tier."""
    generic = _shapes._compile_generic_structure(shape)
    handed = []

    def spy(value, out):
        handed.append(value)
        generic(value, out)

    out: list = []
    _shapes._compile_key_order(shape, tuple(value), spy)(value, out)
    return "".join(out), bool(handed)


def record(**changes) -> dict:
    return {**new_snapshot("123456789012", "us-east-1", {"SnapshotIdentifier": "snap"}), **changes}


@pytest.mark.parametrize(("changes", "generic"), [
    ({}, False),
    ({"Status": "deleted", "Tags": [{"Key": "k", "Value": "v"}, {"Key": "a&b", "Value": "<c>"}]}, False),
    ({"MasterUsername": "o'brien&co"}, True),  # a string that needs escaping: the generic tier writes it
    ({"DBName": "line\rbreak"}, True),
    ({"SnapshotIdentifier": "a>b"}, True),
    ({"KmsKeyId": None, "SourceRegion": None}, True),  # present but None: written as absent
    ({"Port": None}, True),
    ({"Encrypted": None, "Tags": None, "SnapshotRetentionStartTime": None}, True),
    ({"RestorableNodeTypes": ["ra3.xlplus", "dc2&large"]}, False),
    ({"RestorableNodeTypes": []}, False),
    ({"AccountsWithRestoreAccess": [{"AccountId": "444455556666"}, {"AccountAlias": "amazon-redshift-support"}]},
     False),
    ({"TotalBackupSizeInMegaBytes": -0.0, "BackupProgressInMegaBytes": float("nan"),
      "ActualIncrementalBackupSizeInMegaBytes": 1e-7, "CurrentBackupRateInMegaBytesPerSecond": 3}, False),
    ({"SnapshotCreateTime": dt.datetime(999, 1, 2, 3, 4, 5, 678900)}, True),  # naive: UTC, written generically
    ({"SnapshotCreateTime": dt.datetime(2024, 5, 1, 23, 59, 59, 999999,
                                        tzinfo=dt.timezone(dt.timedelta(hours=-7)))}, True),
    ({"SnapshotRetentionStartTime": dt.datetime(2024, 5, 1, 0, 0, tzinfo=UTC)}, False),  # not the create time
    ({"ClusterCreateTime": dt.datetime(1, 1, 1, tzinfo=UTC), "SnapshotCreateTime": dt.datetime(9999, 12, 31, 23, 59,
                                                                                               59, 999999, tzinfo=UTC)},
     False),
    ({"not-a-member": "ignored", "redshift_intercept:pending": {"at": None}}, False),
])
def test_both_renderer_tiers_write_the_same_xml(changes, generic):
    value = record(**changes)

    written, handed = straight_line(SNAPSHOT, value)

    assert handed is generic
    assert written == both_tiers(SNAPSHOT, value)[0] == both_tiers(SNAPSHOT, value)[1]
    assert "<SnapshotIdentifier>" in written and "None" not in written and "not-a-member" not in written


def test_the_fast_tier_follows_the_model_order_whatever_the_key_order():
    value = record()
    shuffled = dict(random.Random(7).sample(list(value.items()), len(value)))

    assert both_tiers(SNAPSHOT, shuffled)[0] == both_tiers(SNAPSHOT, value)[0]


def test_mappings_that_are_not_dicts_and_empty_dicts_render_too():
    value = record(Tags=[{"Key": "k", "Value": "v"}])

    assert both_tiers(SNAPSHOT, OrderedDict(value))[0] == both_tiers(SNAPSHOT, value)[0]
    assert both_tiers(SNAPSHOT, {}) == ("", "")


def test_a_shape_with_too_many_key_orders_falls_back_to_the_generic_tier(monkeypatch):
    compiled = []
    real = _shapes._compile_key_order
    monkeypatch.setattr(_shapes, "_compile_key_order", lambda *args: compiled.append(args[1]) or real(*args))
    render = _shapes._compile_structure(MODEL.shape_for("Tag"))  # a fresh one: the limit counts from zero
    for index in range(_shapes._KEY_ORDERS + 5):
        value = {**{f"extra{n}": n for n in range(index)}, "Key": f"k{index}", "Value": "v"}
        out: list = []
        render(value, out)
        assert "".join(out) == f"<Key>k{index}</Key><Value>v</Value>"

    assert len(compiled) == _shapes._KEY_ORDERS


def test_a_value_of_the_wrong_type_fails_the_same_way_in_both_tiers():
    value = record(ClusterIdentifier=42)
    with pytest.raises(TypeError):
        _shapes.renderer_for(SNAPSHOT)(value, [])
    with pytest.raises(TypeError):
        _shapes._compile_generic_structure(SNAPSHOT)(value, [])


def test_format_timestamp_matches_isoformat():
    rng = random.Random(11)
    zones = [UTC, None, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(dt.timedelta(hours=-12))]
    for _ in range(2000):
        when = dt.datetime(rng.randint(2, 9998), 1, 1) + dt.timedelta(
            days=rng.randint(0, 364), microseconds=rng.randint(0, 86_400_000_000 - 1))
        when = when.replace(tzinfo=rng.choice(zones))
        utc = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        expected = utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"

        assert _shapes.format_timestamp(when) == expected


def test_request_ids_are_random_version_4_uuids():
    ids = {_wire.new_request_id() for _ in range(5000)}

    assert len(ids) == 5000
    for text in ids:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", text)
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert {text[19] for text in ids} == set("89ab")


@pytest.fixture(params=["fast", "constructor"])
def http_response(request, monkeypatch):
    if request.param == "constructor":
        monkeypatch.setattr(_wire, "_HEADER_KEYS", None)
    return _wire.http_response


def test_the_fast_response_path_is_taken_on_this_botocore():
    assert _wire._HEADER_KEYS is not None


def test_http_response_is_botocores_response(http_response):
    response = http_response("http://127.0.0.1:9/", 404, "id-1", b"<x/>")

    assert type(response) is AWSResponse and type(response.headers) is HeadersDict
    assert response.url == "http://127.0.0.1:9/" and response.status_code == 404
    assert response.content == b"<x/>" and response.text == "<x/>"
    assert response.headers["X-Amzn-RequestId"] == "id-1"
    assert dict(response.headers) == {"x-amzn-requestid": "id-1", "content-type": "text/xml",
                                      "content-length": "4", "date": _wire.http_date()}
    response.headers["Content-Type"] = "application/xml"  # still a working case-insensitive dict
    assert response.headers["content-type"] == "application/xml" and len(response.headers) == 4
    assert "application/xml" not in dict(http_response("u", 200, "id-2", b"").headers).values()


def test_the_origin_reuses_a_parser_until_the_factory_changes():
    factory = ResponseParserFactory()
    current = [factory]
    origin = _hooks.Origin(None, lambda: current[0])

    first = origin.parser("query")
    assert origin.parser("query") is first
    assert origin.parser("json") is not first

    factory.set_parser_defaults(timestamp_parser=str)
    changed = origin.parser("query")
    assert changed is not first and changed._timestamp_parser is str
    assert origin.parser("query") is changed

    current[0] = ResponseParserFactory()
    assert origin.parser("query") is not changed


def test_the_origin_asks_a_factory_of_another_class_every_time():
    class Counting(ResponseParserFactory):
        made = 0

        def create_parser(self, protocol_name):
            Counting.made += 1
            return super().create_parser(protocol_name)

    origin = _hooks.Origin(None, Counting)
    origin.parser("query")
    origin.parser("query")

    assert Counting.made == 2


def example(shape, depth=0):
    """A value for every member of ``shape`` (lists of two), as a caller would pass it."""
    kind = shape.type_name
    if kind == "structure":
        return {name: example(member, depth + 1) for name, member in shape.members.items() if depth < 3}
    if kind == "list":
        return [example(shape.member, depth + 1) for _ in range(2)]
    return {"string": "v&<x>", "integer": 3, "long": 4, "boolean": True, "double": 1.5, "float": 2.5,
            "timestamp": dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)}[kind]


@pytest.mark.parametrize("operation", sorted(_rules.OPERATIONS))
def test_the_straight_line_request_decoder_matches_the_nested_one(operation):
    model = MODEL.operation_model(operation)
    params = example(model.input_shape)
    body = create_serializer("query").serialize_to_request(params, model)["body"]

    decoded = _shapes.decoder_for(model.input_shape)(body, "")
    nested = _shapes.decoder_for(model.input_shape)({f"X.{key}": value for key, value in body.items()}, "X")

    assert decoded == nested
    assert decoded == params
