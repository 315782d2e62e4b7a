"""The pytest plugin, tested as a user meets it: through pytester."""

from __future__ import annotations

import pytest

CONFTEST = '''
import boto3
import pytest
from botocore.config import Config


@pytest.fixture
def client():
    return boto3.client(
        "redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
'''


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST)
    return pytester


def test_fixture_is_registered_by_the_entry_point_and_answers(suite):
    suite.makepyfile('''
        def test_delete(redshift_intercept, client):
            redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
            response = client.delete_cluster_snapshot(SnapshotIdentifier="snap")
            assert response["Snapshot"]["Status"] == "deleted"
            assert redshift_intercept.calls.call_count == 1
            assert redshift_intercept.active
    ''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_tests_never_share_state(suite):
    suite.makepyfile('''
        import pytest

        @pytest.mark.parametrize("round", [1, 2, 3])
        def test_same_id_every_time(redshift_intercept, client, round):
            assert redshift_intercept.snapshots() == []
            assert redshift_intercept.calls.call_count == 0
            redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
            client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    ''')
    suite.runpytest().assert_outcomes(passed=3)


def test_interceptor_is_stopped_after_each_test(suite):
    suite.makepyfile('''
        import botocore.exceptions
        import pytest

        def test_uses_it(redshift_intercept):
            pass

        def test_after(client):
            with pytest.raises(botocore.exceptions.EndpointConnectionError):
                client.delete_cluster_snapshot(SnapshotIdentifier="snap")
    ''')
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_marker_passes_options_and_the_closest_wins(suite):
    suite.makepyfile('''
        import pytest

        pytestmark = pytest.mark.redshift_intercept(region="eu-west-1", account_id="111111111111")

        def test_module_level(redshift_intercept):
            assert redshift_intercept.region == "eu-west-1"
            assert redshift_intercept.account_id == "111111111111"

        @pytest.mark.redshift_intercept(account_id="222222222222")
        class TestClassLevel:
            def test_class(self, redshift_intercept):
                assert redshift_intercept.region == "eu-west-1"
                assert redshift_intercept.account_id == "222222222222"

            @pytest.mark.redshift_intercept(region="ap-south-1", passthrough=True)
            def test_function(self, redshift_intercept):
                assert redshift_intercept.region == "ap-south-1"
                assert redshift_intercept.account_id == "222222222222"
                assert redshift_intercept.passthrough is True
    ''')
    suite.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_marker_can_share_a_backend(suite):
    suite.makepyfile('''
        import pytest
        from redshift_intercept import MemoryBackend

        BACKEND = MemoryBackend()

        @pytest.mark.redshift_intercept(backend=BACKEND)
        def test_one(redshift_intercept):
            redshift_intercept.add_snapshot(SnapshotIdentifier="kept")

        @pytest.mark.redshift_intercept(backend=BACKEND)
        def test_two(redshift_intercept):
            assert [s["SnapshotIdentifier"] for s in redshift_intercept.snapshots()] == ["kept"]
    ''')
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_marker_is_documented_in_markers_help(suite):
    result = suite.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.redshift_intercept(**options): options for the "
                                 "redshift_intercept fixture, passed to redshift_intercept.intercept()*"])


def test_unknown_marker_option_is_an_error_naming_it(suite):
    suite.makepyfile('''
        import pytest

        @pytest.mark.redshift_intercept(regoin="eu-west-1")
        def test_typo(redshift_intercept):
            pass
    ''')
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TypeError: *intercept() got an unexpected keyword argument 'regoin'*"])


def test_positional_marker_arguments_are_refused(suite):
    suite.makepyfile('''
        import pytest

        @pytest.mark.redshift_intercept("eu-west-1")
        def test_positional(redshift_intercept):
            pass
    ''')
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*TypeError: @pytest.mark.redshift_intercept takes keyword options only, e.g. "
        "@pytest.mark.redshift_intercept(region='eu-west-1'); got ('eu-west-1',)"])


def test_bad_marker_value_names_the_argument(suite):
    suite.makepyfile('''
        import pytest

        @pytest.mark.redshift_intercept(account_id="42")
        def test_bad(redshift_intercept):
            pass
    ''')
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ValueError: account_id must be 12 digits*got '42'"])


def test_teardown_never_hides_the_tests_own_failure(suite):
    suite.makepyfile('''
        def test_fails(redshift_intercept, client):
            redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
            client.delete_cluster_snapshot(SnapshotIdentifier="snap")
            assert 1 == 2, "the test's own failure"
    ''')
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: the test's own failure*"])
    result.stdout.no_fnmatch_line("*RuntimeError*")


def test_fail_closed_inside_the_fixture(suite):
    suite.makepyfile('''
        import pytest
        from redshift_intercept import UnhandledOperationError

        def test_unanswered(redshift_intercept, client):
            with pytest.raises(UnhandledOperationError, match="RebootCluster "):
                client.reboot_cluster(ClusterIdentifier="prod")
            assert [c.operation for c in redshift_intercept.unhandled] == ["RebootCluster"]
            redshift_intercept.unhandled.clear()  # expected: do not fail at teardown
    ''')
    suite.runpytest().assert_outcomes(passed=1)


SWALLOWING = '''
    import pytest

    def code_under_test(client):
        try:
            client.reboot_cluster(ClusterIdentifier="prod")
            client.reboot_cluster(ClusterIdentifier="prod")
        except Exception:
            pass  # swallowed

    def test_swallowed(redshift_intercept, client):
        code_under_test(client)

    @pytest.mark.redshift_intercept(assert_all_handled=False)
    def test_allowed(redshift_intercept, client):
        code_under_test(client)

    def test_fails_on_its_own(redshift_intercept, client):
        code_under_test(client)
        assert False, "its own failure"
'''


def test_refused_calls_that_the_code_swallowed_fail_the_test_at_teardown(suite):
    suite.makepyfile(SWALLOWING)
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_swallowed*",
        "*redshift_intercept: the test called Redshift operations that are not modelled, and they were refused "
        "with UnhandledOperationError: RebootCluster (x1). The test did not fail on it*",
    ])
    result.stdout.fnmatch_lines(["*AssertionError: its own failure*"])
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_fails_on_its_own*")
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_allowed*")


def test_plugin_can_be_disabled(suite):
    suite.makepyfile('''
        def test_needs_fixture(redshift_intercept):
            pass
    ''')
    result = suite.runpytest("-p", "no:redshift_intercept")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'redshift_intercept' not found*"])


BACKEND_PROBE = '''
    from redshift_intercept import MemoryBackend, SqliteBackend

    def test_one(redshift_intercept, client):
        redshift_intercept.add_snapshot(SnapshotIdentifier="snap")
        client.delete_cluster_snapshot(SnapshotIdentifier="snap")
        print("BACKEND", type(redshift_intercept.backend).__name__, getattr(redshift_intercept.backend, "path", ""))

    def test_two(redshift_intercept):
        assert redshift_intercept.snapshots() == []
'''


@pytest.mark.parametrize("how", ["option", "ini"])
def test_a_whole_suite_can_switch_to_sqlite(suite, how):
    suite.makepyfile(BACKEND_PROBE)
    if how == "ini":
        suite.makeini("[pytest]\nredshift_intercept_backend = sqlite://\n")
        result = suite.runpytest("-s")
    else:
        result = suite.runpytest("-s", "--redshift-intercept-backend=sqlite://")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*BACKEND SqliteBackend *redshift-intercept.db*"])


def test_a_shared_sqlite_file_from_the_command_line(suite, tmp_path):
    db = tmp_path / "shared.db"
    suite.makepyfile('''
        def test_seed(redshift_intercept):
            redshift_intercept.add_snapshot(SnapshotIdentifier="kept")

        def test_sees_it(redshift_intercept):
            assert [s["SnapshotIdentifier"] for s in redshift_intercept.snapshots()] == ["kept"]
    ''')
    suite.runpytest("-p", "no:randomly", f"--redshift-intercept-backend=sqlite:///{db}").assert_outcomes(passed=2)
    assert db.exists()


def test_the_marker_backend_wins_over_the_option(suite):
    suite.makepyfile('''
        import pytest
        from redshift_intercept import MemoryBackend

        @pytest.mark.redshift_intercept(backend="memory")
        def test_memory(redshift_intercept):
            assert isinstance(redshift_intercept.backend, MemoryBackend)
    ''')
    suite.runpytest("--redshift-intercept-backend=sqlite://").assert_outcomes(passed=1)


def test_a_bad_backend_option_names_the_problem(suite):
    suite.makepyfile(BACKEND_PROBE)
    result = suite.runpytest("--redshift-intercept-backend=mysql://x")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*ValueError: backend 'mysql://x' is not a backend short form*"])
