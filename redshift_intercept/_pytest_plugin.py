"""pytest plugin: the ``redshift_intercept`` fixture and marker.

Registered through the ``pytest11`` entry point, so importing
``redshift_intercept`` happens when pytest starts, before any test module
creates a client.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import TYPE_CHECKING, Any, Dict, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from ._server import Endpoint

pytest.register_assert_rewrite("redshift_intercept.testing")

from ._intercept import RedshiftIntercept, intercept  # noqa: E402 (after the rewrite hook)

MARKER = "redshift_intercept"


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = ("default backend of the redshift_intercept fixture: 'memory' (default), 'sqlite://' "
                 "(a fresh SQLite file per test), 'sqlite:///path/to/file.db' (one file, shared) or "
                 "'postgresql://user@host:port/dbname' (one database; each test in its own namespace)")
    parser.getgroup("redshift-intercept").addoption(
        "--redshift-intercept-backend", dest="redshift_intercept_backend", default=None,
        metavar="BACKEND", help=help_text)
    parser.addini("redshift_intercept_backend", help=help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options for the {MARKER} fixture, passed to "
        "redshift_intercept.intercept() (backend, region, account_id, passthrough, target, strict_identities), "
        "plus snapshots='seed.json' to load a describe_cluster_snapshots JSON file "
        "(relative to the test file) and assert_all_handled=False to allow refused, unmodelled calls",
    )


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()
_POSTGRES = pytest.StashKey[Dict[str, Any]]()


def _postgres_backend(config: pytest.Config, dsn: str) -> Any:
    """A ``PostgresBackend`` on ``dsn`` in a namespace of its own: tests
    (and pytest-xdist workers, on any machine) share the database, never the
    state. One backend per DSN stays open for the session, so tests share
    its connections and the schema is checked once."""
    from ._postgres import PostgresBackend

    anchors = config.stash.setdefault(_POSTGRES, {})
    if dsn not in anchors:
        anchors[dsn] = PostgresBackend(dsn)
    return PostgresBackend(dsn, namespace=f"pytest-{int(time.time())}-{uuid.uuid4().hex[:16]}")


def pytest_unconfigure(config: pytest.Config) -> None:
    for anchor in config.stash.get(_POSTGRES, {}).values():
        anchor.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_REPORT] = report


def _unhandled_message(rs: RedshiftIntercept) -> str:
    counts: Dict[str, int] = {}
    for call in rs.unhandled:
        counts[call.operation] = counts.get(call.operation, 0) + 1
    listed = ", ".join(f"{name} (x{count})" for name, count in counts.items())
    return (f"redshift_intercept: the test called Redshift operations that are not modelled, and they were "
            f"refused with UnhandledOperationError: {listed}. The test did not fail on it, so the code under "
            "test may have swallowed the error. If that is expected, clear redshift_intercept.unhandled in "
            f"the test or mark it @pytest.mark.{MARKER}(assert_all_handled=False); to send such calls to "
            f"AWS, use @pytest.mark.{MARKER}(passthrough=True).")


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
    ``redshift_intercept_backend`` ini value. A test that passed although
    it made a Redshift call that was refused as unhandled fails at teardown
    (the code under test may have swallowed the error), unless the marker
    says ``assert_all_handled=False``.
    """
    options = _options(request.node)
    seed = options.pop("snapshots", None)
    assert_all_handled = options.pop("assert_all_handled", True)
    namespaced = None  # a PostgresBackend in this test's own namespace
    if "backend" not in options:
        default = (request.config.getoption("redshift_intercept_backend")
                   or request.config.getini("redshift_intercept_backend"))
        if default in ("sqlite", "sqlite://"):
            default = "sqlite:///" + str(request.getfixturevalue("tmp_path") / "redshift-intercept.db")
        if isinstance(default, str) and default.startswith(("postgresql://", "postgres://")):
            default = namespaced = _postgres_backend(request.config, default)
        if default:
            options["backend"] = default
    owned = isinstance(options.get("backend"), str) or namespaced is not None
    rs = intercept(**options)
    try:
        with rs:
            if seed is not None:
                if isinstance(seed, (str, os.PathLike)):
                    seed = request.path.parent / seed
                rs.load_snapshots(seed)
            yield rs
    finally:
        try:
            if namespaced is not None:
                namespaced.clear()
        finally:
            if owned and hasattr(rs.backend, "close"):
                rs.backend.close()
    report = request.node.stash.get(_CALL_REPORT, None)
    if assert_all_handled and rs.unhandled and report is not None and report.passed:
        pytest.fail(_unhandled_message(rs), pytrace=False)


@pytest.fixture
def redshift_intercept_server(redshift_intercept: RedshiftIntercept) -> Iterator[Endpoint]:
    """An HTTP endpoint (``redshift_intercept.serve()``) of this test's
    ``redshift_intercept`` fixture, for programs that are not Python or run
    in another process: point them at ``redshift_intercept_server.url``, or
    run them with ``env={**os.environ, **redshift_intercept_server.env}``.
    Seed and assert through the ``redshift_intercept`` fixture: both share
    one service. Stopped after the test, once requests in flight are done.
    Needs ``pip install 'redshift-intercept[serve]'``."""
    with redshift_intercept.serve() as endpoint:
        yield endpoint
