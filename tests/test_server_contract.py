"""The contract suite run the other way: every test of the Redshift rules
(``tests/test_rules_*.py``) and the end-to-end cleanup program, again, with
boto3 pointed at the HTTP endpoint (``rs.serve()``) instead of intercepted in
process. The tests are the same functions with the same assertions, so the
endpoint gives exactly the results in-process interception gives.

How: the tests of those modules are collected here too, under
``test_<module>__<name>``; here the ``rs`` fixture is an interceptor that is
*not* active, serving its service over HTTP, and every client the tests make
(the ``client`` fixture, ``make_client``, and ``boto3.client`` through
``AWS_ENDPOINT_URL_REDSHIFT``) points at that endpoint. After each test, every
recorded call must have come over HTTP.

Left out, each for a reason that is the door's and not the rules':
"""

from __future__ import annotations

import types
from typing import Any, Dict, Iterator

import boto3
import pytest

from redshift_intercept import Endpoint, intercept
from redshift_intercept.testing import NO_RETRIES

from . import (
    test_end_to_end,
    test_rules_clusters,
    test_rules_create,
    test_rules_delete,
    test_rules_describe,
    test_rules_retention,
    test_rules_sharing,
    test_rules_tags,
)

MODULES = [test_rules_clusters, test_rules_create, test_rules_delete, test_rules_describe, test_rules_retention,
           test_rules_sharing, test_rules_tags, test_end_to_end]

LEFT_OUT = {
    # Both switch the caller's account by stacking in-process interceptors of other accounts; over
    # HTTP the account is the access key's (identities, the IAM issue), so they would be answered
    # in process here and prove nothing about the endpoint.
    "test_rules_delete.test_snapshots_live_per_account",
    "test_rules_describe.test_snapshots_shared_with_this_account_are_visible_with_their_owner",
}
__doc__ = (__doc__ or "") + "".join(f"\n- {name}" for name in sorted(LEFT_OUT))


def _collect(namespace: Dict[str, Any]) -> None:
    """Put every test and fixture of ``MODULES`` in ``namespace``."""
    for module in MODULES:
        family = module.__name__.rsplit(".", 1)[1].removeprefix("test_")
        for name, value in vars(module).items():
            if name.startswith("test_") and isinstance(value, types.FunctionType):
                if f"{module.__name__.rsplit('.', 1)[1]}.{name}" not in LEFT_OUT:
                    namespace[f"test_{family}__{name[5:]}"] = value
            elif hasattr(value, "_pytestfixturefunction") or type(value).__name__ == "FixtureFunctionDefinition":
                if name in namespace and namespace[name] is not value:
                    raise RuntimeError(f"two contract modules define the fixture {name!r}; rename one")
                namespace[name] = value


_collect(globals())


def _client_factory(url: str) -> Any:
    def make_client(region: str = "us-east-1", *, session: Any = None, service: str = "redshift") -> Any:
        session = session or boto3.Session()
        return session.client(service, region_name=region, endpoint_url=url, aws_access_key_id="testing",
                              aws_secret_access_key="testing", config=NO_RETRIES)
    return make_client


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with intercept().serve() as endpoint:
        yield endpoint


@pytest.fixture
def rs(endpoint: Endpoint) -> Iterator[Any]:
    """The served interceptor, inactive: nothing in this process is intercepted."""
    assert not endpoint.rs.active
    yield endpoint.rs
    assert all(call.source for call in endpoint.rs.calls), "a call was answered without coming over HTTP"


@pytest.fixture
def redshift_intercept(rs: Any) -> Any:
    return rs


@pytest.fixture(autouse=True)
def _every_client_reaches_the_endpoint(endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in MODULES:
        if hasattr(module, "make_client"):
            monkeypatch.setattr(module, "make_client", _client_factory(endpoint.url))
    for name, value in endpoint.env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def client(endpoint: Endpoint) -> Any:
    return _client_factory(endpoint.url)()


def test_the_contract_suite_is_all_here():
    collected = [name for name in globals() if name.startswith("test_") and "__" in name]
    expected = sum(1 for module in MODULES for name in vars(module) if name.startswith("test_")) - len(LEFT_OUT)
    assert len(collected) == expected > 40
