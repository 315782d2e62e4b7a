"""The async pieces of the botocore front door: aiobotocore and aioboto3 clients.

aiobotocore's ``AioSession`` is a botocore ``Session``, so our handlers reach
its clients as they reach every other (``_hooks``). What differs is what the
handler must give back. aiobotocore's emitter awaits whatever awaitable a
handler returns, its response parsers are ``async def`` from aiobotocore
2.22 on (sync before), its ``needs-retry`` emission must be awaited, and its
``after-call`` handlers expect an ``AioAWSResponse`` whose ``.content`` is
awaitable.

So the answering core (``_hooks._answer_steps``) is written once, as a
generator that yields what an aio client makes async: its parser's
coroutine and its ``needs-retry`` emission's, each awaited by
:func:`drive_async`, which sends the value back. For a sync client nothing
is yielded and ``_hooks._answer`` returns ``(http, parsed)`` at once; for an
aio client the before-call handler returns the ``drive_async`` coroutine,
which aiobotocore's emitter awaits. Nothing else is async: rules,
rendering, the backend and the call record run as for a sync client, and
the coroutine uses no ``asyncio`` primitive, so it runs under any event
loop (anyio and trio included).

Nothing here imports aiobotocore (an optional dependency): its classes are
looked up in ``sys.modules``, where they must be if an aio client exists.
"""

from __future__ import annotations

import sys
from typing import Any

from botocore.awsrequest import AWSResponse

from ._wire import Steps, http_response


def async_events(events: Any) -> bool:
    """Whether ``events`` (a session's or client's, an ``EventAliaser``
    around the emitter) belong to aiobotocore: its ``AioHierarchicalEmitter``
    awaits what a ``before-call`` handler returns. A session's clients copy
    its emitter, class included, so this is known when our handlers are put
    on a session or a client."""
    hooks = sys.modules.get("aiobotocore.hooks")
    return hooks is not None and isinstance(getattr(events, "_emitter", events), hooks.AioHierarchicalEmitter)


async def drive_async(steps: Steps) -> Any:
    """Run the answering core for an aio client: await what it yields (an
    async parser's or emitter's result), send the value back, and return
    its answer."""
    try:
        awaitable = next(steps)
        while True:
            awaitable = steps.send(await awaitable)
    except StopIteration as done:
        return done.value


class _AioBody:
    """The ``raw`` of an ``AioAWSResponse``: aiohttp's ``read()`` and
    httpx's ``aread()`` are coroutines. aiobotocore reads a body before it
    returns a response, and so does this door (``_content`` is set), so
    these are only reached by code that reads ``raw`` itself."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, *_: Any) -> bytes:
        return self._data

    async def aread(self) -> bytes:
        return self._data


def aio_http_response(url: str, status: int, request_id: str, body: bytes) -> AWSResponse:
    """The ``AioAWSResponse`` aiobotocore's endpoint would return for
    ``body``: the headers of ``_wire.http_response``, the body already read
    (``await http.content`` gives it), and an async ``raw``."""
    cls = sys.modules["aiobotocore.awsrequest"].AioAWSResponse
    plain = http_response(url, status, request_id, body)
    http = cls(url, status, dict(plain.headers), _AioBody(body))
    http._content = body
    return http
