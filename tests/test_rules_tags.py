"""CreateTags, DeleteTags and DescribeTags on snapshots and clusters."""

from __future__ import annotations

import botocore.exceptions
import pytest

from .conftest import ARN, error_code


def test_tags_on_snapshots_and_clusters(rs, client, prod):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", Tags={"env": "prod"})
    snapshot_arn = ARN.format(cluster="prod", snapshot="s")
    cluster_arn = "arn:aws:redshift:us-east-1:123456789012:cluster:prod"
    assert client.create_tags(ResourceName=snapshot_arn, Tags=[{"Key": "env", "Value": "dev"},
                                                               {"Key": "owner", "Value": "bi"}]).keys() \
        == {"ResponseMetadata"}
    client.create_tags(ResourceName=cluster_arn, Tags=[{"Key": "tier", "Value": "gold"}])
    assert rs.snapshots()[0]["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "bi"}]
    tagged = client.describe_tags()["TaggedResources"]
    assert [(t["ResourceType"], t["Tag"]["Key"]) for t in tagged] == [
        ("cluster", "tier"), ("snapshot", "env"), ("snapshot", "owner")]
    assert client.describe_tags(ResourceName=snapshot_arn, TagKeys=["owner"])["TaggedResources"] == [
        {"Tag": {"Key": "owner", "Value": "bi"}, "ResourceName": snapshot_arn, "ResourceType": "snapshot"}]
    assert len(client.describe_tags(ResourceType="cluster")["TaggedResources"]) == 1
    assert len(client.describe_tags(TagValues=["dev", "gold"])["TaggedResources"]) == 2
    client.delete_tags(ResourceName=snapshot_arn, TagKeys=["env", "absent"])
    assert rs.snapshots()[0]["Tags"] == [{"Key": "owner", "Value": "bi"}]
    assert [c["ClusterIdentifier"] for c in client.describe_clusters(TagKeys=["tier"])["Clusters"]] == ["prod"]


def test_describe_tags_pages_in_a_stable_order(rs, client, prod):
    for i in (2, 0, 1):  # stored out of order: the listing orders by ARN, then key
        rs.add_snapshot(SnapshotIdentifier=f"s{i}", ClusterIdentifier="prod",
                        Tags={f"k{j:02d}": "v" for j in reversed(range(15))})
    rs.add_cluster(ClusterIdentifier="alpha", Tags={"tier": "gold"})
    pages = list(client.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 20}))
    listed = [(t["ResourceType"], t["ResourceName"].rsplit("/", 1)[-1], t["Tag"]["Key"])
              for page in pages for t in page["TaggedResources"]]
    assert [len(page["TaggedResources"]) for page in pages] == [20, 20, 6]
    assert listed == [("cluster", "arn:aws:redshift:us-east-1:123456789012:cluster:alpha", "tier")] + [
        ("snapshot", f"s{i}", f"k{j:02d}") for i in range(3) for j in range(15)]


def test_describe_tags_pagination_survives_deletes_between_pages(rs, client):
    for i in range(50):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}", Tags={"retain": "no"})
    seen = []
    for page in client.get_paginator("describe_tags").paginate(
            ResourceType="snapshot", TagKeys=["retain"], PaginationConfig={"PageSize": 20}):
        for tagged in page["TaggedResources"]:
            snapshot_id = tagged["ResourceName"].rsplit("/", 1)[-1]
            seen.append(snapshot_id)
            client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)
    assert seen == [f"s{i:02d}" for i in range(50)]
    assert rs.snapshots() == []


def test_describe_tags_refuses_a_foreign_marker(rs, client):
    for i in range(21):
        rs.add_snapshot(SnapshotIdentifier=f"s{i:02d}")
    snapshots_marker = client.describe_cluster_snapshots(MaxRecords=20)["Marker"]  # three parts, one a time
    for marker in ("garbage!", "WzFd", snapshots_marker):  # WzFd: a well-formed marker of another shape, [1]
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.describe_tags(Marker=marker)
        assert error_code(excinfo) == "InvalidParameterValue"
        assert excinfo.value.response["Error"]["Message"] == (
            f"Invalid Marker {marker!r}: pass the Marker of a previous DescribeTags response.")


@pytest.mark.parametrize("arn", [
    "arn:aws:redshift:us-east-1:123456789012:snapshot:prod/ghost",
    "arn:aws:redshift:us-east-1:123456789012:snapshot:other/s",
    "arn:aws:redshift:eu-west-1:123456789012:snapshot:prod/s",
    "arn:aws:redshift:us-east-1:123456789012:cluster:ghost",
    "arn:aws:redshift:us-east-1:123456789012:parametergroup:default",
])
def test_tags_on_unknown_resources(rs, client, prod, arn):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    with pytest.raises(client.exceptions.ResourceNotFoundFault) as excinfo:
        client.create_tags(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert excinfo.value.response["Error"]["Message"] == f"The resource with ARN {arn} was not found."
    with pytest.raises(client.exceptions.ResourceNotFoundFault):
        client.describe_tags(ResourceName=arn)


def test_tag_limits(rs, client):
    rs.add_snapshot(SnapshotIdentifier="s", Tags={f"k{i}": "v" for i in range(49)})
    arn = ARN.format(cluster="examplecluster", snapshot="s")
    client.create_tags(ResourceName=arn, Tags=[{"Key": "k0", "Value": "replaced"}, {"Key": "new", "Value": "v"}])
    with pytest.raises(client.exceptions.TagLimitExceededFault):
        client.create_tags(ResourceName=arn, Tags=[{"Key": "one-too-many", "Value": "v"}])
    with pytest.raises(client.exceptions.InvalidTagFault):
        client.create_tags(ResourceName=arn, Tags=[{"Key": "aws:reserved", "Value": "v"}])
    tags = rs.snapshots()[0]["Tags"]
    assert len(tags) == 50 and tags[0] == {"Key": "k0", "Value": "replaced"}


@pytest.mark.parametrize(("tags", "message"), [
    ([{"Key": "a&b", "Value": ""}], "Tag key 'a&b' contains the character '&' (U+0026); tag keys and values may hold "
                                    "only Unicode letters, digits, white space and _ . : / = + - @."),
    ([{"Key": "k", "Value": "tab\there"}], "Tag value for key 'k' contains the character '\\t' (U+0009)"),
    ([{"Key": "k", "Value": "party 🎉"}], "contains the character '🎉' (U+1F389)"),
    ([{"Key": "k", "Value": "e\u0301"}], "(U+0301)"),  # a combining mark is not a letter
    ([{"Key": "k", "Value": "<v>"}], "contains the character '<' (U+003C)"),
    ([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
     "Tag key 'k' is given more than once; keys must be unique per tag set."),
])
def test_tag_characters_are_checked_as_redshift_documents(rs, client, prod, tags, message):
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod", Tags={"keep": "me"})
    before = rs.snapshots()
    arn = ARN.format(cluster="prod", snapshot="s")

    with pytest.raises(client.exceptions.InvalidTagFault) as excinfo:
        client.create_tags(ResourceName=arn, Tags=tags)
    assert message in excinfo.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.InvalidTagFault):
        client.create_cluster_snapshot(SnapshotIdentifier="made", ClusterIdentifier="prod", Tags=tags)

    assert rs.snapshots() == before  # nothing stored, no snapshot created
    assert [c.error_code for c in rs.calls] == ["InvalidTagFault", "InvalidTagFault"]


def test_every_tag_character_redshift_allows_round_trips(rs, client, prod):
    key, value = "é ü 雪 ٣ ²\u2028\u00a0_.:/=+-@", "Ωμέγα 3 \u3000 x:y/z=w+v-u@t_s.r"
    rs.add_snapshot(SnapshotIdentifier="s", ClusterIdentifier="prod")
    arn = ARN.format(cluster="prod", snapshot="s")

    client.create_tags(ResourceName=arn, Tags=[{"Key": key, "Value": value}, {"Key": "empty", "Value": ""}])

    expected = [{"Key": key, "Value": value}, {"Key": "empty", "Value": ""}]
    assert client.describe_cluster_snapshots(SnapshotIdentifier="s")["Snapshots"][0]["Tags"] == expected
    assert [t["Tag"] for t in client.describe_tags(ResourceName=arn)["TaggedResources"]] == sorted(
        expected, key=lambda t: t["Key"])
    assert client.delete_cluster_snapshot(SnapshotIdentifier="s")["Snapshot"]["Tags"] == expected
