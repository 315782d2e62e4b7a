"""Pagination: ``MaxRecords`` and ``Marker``, the same way for every listing.

A listing is put in a total order (``Order``: a key unique per item) and a
marker is the key of the last item returned, so the next page starts right
after it: items deleted between pages make the next page skip nothing and
repeat nothing. A marker we did not issue, or one of another listing, is
``InvalidParameterValue``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union

from ._errors import invalid_value

T = TypeVar("T")
Key = Callable[[Any], tuple]

MIN_PAGE, MAX_PAGE, DEFAULT_PAGE = 20, 100, 100


def page_size(params: Dict[str, Any]) -> int:
    """``MaxRecords``: 20..100, default 100, as the service checks (botocore does not)."""
    size = params.get("MaxRecords", DEFAULT_PAGE)
    if not MIN_PAGE <= size <= MAX_PAGE:
        raise invalid_value(f"MaxRecords must be between {MIN_PAGE} and {MAX_PAGE}; got {size}.")
    return size


def encode_marker(key: Iterable[Any]) -> str:
    parts = [{"t": part.isoformat()} if isinstance(part, _dt.datetime) else part for part in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def _decode_marker(marker: str, what: str) -> list:
    try:
        key = json.loads(base64.urlsafe_b64decode(marker.encode()))
        if isinstance(key, list):
            key = [_dt.datetime.fromisoformat(part["t"]) if isinstance(part, dict) else part for part in key]
    except (ValueError, TypeError, KeyError, RecursionError):
        key = None
    if not isinstance(key, list):
        raise _foreign(marker, what)
    return key


def _foreign(marker: str, what: str) -> Exception:
    return invalid_value(f"Invalid Marker {marker!r}: pass the Marker of a previous {what} response.")


class _Descending:
    """A key part that sorts the other way round."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __gt__(self, other: _Descending) -> bool:
        return other.value > self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class Order:
    """A total order on the items of a listing.

    ``key(item)`` is a tuple unique per item whose part ``i`` is of
    ``types[i]`` (str, float, datetime); ``descending[i]`` says whether it
    sorts descending (default: none does). ``after``,
    if given, is a faster ``after(items, bound)``: the items whose key comes
    after the key ``bound`` (only used for all-ascending orders)."""

    __slots__ = ("_after", "descending", "key", "sort_key", "types")

    def __init__(self, key: Key, types: Sequence[Union[type, Tuple[type, ...]]],
                 descending: Optional[Sequence[bool]] = None,
                 after: Optional[Callable[[List[Any], tuple], List[Any]]] = None) -> None:
        self.key = key
        self.types = tuple(types)
        self.descending = tuple(descending) if descending is not None else (False,) * len(self.types)
        if len(self.descending) != len(self.types):
            raise ValueError("an Order needs one descending flag per key part")
        self._after = after if not any(self.descending) else None
        if any(self.descending):
            flags = self.descending

            def sort_key(item: Any) -> tuple:
                return tuple(_Descending(part) if flag else part
                             for part, flag in zip(key(item), flags, strict=True))

            self.sort_key: Key = sort_key
        else:
            self.sort_key = key

    def after(self, items: List[T], bound: tuple) -> List[T]:
        """The items whose key comes after ``bound``; TypeError if ``bound``
        holds parts of other types than the keys."""
        if self._after is not None:
            return self._after(items, bound)
        if any(self.descending):
            bound = tuple(_Descending(part) if flag else part
                          for part, flag in zip(bound, self.descending, strict=True))
        sort_key = self.sort_key
        return [item for item in items if sort_key(item) > bound]


def marker_bound(order: Order, marker: Optional[str], what: str) -> Optional[tuple]:
    """The key a marker of ``order`` carries (None for no marker), for a
    listing that reads only what comes after it; ``InvalidParameterValue``
    for a marker we did not issue for this listing."""
    if not marker:
        return None
    bound = _decode_marker(marker, what)
    if len(bound) != len(order.types) or not all(
            isinstance(part, kind) for part, kind in zip(bound, order.types, strict=True)):
        raise _foreign(marker, what)
    if any(isinstance(part, _dt.datetime) and part.tzinfo is None for part in bound):  # ours are all UTC
        raise _foreign(marker, what)
    return tuple(bound)


def paginate(items: List[T], order: Order, marker: Optional[str], size: int,
             what: str) -> Tuple[List[T], Optional[str]]:
    """The page of ``size`` items after ``marker`` (None or "": the first),
    and the marker of the page after it (None on the last page). ``what``
    names the operation in the error for a foreign marker."""
    if marker:
        bound = _decode_marker(marker, what)
        if len(bound) != len(order.types) or not all(
                isinstance(part, kind) for part, kind in zip(bound, order.types, strict=True)):
            raise _foreign(marker, what)
        try:
            items = order.after(items, tuple(bound))
        except TypeError:  # parts of other types than this listing's keys
            raise _foreign(marker, what) from None
    # sorted() beats heapq.nsmallest here: stores keep insertion order, which is
    # mostly the listing's order already, and timsort runs through that in one pass.
    page = sorted(items, key=order.sort_key)[:size + 1]
    next_marker = encode_marker(order.key(page[size - 1])) if len(page) > size else None
    return page[:size], next_marker
