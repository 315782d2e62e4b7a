"""What IAM checks for each Redshift operation redshift-intercept answers: the
action, the resource types the action authorizes against, and the condition
keys it adds to the request context.

Source: the Service Authorization Reference, "Actions, resources, and condition
keys for Amazon Redshift"
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshift.html),
read from the copy policy_sentry (MIT) keeps in
``policy_sentry/shared/data/docs/list_amazonredshift.html``, database update of
2026-06-14 (salesforce/policy_sentry commit 81b0a66). Update by hand from the
same page; the table lists only the operations this package answers.

How to read an entry (the page's own rules): a request is authorized once per
resource the action names; a *required* resource type must be in the request,
an optional one is used when the request names such a resource. An action with
no resource type is authorized against ``"*"``, so a policy must say
``"Resource": "*"`` to allow it. Condition keys listed per resource type are
present when the request names such a resource; those listed for the action
are present when the request carries them (tags in the request).
"""

from __future__ import annotations

from dataclasses import dataclass

# The ARNs of the two resource types (snapshot, cluster) are written and read in
# ``_arns`` (``snapshot_arn``, ``cluster_arn``), the one home of that rule.

RESOURCE_CONDITION_KEYS: dict[str, tuple[str, ...]] = {
    "snapshot": ("aws:ResourceTag/${TagKey}",),
    "cluster": ("aws:ResourceTag/${TagKey}",),
}

# CreateTags, DeleteTags and DescribeTags accept these resource types too. This
# fake holds none of them; they are listed so the entries match the page.
_OTHER_TAGGABLE = (
    "eventsubscription", "hsmclientcertificate", "hsmconfiguration", "integration", "parametergroup",
    "securitygroup", "securitygroupingress-cidr", "securitygroupingress-ec2securitygroup",
    "snapshotcopygrant", "snapshotschedule", "subnetgroup", "usagelimit",
)

_CLUSTER_DEPENDENT = (
    "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:RetireGrant",
    "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
    "secretsmanager:GetRandomPassword", "secretsmanager:RotateSecret", "secretsmanager:TagResource",
    "secretsmanager:UpdateSecret",
)

_TAGGING = ("aws:RequestTag/${TagKey}", "aws:TagKeys")


@dataclass(frozen=True)
class ResourceType:
    """One row of an action's "Resource types" column."""

    name: str
    required: bool


@dataclass(frozen=True)
class ActionEntry:
    """One action of the Service Authorization Reference for Amazon Redshift."""

    action: str
    """The IAM action, ``"redshift:DeleteClusterSnapshot"``."""
    resources: tuple[ResourceType, ...]
    """Empty: the action has no resource type and is authorized against ``"*"``."""
    condition_keys: tuple[str, ...]
    """Action-level keys, in addition to the resource types' own keys."""
    dependent_actions: tuple[str, ...] = ()


def _entry(operation: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = (),
           keys: tuple[str, ...] = (), dependent: tuple[str, ...] = ()) -> ActionEntry:
    resources = tuple(ResourceType(name, True) for name in required)
    resources += tuple(ResourceType(name, False) for name in optional)
    return ActionEntry(f"redshift:{operation}", resources, keys, dependent)


ACTIONS: dict[str, ActionEntry] = {
    "AuthorizeSnapshotAccess": _entry("AuthorizeSnapshotAccess", required=("snapshot",)),
    "BatchDeleteClusterSnapshots": _entry("BatchDeleteClusterSnapshots", required=("snapshot",)),
    "CopyClusterSnapshot": _entry("CopyClusterSnapshot", required=("snapshot",), keys=_TAGGING),
    "CreateCluster": _entry("CreateCluster", required=("cluster",), keys=_TAGGING, dependent=_CLUSTER_DEPENDENT),
    "CreateClusterSnapshot": _entry("CreateClusterSnapshot", required=("snapshot",), keys=_TAGGING),
    "CreateTags": _entry("CreateTags", optional=("cluster", "snapshot", *_OTHER_TAGGABLE), keys=_TAGGING),
    "DeleteCluster": _entry("DeleteCluster", required=("cluster",)),
    "DeleteClusterSnapshot": _entry("DeleteClusterSnapshot", required=("snapshot",)),
    "DeleteTags": _entry("DeleteTags", optional=("cluster", "snapshot", *_OTHER_TAGGABLE), keys=("aws:TagKeys",)),
    "DescribeClusterSnapshots": _entry("DescribeClusterSnapshots"),
    "DescribeClusters": _entry("DescribeClusters", optional=("cluster",)),
    "DescribeEvents": _entry("DescribeEvents"),
    "DescribeTags": _entry("DescribeTags", optional=("cluster", "snapshot", *_OTHER_TAGGABLE)),
    "ModifyCluster": _entry("ModifyCluster", required=("cluster",),
                            dependent=("acm:DescribeCertificate", *_CLUSTER_DEPENDENT)),
    "ModifyClusterSnapshot": _entry("ModifyClusterSnapshot", required=("snapshot",)),
    # The page lists aws:TagKeys, and not aws:RequestTag, for this action.
    "RestoreFromClusterSnapshot": _entry("RestoreFromClusterSnapshot", required=("cluster", "snapshot"),
                                         keys=("aws:TagKeys",), dependent=_CLUSTER_DEPENDENT),
    "RevokeSnapshotAccess": _entry("RevokeSnapshotAccess", required=("snapshot",)),
}

