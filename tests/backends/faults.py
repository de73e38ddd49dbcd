"""What every emulator shares: a real HTTP server in a thread, request records, injected faults."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass
class Fault:
    """An injected failure for requests whose path matches `path_pattern` (regex, searched)."""

    path_pattern: str = ".*"
    status: int = 500
    body: dict | None = None
    delay_s: float = 0.0
    times: int = 1
    die_mid_stream: bool = False


@dataclass
class Recorded:
    """One request as it reached the emulator."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    size: int = 0
    time: float = field(default_factory=time.time)


class Emulator:
    """Base: runs `self.app` (a Starlette app) with uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> Emulator:
        if not port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        self.port = port
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="error", lifespan="off",
                                timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop answering (the port is closed): 'backend down'. `start(self.port)` brings it back."""
        if self._server:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()

    clear = reset

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def record(self, request: Request, body: Any = None, size: int = 0) -> Recorded:
        recorded = Recorded(request.method, request.url.path, dict(request.query_params), dict(request.headers),
                            body, size)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.path_pattern, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    async def apply_fault(self, fault: Fault | None, default_body: dict) -> Response | None:
        """The response a pending fault dictates (None: proceed normally, maybe after a delay)."""
        if fault is None:
            return None
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.die_mid_stream or fault.status < 400:
            return None
        return JSONResponse(fault.body if fault.body is not None else default_body, status_code=fault.status)
