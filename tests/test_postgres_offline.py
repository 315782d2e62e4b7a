"""PostgresBackend without a server: the optional import, argument checks,
DSNs that do not parse or lead nowhere. Messages never carry the password."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from redshift_intercept import BackendError
from tests.postgres_support import need_psycopg

SECRET = "s3cret-pw"


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


def test_nothing_imports_psycopg_unless_a_postgres_backend_is_used(tmp_path):
    done = run_python(f"""
        import sys
        import redshift_intercept, redshift_intercept.testing, redshift_intercept._pytest_plugin
        from redshift_intercept import intercept
        from redshift_intercept.testing import make_client
        with intercept(backend="sqlite:///{tmp_path}/state.db") as rs:
            rs.add_snapshot(SnapshotIdentifier="a")
            make_client().describe_cluster_snapshots()
        with intercept():
            make_client().describe_cluster_snapshots()
        assert not [name for name in sys.modules if name.startswith("psycopg")], sorted(sys.modules)
        print("ok")
    """)
    assert done.stdout == "ok\n", done.stderr


def test_without_psycopg_the_error_says_how_to_install_it():
    done = run_python("""
        import sys
        sys.modules["psycopg"] = None  # as if it were not installed
        from redshift_intercept import intercept
        for attempt in (lambda: intercept(backend="postgresql://u@127.0.0.1:9/db"),
                        lambda: __import__("redshift_intercept").PostgresBackend):
            try:
                attempt()
            except ImportError as error:
                print(str(error).split(" (")[0])
    """)
    assert done.stdout.splitlines() == [
        "PostgresBackend needs psycopg 3: pip install 'redshift-intercept[postgres]'"] * 2, done.stderr


@pytest.fixture
def PostgresBackend():
    need_psycopg()
    from redshift_intercept._postgres import PostgresBackend

    return PostgresBackend


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"dsn": 5}, TypeError, "dsn must be a str such as 'postgresql://user@host:5432/dbname', got int"),
    ({"schema": ""}, ValueError, "schema must be a PostgreSQL name of 1-63 characters, got ''"),
    ({"schema": 3}, TypeError, "schema must be a str, got int"),
    ({"namespace": None}, TypeError, "namespace must be a str, got NoneType"),
    ({"timeout": 0}, ValueError, "timeout must be a number of seconds > 0, got 0"),
    ({"pool_size": 0}, ValueError, "pool_size must be an int >= 1, got 0"),
    ({"durable": "yes"}, TypeError, "durable must be True or False, got 'yes'"),
])
def test_bad_arguments_name_the_argument(PostgresBackend, kwargs, error, message):
    arguments = {"dsn": "postgresql://u@127.0.0.1:9/db", **kwargs}
    with pytest.raises(error) as excinfo:
        PostgresBackend(arguments.pop("dsn"), **arguments)
    assert str(excinfo.value) == message


FORMS = "postgresql://user[:password]@host[:port]/dbname, postgres://..., or 'host=... port=... dbname=... user=...'"


@pytest.mark.parametrize(("dsn", "message"), [
    (f"host=127.0.0.1 password=my {SECRET}", f"dsn is not a valid PostgreSQL DSN: expected {FORMS}"),
    (f"postgresql://u:{SECRET}@127.0.0.1/db?nosuchoption=1", f"dsn is not a valid PostgreSQL DSN: expected {FORMS}"),
    (f"mysql://u:{SECRET}@127.0.0.1/db",
     f"dsn is not a PostgreSQL DSN (it names the scheme 'mysql'): expected {FORMS}"),
])
def test_a_dsn_that_does_not_parse_is_never_echoed(PostgresBackend, dsn, message):
    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(dsn)
    assert str(excinfo.value) == message


def test_nothing_listening_is_one_line_naming_the_dsn_without_its_password(PostgresBackend):
    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(f"postgresql://u:{SECRET}@127.0.0.1:9/db", timeout=3)
    assert str(excinfo.value) == (
        'PostgreSQL postgresql://u@127.0.0.1:9/db: connecting failed: connection to server at "127.0.0.1", '
        "port 9 failed: Connection refused; is the server running and listening on that host and port?")


def test_a_port_that_is_not_a_number(PostgresBackend):
    with pytest.raises(BackendError) as excinfo:
        PostgresBackend(f"postgresql://u:{SECRET}@127.0.0.1:notaport/db", timeout=3)
    message = str(excinfo.value)
    assert SECRET not in message and "\n" not in message
    assert message.startswith("PostgreSQL postgresql://u@127.0.0.1:notaport/db: connecting failed: ")
    assert message.endswith("check the port and the numeric options in the DSN")


@pytest.mark.parametrize(("dsn", "shown"), [
    (f"postgresql://rsi:{SECRET}@127.0.0.1:5432/rsi", "postgresql://rsi@127.0.0.1:5432/rsi"),
    (f"postgres://u:{SECRET}@h1:5432,h2:5433/d?connect_timeout=3",
     "postgresql://u@h1,h2:5432,5433/d?connect_timeout=3"),
    (f"host=db.example user=me password={SECRET} dbname=state", "user=me dbname=state host=db.example"),
    ("", "the default connection (PG* environment variables)"),
])
def test_dsns_are_shown_without_their_password(PostgresBackend, dsn, shown):
    from redshift_intercept._postgres import redact

    assert redact(dsn) == shown
