"""The least-privilege policy a program needs: from the calls it made, the
smallest identity-based policy that allows each of them and nothing else.

Every call contributes the (action, resource) pairs IAM authorizes it against
(``_authorize.requests_of``): exact ARNs, ``*`` for actions without a resource
type, and the ARNs with a literal ``*`` the program caused (a snapshot whose
cluster it did not name, a listing of clusters), which as policy resources are
patterns and cover exactly those requests. Actions that need the same
resources share a statement; a resource another listed pattern covers is left
out. No conditions: the policy allows what was asked, where it was asked.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Set, Tuple

from ._authorize import requests_of
from ._calls import Call
from ._policy import Request, evaluate, parse_policy

NOT_AUTHORIZED = frozenset({"UnhandledOperation", "InvalidClientTokenId", "MissingAuthenticationToken"})
"""Outcomes of calls IAM never saw: refused before authorization, or never sent."""


def _covered(resource: str, patterns: Iterable[str], action: str) -> bool:
    """Whether another resource of the list, read as a policy resource, covers ``resource``."""
    for pattern in patterns:
        if pattern != resource and ("*" in pattern or "?" in pattern):
            policy = parse_policy({"Version": "2012-10-17",
                                   "Statement": [{"Effect": "Allow", "Action": action, "Resource": pattern}]})
            if evaluate([policy], Request(action, resource)).allowed:
                return True
    return False


def _resources(action: str, wanted: Set[str]) -> Tuple[str, ...]:
    if "*" in wanted:
        return ("*",)
    return tuple(sorted(r for r in wanted if not _covered(r, wanted, action)))


def required_policy(calls: Iterable[Call]) -> Dict[str, Any]:
    """The policy document (a dict, IAM's JSON) allowing every call of
    ``calls`` that IAM would have authorized, denied ones included (the
    program made them). Raises ``ValueError`` when there is none."""
    wanted: Dict[str, Set[str]] = {}
    for call in calls:
        if call.error_code in NOT_AUTHORIZED:
            continue
        for action, resource in requests_of(call):
            wanted.setdefault(action, set()).add(resource)
    if not wanted:
        raise ValueError("no answered Redshift call to allow, so no policy is needed; required_policy() "
                         "describes the calls a program made: run it first")
    by_resources: Dict[Tuple[str, ...], List[str]] = {}
    for action in sorted(wanted):
        by_resources.setdefault(_resources(action, wanted[action]), []).append(action)
    statements = []
    for resources, actions in sorted(by_resources.items(), key=lambda item: item[1]):
        statements.append({"Effect": "Allow", "Action": actions[0] if len(actions) == 1 else actions,
                           "Resource": resources[0] if len(resources) == 1 else list(resources)})
    return {"Version": "2012-10-17", "Statement": statements}
