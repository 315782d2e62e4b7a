"""The conformance suite on the reference backend."""

from __future__ import annotations

from redshift_intercept import MemoryBackend
from redshift_intercept.testing import BackendConformance


class TestMemoryBackend(BackendConformance):
    def make_backend(self, tmp_path) -> MemoryBackend:
        return MemoryBackend()
