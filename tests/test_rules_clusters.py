"""DescribeClusters over seeded clusters, and what add_cluster accepts."""

from __future__ import annotations

import datetime as dt

import pytest


def test_describe_clusters(rs, client, prod):
    rs.add_cluster(ClusterIdentifier="analytics")
    clusters = client.describe_clusters()["Clusters"]
    assert [c["ClusterIdentifier"] for c in clusters] == ["analytics", "prod"]
    one = client.describe_clusters(ClusterIdentifier="prod")["Clusters"][0]
    assert one["ClusterStatus"] == "available" and one["NodeType"] == "ra3.4xlarge"
    assert one["Endpoint"]["Address"].startswith("prod.") and isinstance(one["ClusterCreateTime"], dt.datetime)
    assert one["PendingModifiedValues"] == {} and one["VpcSecurityGroups"] == []
    with pytest.raises(client.exceptions.ClusterNotFoundFault) as excinfo:
        client.describe_clusters(ClusterIdentifier="ghost")
    assert excinfo.value.response["Error"]["Message"] == "Cluster ghost not found."


def test_add_cluster_checks_its_fields(rs, prod):
    with pytest.raises(TypeError, match="add_cluster\\(\\) got an unknown field 'NodeCount'"):
        rs.add_cluster(ClusterIdentifier="x", NodeCount=2)
    with pytest.raises(TypeError, match="add_cluster\\(\\) missing required field 'ClusterIdentifier'"):
        rs.add_cluster()
    with pytest.raises(ValueError, match="ClusterStatus must be one of"):
        rs.add_cluster(ClusterIdentifier="x", ClusterStatus="sleepy")
    with pytest.raises(ValueError, match="ClusterIdentifier 'prod' already exists"):
        rs.add_cluster(ClusterIdentifier="prod")


def test_add_cluster_checks_tags_as_add_snapshot_does(rs):
    for tags, problem in [({"aws:owner": "x"}, "uses the reserved prefix 'aws:'"),
                          ({"": "x"}, "must be 1-128 characters"), ({"k": "v" * 257}, "must be 0-256 characters")]:
        with pytest.raises(ValueError, match=f"Tags: .*{problem}"):
            rs.add_cluster(ClusterIdentifier="tagged", Tags=tags)
        with pytest.raises(ValueError, match=f"Tags: .*{problem}"):
            rs.add_snapshot(SnapshotIdentifier="tagged", Tags=tags)
    assert rs.clusters() == [] and rs.snapshots() == []


# ---------------------------------------------------------------- CreateCluster, ModifyCluster, DeleteCluster
# (both backends from here on)

from redshift_intercept import UnhandledOperationError  # noqa: E402

PASSWORD = "Secret-123"


@pytest.fixture
def rsb(rs_both):
    return rs_both


def create(client, cluster_id="prod", **params):
    fields = {"ClusterIdentifier": cluster_id, "NodeType": "ra3.xlplus", "MasterUsername": "admin",
              "MasterUserPassword": PASSWORD, **params}
    return client.create_cluster(**{k: v for k, v in fields.items() if v is not None})["Cluster"]


def refused(client, call, code, message, **params):
    """The call is refused with ``code`` and exactly ``message``."""
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        call(**params)
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["Error"]["Message"] == message
    return excinfo.value


def test_create_cluster_answers_creating_with_aws_defaults(rsb, client):
    now = rsb.clock.now()
    cluster = create(client, "Prod", Tags=[{"Key": "team", "Value": "bi"}])

    assert cluster["ClusterIdentifier"] == "prod"  # Redshift keeps identifiers lowercase
    assert (cluster["ClusterStatus"], cluster["ClusterAvailabilityStatus"]) == ("creating", "Modifying")
    assert "Endpoint" not in cluster and cluster["PendingModifiedValues"] == {"MasterUserPassword": "****"}
    assert (cluster["NodeType"], cluster["NumberOfNodes"], cluster["DBName"], cluster["MasterUsername"]) == (
        "ra3.xlplus", 1, "dev", "admin")
    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["ManualSnapshotRetentionPeriod"]) == (1, -1)
    assert (cluster["Encrypted"], cluster["KmsKeyId"]) == (True, "AWS_OWNED_KMS_KEY")
    assert (cluster["AllowVersionUpgrade"], cluster["PubliclyAccessible"], cluster["ClusterVersion"]) == (
        True, False, "1.0")
    assert cluster["MaintenanceTrackName"] == "current" and cluster["MultiAZ"] == "Disabled"
    assert cluster["ClusterParameterGroups"][0]["ParameterGroupName"] == "default.redshift-2.0"
    assert cluster["Tags"] == [{"Key": "team", "Value": "bi"}]
    assert dt.timedelta(0) <= cluster["ClusterCreateTime"] - now < dt.timedelta(seconds=5)
    assert client.describe_clusters(ClusterIdentifier="Prod")["Clusters"][0]["ClusterStatus"] == "available"
    assert [c["ClusterIdentifier"] for c in rsb.clusters()] == ["prod"]


def test_create_cluster_takes_what_it_is_given(rsb, client):
    cluster = create(client, "analytics", NodeType="dc2.large", ClusterType="multi-node", NumberOfNodes=4,
                     DBName="warehouse", Port=6000, AutomatedSnapshotRetentionPeriod=0,
                     ManualSnapshotRetentionPeriod=30, AvailabilityZone="us-east-1c", KmsKeyId="arn:aws:kms:k",
                     VpcSecurityGroupIds=["sg-1"], ClusterSubnetGroupName="private", IamRoles=["arn:aws:iam::r"])
    assert (cluster["NumberOfNodes"], cluster["DBName"], cluster["AvailabilityZone"]) == (4, "warehouse", "us-east-1c")
    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["ManualSnapshotRetentionPeriod"]) == (0, 30)
    assert cluster["VpcSecurityGroups"] == [{"VpcSecurityGroupId": "sg-1", "Status": "active"}]
    assert cluster["ClusterSubnetGroupName"] == "private" and cluster["KmsKeyId"] == "arn:aws:kms:k"
    assert cluster["IamRoles"] == [{"IamRoleArn": "arn:aws:iam::r", "ApplyStatus": "in-sync"}]
    assert client.describe_clusters()["Clusters"][0]["Endpoint"]["Port"] == 6000
    managed = create(client, "managed", ManageMasterPassword=True, MasterUserPassword=None)
    assert managed["PendingModifiedValues"] == {}
    assert managed["MasterPasswordSecretArn"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                                                         "redshift!managed-admin-")
    client.create_cluster_snapshot(SnapshotIdentifier="of-analytics", ClusterIdentifier="analytics")
    snapshot = client.describe_cluster_snapshots(SnapshotIdentifier="of-analytics")["Snapshots"][0]
    assert (snapshot["NodeType"], snapshot["NumberOfNodes"], snapshot["Port"], snapshot["DBName"]) == (
        "dc2.large", 4, 6000, "warehouse")
    assert snapshot["ManualSnapshotRetentionPeriod"] == 30  # the cluster's default for new manual snapshots


NOT_AN_ID = ("Invalid cluster identifier '{}': it must contain from 1 to 63 alphanumeric characters or hyphens, "
             "start with a letter, and cannot end with a hyphen or contain two consecutive hyphens.")


@pytest.mark.parametrize(("params", "code", "message"), [
    ({"ClusterIdentifier": "1prod"}, "InvalidParameterValue", NOT_AN_ID.format("1prod")),
    ({"ClusterIdentifier": "prod-"}, "InvalidParameterValue", NOT_AN_ID.format("prod-")),
    ({"ClusterIdentifier": "pr--od"}, "InvalidParameterValue", NOT_AN_ID.format("pr--od")),
    ({"ClusterIdentifier": "p" * 64}, "InvalidParameterValue", NOT_AN_ID.format("p" * 64)),
    ({"ClusterIdentifier": "pro_d"}, "InvalidParameterValue", NOT_AN_ID.format("pro_d")),
    ({"NodeType": "ra3.huge"}, "InvalidParameterValue",
     "Invalid node type: ra3.huge. Valid node types are dc2.large, dc2.8xlarge, rg.large, rg.xlarge, rg.4xlarge, "
     "rg.12xlarge, ra3.large, ra3.xlplus, ra3.4xlarge, ra3.16xlarge."),
    ({"NodeType": "dc1.large"}, "NumberOfNodesQuotaExceeded",
     "You do not have access to node type dc1.large. Choose another node type"),
    ({"ClusterType": "triple-node"}, "InvalidParameterValue",
     "Invalid cluster type. Cluster type can be one of multi-node or single-node"),
    ({"ClusterType": "single-node", "NumberOfNodes": 1}, "InvalidParameterValue",
     "Number of nodes must be not be supplied for cluster type single-node."),
    ({"ClusterType": "multi-node"}, "InvalidParameterCombination",
     "Number of nodes for cluster type multi-node must be greater than or equal to 2"),
    ({"ClusterType": "multi-node", "NumberOfNodes": 1}, "InvalidParameterCombination",
     "Number of nodes for cluster type multi-node must be greater than or equal to 2"),
    ({"NumberOfNodes": 101}, "InvalidParameterValue",
     "Invalid NumberOfNodes 101: a cluster has from 1 to 100 nodes."),
    ({"NumberOfNodes": 0}, "InvalidParameterValue", "Invalid NumberOfNodes 0: a cluster has from 1 to 100 nodes."),
    ({"MasterUsername": "Admin"}, "InvalidParameterValue",
     "Invalid master user name 'Admin': it must start with a letter and contain only lowercase letters, numbers, "
     "underscore, plus sign, period (dot), at symbol (@), or hyphen."),
    ({"MasterUsername": "1admin"}, "InvalidParameterValue",
     "Invalid master user name '1admin': it must start with a letter and contain only lowercase letters, numbers, "
     "underscore, plus sign, period (dot), at symbol (@), or hyphen."),
    ({"MasterUsername": "ad:min"}, "InvalidParameterValue",
     "Invalid master user name 'ad:min': it must not contain a colon (:) or a slash (/)."),
    ({"MasterUsername": "public"}, "InvalidParameterValue",
     "Invalid master user name 'public': it is a reserved word."),
    ({"MasterUsername": "user"}, "InvalidParameterValue", "Invalid master user name 'user': it is a reserved word."),
    ({"MasterUsername": "a" * 129}, "InvalidParameterValue",
     f"Invalid master user name '{'a' * 129}': it must be 1 to 128 characters."),
    ({"MasterUserPassword": "Short1"}, "InvalidParameterValue",
     "Invalid MasterUserPassword: it must be 8 to 64 characters long."),
    ({"MasterUserPassword": "nouppercase1"}, "InvalidParameterValue",
     "Invalid MasterUserPassword: it must contain at least one uppercase letter, one lowercase letter and one number."),
    ({"MasterUserPassword": "Secret@123"}, "InvalidParameterValue",
     "Invalid MasterUserPassword: it can use any printable ASCII character except ' (single quote), \" (double "
     "quote), \\, / and @."),
    ({"MasterUserPassword": None}, "InvalidParameterValue",
     "MasterUserPassword is required unless ManageMasterPassword is true."),
    ({"ManageMasterPassword": True}, "InvalidParameterCombination",
     "You can't use MasterUserPassword if ManageMasterPassword is true."),
    ({"MasterPasswordSecretKmsKeyId": "k"}, "InvalidParameterCombination",
     "You can only use MasterPasswordSecretKmsKeyId if ManageMasterPassword is true."),
    ({"DBName": "Dev"}, "InvalidParameterValue",
     "Invalid DBName 'Dev': it must contain 1 to 64 alphanumeric characters, only lowercase letters, and start "
     "with a letter."),
    ({"DBName": "select"}, "InvalidParameterValue", "Invalid DBName 'select': it is a reserved word."),
    ({"Port": 5500}, "InvalidParameterValue",
     "Invalid port 5500: for clusters with RG or RA3 nodes, select a port within the ranges 5431-5455 or 8191-8215."),
    ({"NodeType": "dc2.large", "Port": 1149}, "InvalidParameterValue",
     "Invalid port 1149: for clusters with DC2 nodes, select a port within the range 1150-65535."),
    ({"AutomatedSnapshotRetentionPeriod": 36}, "InvalidParameterValue",
     "Invalid AutomatedSnapshotRetentionPeriod 36: it must be a value from 0 to 35."),
    ({"AutomatedSnapshotRetentionPeriod": 0}, "InvalidParameterValue",
     "You can't disable automated snapshots for RG or RA3 node types: set the automated retention period from 1 to "
     "35 days."),
    ({"ManualSnapshotRetentionPeriod": 0}, "InvalidRetentionPeriodFault",
     "Invalid manual snapshot retention period 0: it must be -1 (retain indefinitely) or between 1 and 3653 days."),
    ({"ManualSnapshotRetentionPeriod": 3654}, "InvalidRetentionPeriodFault",
     "Invalid manual snapshot retention period 3654: it must be -1 (retain indefinitely) or between 1 and 3653 days."),
    ({"Encrypted": False}, "InvalidParameterValue",
     "Unencrypted clusters are not supported: Encrypted must be true (the default)."),
    ({"AvailabilityZone": "eu-west-1a"}, "InvalidParameterValue",
     "Invalid AvailabilityZone eu-west-1a: the Availability Zone must be in the same region as the endpoint "
     "(us-east-1)."),
    ({"SnapshotScheduleIdentifier": "nightly"}, "SnapshotScheduleNotFound", "Snapshot schedule nightly not found."),
    ({"Tags": [{"Key": "aws:x", "Value": "y"}]}, "InvalidTagFault", "Tag key 'aws:x' uses the reserved prefix 'aws:'."),
])
def test_create_cluster_checks_its_parameters_as_redshift_does(rsb, client, params, code, message):
    fields = {"ClusterIdentifier": "prod", "NodeType": "ra3.xlplus", "MasterUsername": "admin",
              "MasterUserPassword": PASSWORD, **params}
    refused(client, client.create_cluster, code, message, **{k: v for k, v in fields.items() if v is not None})
    assert rsb.clusters() == [] and rsb.events() == []


def test_create_cluster_refuses_a_taken_identifier_even_while_it_is_being_deleted(rsb, client):
    rsb.cluster_delay = 60
    create(client)
    refused(client, client.create_cluster, "ClusterAlreadyExists", "Cluster prod already exists.",
            ClusterIdentifier="PROD", NodeType="ra3.xlplus", MasterUsername="admin", MasterUserPassword=PASSWORD)
    rsb.clock.advance(seconds=61)
    client.delete_cluster(ClusterIdentifier="prod", SkipFinalClusterSnapshot=True)
    refused(client, client.create_cluster, "ClusterAlreadyExists", "Cluster prod already exists.",
            ClusterIdentifier="prod", NodeType="ra3.xlplus", MasterUsername="admin", MasterUserPassword=PASSWORD)
    rsb.clock.advance(seconds=61)
    assert create(client)["ClusterStatus"] == "creating"


def test_create_cluster_with_several_nodes_is_multi_node(rsb, client):
    assert create(client, NumberOfNodes=3)["NumberOfNodes"] == 3
    assert create(client, "single", ClusterType="single-node")["NumberOfNodes"] == 1


# ---------------------------------------------------------------- ModifyCluster


def test_modify_cluster_changes_the_retention_settings(rsb, client):
    create(client, AutomatedSnapshotRetentionPeriod=5)
    rsb.clock.advance(days=3)
    assert len([s for s in rsb.snapshots() if s["SnapshotType"] == "automated"]) == 10

    cluster = client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=1,
                                    ManualSnapshotRetentionPeriod=14)["Cluster"]

    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["ManualSnapshotRetentionPeriod"]) == (1, 14)
    assert (cluster["ClusterStatus"], cluster["PendingModifiedValues"]) == ("available", {})
    kept = [s for s in rsb.snapshots() if s["SnapshotType"] == "automated"]
    now = rsb.clock.now()
    assert len(kept) == 3 and all(now - s["SnapshotCreateTime"] < dt.timedelta(days=1) for s in kept)
    deleted = [e for e in rsb.events() if e["By"] == "ModifyCluster"]
    assert len(deleted) == 7 and {e["Action"] for e in deleted} == {"deleted"}
    client.create_cluster_snapshot(SnapshotIdentifier="after", ClusterIdentifier="prod")
    assert client.describe_cluster_snapshots(SnapshotIdentifier="after")["Snapshots"][0][
        "ManualSnapshotRetentionPeriod"] == 14


def test_turning_automated_snapshots_off_deletes_them_and_on_again_takes_one_at_once(rsb, client):
    create(client, NodeType="dc2.large", AutomatedSnapshotRetentionPeriod=2)
    rsb.clock.advance(days=1)
    client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=0)
    assert rsb.snapshots() == []
    rsb.clock.advance(days=2)
    assert rsb.snapshots() == []
    at = rsb.clock.now()
    client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=2)
    [first] = rsb.snapshots()
    assert first["SnapshotType"] == "automated" and dt.timedelta(0) <= first["SnapshotCreateTime"] - at < \
        dt.timedelta(seconds=5)


def test_modify_cluster_refusals(rsb, client):
    with pytest.raises(client.exceptions.ClusterNotFoundFault):
        client.modify_cluster(ClusterIdentifier="ghost", AutomatedSnapshotRetentionPeriod=2)
    create(client)
    refused(client, client.modify_cluster, "InvalidParameterValue",
            "Invalid AutomatedSnapshotRetentionPeriod 40: it must be a value from 0 to 35.",
            ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=40)
    refused(client, client.modify_cluster, "InvalidParameterValue",
            "You can't disable automated snapshots for RG or RA3 node types: set the automated retention period "
            "from 1 to 35 days.", ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=0)
    refused(client, client.modify_cluster, "InvalidRetentionPeriodFault",
            "Invalid manual snapshot retention period -2: it must be -1 (retain indefinitely) or between 1 and 3653 "
            "days.", ClusterIdentifier="prod", ManualSnapshotRetentionPeriod=-2)
    rsb.cluster_delay = 60
    create(client, "young")
    refused(client, client.modify_cluster, "InvalidClusterState",
            "The specified cluster is not in the available state: cluster young is creating.",
            ClusterIdentifier="young", AutomatedSnapshotRetentionPeriod=3)
    assert [c["AutomatedSnapshotRetentionPeriod"] for c in rsb.clusters()] == [1, 1]


def test_modify_cluster_beyond_its_retention_settings_is_refused_as_not_modelled(rsb, client):
    create(client)
    with pytest.raises(UnhandledOperationError) as excinfo:
        client.modify_cluster(ClusterIdentifier="prod", NodeType="ra3.4xlarge", NumberOfNodes=2,
                              AutomatedSnapshotRetentionPeriod=3)
    assert str(excinfo.value).startswith(
        "redshift-intercept does not answer this ModifyCluster call (client.modify_cluster()): only its retention "
        "settings (AutomatedSnapshotRetentionPeriod, ManualSnapshotRetentionPeriod) are modelled; this call also "
        "sets NodeType, NumberOfNodes. The call was refused and nothing was sent to AWS. Answered operations: ")
    assert rsb.clusters()[0]["AutomatedSnapshotRetentionPeriod"] == 1
    assert [c.operation for c in rsb.unhandled] == ["ModifyCluster"]
    rsb.unhandled.clear()


# ---------------------------------------------------------------- DeleteCluster


def test_delete_cluster_with_a_final_snapshot(rsb, client):
    rsb.cluster_delay = 120
    create(client, AutomatedSnapshotRetentionPeriod=3)
    rsb.clock.advance(seconds=121)
    client.create_cluster_snapshot(SnapshotIdentifier="kept", ClusterIdentifier="prod")
    rsb.clock.advance(days=1)
    assert len([s for s in rsb.snapshots() if s["SnapshotType"] == "automated"]) == 4

    cluster = client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final",
                                    FinalClusterSnapshotRetentionPeriod=30)["Cluster"]

    assert (cluster["ClusterStatus"], cluster["ClusterAvailabilityStatus"]) == ("final-snapshot", "Modifying")
    final = client.describe_cluster_snapshots(SnapshotIdentifier="prod-final")["Snapshots"][0]
    assert (final["Status"], final["SnapshotType"], final["ManualSnapshotRetentionPeriod"]) == (
        "final snapshot", "manual", 30)
    rsb.clock.advance(seconds=121)
    assert client.describe_clusters()["Clusters"][0]["ClusterStatus"] == "deleting"
    assert client.describe_cluster_snapshots(SnapshotIdentifier="prod-final")["Snapshots"][0]["Status"] == "available"
    assert len([s for s in rsb.snapshots() if s["SnapshotType"] == "automated"]) == 4  # until the cluster is gone
    with pytest.raises(client.exceptions.InvalidClusterStateFault):
        client.create_cluster_snapshot(SnapshotIdentifier="too-late", ClusterIdentifier="prod")
    rsb.clock.advance(seconds=121)
    with pytest.raises(client.exceptions.ClusterNotFoundFault):
        client.describe_clusters(ClusterIdentifier="prod")
    assert sorted(s["SnapshotIdentifier"] for s in rsb.snapshots()) == ["kept", "prod-final"]  # manual ones stay
    events = [(e.get("EventId"), e["Action"], e["By"]) for e in rsb.events()
              if e["SourceIdentifier"] in ("prod", "prod-final")]
    assert events[-4:] == [("REDSHIFT-EVENT-2000", "available", "Redshift"),
                           ("REDSHIFT-EVENT-2012", "started", "DeleteCluster"),
                           ("REDSHIFT-EVENT-3005", "completed", "Redshift"),
                           ("REDSHIFT-EVENT-2001", "deleted", "Redshift")]
    gone = [e for e in rsb.events() if e["Action"] == "deleted with cluster"]
    assert len(gone) == 4 and {e["By"] for e in gone} == {"Redshift"}


def test_delete_cluster_without_a_final_snapshot(rsb, client):
    rsb.add_cluster(ClusterIdentifier="prod")
    client.delete_cluster(ClusterIdentifier="prod", SkipFinalClusterSnapshot=True)
    client.get_waiter("cluster_deleted").wait(ClusterIdentifier="prod")
    [deleted] = [e for e in rsb.events() if e["SourceType"] == "cluster"]
    assert deleted["Message"].endswith("A final snapshot was not saved.")
    assert rsb.snapshots() == []


NEITHER = "FinalClusterSnapshotIdentifier is required unless SkipFinalClusterSnapshot is true."
BOTH = "FinalClusterSnapshotIdentifier must not be specified when SkipFinalClusterSnapshot is true."


@pytest.mark.parametrize(("params", "code", "message"), [
    ({}, "InvalidParameterCombination", NEITHER),
    ({"SkipFinalClusterSnapshot": False}, "InvalidParameterCombination", NEITHER),
    ({"SkipFinalClusterSnapshot": True, "FinalClusterSnapshotIdentifier": "f"}, "InvalidParameterCombination", BOTH),
    ({"FinalClusterSnapshotIdentifier": "f--inal"}, "InvalidParameterValue",
     "Invalid FinalClusterSnapshotIdentifier 'f--inal': it must contain from 1 to 255 alphanumeric characters or "
     "hyphens, start with a letter, and cannot end with a hyphen or contain two consecutive hyphens."),
    ({"FinalClusterSnapshotIdentifier": "f", "FinalClusterSnapshotRetentionPeriod": 0},
     "InvalidRetentionPeriodFault",
     "Invalid manual snapshot retention period 0: it must be -1 (retain indefinitely) or between 1 and 3653 days."),
    ({"ClusterIdentifier": "ghost", "SkipFinalClusterSnapshot": True}, "ClusterNotFound", "Cluster ghost not found."),
    ({"FinalClusterSnapshotIdentifier": "taken"}, "ClusterSnapshotAlreadyExists",
     "Cannot create the snapshot because a snapshot with the identifier taken already exists."),
])
def test_delete_cluster_refusals_change_nothing(rsb, client, params, code, message):
    rsb.add_cluster(ClusterIdentifier="prod")
    rsb.add_snapshot(SnapshotIdentifier="taken", ClusterIdentifier="prod")
    before = (rsb.clusters(), rsb.snapshots())
    refused(client, client.delete_cluster, code, message, **{"ClusterIdentifier": "prod", **params})
    assert (rsb.clusters(), rsb.snapshots()) == before


OPERATION_RUNNING = "There is an operation running on the Cluster. Please try to delete it at a later time."


def unable(cluster_id):
    return (f"Unable to delete the cluster {cluster_id}. You can only delete clusters with ACTIVE, "
            "INCOMPATIBLE_NETWORK, INCOMPATIBLE_HSM, INCOMPATIBLE_RESTORE, INSUFFICIENT_CAPACITY, or "
            "HARDWARE_FAILURE lifecycle.")


def test_delete_cluster_needs_a_deletable_state(rsb, client):
    for status in ("paused", "storage-full", "modifying", "resizing", "incompatible-network", "hardware-failure"):
        rsb.add_cluster(ClusterIdentifier=status, ClusterStatus=status)
    for status in ("paused", "storage-full"):
        refused(client, client.delete_cluster, "InvalidClusterState", unable(status), ClusterIdentifier=status,
                SkipFinalClusterSnapshot=True)
    for status in ("modifying", "resizing"):
        refused(client, client.delete_cluster, "InvalidClusterState", OPERATION_RUNNING, ClusterIdentifier=status,
                SkipFinalClusterSnapshot=True)
    for status in ("incompatible-network", "hardware-failure"):
        assert client.delete_cluster(ClusterIdentifier=status, SkipFinalClusterSnapshot=True)["Cluster"][
            "ClusterStatus"] == "deleting"
    rsb.cluster_delay = 60
    create(client, "young")
    refused(client, client.delete_cluster, "InvalidClusterState", OPERATION_RUNNING, ClusterIdentifier="young",
            SkipFinalClusterSnapshot=True)
    rsb.clock.advance(seconds=61)
    client.delete_cluster(ClusterIdentifier="young", SkipFinalClusterSnapshot=True)
    refused(client, client.delete_cluster, "InvalidClusterState", unable("young"), ClusterIdentifier="young",
            SkipFinalClusterSnapshot=True)
