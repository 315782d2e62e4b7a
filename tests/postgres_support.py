"""The PostgreSQL server the PostgreSQL tests run against.

``REDSHIFT_INTERCEPT_TEST_POSTGRES`` holds its DSN (``.ci/pg-throwaway.sh run
-- python -m pytest`` starts a throwaway server and sets it). Without it, or
without psycopg, or when the server does not answer, those tests skip and
say why; with ``REDSHIFT_INTERCEPT_REQUIRE_POSTGRES=1`` (CI) they fail instead,
so that a run that skipped them cannot pass.
"""

from __future__ import annotations

import os
import uuid
from typing import Optional

import pytest

DSN_VARIABLE = "REDSHIFT_INTERCEPT_TEST_POSTGRES"
PASSWORD_DSN_VARIABLE = "REDSHIFT_INTERCEPT_TEST_POSTGRES_PASSWORD"
REQUIRE_VARIABLE = "REDSHIFT_INTERCEPT_REQUIRE_POSTGRES"
HOW = ("set REDSHIFT_INTERCEPT_TEST_POSTGRES=postgresql://user@host:port/dbname, or run the suite "
       "under a throwaway server: .ci/pg-throwaway.sh run -- python -m pytest")

_problem: Optional[str] = None
_checked = False


def _find_problem() -> Optional[str]:
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        return f"no PostgreSQL server for the tests: {HOW}"
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed: pip install -e '.[test,postgres]'"
    try:
        with psycopg.connect(dsn, connect_timeout=5):
            pass
    except psycopg.Error as error:
        return f"the PostgreSQL server in {DSN_VARIABLE} does not answer ({str(error).splitlines()[0]}): {HOW}"
    return None


def require_postgres() -> str:
    """The test server's DSN; skips the test (fails it under
    REDSHIFT_INTERCEPT_REQUIRE_POSTGRES=1) when there is none."""
    global _problem, _checked
    if not _checked:
        _problem, _checked = _find_problem(), True
    if _problem is not None:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but {_problem}", pytrace=False)
        pytest.skip(_problem)
    return os.environ[DSN_VARIABLE]


def unique(prefix: str = "t") -> str:
    """A fresh namespace or schema name."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"
