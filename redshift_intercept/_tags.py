"""Tags: what Redshift accepts as a tag, and the ``TagKeys``/``TagValues``
filters of the describe operations. One home for both, used by seeding and
by every rule."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, Iterable, List, Optional

from ._errors import ServiceError

MAX_TAGS = 50
"""Tags per resource."""

Tag = Dict[str, str]


TAG_SYMBOLS = "_.:/=+-@"
"""The symbols a tag may hold besides Unicode letters, digits and white space."""
_PLAIN_TAG = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*\Z")


def _refused_character(text: str) -> Optional[str]:
    """The first character of ``text`` a tag may not hold, or None.

    Redshift's documented tagging requirements: "Allowed characters for keys
    and values are Unicode letters, digits, white space, and any of the
    following symbols: _ . : / = + - @" -- the Java pattern other AWS services
    print for the same rule, ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``. So
    categories L (letters), N (digits and other numbers) and Z (space, line
    and paragraph separators), but no controls (tab, newline), punctuation,
    symbols (emoji) or combining marks."""
    if _PLAIN_TAG.match(text):
        return None
    for char in text:
        if char not in TAG_SYMBOLS and unicodedata.category(char)[0] not in "LNZ":
            return char
    return None


def _character_problem(what: str, text: str) -> Optional[str]:
    char = _refused_character(text)
    if char is None:
        return None
    return (f"{what} contains the character {char!r} (U+{ord(char):04X}); tag keys and values may hold only "
            f"Unicode letters, digits, white space and {' '.join(TAG_SYMBOLS)}")


def tag_problem(key: object, value: object) -> Optional[str]:
    """Why Redshift would refuse this tag, or None. The messages quote keys
    with ``repr``, so they never carry a character a reply cannot."""
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        return f"Tag key {key!r} must be 1-128 characters"
    if key.lower().startswith("aws:"):
        return f"Tag key {key!r} uses the reserved prefix 'aws:'"
    if not isinstance(value, str) or len(value) > 256:
        return f"Tag value for key {key!r} must be 0-256 characters"
    return _character_problem(f"Tag key {key!r}", key) or _character_problem(f"Tag value for key {key!r}", value)


def first_tag_problem(tags: Iterable[Tag]) -> Optional[str]:
    """The first reason to refuse one of ``tags`` (a tag set or one
    request's tags): a bad tag, or a key given twice."""
    seen = set()
    for tag in tags:
        key = tag.get("Key")
        problem = tag_problem(key, tag.get("Value", ""))
        if problem:
            return problem
        if key in seen:
            return f"Tag key {key!r} is given more than once; keys must be unique per tag set"
        seen.add(key)
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
