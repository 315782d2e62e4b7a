"""Who makes a call: identities told apart by their access key, as AWS tells
them apart.

An ``Identity`` is an access key id, the account it belongs to, the ARN of the
principal that signs with it (an IAM user, a role session or the account's
root user) and that principal's identity-based policies (``_policy``). An
interceptor's ``Identities`` maps access keys to identities; a key it does not
know is the interceptor's default identity (its account, every action
allowed, as before identities existed), or, with ``strict``, refused as AWS
refuses an unknown key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ._errors import ServiceError, invalid_client_token
from ._names import check_account_id
from ._policy import Policy, PolicyError, PreparedContext, parse_policies

PolicyDocument = Union[Mapping[str, Any], str]

# IAM's name rules: user and role names [\w+=,.@-]{1,64}, session names 2..64 of the same,
# paths / or /.../ of printable ASCII (the IAM API reference's patterns).
_NAME = r"[\w+=,.@-]{1,64}"
_USER = re.compile(rf"arn:aws:iam::(\d{{12}}):user/(?:[\x21-\x7e]*/)?({_NAME})")
_ROOT = re.compile(r"arn:aws:iam::(\d{12}):root")
_SESSION = re.compile(rf"arn:aws:sts::(\d{{12}}):assumed-role/({_NAME})/([\w+=,.@-]{{2,64}})")
CONTEXT_KEYS = ("aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:username",
                "aws:requestedregion", "aws:currenttime", "aws:epochtime", "aws:securetransport",
                "aws:requesttag/", "aws:resourcetag/", "aws:tagkeys")
"""The condition keys a call's request context can hold (lower case; the tag keys as prefixes)."""
ARN_FORMS = ("arn:aws:iam::<account>:user/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session> "
             "or arn:aws:iam::<account>:root")


@dataclass(frozen=True)
class Identity:
    """One caller: the access key id its requests are signed with, its
    account, the ARN of its principal, and its identity-based policies.

    ``policies`` is None for an identity whose calls are not evaluated (every
    action allowed, as for the account's root user or the interceptor's
    default identity); a tuple (possibly empty: everything is implicitly
    denied) of parsed policies otherwise. ``documents`` are those policies as
    given, parsed from JSON where they were text."""

    access_key_id: str
    account_id: str
    arn: str
    name: str
    policies: Optional[Tuple[Policy, ...]] = None
    documents: Optional[Tuple[Dict[str, Any], ...]] = field(default=None, repr=False)
    context: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The request-context keys of the principal (``aws:PrincipalArn`` ...)."""
    refusal: Optional[str] = field(default=None, repr=False, compare=False)
    """Set on the stand-in for a key a strict interceptor does not know: the error code it is refused with."""
    _by_action: Dict[str, ForAction] = field(default_factory=dict, init=False, repr=False, compare=False)

    def for_action(self, action: str) -> ForAction:
        """What deciding a request of ``action`` needs of this identity (computed once per action)."""
        found = self._by_action.get(action)
        if found is None:
            found = self._by_action[action] = _for_action(self, action)
        return found


class ForAction(NamedTuple):
    """An identity's policies as they bear on one action."""

    policies: Tuple[Policy, ...]
    """Its policies with only the statements that can match the action, each in its place:
    the same decisions for that action, with less to check."""
    uses: FrozenSet[str]
    """The condition keys those statements mention (lower case; ``aws:requesttag/`` and
    ``aws:resourcetag/`` for every tag key): only those go in a request's context, as a
    key no condition and no variable names cannot change a decision."""
    prepared: PreparedContext
    """The principal's keys among them, checked once."""


def _for_action(identity: Identity, action: str) -> ForAction:
    policies = tuple(policy.for_action(action) for policy in identity.policies or ())
    mentioned = []
    for document, policy in zip(identity.documents or (), policies, strict=True):
        raw = document["Statement"]
        statements = [raw] if isinstance(raw, dict) else raw
        mentioned += [json.dumps(statements[statement.index]).lower() for statement in policy.statements]
    text = " ".join(mentioned)
    uses = frozenset(key for key in CONTEXT_KEYS if key in text)
    return ForAction(policies, uses, PreparedContext({k: v for k, v in identity.context.items() if k.lower() in uses}))


def unknown_key(access_key_id: Optional[str], account_id: str) -> Identity:
    """The stand-in for a caller a strict interceptor refuses: an access key it
    does not know (``InvalidClientTokenId``), or a request that is not signed
    (``MissingAuthenticationToken``)."""
    code = "MissingAuthenticationToken" if access_key_id is None else "InvalidClientTokenId"
    return Identity(access_key_id or "", account_id, "", "", policies=(), refusal=code)


def refusal_error(identity: Identity) -> ServiceError:
    """What AWS answers a request with an unknown access key, or with none (HTTP 403)."""
    if identity.refusal == "MissingAuthenticationToken":
        return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403, True)
    return invalid_client_token()


def _principal(arn: str, argument: str) -> Tuple[str, str, Dict[str, Any]]:
    """(account, default name, principal context keys) of a caller's ARN."""
    if not isinstance(arn, str):
        raise TypeError(f"{argument} must be a str such as 'arn:aws:iam::123456789012:user/cleanup', "
                        f"got {type(arn).__name__}")
    user, root, session = _USER.fullmatch(arn), _ROOT.fullmatch(arn), _SESSION.fullmatch(arn)
    if user:
        account = user.group(1)
        return account, user.group(2), {"aws:PrincipalArn": arn, "aws:PrincipalType": "User",
                                        "aws:username": user.group(2), "aws:PrincipalAccount": account}
    if session:
        account = session.group(1)
        # aws:PrincipalArn of a role session is the role's ARN; the session ARN does not
        # carry the role's path, so a role with a path is written without it here.
        role = f"arn:aws:iam::{account}:role/{session.group(2)}"
        return account, session.group(3), {"aws:PrincipalArn": role, "aws:PrincipalType": "AssumedRole",
                                           "aws:PrincipalAccount": account}
    if root:
        account = root.group(1)
        return account, "root", {"aws:PrincipalArn": arn, "aws:PrincipalType": "Account",
                                 "aws:PrincipalAccount": account}
    raise ValueError(f"{argument} must be the ARN of the caller: {ARN_FORMS}; got {arn!r}")


def _documents(policies: object) -> Tuple[Tuple[Policy, ...], Tuple[Dict[str, Any], ...]]:
    if isinstance(policies, (str, bytes, Mapping)) or not isinstance(policies, Sequence):
        raise TypeError("policies must be a list of policy documents (dicts or JSON text), e.g. "
                        '[{"Version": "2012-10-17", "Statement": [...]}], or None for an identity whose calls '
                        f"are not evaluated; got {type(policies).__name__}")
    try:
        parsed = parse_policies(policies)
    except PolicyError as error:
        raise PolicyError(f"policies: {error}", error.policy, error.statement, error.sid) from None
    documents = tuple(json.loads(d) if isinstance(d, str) else json.loads(json.dumps(d)) for d in policies)
    return parsed, documents


def new_identity(access_key_id: object, account_id: object = None, arn: object = None,
                 policies: object = None, name: object = None) -> Identity:
    """A checked ``Identity``: errors name the argument and say how to fix it."""
    if not isinstance(access_key_id, str):
        raise TypeError("access_key_id must be a str such as 'AKIAIOSFODNN7EXAMPLE', got "
                        f"{type(access_key_id).__name__}")
    if not access_key_id or access_key_id != access_key_id.strip():
        raise ValueError(f"access_key_id must be a non-empty key without surrounding spaces, got {access_key_id!r}")
    if arn is None:
        raise TypeError(f"arn is required: the ARN of the caller, {ARN_FORMS}")
    account, default_name, context = _principal(arn, "arn")  # type: ignore[arg-type]
    if account_id is not None and check_account_id(account_id) != account:
        raise ValueError(f"account_id {account_id!r} is not the account of arn {arn!r} ({account}); "
                         "leave account_id out, it is read from the ARN")
    if name is None:
        name = default_name
    elif not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if policies is None:
        return Identity(access_key_id, account, arn, name, context=context)  # type: ignore[arg-type]
    if context["aws:PrincipalType"] == "Account":
        raise ValueError("policies cannot be attached to the root user (arn ends in :root): IAM evaluates no "
                         "identity-based policy for it; pass policies=None, or use an IAM user or role session ARN")
    parsed, documents = _documents(policies)
    return Identity(access_key_id, account, arn, name, parsed, documents, context)  # type: ignore[arg-type]


class Identities:
    """The identities of one interceptor, by access key id. ``strict``: a key
    that names none is refused (``InvalidClientTokenId``) instead of being the
    default identity."""

    __slots__ = ("_by_key", "_strict", "active")

    def __init__(self, strict: bool = False) -> None:
        self._by_key: Dict[str, Identity] = {}
        self._strict = strict
        self.active = strict
        """Whether a call's credentials matter: some identity was added, or unknown keys are refused
        (an attribute, not a property: every call of every interceptor reads it)."""

    @property
    def strict(self) -> bool:
        return self._strict

    @strict.setter
    def strict(self, strict: bool) -> None:
        self._strict = strict
        self.active = strict or bool(self._by_key)

    def add(self, identity: Identity) -> Identity:
        if identity.access_key_id in self._by_key:
            raise ValueError(f"access_key_id {identity.access_key_id!r} already names the identity "
                             f"{self._by_key[identity.access_key_id].arn}; each identity needs its own key")
        self._by_key = {**self._by_key, identity.access_key_id: identity}  # replaced, never mutated
        self.active = True
        return identity

    def clear(self) -> None:
        """Forget every identity added (a fresh state); ``strict`` stays."""
        self._by_key = {}
        self.active = self._strict

    def get(self, access_key_id: Optional[str]) -> Optional[Identity]:
        return None if access_key_id is None else self._by_key.get(access_key_id)

    def find(self, key: str) -> Identity:
        """The identity whose access key id, name or ARN is ``key``."""
        found = self._by_key.get(key)
        if found is not None:
            return found
        matches = [i for i in self._by_key.values() if key in (i.name, i.arn)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{i.name} ({i.access_key_id})" for i in self._by_key.values()) or "none"
        if matches:
            raise LookupError(f"{key!r} names {len(matches)} identities; use the access key id. Identities: {known}")
        raise LookupError(f"no identity has the access key id, name or ARN {key!r}; identities: {known}")

    def __iter__(self) -> Iterator[Identity]:
        return iter(list(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)


def identities_from_json(data: object, where: str) -> List[Tuple[Identity, Optional[str]]]:
    """The identities of an identities file: ``{access key id: {"arn": ...,
    "account_id"?, "name"?, "policies"?, "secret_access_key"?}}``. Returns
    (identity, secret access key or None) pairs; errors name the entry."""
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{where} must hold an object mapping access key ids to identities, such as "
                         '{"AKIAIOSFODNN7EXAMPLE": {"arn": "arn:aws:iam::123456789012:user/cleanup", '
                         '"policies": [...]}}')
    known = ("arn", "account_id", "name", "policies", "secret_access_key")
    out = []
    for key, entry in data.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: {key}: must be an object with arn (and account_id, name, policies, "
                             f"secret_access_key), got {type(entry).__name__}")
        unknown = sorted(set(entry) - set(known))
        if unknown:
            raise ValueError(f"{where}: {key}: unknown field {unknown[0]!r}; fields: {', '.join(known)}")
        secret = entry.get("secret_access_key")
        if secret is not None and not isinstance(secret, str):
            raise ValueError(f"{where}: {key}: secret_access_key must be a string")
        try:
            identity = new_identity(key, entry.get("account_id"), entry.get("arn"), entry.get("policies"),
                                    entry.get("name"))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: {key}: {error}") from None
        out.append((identity, secret))
    return out
