"""PostgresBackend: the conformance suite, plus what only a database server can do."""

from __future__ import annotations

from redshift_intercept.testing import BackendConformance
from tests.postgres_support import require_postgres, unique


def _backend(**options):
    from redshift_intercept._postgres import PostgresBackend

    class Tidy(PostgresBackend):
        """Closing clears the test's namespace first."""

        def close(self) -> None:
            if not self._closed:
                self.clear()
            super().close()

    return Tidy(require_postgres(), **options)


class TestPostgresBackend(BackendConformance):
    def make_backend(self, tmp_path):
        return _backend(namespace=unique("conformance"))
