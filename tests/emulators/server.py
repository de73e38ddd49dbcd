"""What every emulator shares: a real uvicorn server in a thread (so real clients talk real HTTP),
thread-safe request records, and injected faults applied before the route handler runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Fault:
    """An injected failure for the next `times` requests whose path (plus `?query` if any) matches
    `path_pattern` (re.search).

    Applied in this order: wait `delay_s`; `drop_connection` closes the socket without a response;
    `die_mid_stream` lets the handler answer but cuts the connection after a little of the body;
    otherwise a `status` >= 400 is answered with `body` (or the emulator's own error shape).
    A status below 400 with neither flag only delays the real answer."""

    path_pattern: str = ".*"
    status: int = 500
    body: dict | None = None
    delay_s: float = 0.0
    times: int = 1
    drop_connection: bool = False
    die_mid_stream: bool = False


@dataclass
class Recorded:
    """One request as it reached the emulator; `body` is the parsed JSON (None for uploads), `size` its bytes."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    size: int = 0
    time: float = field(default_factory=time.time)


class ServerThread:
    """uvicorn on 127.0.0.1 in a daemon thread; stop() then start() again reuses the port ("backend down")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, port: int | None = None) -> None:
        if self._server is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or self.port or 0))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, interface="asgi3", log_level="warning", lifespan="off", access_log=False,
                                timeout_keep_alive=30, timeout_graceful_shutdown=2)
        self._server, self._socket = uvicorn.Server(config), sock
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"emulator-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"emulator on port {self.port} did not start")
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5):
            pass  # it answers

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        if self._socket:
            self._socket.close()
        self._server = self._thread = self._socket = None


def abort_connection(receive: Receive) -> None:
    """Close the client's TCP connection with no further bytes (uvicorn's transport, found via receive)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the connection's transport to drop it")
    transport.abort()


class Emulator:
    """Base for the emulators: wraps `self.app` (Starlette) with recording and fault injection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.RLock()
        self._requests: list[Recorded] = []
        self._faults: list[Fault] = []
        self._server = ServerThread(self._asgi)

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self, port: int | None = None) -> Emulator:
        """Serve (on `port`, or the previous port after a stop, or a free one); returns once it answers."""
        self._server.start(port)
        return self

    def stop(self) -> None:
        """Stop answering and close the port: connections are refused until start() again."""
        self._server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- records and faults ------------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        """A snapshot of every request received since the last clear(), in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests and pending faults."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def reset(self) -> None:
        self.clear()

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if re.search(fault.path_pattern, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- hooks for subclasses ----------------------------------------------------------------------
    def streams_body(self, scope: Scope) -> bool:
        """True when the handler reads the body itself (large uploads): it is then neither buffered nor parsed."""
        return False

    def fault_response(self, fault: Fault, scope: Scope) -> tuple[int, dict, dict[str, str]]:
        """(status, JSON body, extra headers) answered for an injected error status."""
        return fault.status, fault.body or {"error": "injected fault"}, {}

    # -- the ASGI wrapper --------------------------------------------------------------------------
    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        query_string = scope.get("query_string", b"").decode("latin-1")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        record = Recorded(scope["method"], scope["path"], query, headers)
        raw: bytes | None = None
        if self.streams_body(scope):  # the declared size until the handler counts what it read
            length = headers.get("content-length", "")
            record.size = int(length) if length.isdigit() else 0
        else:
            raw = await _read_all(receive)
            record.size = len(raw)
            with contextlib.suppress(ValueError):
                record.body = json.loads(raw) if raw else None
        scope.setdefault("state", {})["record"] = record
        with self._lock:
            self._requests.append(record)
        app_receive = _replay(raw, receive) if raw is not None else receive
        fault = self._take_fault(scope["path"] + (f"?{query_string}" if query_string else ""))
        if fault is not None:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.drop_connection:
                abort_connection(receive)
                await asyncio.sleep(0.01)  # let uvicorn see the disconnect before the app returns
                return
            if fault.die_mid_stream:
                send = _dying(send, receive)
            elif fault.status >= 400:
                status, body, extra = self.fault_response(fault, scope)
                await _send_json(send, status, body, extra)
                return
        await self.app(scope, app_receive, send)


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body to the app once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


def _dying(send: Send, receive: Receive) -> Send:
    """A send that lets the headers and two body chunks (or half of a one-piece body) through, then cuts."""
    chunks = 0
    dead = False

    async def dying(message: Message) -> None:
        nonlocal chunks, dead
        if dead:
            return
        if message["type"] == "http.response.body":
            more = message.get("more_body", False)
            if more and chunks < 2:
                chunks += 1
            else:
                body = message.get("body", b"")
                if chunks == 0 and body:
                    await send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)],
                                "more_body": True})
                dead = True
                abort_connection(receive)
                await asyncio.sleep(0.01)
                return
        await send(message)

    return dying


async def _send_json(send: Send, status: int, body: dict, extra: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json; charset=UTF-8"), (b"content-length", str(len(payload)).encode())]
    headers += [(key.encode(), value.encode()) for key, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
