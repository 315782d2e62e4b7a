"""Tags: what Redshift accepts as a tag, and the ``TagKeys``/``TagValues``
filters of the describe operations. One home for both, used by seeding and
by every rule."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from ._errors import ServiceError

MAX_TAGS = 50
"""Tags per resource."""

Tag = Dict[str, str]


def tag_problem(key: object, value: object) -> Optional[str]:
    """Why Redshift would refuse this tag, or None."""
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        return f"Tag key {key!r} must be 1-128 characters"
    if key.lower().startswith("aws:"):
        return f"Tag key {key!r} uses the reserved prefix 'aws:'"
    if not isinstance(value, str) or len(value) > 256:
        return f"Tag value for key {key!r} must be 0-256 characters"
    return None


def first_tag_problem(tags: Iterable[Tag]) -> Optional[str]:
    for tag in tags:
        problem = tag_problem(tag.get("Key"), tag.get("Value", ""))
        if problem:
            return problem
    return None


def check_tags(tags: Iterable[Tag], existing: int = 0) -> None:
    """Refuse, as the service does, tags it would not store: a bad key or
    value (``InvalidTagFault``), or more than 50 on one resource counting the
    ``existing`` ones (``TagLimitExceededFault``)."""
    tags = list(tags)
    problem = first_tag_problem(tags)
    if problem:
        raise ServiceError("InvalidTagFault", problem + ".")
    if existing + len(tags) > MAX_TAGS:
        raise ServiceError("TagLimitExceededFault",
                           f"A resource can have at most {MAX_TAGS} tags; this request would "
                           f"give it {existing + len(tags)}.")


class TagFilter:
    """The ``TagKeys`` / ``TagValues`` parameters of a describe call.

    A tag is selected when its key is one of ``TagKeys`` and its value one of
    ``TagValues`` (each check skipped when that parameter is absent); a
    resource is selected when some tag has one of the keys and some tag one
    of the values. Falsy when the request gives neither."""

    __slots__ = ("keys", "values")

    def __init__(self, params: Dict[str, Any]) -> None:
        self.keys: Optional[List[str]] = params.get("TagKeys") or None
        self.values: Optional[List[str]] = params.get("TagValues") or None

    def __bool__(self) -> bool:
        return self.keys is not None or self.values is not None

    def selects_tag(self, tag: Tag) -> bool:
        return ((self.keys is None or tag["Key"] in self.keys)
                and (self.values is None or tag.get("Value") in self.values))

    def selects(self, tags: Iterable[Tag]) -> bool:
        tags = list(tags)
        keys, values = self.keys, self.values
        return ((keys is None or any(tag["Key"] in keys for tag in tags))
                and (values is None or any(tag.get("Value") in values for tag in tags)))
