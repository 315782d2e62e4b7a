"""Characters a Redshift reply cannot carry: one home for the check.

A reply is XML 1.0 in UTF-8. XML 1.0 cannot carry the C0 control characters
other than tab, line feed and carriage return, nor U+FFFE and U+FFFF, not even
as character references (``&#1;`` is not well-formed); UTF-8 cannot carry a
lone surrogate (U+D800 to U+DFFF). A string holding one could never be sent
back: botocore's parser would fail on the reply (or encoding it would), so

- seeding refuses it (``ValueError`` naming the field), so that nothing
  stored is ever unrenderable;
- a request parameter holding one is answered ``InvalidParameterValue``
  before any rule runs (``check_request``), so that no rule echoes it into a
  message;
- an error message is cleaned once more before it is rendered (``printable``),
  so that no message of ours, whatever it quotes, can break the reply.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ._errors import invalid_value

UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""One character no reply can carry."""


def name_of(char: str) -> str:
    """``U+0001``: how messages name a character (never the character itself)."""
    return f"U+{ord(char):04X}"


def is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def first_unsendable(text: str) -> Optional[str]:
    """The first character of ``text`` no reply can carry, or None."""
    found = UNSENDABLE.search(text)
    return None if found is None else found.group()


def printable(text: str) -> str:
    """``text`` with every character no reply can carry written as ``\\uXXXX``
    (as JSON and Python write it), so that it can be rendered."""
    if UNSENDABLE.search(text) is None:
        return text
    return UNSENDABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _first_in(value: Any, path: str) -> Optional[tuple[str, str]]:
    if isinstance(value, str):
        found = UNSENDABLE.search(value)
        return None if found is None else (path, found.group())
    if isinstance(value, dict):
        for key, item in value.items():
            hit = _first_in(item, f"{path}.{key}" if path else key)
            if hit is not None:
                return hit
    elif isinstance(value, list):
        for index, item in enumerate(value):
            hit = _first_in(item, f"{path}[{index}]")
            if hit is not None:
                return hit
    return None


def check_request(params: dict) -> None:
    """Refuse a request that carries a character no reply can carry, in any
    parameter at any depth, with ``InvalidParameterValue`` naming the
    parameter and the character (by code point: the message must itself be
    sendable). Request parameters are shaped by the service model, so the
    walk is as deep as the model, never deeper."""
    hit = _first_in(params, "")
    if hit is not None:
        path, char = hit
        raise invalid_value(f"The parameter {path} contains the character {name_of(char)}, which is not "
                            "allowed: Redshift accepts no control characters other than tab, line feed and "
                            "carriage return, no U+FFFE or U+FFFF, and no lone surrogates.")
