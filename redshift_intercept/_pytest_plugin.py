"""pytest plugin: the ``redshift_intercept`` fixture and marker.

Registered through the ``pytest11`` entry point, so importing
``redshift_intercept`` happens when pytest starts, before any test module
creates a client.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator

import pytest

pytest.register_assert_rewrite("redshift_intercept.testing")

from ._intercept import RedshiftIntercept, intercept  # noqa: E402 (after the rewrite hook)

MARKER = "redshift_intercept"


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = ("default backend of the redshift_intercept fixture: 'memory' (default), 'sqlite://' "
                 "(a fresh SQLite file per test) or 'sqlite:///path/to/file.db' (one file, shared)")
    parser.getgroup("redshift-intercept").addoption(
        "--redshift-intercept-backend", dest="redshift_intercept_backend", default=None,
        metavar="BACKEND", help=help_text)
    parser.addini("redshift_intercept_backend", help=help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options for the {MARKER} fixture, passed to "
        "redshift_intercept.intercept() (backend, region, account_id, passthrough, target), "
        "plus snapshots='seed.json' to load a describe_cluster_snapshots JSON file "
        "(relative to the test file)",
    )


def _options(node: pytest.Item) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    # iter_markers yields the closest first; apply the farthest first so that
    # a test's marker overrides its class's, which overrides its module's.
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise TypeError(f"@pytest.mark.{MARKER} takes keyword options only, e.g. "
                            f"@pytest.mark.{MARKER}(region='eu-west-1'); got {marker.args!r}")
        options.update(marker.kwargs)
    return options


@pytest.fixture
def redshift_intercept(request: pytest.FixtureRequest) -> Iterator[RedshiftIntercept]:
    """An active interceptor on a fresh ``MemoryBackend`` for this test only.

    Options come from ``@pytest.mark.redshift_intercept(...)`` on the test,
    its class or its module; ``snapshots="seed.json"`` (a path relative to
    the test file, or a dict) seeds it with ``load_snapshots``. The default
    backend comes from ``--redshift-intercept-backend`` or the
    ``redshift_intercept_backend`` ini value.
    """
    options = _options(request.node)
    seed = options.pop("snapshots", None)
    if "backend" not in options:
        default = (request.config.getoption("redshift_intercept_backend")
                   or request.config.getini("redshift_intercept_backend"))
        if default in ("sqlite", "sqlite://"):
            default = "sqlite:///" + str(request.getfixturevalue("tmp_path") / "redshift-intercept.db")
        if default:
            options["backend"] = default
    owned = isinstance(options.get("backend"), str)
    rs = intercept(**options)
    try:
        with rs:
            if seed is not None:
                if isinstance(seed, (str, os.PathLike)):
                    seed = request.path.parent / seed
                rs.load_snapshots(seed)
            yield rs
    finally:
        if owned and hasattr(rs.backend, "close"):
            rs.backend.close()
