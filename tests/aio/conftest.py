"""The async suite: aiobotocore and aioboto3 clients.

It runs in venvs of its own (``.ci/run``), because aiobotocore pins botocore
to a few releases. Where aiobotocore, pytest-asyncio or anyio is missing the
whole directory is left out, unless ``REDSHIFT_INTERCEPT_ASYNC`` names what
this run must test (``aiobotocore`` or ``aiobotocore,aioboto3``): then a
missing package is an error, so that an async run never passes by testing
nothing. Tests mark themselves ``@pytest.mark.asyncio`` or
``@pytest.mark.anyio`` (pytest-asyncio's strict mode, the default).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from typing import Any, AsyncIterator, Optional

import pytest

from redshift_intercept.testing import CLOSED_ENDPOINT

_PACKAGES = {"aiobotocore": "aiobotocore", "pytest-asyncio": "pytest_asyncio", "anyio": "anyio",
             "aioboto3": "aioboto3"}


def _absent(name: str) -> bool:
    return importlib.util.find_spec(_PACKAGES[name]) is None


_required = [name for name in os.environ.get("REDSHIFT_INTERCEPT_ASYNC", "").split(",") if name]
if set(_required) - {"aiobotocore", "aioboto3"}:
    raise RuntimeError(f"REDSHIFT_INTERCEPT_ASYNC={','.join(_required)}: name aiobotocore and/or aioboto3")
_missing = [name for name in ("aiobotocore", "pytest-asyncio", "anyio", *_required) if _absent(name)]
if _required and _missing:
    raise RuntimeError(f"REDSHIFT_INTERCEPT_ASYNC={','.join(_required)} but {', '.join(sorted(set(_missing)))} "
                       "is not installed: pip install -e '.[test,async]' pytest-asyncio anyio (and aioboto3)")
if _missing:
    collect_ignore_glob = ["test_*.py"]
elif _absent("aioboto3"):
    collect_ignore_glob = ["test_aioboto3.py"]

# retries off unless a test asks for them, as redshift_intercept.testing.NO_RETRIES
NO_RETRIES = {"total_max_attempts": 1, "mode": "standard"}


@contextlib.asynccontextmanager
async def aio_client(session: Any = None, region: str = "us-east-1", retries: Any = None,
                     endpoint_url: str = CLOSED_ENDPOINT, access_key_id: Optional[str] = "testing"
                     ) -> AsyncIterator[Any]:
    """An aiobotocore Redshift client that can only reach a closed port
    here, with dummy credentials (the access key ``access_key_id``; None:
    the session's own) and no retries unless ``retries`` says otherwise (the
    async twin of ``make_client``)."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    session = session or get_session()
    config = AioConfig(retries=NO_RETRIES if retries is None else retries, connect_timeout=2)
    keys = {} if access_key_id is None else {"aws_access_key_id": access_key_id,
                                              "aws_secret_access_key": "testing"}
    async with session.create_client("redshift", region_name=region, endpoint_url=endpoint_url, config=config,
                                     **keys) as client:
        yield client


@pytest.fixture
def no_sleep(monkeypatch):
    """Records every ``asyncio.sleep`` delay (aiobotocore calls it by
    attribute) and sleeps for none of them."""
    import asyncio

    slept: list = []
    real = asyncio.sleep

    async def sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        slept.append(delay)
        return await real(0, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return slept
