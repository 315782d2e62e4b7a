"""redshift-intercept: run real boto3 Redshift snapshot code against a
faithful in-process fake.

    from redshift_intercept import intercept

    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="nightly-2024-05-01")
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="nightly-2024-05-01")
"""

from ._backend import CallJournal, MemoryBackend, SnapshotBackend
from ._calls import Call, CallList
from ._clock import Clock
from ._errors import UnhandledOperationError
from ._faults import Fault
from ._hooks import install_globally as _install_globally
from ._intercept import RedshiftIntercept, intercept
from ._sqlite import BackendError, SqliteBackend

__all__ = [
    "BackendError",
    "Call",
    "CallJournal",
    "CallList",
    "Clock",
    "Fault",
    "MemoryBackend",
    "RedshiftIntercept",
    "SnapshotBackend",
    "SqliteBackend",
    "UnhandledOperationError",
    "intercept",
]

__version__ = "0.1.0"

_install_globally()
