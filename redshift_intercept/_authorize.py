"""Authorization: would IAM let this identity make this call?

For an answered operation: the IAM action and resource types of the Service
Authorization Reference (``_iam_table``), the resources the request names
(``LOCATORS``: where each operation finds them in its parameters), the request
context IAM builds (principal, region, time, tags in the request, the
resource's own tags), and the decision of the identity's policies
(``_policy.evaluate``), once per resource. A denied call is ``AccessDenied``
(HTTP 403) with IAM's message; a denied entry of a batch is that entry's
error. ``requests_of`` gives the same (action, resource) pairs for a recorded
call, for ``required_policy``.

Which ARN a snapshot request is authorized against: ``snapshot:<cluster>/<id>``
with the cluster the caller named (``SnapshotClusterIdentifier``,
``SourceSnapshotClusterIdentifier``, the ARN's), else a literal ``*``, which a
policy's ``snapshot:prod/*`` does not cover (the parameter "is required if
your IAM user has a policy containing a snapshot resource element that
specifies anything other than * for the cluster name"). Two operations
resolve the cluster themselves (``RESOLVES_CLUSTER``): AuthorizeSnapshotAccess,
whose API reference says "Redshift can retrieve the cluster identifier and use
it to validate snapshot authorization", and ModifyClusterSnapshot, which has no
parameter to name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from ._arns import cluster_arn, parse_arn, snapshot_arn
from ._backend import CLUSTER
from ._errors import ServiceError
from ._iam_table import ACTIONS
from ._identities import Identity
from ._policy import Decision, Request, evaluate

if TYPE_CHECKING:  # pragma: no cover
    from ._calls import Call
    from ._rules.scope import Scope

RESOLVES_CLUSTER = frozenset({"AuthorizeSnapshotAccess", "ModifyClusterSnapshot"})
"""Operations that authorize against the snapshot's own cluster when the caller does not name it."""


class Target(NamedTuple):
    """One resource a request is authorized against."""

    resource: str
    """The ARN IAM evaluates, or ``"*"``."""
    kind: Optional[str]
    """``"snapshot"`` or ``"cluster"`` for one named resource (whose tags are its
    ``aws:ResourceTag`` keys); None for ``"*"`` or a listing."""
    region: str
    account_id: str
    identifier: str
    cluster: Optional[str] = None
    """A snapshot's cluster as the request names it (``"*"``: not named)."""
    entry: Optional[int] = None
    """The index of a ``BatchDeleteClusterSnapshots`` entry, checked on its own."""


Resolve = Optional[Callable[[str, str], Optional[str]]]
"""(account, snapshot id) -> that snapshot's cluster, or None when it is unknown."""
Locator = Callable[[Mapping[str, Any], str, str, Resolve], List[Target]]
"""(params, region, account, resolve) -> the targets. Never raises: a request
missing a parameter (a front door that does not validate) is the rule's to refuse."""


def _star(region: str, account: str) -> Target:
    return Target("*", None, region, account, "")


def _snapshot(region: str, account: str, cluster: Optional[str], snapshot_id: str,
              entry: Optional[int] = None) -> Target:
    cluster = cluster or "*"
    return Target(snapshot_arn(region, account, cluster, snapshot_id), "snapshot", region, account, snapshot_id,
                  cluster, entry)


def _cluster(region: str, account: str, cluster_id: Optional[str]) -> Target:
    if cluster_id is None:  # a listing: cluster:* (as AWS names it in AccessDenied messages)
        return Target(cluster_arn(region, account, "*"), None, region, account, "")
    return Target(cluster_arn(region, account, cluster_id), "cluster", region, account, cluster_id)


def _arn(arn: str, region: str, account: str) -> Target:
    """A resource named by its ARN, evaluated as written."""
    parsed = parse_arn(arn)
    if parsed is None:
        return Target(arn, None, region, account, "")
    if parsed.snapshot is None:
        return Target(arn, "cluster", parsed.region, parsed.account_id, parsed.cluster)
    return Target(arn, "snapshot", parsed.region, parsed.account_id, parsed.snapshot, parsed.cluster)


def _named_snapshot(params: Mapping[str, Any], region: str, account: str, resolve: Resolve,
                    owner: Optional[str] = None) -> Target:
    """The snapshot of SnapshotArn, or of SnapshotIdentifier (+ SnapshotClusterIdentifier) in ``owner``'s account."""
    arn = params.get("SnapshotArn")
    if arn is not None:
        return _arn(arn, region, account)
    snapshot_id = params.get("SnapshotIdentifier")
    if snapshot_id is None:
        return _star(region, account)
    account = owner or account
    cluster = params.get("SnapshotClusterIdentifier")
    if cluster is None and resolve is not None:
        cluster = resolve(account, snapshot_id)
    return _snapshot(region, account, cluster, snapshot_id)


def _copy(params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    # Copying references two snapshots, and a policy must cover both (Management Guide, "IAM
    # policy resources"); the copy belongs to the source's cluster, named as the source's is.
    cluster = params.get("SourceSnapshotClusterIdentifier")
    return [_snapshot(region, account, cluster, params.get("SourceSnapshotIdentifier", "")),
            _snapshot(region, account, cluster, params.get("TargetSnapshotIdentifier", ""))]


def _batch(params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    return [_snapshot(region, account, entry.get("SnapshotClusterIdentifier"), entry.get("SnapshotIdentifier", ""),
                      index) for index, entry in enumerate(params.get("Identifiers", []))]


def _restore(params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    # "to restore a cluster from snapshot, an IAM user must have permissions that allow access to
    # the snapshot and that allow creating a cluster with the cluster identifier specified"
    return [_cluster(region, account, params.get("ClusterIdentifier")),
            _named_snapshot(params, region, account, None, owner=params.get("OwnerAccount"))]


def _tags(params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    name = params.get("ResourceName")
    return [_star(region, account) if name is None else _arn(name, region, account)]


def _one_cluster(params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    return [_cluster(region, account, params.get("ClusterIdentifier"))]


def _nothing_named(_params: Mapping[str, Any], region: str, account: str, _: Resolve) -> List[Target]:
    return [_star(region, account)]


LOCATORS: Dict[str, Locator] = {
    "AuthorizeSnapshotAccess": lambda p, r, a, resolve: [_named_snapshot(p, r, a, resolve)],
    "BatchDeleteClusterSnapshots": _batch,
    "CopyClusterSnapshot": _copy,
    "CreateCluster": _one_cluster,
    "CreateClusterSnapshot": lambda p, r, a, _: [_snapshot(r, a, p.get("ClusterIdentifier"),
                                                           p.get("SnapshotIdentifier", ""))],
    "CreateTags": _tags,
    "DeleteCluster": _one_cluster,
    "DeleteClusterSnapshot": lambda p, r, a, _: [_snapshot(r, a, p.get("SnapshotClusterIdentifier"),
                                                           p.get("SnapshotIdentifier", ""))],
    "DeleteTags": _tags,
    "DescribeClusterSnapshots": _nothing_named,
    "DescribeClusters": _one_cluster,
    "DescribeEvents": _nothing_named,
    "DescribeTags": _tags,
    "ModifyCluster": _one_cluster,
    "ModifyClusterSnapshot": lambda p, r, a, resolve: [_named_snapshot(p, r, a, resolve)],
    "RestoreFromClusterSnapshot": _restore,
    "RevokeSnapshotAccess": lambda p, r, a, _: [_named_snapshot(p, r, a, None)],
}
"""Where each operation of the table finds the resources it is authorized against."""

if set(LOCATORS) != set(ACTIONS):  # pragma: no cover - a table edited without its locators
    raise RuntimeError(f"IAM table and locators differ: {sorted(set(LOCATORS) ^ set(ACTIONS))}")

_REQUEST_TAGS = "aws:RequestTag/${TagKey}"
_TAG_KEYS = "aws:TagKeys"


def _tag_context(prefix: str, tags: Iterable[Mapping[str, Any]], into: Dict[str, Any]) -> None:
    """``<prefix><key>: value`` per tag. IAM reads tag keys in condition keys
    case-insensitively ("matches ... either TagKey1 or tagkey1, but not
    both"): of two keys differing only in case, the first is kept. A tag
    without a key names no condition key (the rule then refuses the tag)."""
    seen = set()
    for tag in tags:
        key = tag.get("Key") or ""
        if key and key.lower() not in seen:
            seen.add(key.lower())
            into[prefix + key] = tag.get("Value") or ""


def _request_context(uses: FrozenSet[str], operation: str, params: Mapping[str, Any], scope: Scope
                     ) -> Dict[str, Any]:
    """The keys every resource of the request shares, but the principal's:
    region, time, transport (always HTTPS, as boto3 calls AWS), and the tags
    the request carries where the action lists them; of those, the ones in
    ``uses`` (the keys the policies mention)."""
    context: Dict[str, Any] = {}
    if "aws:requestedregion" in uses:
        context["aws:RequestedRegion"] = scope.region
    if "aws:currenttime" in uses:
        context["aws:CurrentTime"] = scope.now
    if "aws:epochtime" in uses:
        context["aws:EpochTime"] = int(scope.now.timestamp())
    if "aws:securetransport" in uses:
        context["aws:SecureTransport"] = True
    keys = ACTIONS[operation].condition_keys
    if keys:
        tags = params.get("Tags") or []
        if _REQUEST_TAGS in keys and "aws:requesttag/" in uses:
            _tag_context("aws:RequestTag/", tags, context)
        if _TAG_KEYS in keys and "aws:tagkeys" in uses:
            context[_TAG_KEYS] = [t.get("Key", "") for t in tags] or list(params.get("TagKeys") or [])
    return context


def _resource_tags(scope: Scope, target: Target) -> Optional[List[Dict[str, Any]]]:
    """The tags of the resource ``target`` names, if it exists."""
    if target.kind == "snapshot":
        record = scope.backend.get(target.account_id, target.region, target.identifier)
        if record is None or target.cluster not in ("*", record["ClusterIdentifier"]):
            return None
    elif target.kind == "cluster":
        record = scope.backend.get(target.account_id, target.region, target.identifier, CLUSTER)
    else:
        return None
    return None if record is None else record.get("Tags", [])


def access_denied(identity: Identity, decision: Decision) -> ServiceError:
    """IAM's refusal, as AWS words it (the forms of the IAM User Guide's
    "Access denied error messages")."""
    if decision.effect == "Deny":
        why = "with an explicit deny in an identity-based policy"
    else:
        why = f"because no identity-based policy allows the {decision.action} action"
    return ServiceError("AccessDenied", f"User: {identity.arn} is not authorized to perform: {decision.action} "
                                        f"on resource: {decision.resource} {why}", 403, True)


def authorize(scope: Scope, operation: str, params: Mapping[str, Any], identity: Identity,
              decisions: List[Decision]) -> Dict[int, ServiceError]:
    """Decide the call for ``identity`` (whose ``policies`` are not None),
    appending one ``Decision`` per resource to ``decisions``. Raises
    ``AccessDenied`` when a resource of the call is denied; returns the errors
    of denied batch entries by index (empty when none)."""
    action = ACTIONS[operation].action
    policies, uses, prepared = identity.for_action(action)
    resolve: Resolve = None
    if operation in RESOLVES_CLUSTER:
        def resolve(account: str, snapshot_id: str) -> Optional[str]:
            record = scope.backend.get(account, scope.region, snapshot_id)
            return None if record is None else record["ClusterIdentifier"]
    targets = LOCATORS[operation](params, scope.region, scope.account_id, resolve)
    context = _request_context(uses, operation, params, scope)
    tagged = "aws:resourcetag/" in uses
    denied: Optional[ServiceError] = None
    refused: Dict[int, ServiceError] = {}
    for target in targets:
        request_context = context
        if tagged and target.kind is not None:
            tags = _resource_tags(scope, target)
            if tags:
                request_context = dict(context)
                _tag_context("aws:ResourceTag/", tags, request_context)
        decision = evaluate(policies, Request(action, target.resource, request_context, prepared))
        decisions.append(decision)
        if not decision.allowed:
            if target.entry is not None:
                refused[target.entry] = access_denied(identity, decision)
            elif denied is None:
                denied = access_denied(identity, decision)
    if denied is not None:
        raise denied
    return refused


def requests_of(call: Call) -> List[Tuple[str, str]]:
    """The (action, resource) pairs IAM authorizes ``call`` against: those of
    its decisions when it was evaluated; else those of its parameters, with a
    resolved cluster read from its response (``*`` when the response does not
    tell, which a policy then covers with ``snapshot:*/<id>``)."""
    if call.decisions is not None:
        return [(d.action, d.resource) for d in call.decisions]
    entry = ACTIONS.get(call.operation)
    if entry is None:
        return []

    def from_response(_account: str, snapshot_id: str) -> Optional[str]:
        snapshot = (call.response or {}).get("Snapshot") or {}
        return snapshot.get("ClusterIdentifier") if snapshot.get("SnapshotIdentifier") == snapshot_id else None

    targets = LOCATORS[call.operation](call.params, call.region, call.account_id, from_response)
    return [(entry.action, target.resource) for target in targets]
