"""redshift-intercept: run real boto3 Redshift snapshot code against a
faithful in-process fake.

    from redshift_intercept import intercept

    with intercept() as rs:
        rs.add_snapshot(SnapshotIdentifier="nightly-2024-05-01")
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="nightly-2024-05-01")
"""

from ._backend import MemoryBackend, SnapshotBackend
from ._errors import UnhandledOperationError
from ._hooks import install_globally as _install_globally
from ._intercept import Call, CallList, RedshiftIntercept, intercept

__all__ = [
    "Call",
    "CallList",
    "MemoryBackend",
    "RedshiftIntercept",
    "SnapshotBackend",
    "UnhandledOperationError",
    "intercept",
]

__version__ = "0.1.0"

_install_globally()
