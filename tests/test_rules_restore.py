"""RestoreFromClusterSnapshot: own and shared snapshots, what the new cluster
takes, its restore status and events, every refusal, and the snapshot a
cluster deleted mid-restore keeps using. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import make_client

PARTNER = "444455556666"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"


@pytest.fixture
def rs(rs_both):
    return rs_both


@pytest.fixture
def source(rs):
    """A dc2 cluster with settings that differ from every default, and a manual snapshot of it."""
    rs.add_cluster(ClusterIdentifier="source", NodeType="dc2.large", NumberOfNodes=3, DBName="warehouse",
                   MasterUsername="etl", Endpoint={"Address": "x", "Port": 6000}, Encrypted=True, KmsKeyId=KEY,
                   AutomatedSnapshotRetentionPeriod=4, ManualSnapshotRetentionPeriod=90,
                   MaintenanceTrackName="trailing", AvailabilityZone="us-east-1b")
    make_client().create_cluster_snapshot(SnapshotIdentifier="nightly", ClusterIdentifier="source")
    return rs.snapshots()[0]


def refused(client, code, message, **params):
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.restore_from_cluster_snapshot(**params)
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["Error"]["Message"] == message
    return excinfo.value


def test_the_restored_cluster_takes_the_snapshots_attributes(rs, client, source):
    cluster = client.restore_from_cluster_snapshot(ClusterIdentifier="Copy", SnapshotIdentifier="NIGHTLY")["Cluster"]

    assert cluster["ClusterIdentifier"] == "copy"  # lowercased; the snapshot id "isn't case sensitive"
    assert (cluster["ClusterStatus"], cluster["RestoreStatus"]["Status"]) == ("creating", "starting")
    assert cluster["RestoreStatus"]["SnapshotSizeInMegaBytes"] == int(source["TotalBackupSizeInMegaBytes"])
    described = client.describe_clusters(ClusterIdentifier="copy")["Clusters"][0]
    assert (described["NodeType"], described["NumberOfNodes"], described["DBName"], described["MasterUsername"]) == (
        "dc2.large", 3, "warehouse", "etl")
    assert (described["Endpoint"]["Port"], described["Encrypted"], described["KmsKeyId"]) == (6000, True, KEY)
    assert (described["AvailabilityZone"], described["MaintenanceTrackName"], described["VpcId"]) == (
        "us-east-1b", "trailing", source["VpcId"])
    assert (described["AutomatedSnapshotRetentionPeriod"], described["ManualSnapshotRetentionPeriod"]) == (4, 90)
    assert described["ClusterStatus"] == "available" and described["RestoreStatus"]["Status"] == "completed"
    events = [(e["EventId"], e["By"]) for e in rs.events() if e["SourceIdentifier"] == "copy"]
    assert events == [("REDSHIFT-EVENT-2008", "RestoreFromClusterSnapshot"), ("REDSHIFT-EVENT-3003", "Redshift"),
                      ("REDSHIFT-EVENT-3537", "Redshift")]  # dc2 nodes: the data transfer event too
    # A cluster like any other: snapshots of it, and its own automated snapshots.
    client.create_cluster_snapshot(SnapshotIdentifier="of-copy", ClusterIdentifier="copy")
    assert client.describe_cluster_snapshots(ClusterIdentifier="copy", SnapshotType="automated")["Snapshots"]
    client.modify_cluster(ClusterIdentifier="copy", ManualSnapshotRetentionPeriod=5)


def test_restore_overrides(rs, client, source):
    cluster = client.restore_from_cluster_snapshot(
        ClusterIdentifier="bigger", SnapshotArn=source["SnapshotArn"], NodeType="dc2.8xlarge", NumberOfNodes=8,
        Port=7000, AvailabilityZone="us-east-1c", AutomatedSnapshotRetentionPeriod=0,
        ManualSnapshotRetentionPeriod=7)["Cluster"]
    assert (cluster["NodeType"], cluster["NumberOfNodes"], cluster["AvailabilityZone"]) == (
        "dc2.8xlarge", 8, "us-east-1c")
    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["ManualSnapshotRetentionPeriod"]) == (0, 7)
    assert client.describe_clusters(ClusterIdentifier="bigger")["Clusters"][0]["Endpoint"]["Port"] == 7000


def test_a_snapshot_shared_with_the_callers_account(rs, client):
    arn = rs.add_snapshot(SnapshotIdentifier="theirs", OwnerAccount=PARTNER, ClusterIdentifier="partner",
                          AccountsWithRestoreAccess=[rs.account_id])["SnapshotArn"]
    rs.add_snapshot(SnapshotIdentifier="private", OwnerAccount=PARTNER, ClusterIdentifier="partner")
    rs.add_snapshot(SnapshotIdentifier="rs:partner-2024-05-01-00-00-00", OwnerAccount=PARTNER,
                    ClusterIdentifier="partner", SnapshotType="automated")

    refused(client, "ClusterSnapshotNotFound", "Snapshot theirs not found.",  # OwnerAccount is required
            ClusterIdentifier="mine", SnapshotIdentifier="theirs")
    refused(client, "AccessToSnapshotDenied",
            "The owner of the specified snapshot has not authorized your account to access the snapshot: private of "
            f"account {PARTNER} is not shared with {rs.account_id}.",
            ClusterIdentifier="mine", SnapshotIdentifier="private", OwnerAccount=PARTNER)
    refused(client, "AccessToSnapshotDenied",
            "The owner of the specified snapshot has not authorized your account to access the snapshot: "
            f"rs:partner-2024-05-01-00-00-00 of account {PARTNER} is not shared with {rs.account_id}.",
            ClusterIdentifier="mine", SnapshotIdentifier="rs:partner-2024-05-01-00-00-00", OwnerAccount=PARTNER)
    refused(client, "ClusterSnapshotNotFound", "Snapshot theirs not found.",
            ClusterIdentifier="mine", SnapshotArn=arn, OwnerAccount="999988887777")
    assert rs.clusters() == []

    first = client.restore_from_cluster_snapshot(ClusterIdentifier="mine", SnapshotIdentifier="theirs",
                                                 OwnerAccount=PARTNER)["Cluster"]
    second = client.restore_from_cluster_snapshot(ClusterIdentifier="mine-too", SnapshotArn=arn)["Cluster"]
    assert first["ClusterIdentifier"] == "mine" and second["ClusterIdentifier"] == "mine-too"
    assert [c["ClusterIdentifier"] for c in rs.clusters()] == ["mine", "mine-too"]


NOT_AN_ID = ("Invalid cluster identifier '{}': it must contain from 1 to 63 alphanumeric characters or hyphens, "
             "start with a letter, and cannot end with a hyphen or contain two consecutive hyphens.")


def test_restore_refusals_change_nothing(rs, client, source):
    rs.creation_delay = None
    client.create_cluster_snapshot(SnapshotIdentifier="unfinished", ClusterIdentifier="source")
    before = (rs.clusters(), rs.snapshots(), len(rs.events()))

    refused(client, "InvalidParameterCombination", "You must specify SnapshotIdentifier or SnapshotArn, but not both.",
            ClusterIdentifier="c")
    refused(client, "InvalidParameterCombination", "You must specify SnapshotIdentifier or SnapshotArn, but not both.",
            ClusterIdentifier="c", SnapshotIdentifier="nightly", SnapshotArn=source["SnapshotArn"])
    refused(client, "InvalidParameterValue", NOT_AN_ID.format("c--1"), ClusterIdentifier="c--1",
            SnapshotIdentifier="nightly")
    refused(client, "ClusterSnapshotNotFound", "Snapshot ghost not found.", ClusterIdentifier="c",
            SnapshotIdentifier="ghost")
    refused(client, "ClusterSnapshotNotFound", "Snapshot nightly not found.", ClusterIdentifier="c",
            SnapshotIdentifier="nightly", SnapshotClusterIdentifier="other")
    refused(client, "InvalidClusterSnapshotState",
            "Cannot restore from the snapshot unfinished because it is in the 'creating' state; it must be available.",
            ClusterIdentifier="c", SnapshotIdentifier="unfinished")
    refused(client, "ClusterAlreadyExists", "Cluster source already exists.", ClusterIdentifier="source",
            SnapshotIdentifier="nightly")
    error = refused(client, "InvalidRestore", "The restore is invalid: a snapshot of dc2.large nodes can only be "
                    "restored into another dc2 node type, not ra3.4xlarge.",
                    ClusterIdentifier="c", SnapshotIdentifier="nightly", NodeType="ra3.4xlarge")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 406
    refused(client, "InvalidParameterValue",
            "Invalid port 80: for clusters with DC2 nodes, select a port within the range 1150-65535.",
            ClusterIdentifier="c", SnapshotIdentifier="nightly", Port=80)
    refused(client, "InvalidParameterValue", "Invalid NumberOfNodes 200: a cluster has from 1 to 100 nodes.",
            ClusterIdentifier="c", SnapshotIdentifier="nightly", NumberOfNodes=200)
    refused(client, "InvalidParameterValue",
            "Invalid AutomatedSnapshotRetentionPeriod 99: it must be a value from 0 to 35.",
            ClusterIdentifier="c", SnapshotIdentifier="nightly", AutomatedSnapshotRetentionPeriod=99)
    refused(client, "InvalidRetentionPeriodFault",
            "Invalid manual snapshot retention period 0: it must be -1 (retain indefinitely) or between 1 and 3653 "
            "days.", ClusterIdentifier="c", SnapshotIdentifier="nightly", ManualSnapshotRetentionPeriod=0)
    refused(client, "InvalidParameterValue",
            "Invalid AvailabilityZone us-west-2a: the Availability Zone must be in the same region as the endpoint "
            "(us-east-1).", ClusterIdentifier="c", SnapshotIdentifier="nightly", AvailabilityZone="us-west-2a")

    assert (rs.clusters(), rs.snapshots(), len(rs.events())) == before


def test_restore_status_while_the_data_loads(rs, client, source):
    rs.cluster_delay, rs.restore_delay = 60, 600
    client.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="nightly")
    rs.clock.advance(seconds=61)
    cluster = client.describe_clusters(ClusterIdentifier="copy")["Clusters"][0]
    assert (cluster["ClusterStatus"], cluster["RestoreStatus"]["Status"]) == ("available", "restoring")
    rs.clock.advance(seconds=600)
    status = client.describe_clusters(ClusterIdentifier="copy")["Clusters"][0]["RestoreStatus"]
    assert (status["Status"], status["ElapsedTimeInSeconds"], status["ProgressInMegaBytes"]) == (
        "completed", 660, status["SnapshotSizeInMegaBytes"])


# ---------------------------------------------------------------- a snapshot still in use


def held_text(snapshot_id, holder):
    return (f"You can't delete snapshot {snapshot_id} because it is used by cluster {holder}. "
            "The snapshot can be deleted after a newer backup is created.")


def restore_and_delete_while_loading(rs, client):
    rs.restore_delay = 3600
    client.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="nightly")
    client.describe_clusters()  # available, still loading its data
    client.delete_cluster(ClusterIdentifier="copy", SkipFinalClusterSnapshot=True)
    client.describe_clusters()  # gone


def test_a_cluster_deleted_while_its_restore_loads_keeps_using_the_snapshot(rs, client, source):
    restore_and_delete_while_loading(rs, client)

    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault) as excinfo:
        client.delete_cluster_snapshot(SnapshotIdentifier="nightly")
    message = excinfo.value.response["Error"]["Message"]
    holder = message.split("used by cluster ")[1].split(".")[0]
    assert holder.startswith("deleted-") and len(holder) == len("deleted-") + 8 and holder[8:].isdigit()
    assert message == held_text("nightly", holder)
    batch = client.batch_delete_cluster_snapshots(Identifiers=[{"SnapshotIdentifier": "nightly"}])
    assert batch["Errors"] == [{"SnapshotIdentifier": "nightly", "FailureCode": "InvalidClusterSnapshotState",
                                "FailureReason": held_text("nightly", holder)}]
    rs.clock.advance(hours=23, minutes=59)
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="nightly")
    rs.clock.advance(minutes=2)  # restore_hold (a day) is over
    assert client.delete_cluster_snapshot(SnapshotIdentifier="nightly")["Snapshot"]["Status"] == "deleted"


def test_the_hold_can_last_forever_or_be_switched_off(rs, client, source):
    rs.restore_hold = None
    restore_and_delete_while_loading(rs, client)
    rs.clock.advance(days=1000)
    with pytest.raises(client.exceptions.InvalidClusterSnapshotStateFault):
        client.delete_cluster_snapshot(SnapshotIdentifier="nightly")

    make_client().create_cluster_snapshot(SnapshotIdentifier="other", ClusterIdentifier="source")
    rs.restore_hold = 0
    client.restore_from_cluster_snapshot(ClusterIdentifier="again", SnapshotIdentifier="other")
    client.describe_clusters()
    client.delete_cluster(ClusterIdentifier="again", SkipFinalClusterSnapshot=True)
    client.delete_cluster_snapshot(SnapshotIdentifier="other")


def test_no_hold_once_the_restore_completed_or_with_a_final_snapshot(rs, client, source):
    client.restore_from_cluster_snapshot(ClusterIdentifier="done", SnapshotIdentifier="nightly")
    client.describe_clusters()  # restore completed (restore_delay 0)
    client.delete_cluster(ClusterIdentifier="done", SkipFinalClusterSnapshot=True)
    rs.restore_delay = 3600
    client.restore_from_cluster_snapshot(ClusterIdentifier="final", SnapshotIdentifier="nightly")
    client.describe_clusters()
    client.delete_cluster(ClusterIdentifier="final", FinalClusterSnapshotIdentifier="final-of-final")
    client.describe_clusters()
    assert client.delete_cluster_snapshot(SnapshotIdentifier="nightly")["Snapshot"]["Status"] == "deleted"


def test_restore_from_a_snapshot_taken_after_the_source_cluster_went(rs, client, source):
    client.delete_cluster(ClusterIdentifier="source", SkipFinalClusterSnapshot=True)
    cluster = client.restore_from_cluster_snapshot(ClusterIdentifier="back", SnapshotIdentifier="nightly")["Cluster"]
    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["ManualSnapshotRetentionPeriod"]) == (1, -1)
    assert rs.clock.now() - cluster["ClusterCreateTime"] < dt.timedelta(seconds=5)
