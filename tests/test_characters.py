"""Characters no reply can carry (XML 1.0 and UTF-8): never stored, never
echoed; a request holding one is InvalidParameterValue and is recorded."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from redshift_intercept import SqliteBackend, intercept
from redshift_intercept._characters import check_request, first_unsendable, printable
from redshift_intercept._errors import ServiceError

from .conftest import ARN, make_client

UNSENDABLE = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]
SENDABLE = ["\t", "\n", "\r", "\x7f", "\x85", "\ufffd", "\U0010ffff", "\u202e", "e\u0301", "]]>", "<&>"]


@pytest.mark.parametrize("char", UNSENDABLE)
def test_first_unsendable_finds_what_xml_and_utf8_cannot_carry(char):
    assert first_unsendable(f"ab{char}c") == char
    assert "\\u" in printable(char) and first_unsendable(printable(f"x{char}y")) is None


@pytest.mark.parametrize("text", SENDABLE)
def test_what_xml_can_carry_is_left_alone(text):
    assert first_unsendable(text) is None
    assert printable(text) == text


def test_check_request_names_the_parameter_at_any_depth():
    with pytest.raises(ServiceError) as excinfo:
        check_request({"Tags": [{"Key": "ok", "Value": "ok"}, {"Key": "ok", "Value": "bad\x01"}]})
    assert excinfo.value.code == "InvalidParameterValue"
    assert excinfo.value.message.startswith("The parameter Tags[1].Value contains the character U+0001, "
                                            "which is not allowed")
    check_request({"SnapshotIdentifier": "fine", "MaxRecords": 20, "Force": True, "TagKeys": ["a", "é"]})


S = "{bad}"
# Every answered operation, with a string parameter carrying the character.
CALLS = [
    ("delete_cluster_snapshot", {"SnapshotIdentifier": S}),
    ("delete_cluster_snapshot", {"SnapshotIdentifier": "keep", "SnapshotClusterIdentifier": S}),
    ("batch_delete_cluster_snapshots", {"Identifiers": [{"SnapshotIdentifier": "keep"}, {"SnapshotIdentifier": S}]}),
    ("describe_cluster_snapshots", {"SnapshotIdentifier": S}),
    ("describe_cluster_snapshots", {"TagKeys": [S]}),
    ("describe_cluster_snapshots", {"TagValues": ["x", S]}),
    ("describe_cluster_snapshots", {"Marker": S}),
    ("describe_cluster_snapshots", {"SortingEntities": [{"Attribute": "CREATE_TIME", "SortOrder": S}]}),
    ("describe_cluster_snapshots", {"OwnerAccount": S}),
    ("describe_clusters", {"ClusterIdentifier": S}),
    ("describe_clusters", {"Marker": S}),
    ("create_cluster_snapshot", {"SnapshotIdentifier": S, "ClusterIdentifier": "prod"}),
    ("create_cluster_snapshot", {"SnapshotIdentifier": "new", "ClusterIdentifier": "prod",
                                 "Tags": [{"Key": "k", "Value": S}]}),
    ("copy_cluster_snapshot", {"SourceSnapshotIdentifier": S, "TargetSnapshotIdentifier": "copy"}),
    ("authorize_snapshot_access", {"SnapshotIdentifier": "keep", "AccountWithRestoreAccess": S}),
    ("revoke_snapshot_access", {"SnapshotArn": S, "AccountWithRestoreAccess": "111122223333"}),
    ("modify_cluster_snapshot", {"SnapshotIdentifier": S, "ManualSnapshotRetentionPeriod": 7}),
    ("create_tags", {"ResourceName": S, "Tags": [{"Key": "k", "Value": "v"}]}),
    ("create_tags", {"ResourceName": ARN.format(cluster="prod", snapshot="keep"), "Tags": [{"Key": S, "Value": ""}]}),
    ("delete_tags", {"ResourceName": ARN.format(cluster="prod", snapshot="keep"), "TagKeys": [S]}),
    ("describe_tags", {"ResourceName": S}),
    ("describe_tags", {"ResourceType": S}),
]


def fill(value, bad):
    if isinstance(value, str):
        return value.replace(S, f"a{bad}b")
    if isinstance(value, list):
        return [fill(item, bad) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, bad) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def client():
    return make_client()


@pytest.mark.parametrize("bad", ["\x01", "\ufffe", "\ud800"], ids=["control", "noncharacter", "surrogate"])
@pytest.mark.parametrize(("method", "template"), CALLS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CALLS)])
def test_a_request_carrying_an_unsendable_character_is_refused_and_recorded(client, method, template, bad):
    with intercept() as rs:
        rs.add_cluster(ClusterIdentifier="prod")
        rs.add_snapshot(SnapshotIdentifier="keep", ClusterIdentifier="prod", Tags={"k": "v"})
        before = rs.snapshots()
        params = fill(template, bad)

        with pytest.raises(ClientError) as excinfo:
            getattr(client, method)(**params)

        error = excinfo.value.response["Error"]
        assert error["Code"] == "InvalidParameterValue"
        assert f"contains the character U+{ord(bad):04X}, which is not allowed" in error["Message"]
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert rs.snapshots() == before  # a refused call changes nothing
        call = rs.calls.assert_called_once()
        assert call.error_code == "InvalidParameterValue" and call.params == params


def test_xml_metacharacters_are_echoed_exactly(client):
    with intercept() as rs:
        name = "a<b]]>&amp;c\r\n\t\u202e e\u0301"
        with pytest.raises(client.exceptions.ClusterSnapshotNotFoundFault) as excinfo:
            client.delete_cluster_snapshot(SnapshotIdentifier=name)
        assert excinfo.value.response["Error"]["Message"] == f"Snapshot {name} not found."
        assert rs.calls.last.error_code == "ClusterSnapshotNotFound"


def test_a_refused_surrogate_is_journaled_and_read_back(client, tmp_path):
    with SqliteBackend(tmp_path / "state.db") as backend, intercept(backend=backend, journal=True) as rs:
        with pytest.raises(ClientError):
            client.delete_cluster_snapshot(SnapshotIdentifier="lone\ud800")
        [entry] = rs.journal()
        assert entry.params == {"SnapshotIdentifier": "lone\ud800"}
        assert entry.error_code == "InvalidParameterValue"


def test_an_injected_fault_cannot_carry_an_unsendable_character():
    rs = intercept()
    with pytest.raises(ValueError, match=r"message contains the character '\\x01', which no AWS response can carry"):
        rs.fail("DeleteClusterSnapshot", "Throttling", "slow\x01")
    with pytest.raises(ValueError, match="code contains the character"):
        rs.fail("DeleteClusterSnapshot", "Throttl\ud800ing")
    with pytest.raises(TypeError, match="message must be a str or None, got int"):
        rs.fail("DeleteClusterSnapshot", "Throttling", 5)  # type: ignore[arg-type]
    assert list(rs.faults) == []


def test_an_operation_we_do_not_answer_stays_unanswered_whatever_it_carries(client):
    from redshift_intercept import UnhandledOperationError

    with intercept() as rs, pytest.raises(UnhandledOperationError):
        client.reboot_cluster(ClusterIdentifier="a\x01")
    assert len(rs.calls) == 0 and rs.unhandled.assert_called_once().params == {"ClusterIdentifier": "a\x01"}
