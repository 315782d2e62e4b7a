"""IAM identity-based policies: parse a policy document as IAM validates it, and
decide whether a request is allowed, as IAM decides for one account.

    policy = parse_policy({"Version": "2012-10-17", "Statement": [...]})
    decision = evaluate([policy], Request("redshift:DeleteClusterSnapshot", arn, {...}))
    decision.allowed, decision.describe()

``parse_policy`` refuses with a ``PolicyError`` what IAM refuses, and also what
IAM would accept but this evaluator cannot decide exactly: a condition key it
does not know, an operator that does not work with its key, a value that can
never match. A policy is never silently read as allowing or denying something
it does not. Evaluation: an explicit ``Deny`` in any statement that matches
wins, then an ``Allow``, else the request is implicitly denied.

The rules are the IAM User Guide's ("Policy evaluation logic", "IAM JSON policy
elements", "Condition operators", "Variables and tags", "Single-valued vs.
multivalued context keys"); where it is silent, the choice made is commented
where it is implemented.
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple, Union

__all__ = ["Decision", "Policy", "PolicyError", "PreparedContext", "Request", "Statement", "evaluate", "parse_policies",
           "parse_policy"]

VERSIONS = ("2012-10-17", "2008-10-17")
"""The policy language versions IAM accepts. Without ``Version`` a policy is
read as 2008-10-17, where ``${...}`` is literal text, not a policy variable."""

# Condition keys: lower-case name -> (name as AWS writes it, value type).
# string: one str; arn: one str holding an ARN; tagkeys: a list of str (the only
# multivalued key); date: a datetime; epoch: int seconds; bool: a bool; ip: an
# IP address as str.
_KEYS: dict[str, tuple[str, str]] = {
    "aws:currenttime": ("aws:CurrentTime", "date"),
    "aws:epochtime": ("aws:EpochTime", "epoch"),
    "aws:multifactorauthpresent": ("aws:MultiFactorAuthPresent", "bool"),
    "aws:principalaccount": ("aws:PrincipalAccount", "string"),
    "aws:principalarn": ("aws:PrincipalArn", "arn"),
    "aws:principaltype": ("aws:PrincipalType", "string"),
    "aws:requestedregion": ("aws:RequestedRegion", "string"),
    "aws:securetransport": ("aws:SecureTransport", "bool"),
    "aws:sourceip": ("aws:SourceIp", "ip"),
    "aws:tagkeys": ("aws:TagKeys", "tagkeys"),
    "aws:username": ("aws:username", "string"),
}
_TAG_PREFIXES = {"aws:requesttag/": "aws:RequestTag/", "aws:resourcetag/": "aws:ResourceTag/"}
_SUPPORTED_KEYS = ", ".join(sorted([name for name, _ in _KEYS.values()]
                                   + ["aws:RequestTag/<key>", "aws:ResourceTag/<key>"], key=str.lower))

# Operator families each key type works with ("AWS global condition context keys").
_FAMILIES_FOR_TYPE = {
    "string": ("String",), "arn": ("Arn", "String"), "tagkeys": ("String",), "date": ("Date",),
    "epoch": ("Date", "Numeric"), "bool": ("Bool",), "ip": ("IpAddress",),
}

# Operator -> (family, comparison, negated). A negated operator is true when the
# positive comparison matches none of the policy's values (NOR).
_OPERATORS: dict[str, tuple[str, str, bool]] = {
    "StringEquals": ("String", "eq", False),
    "StringNotEquals": ("String", "eq", True),
    "StringEqualsIgnoreCase": ("String", "eq_ic", False),
    "StringNotEqualsIgnoreCase": ("String", "eq_ic", True),
    "StringLike": ("String", "like", False),
    "StringNotLike": ("String", "like", True),
    "NumericEquals": ("Numeric", "eq", False),
    "NumericNotEquals": ("Numeric", "eq", True),
    "NumericLessThan": ("Numeric", "lt", False),
    "NumericLessThanEquals": ("Numeric", "le", False),
    "NumericGreaterThan": ("Numeric", "gt", False),
    "NumericGreaterThanEquals": ("Numeric", "ge", False),
    "DateEquals": ("Date", "eq", False),
    "DateNotEquals": ("Date", "eq", True),
    "DateLessThan": ("Date", "lt", False),
    "DateLessThanEquals": ("Date", "le", False),
    "DateGreaterThan": ("Date", "gt", False),
    "DateGreaterThanEquals": ("Date", "ge", False),
    "Bool": ("Bool", "eq", False),
    "BinaryEquals": ("Binary", "eq", False),
    "IpAddress": ("IpAddress", "in", False),
    "NotIpAddress": ("IpAddress", "in", True),
    "ArnEquals": ("Arn", "arn", False),
    "ArnLike": ("Arn", "arn", False),
    "ArnNotEquals": ("Arn", "arn", True),
    "ArnNotLike": ("Arn", "arn", True),
    "Null": ("Null", "null", False),
}
_FAMILY_OPERATORS = {family: [name for name, (f, _, _) in _OPERATORS.items() if f == family]
                     for family in ("String", "Arn", "Numeric", "Date", "Bool", "IpAddress")}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_SET_OPERATORS = {"ForAnyValue": "any", "ForAllValues": "all"}

_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")
_SID = re.compile(r"[0-9A-Za-z]*")
_SERVICE = re.compile(r"[A-Za-z0-9-]+")
_ACTION_NAME = re.compile(r"[A-Za-z0-9_.*?-]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EPOCH = re.compile(r"[0-9]+")
# The W3C profile of ISO 8601 (www.w3.org/TR/NOTE-datetime), without the year-only
# form: a bare number is epoch seconds.
_W3C_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?")
_VARIABLE = re.compile(r"\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?")
_UTC = _dt.timezone.utc
_EPOCH_START = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MICROSECOND = _dt.timedelta(microseconds=1)

ContextValue = Union[str, Sequence[str], bool, int, _dt.datetime]
_CONTEXT_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a str"), "arn": (str, "a str"), "ip": (str, "a str"), "tagkeys": ((list, tuple), "a list of str"),
    "date": (_dt.datetime, "a datetime"), "epoch": (int, "an int (seconds since 1970)"), "bool": (bool, "a bool"),
}


class PolicyError(ValueError):
    """A policy document IAM would refuse, or one this evaluator cannot
    evaluate exactly. The message says what is wrong, where (policy index,
    statement index and Sid, condition operator and key) and how to fix it.
    ``policy``, ``statement`` and ``sid`` repeat the location."""

    def __init__(self, message: str, policy: int | None = None, statement: int | None = None,
                 sid: str | None = None) -> None:
        super().__init__(message)
        self.policy = policy
        self.statement = statement
        self.sid = sid


class _Where:
    """Where a problem is, for PolicyError messages."""

    def __init__(self, policy: int | None) -> None:
        self.policy = policy
        self.statement: int | None = None
        self.sid: str | None = None
        self.condition = ""

    def error(self, problem: str) -> PolicyError:
        parts = [] if self.policy is None else [f"policy {self.policy}"]
        if self.statement is not None:
            sid = f' (Sid "{self.sid}")' if self.sid else ""
            parts.append(f"statement {self.statement}{sid}")
        if self.condition:
            parts.append(self.condition)
        where = ", ".join(parts) if parts else "policy"
        return PolicyError(f"{where}: {problem}", self.policy, self.statement, self.sid)


# --- requests and decisions -------------------------------------------------------------------------------


class Request:
    """What IAM authorizes: one action on one resource, with the condition keys
    the request carries.

    ``action`` is ``"service:Operation"`` (``"redshift:DeleteClusterSnapshot"``);
    ``resource`` an ARN, or ``"*"`` for an action with no resource type.
    ``context`` maps condition keys (case-insensitive, as in IAM) to values:
    ``str`` for string keys (``aws:ResourceTag/<key>``, ``aws:RequestTag/<key>``,
    ``aws:RequestedRegion``, ``aws:PrincipalAccount``, ``aws:PrincipalArn``,
    ``aws:PrincipalType``, ``aws:username``, ``aws:SourceIp``), a list of ``str``
    for ``aws:TagKeys``, a ``datetime`` for ``aws:CurrentTime`` (naive means
    UTC), ``int`` seconds for ``aws:EpochTime`` and ``bool`` for
    ``aws:SecureTransport`` and ``aws:MultiFactorAuthPresent``. A key that is not
    in ``context`` is absent from the request, and an empty ``aws:TagKeys`` list
    counts as absent. Unknown keys, two keys that differ only in case and values
    of the wrong type raise ``ValueError``/``TypeError``.

    ``prepared`` holds more keys, checked once for many requests (the
    principal's, say): a key in both is a ``ValueError``.

    A plain class with slots rather than a frozen dataclass: one is built per
    resource of every evaluated call, and a frozen dataclass's ``__init__``
    costs several times as much. Treat it as read-only.
    """

    __slots__ = ("_action", "_values", "action", "context", "prepared", "resource")

    def __init__(self, action: str, resource: str, context: Mapping[str, ContextValue] | None = None,
                 prepared: PreparedContext | None = None) -> None:
        self.action = action
        self.resource = resource
        self.context: Mapping[str, ContextValue] = {} if context is None else context
        self.prepared = prepared
        self._action = action.lower()
        values = _normalize_context(self.context)
        if prepared is not None:
            shared = prepared._values
            clash = shared.keys() & values.keys()
            if clash:
                raise ValueError(f"Request context and its prepared context both have {sorted(clash)[0]!r}, "
                                 "which IAM reads as one key; keep one")
            values = {**shared, **values}
        self._values: dict[str, Any] = values

    def __repr__(self) -> str:
        return f"Request(action={self.action!r}, resource={self.resource!r}, context={self.context!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return (self.action, self.resource, self.context, self.prepared) == (
            other.action, other.resource, other.context, other.prepared)

    __hash__ = None  # type: ignore[assignment]


class PreparedContext:
    """Condition keys checked and normalized once, for the keys many requests
    share: ``Request(action, resource, context, prepared=PreparedContext({...}))``.
    Takes what ``Request.context`` takes, and raises what it raises."""

    __slots__ = ("_values",)

    def __init__(self, context: Mapping[str, ContextValue]) -> None:
        self._values = _normalize_context(context)

    def __repr__(self) -> str:
        return f"PreparedContext({sorted(self._values)})"


def _key_spec(lower: str) -> tuple[str, str] | None:
    """(name as AWS writes it, value type) of a lower-case condition key, or
    None. A tag key comes back in lower case: IAM reads tag keys in condition
    keys case-insensitively."""
    spec = _KEYS.get(lower)
    if spec is not None:
        return spec
    for prefix, name in _TAG_PREFIXES.items():
        if lower.startswith(prefix) and len(lower) > len(prefix):
            return name + lower[len(prefix):], "string"
    return None


def _normalize_context(context: Mapping[str, ContextValue]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in context.items():
        lower = key.lower()
        spec = _key_spec(lower)
        if spec is None:
            raise ValueError(f"Request context key {key!r} is not a condition key this evaluator knows; "
                             f"known keys: {_SUPPORTED_KEYS}")
        if lower in seen:
            first = next(k for k in context if k.lower() == lower)
            raise ValueError(f"Request context has {first!r} and {key!r}, which IAM reads as one key "
                             "(condition key names are case-insensitive); keep one")
        seen.add(lower)
        kind = spec[1]
        expected, description = _CONTEXT_TYPES[kind]
        if not isinstance(value, expected) or (kind == "epoch" and isinstance(value, bool)) or (
                kind == "tagkeys" and not all(isinstance(item, str) for item in value)):  # type: ignore[union-attr]
            raise TypeError(f"Request context {key!r} must be {description}, got {value!r}")
        normalized: Any = value
        if kind == "tagkeys":
            if not value:
                continue  # an empty set of values: the key is absent
            normalized = tuple(normalized)
        elif kind == "date":
            normalized = _microseconds(normalized)
        elif kind == "ip":
            try:
                normalized = ipaddress.ip_address(normalized)
            except ValueError:
                raise ValueError(f"Request context {key!r} must be an IP address, got {value!r}") from None
        values[lower] = normalized
    return values


def _microseconds(when: _dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=_UTC)
    return (when - _EPOCH_START) // _MICROSECOND


class Decision(NamedTuple):
    """The answer to one request. ``effect`` is the effect of the statement
    that decided (``None``: no statement allowed the request, an implicit deny);
    ``policy`` and ``statement`` are its indexes (in the sequence given to
    ``evaluate`` and in the policy's statement list) and ``sid`` its Sid.
    (A named tuple: one is made per resource of every evaluated call.)"""

    allowed: bool
    effect: Literal["Allow", "Deny"] | None
    policy: int | None
    statement: int | None
    sid: str | None
    action: str
    resource: str

    def describe(self) -> str:
        """One line: what was decided, and by which statement."""
        request = f"{self.action} on {self.resource}"
        if self.effect is None:
            return f"denied: no statement allows {request} (implicit deny)"
        by = f"policy {self.policy}, statement {self.statement}" + (f' (Sid "{self.sid}")' if self.sid else "")
        if self.effect == "Deny":
            return f"denied: {request}, by an explicit Deny in {by}"
        return f"allowed: {request}, by {by}"


# --- strings with wildcards and policy variables ----------------------------------------------------------

# A policy string is a tuple of parts: ("w", text) is text in which * and ? are
# wildcards (where the element or operator has wildcards), ("l", text) literal
# text (from ${*}, ${?}, ${$}), ("v", key, default) a policy variable.
_Part = tuple[str, ...]


@dataclass(frozen=True)
class _Template:
    parts: tuple[_Part, ...]
    static: bool
    text: str  # the whole string when static

    def resolve(self, values: Mapping[str, Any]) -> tuple[_Part, ...] | None:
        """The parts with variables replaced by literal text; None when a
        variable has no value and no default (then it matches nothing)."""
        resolved: list[_Part] = []
        for part in self.parts:
            if part[0] != "v":
                resolved.append(part)
                continue
            value = values.get(part[1])
            if value is None:
                if part[2] is None:
                    return None
                resolved.append(("l", part[2]))
            else:
                resolved.append(("l", _variable_text(part[1], value)))
        return tuple(resolved)


def _variable_text(key: str, value: Any) -> str:
    """A context value as a variable's text. IAM does not document the text of
    a date; ISO 8601 to the second, in UTC, is assumed."""
    kind = _key_spec(key)[1]  # type: ignore[index]
    if kind == "date":
        return (_EPOCH_START + value * _MICROSECOND).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def _template(text: str, variables: bool, where: _Where, describe: str) -> _Template:
    """Split ``text`` into parts. Without ``variables`` (Version 2008-10-17) it is one wildcard part."""
    if not variables or "${" not in text:
        return _Template((("w", text),), True, text)
    parts: list[_Part] = []
    position = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            break
        end = text.find("}", start)
        if end < 0:
            raise where.error(f'{describe} has a "${{" without a closing "}}"; close the policy variable, '
                              f'or write ${{$}} for a literal $')
        if start > position:
            parts.append(("w", text[position:start]))
        inner = text[start + 2:end]
        if inner in ("*", "?", "$"):
            parts.append(("l", inner))
        else:
            parts.append(_variable(inner, where, describe))
        position = end + 1
    if position < len(text):
        parts.append(("w", text[position:]))
    static = all(part[0] != "v" for part in parts)
    return _Template(tuple(parts), static, "".join(part[1] for part in parts) if static else "")


def _variable(inner: str, where: _Where, describe: str) -> _Part:
    match = _VARIABLE.fullmatch(inner)
    spec = _key_spec(match.group(1).lower()) if match else None
    if match is None or spec is None:
        resolvable = ", ".join("${" + name + "}" for name in _SUPPORTED_KEYS.split(", ") if name != "aws:TagKeys")
        raise where.error(f'the policy variable "${{{inner}}}" in {describe} is not one this evaluator can '
                          f"resolve; it resolves {resolvable}, and ${{*}}, ${{?}}, ${{$}}")
    if spec[1] == "tagkeys":
        raise where.error(f'the policy variable "${{{inner}}}" in {describe} names a multivalued key, which '
                          f"cannot be a policy variable (IAM: \"You can't use a multivalued condition key as a "
                          f'variable\")')
    return ("v", match.group(1).lower(), match.group(2))


def _pattern_source(parts: Iterable[_Part], arn: bool) -> str:
    """A regular expression for resolved parts. With ``arn`` a wildcard in the
    first five colon-separated parts stays within its part; in the sixth (the
    resource) it can match across ``:`` and ``/``."""
    out: list[str] = []
    segment = 0
    for kind, text in parts:
        for char in text:
            if char == ":":
                segment += 1
            if kind == "w" and char == "*":
                out.append("[^:]*" if arn and segment < 5 else ".*")
            elif kind == "w" and char == "?":
                out.append("[^:]" if arn and segment < 5 else ".")
            else:
                out.append(re.escape(char))
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _compiled(parts: tuple[_Part, ...], arn: bool) -> re.Pattern[str]:
    return re.compile(_pattern_source(parts, arn), re.DOTALL)


def _alternation(sources: list[str], flags: int = 0) -> re.Pattern[str] | None:
    if not sources:
        return None
    return re.compile("|".join(f"(?:{source})" for source in sources), flags | re.DOTALL)


class _StringSet:
    """Matches a string against the values of an Action, Resource or string or
    ARN condition: exact strings by set lookup, wildcard patterns by one
    regular expression, templates with variables once resolved."""

    __slots__ = ("_dynamic", "_exact", "_kind", "_regex")

    def __init__(self, templates: list[_Template], kind: str) -> None:
        # kind: "eq" (no wildcards), "eq_ic", "like" (* and ?), "arn" (ARN parts)
        self._kind = kind
        exact: set[str] = set()
        sources: list[str] = []
        self._dynamic: tuple[_Template, ...] = tuple(t for t in templates if not t.static)
        for template in templates:
            if not template.static:
                continue
            if kind in ("eq", "eq_ic"):
                exact.add(template.text.lower() if kind == "eq_ic" else template.text)
            elif all(part[0] == "l" or ("*" not in part[1] and "?" not in part[1]) for part in template.parts):
                exact.add(template.text)
            else:
                sources.append(_pattern_source(template.parts, kind == "arn"))
        self._exact = frozenset(exact)
        self._regex = _alternation(sources)

    def hit(self, value: str, values: Mapping[str, Any]) -> bool:
        if self._kind == "eq_ic":
            value = value.lower()
        if value in self._exact or (self._regex is not None and self._regex.fullmatch(value)):
            return True
        for template in self._dynamic:
            parts = template.resolve(values)
            if parts is None:
                continue
            if self._kind in ("eq", "eq_ic"):
                text = "".join(part[1] for part in parts)
                if (text.lower() if self._kind == "eq_ic" else text) == value:
                    return True
            elif _compiled(parts, self._kind == "arn").fullmatch(value):
                return True
        return False


# --- conditions -------------------------------------------------------------------------------------------

_ABSENT = object()


class _Condition:
    """One key under one operator: ``"StringLike": {"aws:ResourceTag/env": [...]}``."""

    __slots__ = ("_hit", "if_exists", "key", "negated", "null", "operator", "set_operator")

    def __init__(self, operator_name: str, key: str, set_operator: str | None, if_exists: bool, negated: bool,
                 hit: Callable[[Any, Mapping[str, Any]], bool] | None, null: frozenset[bool] = frozenset()):
        self.operator = operator_name
        self.key = key
        self.set_operator = set_operator
        self.if_exists = if_exists
        self.negated = negated
        self._hit = hit
        self.null = null

    def holds(self, values: Mapping[str, Any]) -> bool:
        value = values.get(self.key, _ABSENT)
        if self._hit is None:  # Null: true means "the key is absent"
            return (value is _ABSENT) in self.null
        if value is _ABSENT:
            # ForAnyValue is false and ForAllValues true for an absent key, IfExists
            # or not (AWS documents the two set operators; for ForAnyValue...IfExists
            # the false answer is what AWS was seen to do). Otherwise IfExists and
            # negated operators are true, the rest false.
            if self.set_operator == "any":
                return False
            if self.set_operator == "all":
                return True
            return self.if_exists or self.negated
        hit, negated = self._hit, self.negated
        if self.set_operator is None:
            return hit(value, values) != negated
        items = value if isinstance(value, tuple) else (value,)
        if self.set_operator == "any":
            return any(hit(item, values) != negated for item in items)
        return all(hit(item, values) != negated for item in items)


def _parse_condition_block(block: object, variables: bool, where: _Where) -> tuple[_Condition, ...]:
    if not isinstance(block, dict):
        raise where.error(f'"Condition" must be an object such as {{"StringEquals": {{"aws:RequestedRegion": '
                          f'"us-east-1"}}}}, not {_json_type(block)}')
    conditions: list[_Condition] = []
    for name, keys in block.items():
        if not isinstance(name, str):
            raise where.error(f"condition operators are strings, not {_show(name)}")
        set_operator, base, if_exists = _parse_operator(name, where)
        if not isinstance(keys, dict) or not keys:
            raise where.error('must map condition keys to values, such as {"aws:RequestedRegion": "us-east-1"}; '
                              f"got {_json_type(keys) if keys != {} else 'an empty object'}")
        for key, raw in keys.items():
            if not isinstance(key, str):
                raise where.error(f"condition keys are strings, not {_show(key)}")
            where.condition = f'Condition "{name}" "{key}"'
            conditions.append(_parse_condition(name, set_operator, base, if_exists, key, raw, variables, where))
        where.condition = ""
    return tuple(conditions)


def _parse_operator(name: str, where: _Where) -> tuple[str | None, str, bool]:
    where.condition = f'Condition "{name}"'
    set_operator = None
    base = name
    prefix, colon, rest = name.partition(":")
    if colon and prefix in _SET_OPERATORS:
        set_operator, base = _SET_OPERATORS[prefix], rest
    if_exists = base.endswith("IfExists") and base[:-8] in _OPERATORS
    if if_exists:
        base = base[:-8]
    if base not in _OPERATORS:
        guess = _operator_guess(name)
        hint = f'; names are case-sensitive: did you mean "{guess}"?' if guess else \
            "; use an operator from IAM's \"Condition operators\" page, with an optional IfExists suffix " \
            "and ForAnyValue: or ForAllValues: prefix"
        raise where.error(f"not an IAM condition operator (IAM: \"Invalid Condition type : {name}\"){hint}")
    if base == "Null" and if_exists:
        raise where.error('Null takes no IfExists suffix (IAM: "You can add IfExists to the end of any condition '
                          'operator name except the Null condition"); use "Null"')
    if base == "Null" and set_operator:
        raise where.error('Null takes no ForAnyValue:/ForAllValues: prefix: it tests whether the key is present; '
                          'use "Null"')
    return set_operator, base, if_exists


def _operator_guess(name: str) -> str | None:
    """The operator ``name`` spells in another case, if any."""
    prefix, colon, base = name.rpartition(":")
    prefixes = {p.lower(): p for p in _SET_OPERATORS}
    if colon and prefix.lower() not in prefixes:
        return None
    lower = base.lower()
    suffix = ""
    if lower.endswith("ifexists") and lower[:-8] != "null":
        lower, suffix = lower[:-8], "IfExists"
    for operator_name in _OPERATORS:
        if operator_name.lower() == lower:
            return (prefixes[prefix.lower()] + ":" if colon else "") + operator_name + suffix
    return None


def _parse_condition(name: str, set_operator: str | None, base: str, if_exists: bool, key: str, raw: object,
                     variables: bool, where: _Where) -> _Condition:
    lower = key.lower()
    spec = _key_spec(lower)
    if spec is None:
        raise where.error(f"not a condition key this evaluator supports; it supports {_SUPPORTED_KEYS}. "
                          "Use one of these, or remove the condition")
    key_name, key_type = spec if lower in _KEYS else (key, spec[1])
    family, comparison, negated = _OPERATORS[base]
    if family == "Binary":
        raise where.error(f"BinaryEquals compares binary values, and {key_name} is not one (none of the supported "
                          "keys is); use an operator for its type")
    if family != "Null" and family not in _FAMILIES_FOR_TYPE[key_type]:
        families = _FAMILIES_FOR_TYPE[key_type]
        operators = ", ".join(op for f in families for op in _FAMILY_OPERATORS[f])
        raise where.error(f"{key_name} works with {' and '.join(families)} operators ({operators}), not {base} "
                          "(AWS global condition context keys); use one of those")
    if key_type == "tagkeys" and family != "Null" and set_operator is None:
        raise where.error(f'{key_name} is multivalued: use "ForAnyValue:{name}" or "ForAllValues:{name}" (AWS: '
                          '"Multivalued context keys require a condition set operator")')
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise where.error("the value list is empty; give at least one value")
    for item in items:
        if isinstance(item, (dict, list)) or item is None:
            raise where.error(f"values must be strings, numbers or booleans, not {_json_type(item)}")
    if family in ("String", "Arn"):
        allowed_variables = variables
    else:
        allowed_variables = False
        for item in items:
            if variables and isinstance(item, str) and "${" in item:
                raise where.error(f'"{item}": policy variables work only with String and Arn operators, not {base} '
                                  "(IAM policy elements: Variables and tags); write the value")
    hit: Callable[[Any, Mapping[str, Any]], bool] | None
    if family == "Null":
        return _Condition(name, lower, None, False, False, None,
                          frozenset(_parse_bool(item, where) for item in items))
    if family in ("String", "Arn"):
        kind = "arn" if family == "Arn" else comparison
        templates = [_template(text, allowed_variables, where, f'value "{text}"') for text in map(_string, items)]
        if family == "Arn":
            for template in templates:
                if template.static and len(template.text.split(":", 5)) < 6:
                    raise where.error(f'"{template.text}" is not an ARN: {base} compares the six colon-separated '
                                      "parts of an ARN one by one, so it can never match; write all six "
                                      "(arn:partition:service:region:account:resource), using * for any")
        hit = _StringSet(templates, kind).hit
    elif family == "Numeric":
        numbers = [_parse_number(item, where) for item in items]
        compare = _COMPARE[comparison]
        hit = functools.partial(_any_compare, compare, numbers)
    elif family == "Date":
        dates = [_parse_date(item, where) for item in items]
        compare = _COMPARE[comparison]
        if key_type == "epoch":
            hit = functools.partial(_any_compare_seconds, compare, dates)
        else:
            hit = functools.partial(_any_compare, compare, dates)
    elif family == "Bool":
        booleans = frozenset(_parse_bool(item, where) for item in items)
        hit = functools.partial(_in_set, booleans)
    else:  # IpAddress
        networks = [_parse_network(item, where) for item in items]
        hit = functools.partial(_in_network, networks)
    return _Condition(name, lower, set_operator, if_exists, negated, hit)


def _any_compare(compare: Callable[[Any, Any], bool], policy_values: list[Any], value: Any,
                 _values: Mapping[str, Any]) -> bool:
    return any(compare(value, policy_value) for policy_value in policy_values)


def _any_compare_seconds(compare: Callable[[Any, Any], bool], policy_values: list[int], value: int,
                         _values: Mapping[str, Any]) -> bool:
    return any(compare(value * 1_000_000, policy_value) for policy_value in policy_values)


def _in_set(policy_values: frozenset[bool], value: bool, _values: Mapping[str, Any]) -> bool:
    return value in policy_values


def _in_network(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], value: Any,
                _values: Mapping[str, Any]) -> bool:
    return any(value in network for network in networks)


def _string(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def _parse_number(item: object, where: _Where) -> Decimal:
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return Decimal(str(item))
    if isinstance(item, str) and _NUMBER.fullmatch(item):
        return Decimal(item)
    raise where.error(f"{json.dumps(item)} is not a number; write an integer or decimal, such as \"10\" or 10")


def _parse_bool(item: object, where: _Where) -> bool:
    """JSON booleans, or "true"/"false" in any case (IAM documents lower case only)."""
    if isinstance(item, bool):
        return item
    if isinstance(item, str) and item.lower() in ("true", "false"):
        return item.lower() == "true"
    raise where.error(f'{json.dumps(item)} is not a boolean; write "true" or "false"')


def _parse_date(item: object, where: _Where) -> int:
    """Microseconds since 1970, UTC. A date without a time is midnight UTC."""
    if isinstance(item, int) and not isinstance(item, bool) and item >= 0:
        return item * 1_000_000
    if isinstance(item, str):
        if _EPOCH.fullmatch(item):
            return int(item) * 1_000_000
        match = _W3C_DATE.fullmatch(item)
        if match:
            year, month, day, hour, minute, second, fraction, zone = match.groups()
            try:
                tz = _UTC if zone in (None, "Z") else _dt.timezone(
                    (-1 if zone[0] == "-" else 1) * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
                when = _dt.datetime(int(year), int(month), int(day or 1), int(hour or 0), int(minute or 0),
                                    int(second or 0), round(float(fraction or 0) * 1_000_000), tzinfo=tz)
            except ValueError:
                pass
            else:
                return _microseconds(when)
    raise where.error(f"{json.dumps(item)} is not a date IAM accepts; write a W3C ISO 8601 date such as "
                      '"2024-05-01", "2024-05-01T12:00Z" or "2024-05-01T12:00:00.5+02:00", or epoch seconds such '
                      'as "1714564800"')


def _parse_network(item: object, where: _Where) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(item, str):
        try:
            return ipaddress.ip_network(item, strict=False)
        except ValueError:
            pass
    raise where.error(f'{json.dumps(item)} is not an IP address or CIDR range; write one such as "203.0.113.0/24" '
                      'or "2001:DB8:1234:5678::/64"')


def _show(value: object) -> str:
    """``value`` as JSON, or its repr when it is not JSON."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# --- statements and policies ------------------------------------------------------------------------------


class Statement:
    """One parsed statement. ``index`` is its position in the policy,
    ``sid`` its Sid or None, ``effect`` ``"Allow"`` or ``"Deny"``."""

    __slots__ = ("_action_all", "_action_exact", "_action_regex", "_conditions", "_not_action", "_not_resource",
                 "_resources", "effect", "index", "sid")

    def __init__(self, index: int, sid: str | None, effect: Literal["Allow", "Deny"], actions: list[str],
                 not_action: bool, resources: list[_Template], not_resource: bool,
                 conditions: tuple[_Condition, ...]) -> None:
        self.index = index
        self.sid = sid
        self.effect: Literal["Allow", "Deny"] = effect
        self._not_action = not_action
        self._action_all = "*" in actions
        lowered = [action.lower() for action in actions]
        self._action_exact = frozenset(a for a in lowered if "*" not in a and "?" not in a)
        self._action_regex = _alternation([_pattern_source([("w", a)], False) for a in lowered
                                           if "*" in a or "?" in a])
        self._not_resource = not_resource
        everything = any(template.parts == (("w", "*"),) for template in resources)
        self._resources = None if everything else _StringSet(resources, "arn")
        self._conditions = conditions

    def __repr__(self) -> str:
        return f"<Statement {self.index}{' ' + self.sid if self.sid else ''} {self.effect}>"

    def matches_action(self, action: str) -> bool:
        """Whether the statement's Action/NotAction covers ``action`` (any case)."""
        return self._action_hit(action.lower()) != self._not_action

    def _action_hit(self, action: str) -> bool:
        return self._action_all or action in self._action_exact or (
            self._action_regex is not None and self._action_regex.fullmatch(action) is not None)

    def _applies(self, request: Request) -> bool:
        if self._action_hit(request._action) == self._not_action:
            return False
        values = request._values
        resources = self._resources
        hit = True if resources is None else resources.hit(request.resource, values)
        if hit == self._not_resource:
            return False
        for condition in self._conditions:
            if not condition.holds(values):
                return False
        return True


@dataclass(frozen=True)
class Policy:
    """A parsed identity-based policy: ``version`` (``"2012-10-17"`` or
    ``"2008-10-17"``, the latter also when the document had none) and its
    ``statements``. Build one with ``parse_policy``."""

    version: str
    statements: tuple[Statement, ...]
    _denies: tuple[Statement, ...] = field(init=False, repr=False, compare=False)
    _allows: tuple[Statement, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_denies", tuple(s for s in self.statements if s.effect == "Deny"))
        object.__setattr__(self, "_allows", tuple(s for s in self.statements if s.effect == "Allow"))

    def actions_could_match(self, action: str) -> bool:
        """Whether any statement's Action/NotAction covers ``action``: when
        False, the policy neither allows nor denies it, whatever the resource."""
        return any(statement.matches_action(action) for statement in self.statements)

    def for_action(self, action: str) -> Policy:
        """This policy with only the statements whose Action/NotAction covers
        ``action`` (each keeps its index and Sid): for a request of that action
        it decides exactly as the whole policy does, with less to check."""
        return Policy(self.version, tuple(s for s in self.statements if s.matches_action(action)))


def parse_policies(documents: Iterable[Mapping[str, Any] | str]) -> tuple[Policy, ...]:
    """``parse_policy`` for each document; errors name the document's index."""
    return tuple(parse_policy(document, index=index) for index, document in enumerate(documents))


def parse_policy(document: Mapping[str, Any] | str, *, index: int | None = None) -> Policy:
    """Parse an identity-based policy: a dict, or its JSON text.

    Raises ``PolicyError`` for what IAM refuses (not JSON, a repeated key, a
    Version other than 2012-10-17/2008-10-17, Principal/NotPrincipal/Id, unknown
    elements, Effect other than "Allow"/"Deny", Action and NotAction both or
    neither, likewise Resource/NotResource, a malformed action or ARN, a Sid
    that is not alphanumeric or is repeated, an unknown condition operator),
    and for what this evaluator cannot decide exactly: condition keys it does
    not support, an operator that does not work with its key, values that
    cannot match. ``index`` is used in error messages ("policy 2, ...").
    """
    where = _Where(index)
    if isinstance(document, str):
        try:
            document = json.loads(document, object_pairs_hook=functools.partial(_no_repeated_keys, where))
        except json.JSONDecodeError as error:
            raise where.error(f"not valid JSON ({error}); pass a dict, or the policy's JSON text") from None
    if not isinstance(document, Mapping):
        raise where.error(f"a policy document is a JSON object with \"Version\" and \"Statement\", "
                          f"not {_json_type(document)}")
    for key in document:
        if key == "Id":
            raise where.error('"Id" must not be in an identity-based policy (IAM JSON policy grammar); remove it')
        if key not in ("Version", "Statement"):
            raise where.error(f'unknown element "{key}"; an identity-based policy has "Version" and "Statement"'
                              + _did_you_mean(key, ("Version", "Statement")))
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise where.error(f'Version must be "2012-10-17" or "2008-10-17", not {_show(version)}; '
                          'use "2012-10-17"')
    if "Statement" not in document:
        raise where.error('"Statement" is missing; add "Statement": [{"Effect": ..., "Action": ..., '
                          '"Resource": ...}]')
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise where.error('"Statement" must be an object or a non-empty list of objects, not '
                          + ("an empty list" if raw_statements == [] else _json_type(raw_statements)))
    variables = version == "2012-10-17"
    sids: dict[str, int] = {}
    statements = []
    for number, raw in enumerate(raw_statements):
        where.statement, where.sid = number, None
        statements.append(_parse_statement(raw, number, variables, sids, where))
    return Policy(version, tuple(statements))


def _no_repeated_keys(where: _Where, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise where.error(f'a JSON object has the key "{key}" twice; IAM refuses repeated keys ("Individual '
                              'elements must not contain multiple instances of the same key"); keep one')
        result[key] = value
    return result


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    for name in known:
        if name.lower() == key.lower():
            return f' (element names are case-sensitive: did you mean "{name}"?)'
    return ""


def _parse_statement(raw: object, number: int, variables: bool, sids: dict[str, int], where: _Where) -> Statement:
    if not isinstance(raw, Mapping):
        raise where.error(f"a statement is a JSON object, not {_json_type(raw)}")
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise where.error(f"Sid must be a string, not {_json_type(sid)}")
        if not _SID.fullmatch(sid):
            raise where.error(f'Sid "{sid}" may contain only A-Z, a-z and 0-9 (IAM: "Statement IDs (SID) must be '
                              'alpha-numeric"); remove the other characters')
        where.sid = sid or None
        if sid and sid in sids:
            raise where.error(f'Sid "{sid}" is also the Sid of statement {sids[sid]}; IAM requires unique Sids '
                              '("Statement IDs (SID) in a single policy must be unique"); rename one')
        if sid:
            sids[sid] = number
    for key in raw:
        if key in ("Principal", "NotPrincipal"):
            raise where.error(f'"{key}" must not be in an identity-based policy (IAM: "Policy document should not '
                              'specify a principal."): the policy applies to the identity it is attached to; '
                              "remove it")
        if key not in _STATEMENT_KEYS:
            raise where.error(f'unknown element "{key}"; a statement has Sid, Effect, Action or NotAction, Resource '
                              "or NotResource, and Condition" + _did_you_mean(key, _STATEMENT_KEYS))
    effect = raw.get("Effect")
    if effect is None:
        raise where.error('"Effect" is missing; add "Effect": "Allow" or "Effect": "Deny"')
    if effect not in ("Allow", "Deny"):
        raise where.error(f'Effect must be "Allow" or "Deny" (case-sensitive), not {_show(effect)}')
    element, actions = _one_of(raw, "Action", "NotAction", where)
    for action in actions:
        _check_action(action, element, where)
    resource_element, resources = _one_of(raw, "Resource", "NotResource", where)
    templates = [_resource(resource, resource_element, variables, where) for resource in resources]
    conditions = _parse_condition_block(raw["Condition"], variables, where) if "Condition" in raw else ()
    return Statement(number, where.sid, effect, actions, element == "NotAction", templates,
                     resource_element == "NotResource", conditions)


def _one_of(raw: Mapping[str, Any], element: str, negated: str, where: _Where) -> tuple[str, list[str]]:
    if element in raw and negated in raw:
        raise where.error(f'has both "{element}" and "{negated}"; keep one')
    iam = f'IAM: "Policy statement must contain {"actions" if element == "Action" else "resources"}."'
    if element not in raw and negated not in raw:
        example = '"redshift:DeleteClusterSnapshot"' if element == "Action" else '"*" or an ARN'
        raise where.error(f'has neither "{element}" nor "{negated}" ({iam}); add "{element}": {example}')
    name = element if element in raw else negated
    value = raw[name]
    values = [value] if isinstance(value, str) else value
    if values == []:
        raise where.error(f'"{name}" is an empty list ({iam}); list at least one')
    if not isinstance(values, list):
        raise where.error(f'"{name}" must be a string or a list of strings, not {_json_type(value)}')
    for item in values:
        if not isinstance(item, str):
            raise where.error(f'"{name}" must list strings, and {_show(item)} is {_json_type(item)}')
    return name, values


def _check_action(action: str, element: str, where: _Where) -> None:
    if action == "*":
        return
    service, colon, name = action.partition(":")
    if not colon:
        problem = ('has no service prefix (IAM: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, '
                   'ec2, etc.")')
    elif ":" in name:
        problem = 'has more than one colon (IAM: "Actions/Condition can contain only one colon.")'
    elif "*" in service or "?" in service:
        problem = 'has a wildcard in the service prefix (IAM: "Action vendors (e.g., aws, ec2, etc.) must not ' \
                  'contain wildcards")'
    elif not _SERVICE.fullmatch(service) or not _ACTION_NAME.fullmatch(name):
        problem = "is not service:ActionName (letters, digits and - in the service; letters, digits, _ . - and " \
                  "the wildcards * and ? in the name)"
    else:
        return
    raise where.error(f'{element} "{action}" {problem}; write it as service:action, such as '
                      '"redshift:DeleteClusterSnapshot" or "redshift:Describe*"')


def _resource(resource: str, element: str, variables: bool, where: _Where) -> _Template:
    describe = f'{element} "{resource}"'
    if resource == "*":
        return _Template((("w", "*"),), True, "*")
    if not resource.startswith("arn:"):
        raise where.error(f'{describe} must be an ARN or "*" (IAM: "Resource {resource} must be in ARN format or '
                          '\\"*\\"."); write an ARN such as arn:aws:redshift:us-east-1:123456789012:snapshot:prod/*')
    parts = resource.split(":", 5)
    if len(parts) < 6:
        raise where.error(f"{describe} has {len(parts)} of the 6 colon-separated parts of an ARN "
                          "(arn:partition:service:region:account:resource); write all six, using * for any")
    if "*" in parts[2] or "?" in parts[2] or not parts[2]:
        raise where.error(f"{describe} must name a service in its third part, without wildcards (IAM: \"You can't "
                          'use a wildcard in the service segment\"), such as redshift')
    if variables and "${" in ":".join(parts[:5]):
        raise where.error(f"{describe} has a policy variable before the fifth colon (IAM: \"You can't use a "
                          'variable to replace parts of the ARN before the fifth colon\"); write the value or * '
                          "there")
    return _template(resource, variables, where, describe)


# --- evaluation -------------------------------------------------------------------------------------------


def evaluate(policies: Sequence[Policy], request: Request) -> Decision:
    """Decide ``request`` against all the identity's ``policies``: the first
    statement (in policy order, then statement order) with Effect Deny that
    matches denies; otherwise the first matching Allow allows; otherwise the
    request is implicitly denied. A statement matches when its Action (or
    NotAction), its Resource (or NotResource) and all its conditions match."""
    for number, policy in enumerate(policies):
        for statement in policy._denies:
            if statement._applies(request):
                return Decision(False, "Deny", number, statement.index, statement.sid, request.action,
                                request.resource)
    for number, policy in enumerate(policies):
        for statement in policy._allows:
            if statement._applies(request):
                return Decision(True, "Allow", number, statement.index, statement.sid, request.action,
                                request.resource)
    return Decision(False, None, None, None, None, request.action, request.resource)
