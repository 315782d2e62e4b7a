"""The conformance suite on the reference backend."""

from __future__ import annotations

from redshift_intercept import MemoryBackend, PageScan
from redshift_intercept.testing import BackendConformance


class TestMemoryBackend(BackendConformance):
    def make_backend(self, tmp_path) -> MemoryBackend:
        return MemoryBackend()


class ScanningMemoryBackend(MemoryBackend):
    """MemoryBackend with the optional ``PageScan`` extension (by sorting):
    runs the describe rule's scan path without a database server."""

    def scan_snapshots(self, account_id, region, after, limit):
        def key(record):
            return record["SnapshotCreateTime"], record["OwnerAccount"], record["SnapshotIdentifier"]

        ordered = sorted(self.list(account_id, region), key=key)
        return [r for r in ordered if after is None or key(r) > after][:limit]


class TestScanningMemoryBackend(BackendConformance):
    def make_backend(self, tmp_path):
        return ScanningMemoryBackend()


def test_a_backend_without_page_scans_skips_those_tests():
    assert not isinstance(MemoryBackend(), PageScan)
    assert isinstance(ScanningMemoryBackend(), PageScan)
