"""Seeding from and dumping to describe_cluster_snapshots-shaped JSON."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from redshift_intercept import intercept

CLI_OUTPUT = {
    "Snapshots": [
        {
            "SnapshotIdentifier": "nightly-2024-05-01",
            "ClusterIdentifier": "prod",
            "SnapshotCreateTime": "2024-05-01T03:00:12.345000+00:00",
            "Status": "available",
            "Port": 5439,
            "AvailabilityZone": "us-east-1c",
            "ClusterCreateTime": "2023-01-10T10:00:00.000Z",
            "MasterUsername": "admin",
            "ClusterVersion": "1.0",
            "SnapshotType": "manual",
            "NodeType": "ra3.xlplus",
            "NumberOfNodes": 2,
            "DBName": "dev",
            "Encrypted": False,
            "EncryptedWithHSM": False,
            "AccountsWithRestoreAccess": [{"AccountId": "111122223333"}],
            "OwnerAccount": "123456789012",
            "TotalBackupSizeInMegaBytes": 1234.5,
            "Tags": [{"Key": "env", "Value": "prod + test @ é"}],
            "ManualSnapshotRetentionPeriod": -1,
            "SnapshotArn": "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/nightly-2024-05-01",
        },
        {"SnapshotIdentifier": "rs:prod-2024-05-02-03-00-00", "ClusterIdentifier": "prod",
         "SnapshotType": "automated", "SnapshotCreateTime": "2024-05-02T03:00:00Z"},
    ]
}


def test_load_real_output_then_dump_round_trips(tmp_path, client):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(CLI_OUTPUT))
    with intercept() as rs:
        loaded = rs.load_snapshots(seed)
        assert [r["SnapshotIdentifier"] for r in loaded] == ["nightly-2024-05-01", "rs:prod-2024-05-02-03-00-00"]
        snapshot = client.describe_cluster_snapshots(SnapshotIdentifier="nightly-2024-05-01")["Snapshots"][0]
        assert snapshot["SnapshotCreateTime"] == dt.datetime(2024, 5, 1, 3, 0, 12, 345000, tzinfo=dt.timezone.utc)
        assert snapshot["Tags"] == [{"Key": "env", "Value": "prod + test @ é"}]
        assert snapshot["AccountsWithRestoreAccess"] == [{"AccountId": "111122223333"}]
        assert snapshot["MasterUsername"] == "admin"
        out = tmp_path / "state.json"
        dumped = rs.dump_snapshots(out)
    on_disk = json.loads(out.read_text())
    assert on_disk == dumped
    assert on_disk["Snapshots"][0]["SnapshotCreateTime"] == "2024-05-01T03:00:12.345Z"
    with intercept() as again:
        again.load_snapshots(out)
        assert again.snapshots() == rs.snapshots()


def test_load_accepts_a_dict_or_an_open_file():
    rs = intercept()
    rs.load_snapshots({"Snapshots": [{"SnapshotIdentifier": "a"}]})
    rs.load_snapshots(io.StringIO(json.dumps({"Snapshots": [{"SnapshotIdentifier": "b"}]})), region="eu-west-1")
    assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["a"]
    assert [s["SnapshotIdentifier"] for s in rs.snapshots(region="eu-west-1")] == ["b"]
    buffer = io.StringIO()
    rs.dump_snapshots(buffer)
    assert json.loads(buffer.getvalue())["Snapshots"][0]["SnapshotIdentifier"] == "a"


@pytest.mark.parametrize(("content", "error", "message"), [
    ("{not json", ValueError, "is not valid JSON"),
    ('{"Clusters": []}', ValueError, 'source must hold {"Snapshots": [...]}'),
    ('{"Snapshots": ["x"]}', TypeError, "Snapshots[0] must be an object, got str"),
    ('{"Snapshots": [{"SnapshotIdentifier": "a"}, {"SnapshotIdentifier": "b", "Colour": 1}]}', TypeError,
     "Snapshots[1] (b): add_snapshot() got an unknown field 'Colour'"),
    ('{"Snapshots": [{"SnapshotIdentifier": "a", "Port": "x"}]}', TypeError, "Snapshots[0] (a): Port must be an int"),
    ('{"Snapshots": [{"SnapshotIdentifier": "a"}, {"SnapshotIdentifier": "a"}]}', ValueError,
     "SnapshotIdentifier 'a' already exists in account 123456789012, region us-east-1; nothing was loaded"),
])
def test_a_bad_file_loads_nothing(tmp_path, content, error, message):
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    rs = intercept()
    with pytest.raises(error) as excinfo:
        rs.load_snapshots(seed)
    assert message in str(excinfo.value)
    assert rs.snapshots() == []


def test_missing_file_and_bad_source_type(tmp_path):
    rs = intercept()
    with pytest.raises(FileNotFoundError, match=r"cannot read source '.*nope\.json'"):
        rs.load_snapshots(tmp_path / "nope.json")
    with pytest.raises(TypeError, match="source must be a path, an open file or a dict, got int"):
        rs.load_snapshots(3)


def test_dump_to_a_path_replaces_it_whole(tmp_path):
    out = tmp_path / "state.json"
    out.write_text("old content that is longer than the new one" * 100)
    rs = intercept()
    rs.add_snapshot(SnapshotIdentifier="s")
    rs.dump_snapshots(out)
    assert json.loads(out.read_text())["Snapshots"][0]["SnapshotIdentifier"] == "s"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_marker_names_a_seed_file(pytester):
    pytester.makefile(".json", seed=json.dumps(CLI_OUTPUT))
    pytester.makepyfile('''
        import pytest

        @pytest.mark.redshift_intercept(snapshots="seed.json")
        def test_seeded(redshift_intercept):
            assert len(redshift_intercept.snapshots()) == 2

        @pytest.mark.redshift_intercept(snapshots={"Snapshots": [{"SnapshotIdentifier": "inline"}]})
        def test_inline(redshift_intercept):
            assert redshift_intercept.snapshots()[0]["SnapshotIdentifier"] == "inline"

        @pytest.mark.redshift_intercept(snapshots="missing.json")
        def test_missing(redshift_intercept):
            pass
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*FileNotFoundError: cannot read source '*missing.json'*"])


# ---------------------------------------------------------------- seeds of seeded clusters

INHERITED = ("ClusterIdentifier", "NodeType", "NumberOfNodes", "RestorableNodeTypes", "Encrypted", "KmsKeyId",
             "Port", "DBName", "MasterUsername", "VpcId", "AvailabilityZone", "ClusterVersion",
             "MaintenanceTrackName", "EnhancedVpcRouting", "ClusterCreateTime", "ManualSnapshotRetentionPeriod")


def test_a_seeded_snapshot_of_a_seeded_cluster_takes_its_attributes_as_a_created_one_does(rs, client, prod):
    seeded = rs.add_snapshot(SnapshotIdentifier="seeded", ClusterIdentifier="prod")
    created = client.create_cluster_snapshot(SnapshotIdentifier="created", ClusterIdentifier="prod")["Snapshot"]
    described = client.describe_cluster_snapshots(SnapshotIdentifier="seeded")["Snapshots"][0]
    assert {k: described[k] for k in INHERITED} == {k: created[k] for k in INHERITED}
    assert (seeded["NodeType"], seeded["NumberOfNodes"], seeded["Encrypted"]) == ("ra3.4xlarge", 4, True)
    assert seeded["KmsKeyId"] == prod["KmsKeyId"] and seeded["ManualSnapshotRetentionPeriod"] == 30
    assert seeded["ClusterCreateTime"] == prod["ClusterCreateTime"]


def test_fields_given_explicitly_win_over_the_clusters(rs, prod):
    seeded = rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", NodeType="dc2.large",
                             ManualSnapshotRetentionPeriod=7, Port=5440)
    assert (seeded["NodeType"], seeded["RestorableNodeTypes"]) == ("dc2.large", ["dc2.large"])
    assert (seeded["ManualSnapshotRetentionPeriod"], seeded["Port"]) == (7, 5440)
    assert seeded["NumberOfNodes"] == 4 and seeded["VpcId"] == prod["VpcId"]  # not given: the cluster's


def test_an_automated_snapshot_takes_the_cluster_but_no_manual_retention(rs, prod):
    seeded = rs.add_snapshot(SnapshotIdentifier="rs:prod-2024-05-01-03-00-00", ClusterIdentifier="prod",
                             SnapshotType="automated")
    assert seeded["NodeType"] == "ra3.4xlarge" and "ManualSnapshotRetentionPeriod" not in seeded


def test_snapshots_of_other_clusters_accounts_and_regions_keep_the_defaults(rs, prod):
    defaults = ("ra3.xlplus", 2, False)
    other_cluster = rs.add_snapshot(SnapshotIdentifier="a", ClusterIdentifier="staging")
    other_region = rs.add_snapshot(SnapshotIdentifier="b", ClusterIdentifier="prod", region="eu-west-1")
    other_owner = rs.add_snapshot(SnapshotIdentifier="c", ClusterIdentifier="prod", OwnerAccount="444455556666")
    for record in (other_cluster, other_region, other_owner):
        assert (record["NodeType"], record["NumberOfNodes"], record["Encrypted"]) == defaults
        assert record["ManualSnapshotRetentionPeriod"] == -1


def test_loaded_snapshots_of_a_seeded_cluster_take_what_they_do_not_say(rs, prod):
    loaded = rs.load_snapshots({"Snapshots": [
        {"SnapshotIdentifier": "bare", "ClusterIdentifier": "prod"},
        {"SnapshotIdentifier": "full", "ClusterIdentifier": "prod", "NodeType": "ra3.xlplus", "NumberOfNodes": 2,
         "Encrypted": False},
        {"SnapshotIdentifier": "elsewhere", "ClusterIdentifier": "staging"},
    ]})
    bare, full, elsewhere = loaded
    assert (bare["NodeType"], bare["NumberOfNodes"], bare["KmsKeyId"]) == ("ra3.4xlarge", 4, prod["KmsKeyId"])
    assert (full["NodeType"], full["NumberOfNodes"], full["Encrypted"]) == ("ra3.xlplus", 2, False)
    # Encrypted=False given: the cluster's key is not inherited (a seed must be a state the API could reach).
    assert full["RestorableNodeTypes"] == ["ra3.xlplus"] and "KmsKeyId" not in full
    assert elsewhere["NodeType"] == "ra3.xlplus" and "KmsKeyId" not in elsewhere
