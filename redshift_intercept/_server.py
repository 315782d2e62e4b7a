"""The HTTP endpoint: the query door (``_http``) served by uvicorn.

Two ways to run it:

- ``Endpoint`` (``rs.serve()``, ``redshift_intercept.serve()``, the pytest
  fixture): uvicorn on a background thread of this process, on a socket
  bound before it starts (so port 0 works and the URL is known at once),
  answering from the interceptor's own service; ``stop()`` lets in-flight
  requests finish.
- ``run_forever`` (``redshift-intercept serve``): uvicorn on the main
  thread; SIGINT and SIGTERM stop it after in-flight requests, and the
  caller then writes the final state.

The ASGI app checks ``Content-Length`` and caps a streamed body before the
door sees it, and runs the door (synchronous: the service core and the
backend may block) in a thread pool so that the event loop keeps serving.

uvicorn is an optional dependency (``pip install 'redshift-intercept[serve]'``),
imported only when a server starts; httptools is used when installed.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Mapping, Optional

from ._errors import ServiceError
from ._http import MAX_BODY, QueryDoor, Response

if TYPE_CHECKING:  # pragma: no cover
    from ._intercept import RedshiftIntercept

Scope = Dict[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]

GRACE_SECONDS = 30
"""How long a stop waits for in-flight requests before cancelling them."""
BODY_TIMEOUT = 30.0
"""Seconds a client may take between two parts of a request body."""
WORKERS = 8
"""Threads answering requests: the core is CPU-bound under the GIL, so more
only help while a backend waits (a SQLite or PostgreSQL lock)."""


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise ImportError("the redshift-intercept HTTP endpoint needs uvicorn: "
                          "pip install 'redshift-intercept[serve]'") from None
    return uvicorn


def check_options(host: object, port: object, max_body: object, secrets: object) -> None:
    """Misuse of ``serve``'s arguments is a Python error naming the argument."""
    if not isinstance(host, str) or not host:
        raise TypeError(f"host must be a str such as '127.0.0.1', got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int (0 picks a free port), got {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    if isinstance(max_body, bool) or not isinstance(max_body, int):
        raise TypeError(f"max_body must be an int number of bytes, got {type(max_body).__name__}")
    if max_body < 1:
        raise ValueError(f"max_body must be at least 1 byte, got {max_body}")
    if secrets is not None:
        if not isinstance(secrets, Mapping) or not secrets:
            raise TypeError("verify_signatures must be None or a non-empty dict of access key id -> secret access "
                            f"key, e.g. {{'AKIDEXAMPLE': 'secret'}}; got {secrets!r}")
        for key, secret in secrets.items():
            if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
                raise TypeError("verify_signatures must map access key ids (str) to secret access keys (str); "
                                f"got {key!r}: {secret!r}")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port).

    Made with ``IPPROTO_TCP`` named, not 0: asyncio turns Nagle's algorithm
    off (``TCP_NODELAY``) only on sockets whose protocol says TCP, and with
    it on, a response whose headers and body are written separately waits
    for the client's delayed ACK, 40 ms per call on a kept-alive connection."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class QueryApp:
    """The ASGI app: reads a bounded body, then lets the door answer in a thread."""

    def __init__(self, door: QueryDoor, max_body: int, executor: ThreadPoolExecutor,
                 body_timeout: float = BODY_TIMEOUT) -> None:
        self.door = door
        self.max_body = max_body
        self.executor = executor
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw_headers: List[Any] = scope["headers"]
        headers: Dict[str, List[str]] = {}
        for name, value in raw_headers:
            headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        source = scope.get("client")
        loop = asyncio.get_running_loop()
        length = headers.get("content-length")
        if length is not None and length[0].isdigit() and int(length[0]) > self.max_body:
            return await self._refuse(send, loop, self._too_large(f"{int(length[0]):,} bytes"), source)
        body = bytearray()
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                error = ServiceError("RequestTimeout", f"The request body did not arrive within "
                                     f"{self.body_timeout:g} seconds; send the whole request at once.", 400, True)
                return await self._refuse(send, loop, error, source)
            if message["type"] == "http.disconnect":
                return  # the client went away: nobody to answer
            body += message.get("body", b"")
            if len(body) > self.max_body:
                return await self._refuse(send, loop, self._too_large(f"more than {self.max_body:,} bytes"), source)
            if not message.get("more_body"):
                break
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        response = await loop.run_in_executor(self.executor, self.door.handle, scope["method"], path,
                                              scope.get("query_string", b""), headers, bytes(body), source)
        await _send(send, response)

    def _too_large(self, size: str) -> ServiceError:
        return ServiceError("RequestEntityTooLarge", f"The request body is {size}; this endpoint accepts at most "
                            f"{self.max_body:,} bytes (serve's max_body, --max-body).", 413, True)

    async def _refuse(self, send: Send, loop: asyncio.AbstractEventLoop, error: ServiceError,
                      source: Any) -> None:
        response = await loop.run_in_executor(self.executor, self.door.refuse_unread, error, source)
        response.headers.append((b"connection", b"close"))
        await _send(send, response)


async def _send(send: Send, response: Response) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
    await send({"type": "http.response.body", "body": response.body})


def _config(app: QueryApp, loop: str) -> Any:
    uvicorn = _uvicorn()
    return uvicorn.Config(app, lifespan="off", http="auto", loop=loop, log_config=None, log_level="warning",
                          access_log=False, server_header=False, date_header=False,
                          timeout_graceful_shutdown=GRACE_SECONDS)


class Endpoint:
    """A running HTTP endpoint of an interceptor's service (``rs.serve()``).

    Nothing listens until it is started (``with``, or ``start()``); then
    ``url`` is where clients point (``endpoint_url=``, ``--endpoint-url``,
    ``AWS_ENDPOINT_URL_REDSHIFT``). It answers from ``rs``'s service: the
    same state, clock, faults and ``rs.calls`` as in-process calls.
    ``stop()`` (or leaving the ``with``) waits for in-flight requests."""

    def __init__(self, rs: RedshiftIntercept, host: str = "127.0.0.1", port: int = 0, *,
                 verify_signatures: Optional[Mapping[str, str]] = None, max_body: Optional[int] = None) -> None:
        max_body = MAX_BODY if max_body is None else max_body
        check_options(host, port, max_body, verify_signatures)
        self.rs = rs
        self.host = host
        self.max_body = max_body
        self._port = port
        self._secrets = None if verify_signatures is None else dict(verify_signatures)
        self._url: Optional[str] = None
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None
        self._executor: Optional[ThreadPoolExecutor] = None

    def __repr__(self) -> str:
        return f"<Endpoint {self._url or 'not started'}, account {self.rs.account_id}, region {self.rs.region}>"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, once started."""
        if self._url is None:
            raise RuntimeError("this endpoint is not serving: start it first (with rs.serve() as endpoint: ...)")
        return self._url

    @property
    def port(self) -> int:
        """The port it listens on (the one picked, for port 0), once started."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def active(self) -> bool:
        return self._thread is not None

    @property
    def env(self) -> Dict[str, str]:
        """Environment variables that point an AWS SDK or CLI in another
        process here: the endpoint, dummy credentials (the first verified
        key, when signatures are verified) and the interceptor's region."""
        key, secret = next(iter(self._secrets.items())) if self._secrets else ("redshift-intercept",) * 2
        return {"AWS_ENDPOINT_URL_REDSHIFT": self.url, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_REGION": self.rs.region, "AWS_DEFAULT_REGION": self.rs.region}

    def start(self, timeout: float = 30.0) -> Endpoint:
        """Bind, start serving on a background thread, and return once it answers."""
        if self._thread is not None:
            raise RuntimeError("this endpoint is already serving; stop() it first")
        uvicorn = _uvicorn()
        sock = bind(self.host, self._port)
        door = QueryDoor(self.rs._service, self.rs.account_id, self.rs.region, secrets=self._secrets)
        executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="redshift-intercept-serve")
        server = uvicorn.Server(_config(QueryApp(door, self.max_body, executor), "asyncio"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                  name=f"redshift-intercept-serve-{sock.getsockname()[1]}")
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            server.should_exit = True
            thread.join(5)
            sock.close()
            executor.shutdown(wait=False)
            raise RuntimeError("the redshift-intercept endpoint did not start; see the error above")
        self._url, self._server, self._thread, self._executor = url_of(sock), server, thread, executor
        return self

    def stop(self) -> None:
        """Stop accepting connections, let in-flight requests finish, and stop."""
        if self._thread is None:
            raise RuntimeError("this endpoint is not serving; stop() follows start()")
        server, thread, executor = self._server, self._thread, self._executor
        self._server = self._thread = self._executor = None
        server.should_exit = True
        thread.join()
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def run_forever(door: QueryDoor, sock: socket.socket, max_body: int) -> Optional[int]:
    """Serve on the main thread until SIGINT or SIGTERM; return the first
    signal that came (None if the server stopped by itself). In-flight
    requests finish first; the process goes on afterwards."""
    uvicorn = _uvicorn()
    received: List[int] = []

    def note(signum: int, frame: Any) -> None:  # uvicorn re-raises the signal into this after its drain
        received.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="redshift-intercept-serve")
    try:
        server = uvicorn.Server(_config(QueryApp(door, max_body, executor), "auto"))
        server.run(sockets=[sock])
    finally:
        executor.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[-1] if received else None  # uvicorn re-raises what it caught last first

