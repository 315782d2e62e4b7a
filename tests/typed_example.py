"""Decorated functions keep their signatures for type checkers.

Checked by mypy in ``test_decorate.py`` (and run there too). Every
``assert_type`` must hold, and every ``type: ignore`` must be needed:
``warn_unused_ignores`` makes an ignore that silences nothing an error, so
a decorator that lost the signature (``Callable[..., Any]``) fails here.
"""
# mypy: warn-unused-ignores

from __future__ import annotations

import unittest

from typing_extensions import assert_type

from redshift_intercept import RedshiftIntercept, intercept


@intercept()
def cleanup(rs: RedshiftIntercept, older_than_days: int, *, dry_run: bool = False) -> list[str]:
    """``rs`` first: the interceptor is passed in, and callers do not see it."""
    rs.add_snapshot(SnapshotIdentifier="nightly")
    return [] if dry_run else [s["SnapshotIdentifier"] for s in rs.snapshots()]


@intercept()
async def count(rs: RedshiftIntercept, region: str) -> int:
    return len(rs.snapshots(region))


@intercept()
def plain(days: int) -> str:
    return f"{days} days"


@intercept()
class Tests(unittest.TestCase):
    def test_nothing_seeded(self) -> None:
        pass


def check() -> None:
    assert_type(cleanup(30), list[str])
    assert_type(cleanup(30, dry_run=True), list[str])
    assert_type(plain(3), str)
    assert_type(Tests, type[Tests])
    cleanup("30")  # type: ignore[arg-type]
    cleanup(30, rs=intercept())  # type: ignore[call-arg]
    plain()  # type: ignore[call-arg]
    count(5)  # type: ignore[arg-type, unused-coroutine]
