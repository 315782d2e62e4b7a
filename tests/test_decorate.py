"""``@intercept()`` on functions and classes: a fresh state per call and per
test, the ``rs`` parameter, what pytest and unittest collect, and typing."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import inspect
import pathlib
import unittest

import pytest

from redshift_intercept import MemoryBackend, RedshiftIntercept, intercept

from .conftest import make_client

TESTS = pathlib.Path(__file__).resolve().parent

CONFTEST = '''
import boto3
import pytest
from botocore.config import Config


@pytest.fixture
def client():
    return boto3.client("redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"total_max_attempts": 1}))
'''


# ---------------------------------------------------------------- functions


def test_every_call_of_a_decorated_function_starts_fresh(client):
    rs = intercept()

    @rs
    def job(snapshot_id):
        assert rs.snapshots() == [] and rs.calls == [] and rs.unhandled == [] and rs.faults == []
        assert rs.clusters() == []
        assert abs((rs.clock.now() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
        assert (rs.creation_delay, rs.creation_outcome) == (0, "available")
        rs.add_snapshot(SnapshotIdentifier=snapshot_id)
        rs.add_cluster(ClusterIdentifier="prod")
        rs.fail("DescribeClusters", "Throttling")
        rs.clock.advance(days=400)
        rs.creation_delay, rs.creation_outcome = None, "failed"
        return client.delete_cluster_snapshot(SnapshotIdentifier=snapshot_id)["Snapshot"]["Status"]

    assert job("snap") == "deleted"
    first_backend = rs.backend
    assert job("snap") == "deleted"  # "already exists" if the first call's state had survived
    assert rs.calls.assert_called_once().params == {"SnapshotIdentifier": "snap"}  # what the last call left
    assert rs.backend is not first_backend and not rs.active


CLUSTER = {"NodeType": "ra3.xlplus", "MasterUsername": "admin", "MasterUserPassword": "Secret-123"}


@pytest.mark.parametrize("backend", [None, "sqlite://"])
def test_every_call_starts_without_the_clusters_events_clock_and_settings_the_last_one_left(client, backend):
    rs = intercept(backend=backend)
    quotas = rs.quotas

    @rs
    def month_of_prod():
        # What the previous call did must be gone: its clusters, the snapshots and events the
        # service made on its own as the clock moved, its settings.
        assert client.describe_clusters()["Clusters"] == []
        assert client.describe_cluster_snapshots()["Snapshots"] == []
        assert client.describe_events(Duration=14 * 24 * 60)["Events"] == [] and rs.events() == []
        assert (rs.cluster_delay, rs.restore_delay, rs.restore_hold) == (0, 0, 86400)
        assert rs.quotas is quotas and (quotas.manual_snapshots, quotas.clusters) == (20, None)
        assert abs((rs.clock.now() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60

        client.create_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=2, **CLUSTER)
        rs.clock.advance(days=3)  # automated snapshots taken, the oldest expired
        automated = client.describe_cluster_snapshots(SnapshotType="automated")["Snapshots"]
        client.modify_cluster(ClusterIdentifier="prod", ManualSnapshotRetentionPeriod=7)
        client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final")
        client.restore_from_cluster_snapshot(ClusterIdentifier="prod-copy", SnapshotIdentifier="prod-final")
        rs.cluster_delay, rs.restore_delay, rs.restore_hold = 60, 30, None
        quotas.manual_snapshots, quotas.clusters = 1, 1
        return len(automated), [e["SourceIdentifier"] for e in client.describe_events(Duration=60)["Events"]]

    first = month_of_prod()
    assert month_of_prod() == first  # "ClusterAlreadyExists" if the first call's clusters had survived
    taken, events = first
    assert taken >= 6 and {"prod", "prod-final", "prod-copy"} <= set(events)
    assert [c.operation for c in rs.calls[-4:]] == ["ModifyCluster", "DeleteCluster",
                                                    "RestoreFromClusterSnapshot", "DescribeEvents"]


def test_reset_brings_back_the_cluster_settings_and_quotas():
    rs = intercept(max_calls=1)
    rs.cluster_delay, rs.restore_delay, rs.restore_hold = 60, 30, 0
    rs.quotas.nodes, rs.quotas.nodes_per_cluster = 4, 2
    rs.add_cluster(ClusterIdentifier="prod")
    rs.clock.advance(days=2)
    assert rs.events()  # automated snapshots taken
    with rs:
        client = make_client()
        client.describe_clusters()
        client.describe_clusters()
    assert rs.calls.dropped == 1
    rs.reset()
    assert (rs.cluster_delay, rs.restore_delay, rs.restore_hold) == (0, 0, 86400)
    assert repr(rs.quotas) == "Quotas(manual_snapshots=20, clusters=None, nodes=200, nodes_per_cluster=128)"
    assert rs.clusters() == [] and rs.events() == [] and rs.snapshots() == []
    assert rs.calls == [] and rs.calls.dropped == 0 and rs.calls.maxlen == 1


def test_every_call_of_a_decorated_function_adds_its_identities_again(client):
    """add_identity seeds who calls as add_snapshot seeds what there is: a
    decorated test that adds an identity must be able to run twice, so a
    fresh state has none (strict_identities, a constructor setting, stays)."""
    rs = intercept(strict_identities=True)
    allow_all = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "redshift:*", "Resource": "*"}]}

    @rs
    def as_cleanup():
        assert rs.identities == [] and rs.strict_identities
        rs.add_identity("testing", arn="arn:aws:iam::111111111111:user/cleanup", policies=[allow_all])
        return client.describe_cluster_snapshots()["Snapshots"]

    assert as_cleanup() == []
    assert as_cleanup() == []  # "already names the identity" if the first call's identity had survived
    assert rs.calls.last.principal == "arn:aws:iam::111111111111:user/cleanup"
    assert [i.name for i in rs.identities] == ["cleanup"]  # what the last call left
    rs.reset()
    assert rs.identities == [] and rs.strict_identities
    with rs, pytest.raises(client.exceptions.ClientError) as unknown:
        client.describe_cluster_snapshots()  # strict still: the key names no identity now
    assert unknown.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_what_is_seeded_outside_a_decorated_function_is_gone_inside_unless_the_backend_is_yours(client):
    mine = MemoryBackend()
    ours, theirs = intercept(), intercept(backend=mine)
    for rs in (ours, theirs):
        rs.add_snapshot(SnapshotIdentifier="seeded-before")

    @ours
    def sees_ours():
        return [s["SnapshotIdentifier"] for s in ours.snapshots()]

    @theirs
    def sees_theirs():
        return [s["SnapshotIdentifier"] for s in theirs.snapshots()]

    assert sees_ours() == []
    assert sees_theirs() == ["seeded-before"]
    assert theirs.backend is mine


def test_a_parametrized_decorated_test_passes_every_case(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile('''
        import pytest
        from redshift_intercept import intercept

        @intercept()
        @pytest.mark.parametrize("case", [1, 2, 3])
        def test_delete(client, case, rs):
            rs.add_snapshot(SnapshotIdentifier="snap")
            client.delete_cluster_snapshot(SnapshotIdentifier="snap")
            assert rs.calls.call_count == 1
    ''')
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_rs_is_injected_first_or_by_keyword_and_hidden_from_the_signature():
    @intercept()
    def first(rs, days, *, dry_run=False):
        return rs, days, dry_run

    @intercept()
    def later(days, rs, label="x"):
        return rs, days, label

    @intercept()
    def keyword_only(days, *, rs):
        return rs, days

    assert str(inspect.signature(first)) == "(days, *, dry_run=False)"
    assert str(inspect.signature(later)) == "(days, label='x')"
    assert str(inspect.signature(keyword_only)) == "(days)"
    rs, days, dry_run = first(30, dry_run=True)
    assert isinstance(rs, RedshiftIntercept) and (days, dry_run) == (30, True)
    assert later(7, label="y")[1:] == (7, "y")
    assert keyword_only(1)[1] == 1


def test_a_positional_only_rs_that_is_not_first_is_refused_when_decorating():
    def job(days, rs, /):  # pragma: no cover
        pass

    with pytest.raises(TypeError, match="job: the rs parameter receives the interceptor by keyword; "
                                        "make it the first parameter or not positional-only"):
        intercept()(job)


def test_a_decorated_call_while_the_interceptor_is_active_is_refused_and_changes_nothing():
    rs = intercept()

    @rs
    def job():  # pragma: no cover
        pass

    with rs:
        rs.add_snapshot(SnapshotIdentifier="kept")
        with pytest.raises(RuntimeError, match="already active"):
            job()
        assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["kept"]


def test_a_decorated_coroutine_function_starts_fresh_each_call(client):
    rs = intercept()

    @rs
    async def job():
        rs.add_snapshot(SnapshotIdentifier="snap")
        return client.delete_cluster_snapshot(SnapshotIdentifier="snap")["Snapshot"]["Status"]

    assert inspect.iscoroutinefunction(job)
    assert [asyncio.run(job()), asyncio.run(job())] == ["deleted", "deleted"]


@pytest.mark.parametrize(("target", "what"), [
    (5, "int"),
    (functools.partial(print, "x"), "functools.partial"),
    (type("Callable", (), {"__call__": lambda self: None})(), "Callable"),
])
def test_only_functions_and_classes_are_decorated(target, what):
    with pytest.raises(TypeError) as raised:
        intercept()(target)
    assert str(raised.value) == ("intercept() decorates a function (def or async def) or a class (its test "
                                 f"methods), got {what.rsplit('.', 1)[-1]}")


def test_decorating_a_class_without_parentheses_explains_the_fix():
    with pytest.raises(TypeError, match=r"got a class. To decorate, call intercept: @intercept\(\), not @intercept"):
        @intercept
        class Tests:  # pragma: no cover
            pass


# ---------------------------------------------------------------- classes


def _unittest_case(rs):
    @rs
    class Cleanup(unittest.TestCase):
        """setUp seeds; each test sees exactly that, whatever ran before."""

        def setUp(self):
            self.log = []
            rs.add_snapshot(SnapshotIdentifier="seeded-in-setup")
            self.client = make_client()

        def tearDown(self):
            assert rs.active  # tearDown runs intercepted too
            self.client.delete_cluster_snapshot(SnapshotIdentifier="seeded-in-setup")

        def test_one(self):
            rs.add_snapshot(SnapshotIdentifier="made-by-test-one")
            assert {s["SnapshotIdentifier"] for s in rs.snapshots()} == {"seeded-in-setup", "made-by-test-one"}

        def test_two(self, rs=None):
            assert rs is not None and rs.active  # rs injected by keyword
            assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["seeded-in-setup"]
            assert rs.calls == []

        def helper(self):  # not a test: not wrapped
            return rs.active

    return Cleanup


def test_a_decorated_testcase_stays_that_class_and_unittest_runs_every_test_fresh():
    rs = intercept()
    cls = _unittest_case(rs)
    assert isinstance(cls, type) and issubclass(cls, unittest.TestCase) and cls.__name__ == "Cleanup"
    suite = unittest.TestLoader().loadTestsFromTestCase(cls)
    assert suite.countTestCases() == 2
    result = unittest.TestResult()
    suite.run(result)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    assert not rs.active
    assert cls("test_one").helper() is False


def test_each_test_of_a_decorated_class_starts_without_the_clusters_the_last_one_made():
    rs = intercept()

    @rs
    class ClusterTests(unittest.TestCase):
        def setUp(self):
            self.client = make_client()
            self.client.create_cluster(ClusterIdentifier="prod", **CLUSTER)  # ClusterAlreadyExists if it leaked
            rs.clock.advance(hours=9)  # its first automated snapshot

        def test_delete_with_a_final_snapshot_and_restore(self):
            self.client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="final")
            restored = self.client.restore_from_cluster_snapshot(ClusterIdentifier="copy", SnapshotIdentifier="final")
            assert restored["Cluster"]["ClusterStatus"] == "creating"
            assert {c["ClusterIdentifier"] for c in self.client.describe_clusters()["Clusters"]} == {"copy"}

        def test_modify_and_the_event_log(self):
            published = self.client.describe_events(SourceType="cluster", Duration=24 * 60)["Events"]
            assert [e["SourceIdentifier"] for e in published] == ["prod"]  # this test's cluster, created once
            # its automated snapshots, at creation and 8 hours later, and not the last test's
            assert [e["Action"] for e in rs.events() if e["SourceType"] == "cluster-snapshot"] == ["taken", "taken"]
            self.client.modify_cluster(ClusterIdentifier="prod", AutomatedSnapshotRetentionPeriod=3)
            assert [c["ClusterIdentifier"] for c in self.client.describe_clusters()["Clusters"]] == ["prod"]

    result = unittest.TestResult()
    suite = unittest.TestLoader().loadTestsFromTestCase(ClusterTests)
    suite.run(result)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])


def test_pytest_collects_and_runs_decorated_test_classes(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile('''
        import unittest
        import pytest
        from redshift_intercept import intercept

        rs = intercept()

        @rs
        class TestTestCase(unittest.TestCase):
            def setUp(self):
                rs.add_snapshot(SnapshotIdentifier="from-setup")

            def test_a(self):
                assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["from-setup"]
                rs.add_snapshot(SnapshotIdentifier="leaks-unless-reset")

            def test_b(self):
                assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["from-setup"]
                rs.add_snapshot(SnapshotIdentifier="leaks-unless-reset")

        @intercept()
        class TestPlain:
            def setup_method(self, method):
                self.name = method.__name__

            def teardown_method(self):
                pass

            @pytest.mark.parametrize("case", [1, 2])
            def test_param(self, client, case, rs):
                rs.add_snapshot(SnapshotIdentifier="snap")
                client.delete_cluster_snapshot(SnapshotIdentifier="snap")
                assert self.name == "test_param" and rs.calls.call_count == 1

            def test_plain(self, rs):
                assert rs.snapshots() == [] and rs.active

        @intercept()
        class TestSetupMethodWithoutArgument:
            def setup_method(self):
                self.ready = True

            def test_it(self, rs):
                assert self.ready and rs.active
    ''')
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=6)


def test_an_isolated_asyncio_testcase_runs_its_async_hooks_and_tests_intercepted():
    rs = intercept()

    @rs
    class Async(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self):
            rs.add_snapshot(SnapshotIdentifier="async-setup")

        async def test_one(self):
            assert rs.active and [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["async-setup"]
            make_client().delete_cluster_snapshot(SnapshotIdentifier="async-setup")

        async def test_two(self):
            assert [s["SnapshotIdentifier"] for s in rs.snapshots()] == ["async-setup"]

        async def asyncTearDown(self):
            assert rs.active

    result = unittest.TestResult()
    unittest.TestLoader().loadTestsFromTestCase(Async).run(result)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])


def test_a_decorated_method_calling_another_one_stays_in_the_same_test():
    rs = intercept()

    @rs
    class Tests(unittest.TestCase):
        def setUp(self):
            rs.add_snapshot(SnapshotIdentifier="from-setup")

        def test_calls_setup_again(self):
            with self.assertRaisesRegex(ValueError, "already exists"):
                self.setUp()  # same test: the state is not reset under it

    result = unittest.TestResult()
    unittest.TestLoader().loadTestsFromTestCase(Tests).run(result)
    assert (result.testsRun, result.errors, result.failures) == (1, [], [])


# ---------------------------------------------------------------- typing


def test_the_typed_example_type_checks_and_runs():
    api = pytest.importorskip("mypy.api")
    stdout, stderr, status = api.run([str(TESTS / "typed_example.py"),
                                      "--config-file", str(TESTS.parent / "pyproject.toml")])
    assert status == 0, stdout + stderr

    from . import typed_example

    assert typed_example.cleanup(30) == ["nightly"]
    assert typed_example.cleanup(30, dry_run=True) == []
    assert asyncio.run(typed_example.count("us-east-1")) == 0
    assert typed_example.plain(3) == "3 days"
    result = unittest.TestResult()
    unittest.TestLoader().loadTestsFromTestCase(typed_example.Tests).run(result)
    assert result.testsRun == 1 and result.wasSuccessful()
