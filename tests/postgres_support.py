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


def tidy_backend(**options):
    """A ``PostgresBackend`` on the test server (``options`` as for it,
    typically a ``namespace=unique()``) whose ``close()`` first clears its
    namespace, so that tests leave nothing behind; skips without a server."""
    dsn = require_postgres()
    from redshift_intercept._postgres import PostgresBackend

    class Tidy(PostgresBackend):
        """Closing clears the test's namespace first."""

        def close(self) -> None:
            if not self._closed:
                self.clear()
            super().close()

    return Tidy(dsn, **options)


def fresh_backend(kind: str, path):
    """A new, empty backend of ``kind``: ``"memory"``, ``"sqlite"`` (a file at
    ``path``) or ``"postgresql"`` (a namespace of its own on the test server,
    cleared when closed; skips without a server, see tests/postgres_support.py)."""
    from redshift_intercept import MemoryBackend, SqliteBackend

    if kind == "memory":
        return MemoryBackend()
    if kind == "sqlite":
        return SqliteBackend(path)
    return tidy_backend(namespace=unique("both"))


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THROWAWAY = os.path.join(ROOT, ".ci", "pg-throwaway.sh")


class OwnServer:
    """A throwaway PostgreSQL server of the test's own (``.ci/pg-throwaway.sh``),
    which the test may stop and start again; always removed at the end."""

    def __init__(self) -> None:
        import subprocess

        require_postgres()  # same rules: skip, or fail under REQUIRE, when there is no PostgreSQL
        done = subprocess.run([THROWAWAY, "start"], capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            message = f"cannot start a throwaway PostgreSQL server: {done.stderr.strip()[-500:]}"
            if os.environ.get(REQUIRE_VARIABLE) == "1":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        env = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
        self.dsn, self.password_dsn = env[DSN_VARIABLE], env[PASSWORD_DSN_VARIABLE]
        self.directory = env["PG_THROWAWAY_DIR"]
        with open(os.path.join(self.directory, "bin")) as bin_file, \
                open(os.path.join(self.directory, "port")) as port_file:
            self.bin, self.port = bin_file.read().strip(), port_file.read().strip()

    def pg_ctl(self, *args: str) -> None:
        import subprocess

        as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run([*as_postgres, f"{self.bin}/pg_ctl", "-D", os.path.join(self.directory, "data"), *args],
                       check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg_ctl("-o", f"-p {self.port}", "-l", os.path.join(self.directory, "server.log"), "-w", "start")

    def remove(self) -> None:
        import subprocess

        subprocess.run([THROWAWAY, "stop", self.directory], capture_output=True, timeout=120)


def need_psycopg() -> None:
    """Skip (fail under REDSHIFT_INTERCEPT_REQUIRE_POSTGRES=1) without psycopg."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        message = "psycopg is not installed: pip install -e '.[test,postgres]'"
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{REQUIRE_VARIABLE}=1 but {message}", pytrace=False)
        pytest.skip(message)
