"""redshift-intercept: run real boto3 Redshift snapshot code against a
faithful in-process fake.

    from redshift_intercept import intercept

    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="nightly-2024-05-01")
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="nightly-2024-05-01")

Importing the package imports no botocore: the public names load on first
use, and our inert handlers reach every botocore session from the first
one the program creates (``_hooks``), whichever ``botocore`` it imported.
"""

from __future__ import annotations

import importlib
import sys
import threading

from ._importhook import when_imported

TYPE_CHECKING = False  # not typing's: importing typing would cost a program that never uses botocore
if TYPE_CHECKING:
    from typing import Any, List

    from ._backend import CallJournal, MemoryBackend, PageScan, SnapshotBackend
    from ._calls import Call, CallList
    from ._clock import Clock
    from ._errors import UnhandledOperationError
    from ._faults import Fault
    from ._identities import Identity
    from ._intercept import RedshiftIntercept, intercept, serve
    from ._policy import Decision, PolicyError
    from ._postgres import PostgresBackend as PostgresBackend
    from ._server import Endpoint
    from ._sqlite import BackendError, SqliteBackend

__all__ = [
    "BackendError",
    "Call",
    "CallJournal",
    "CallList",
    "Clock",
    "Decision",
    "Endpoint",
    "Fault",
    "Identity",
    "MemoryBackend",
    "PageScan",
    "PolicyError",
    "RedshiftIntercept",
    "SnapshotBackend",
    "SqliteBackend",
    "UnhandledOperationError",
    "intercept",
    "serve",
]

__version__ = "0.1.0"

_HOMES = {
    "BackendError": "_sqlite", "Call": "_calls", "CallJournal": "_backend", "CallList": "_calls",
    "Clock": "_clock", "Decision": "_policy", "Fault": "_faults", "Identity": "_identities",
    "MemoryBackend": "_backend", "PageScan": "_backend", "PolicyError": "_policy", "RedshiftIntercept": "_intercept",
    "SnapshotBackend": "_backend", "SqliteBackend": "_sqlite", "UnhandledOperationError": "_errors",
    "intercept": "_intercept", "serve": "_intercept",
    "Endpoint": "_server",  # the HTTP endpoint's module (asyncio, the thread pool)
    # Only PostgresBackend imports psycopg (the postgres extra), so it is not in __all__.
    "PostgresBackend": "_postgres",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted({*globals(), *__all__})


_install_lock = threading.RLock()
_installed = False


def _install(session: Any = None) -> None:
    """Put our handlers on every botocore session from now on (and on
    ``session``, being created when this runs as its initializer)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
        from ._hooks import install_globally, install_on_session

        install_globally()
        if session is not None:
            install_on_session(session)


def _botocore_imported(botocore: Any) -> None:
    # Our handlers go on at the program's first botocore session, not at its
    # import of botocore: a program that never makes one gets nothing of ours.
    botocore.register_initializer(_install)
    if getattr(sys.modules.get("boto3"), "DEFAULT_SESSION", None) is not None:
        _install()  # boto3's default session exists already: reach it now


when_imported("botocore", _botocore_imported)
