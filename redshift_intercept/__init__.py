"""redshift-intercept: run real boto3 Redshift snapshot code against a
faithful in-process fake.

    from redshift_intercept import intercept

    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="nightly-2024-05-01")
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="nightly-2024-05-01")
"""

from typing import TYPE_CHECKING, Any

from ._backend import CallJournal, MemoryBackend, PageScan, SnapshotBackend
from ._calls import Call, CallList
from ._clock import Clock
from ._errors import UnhandledOperationError
from ._faults import Fault
from ._hooks import install_globally as _install_globally
from ._intercept import RedshiftIntercept, intercept, serve
from ._sqlite import BackendError, SqliteBackend

if TYPE_CHECKING:  # pragma: no cover
    from ._postgres import PostgresBackend as PostgresBackend
    from ._server import Endpoint

__all__ = [
    "BackendError",
    "Call",
    "CallJournal",
    "CallList",
    "Clock",
    "Endpoint",
    "Fault",
    "MemoryBackend",
    "PageScan",
    "RedshiftIntercept",
    "SnapshotBackend",
    "SqliteBackend",
    "UnhandledOperationError",
    "intercept",
    "serve",
]

__version__ = "0.1.0"

_install_globally()


def __getattr__(name: str) -> Any:
    # The HTTP endpoint's module (asyncio, the thread pool) is imported when first used;
    # PostgresBackend too: only it imports psycopg (the postgres extra), so it is not in __all__.
    if name == "Endpoint":
        from ._server import Endpoint

        return Endpoint
    if name == "PostgresBackend":
        from ._postgres import PostgresBackend

        return PostgresBackend
    raise AttributeError(f"module 'redshift_intercept' has no attribute {name!r}")
