"""Streaming requests are never silent: SSE comments while the gateway works, until the first event.

A `stream: true` chat or Responses request whose work before the first chunk (the flexible scan of a
long recording, OCR, a File API upload, a model loading) takes longer than
`gateway.streaming.progress_interval_s` has its response started early: status 200,
`text/event-stream`, and an SSE comment (`: gateway working, 10 s`) every interval until the first
real event. SSE clients ignore comments (the openai SDK included), so the stream stays valid, and
clients and proxies with read timeouts see bytes. A request answered within the interval is untouched.
Once the gateway's own work (the pre-call hook: scans, OCR, uploads) is over, the model's silence starts
the response early only after `progress_after_model_s` (30 s: Gemini reading a long file), so a backend
error after LiteLLM's retries keeps its own status and headers (a 429 stays a 429 with Retry-After).

Once started early the status can no longer change, so what would have been an HTTP error (400, 403,
429, 503...) arrives as one SSE event in OpenAI's error shape, `data: {"error": {"message", "type",
"param", "code"}}` (Responses: `event: error`, with `type: "error"`, `code` and `message` beside it),
which the openai SDK raises as `APIError`; the `x-gateway-*` headers the answer would have carried
arrive as comments (`: x-gateway-privacy: strict`) before the first event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from starlette.datastructures import Headers
from starlette.types import Message, Scope, Send

from plugins.platform.settings import gateway_settings
from plugins.surfaces.openai_shape import CHAT_PATHS

log = logging.getLogger("LiteLLM Proxy")
RESPONSES_PATHS = ("/v1/responses", "/responses", "/openai/v1/responses")
SCOPE_KEY = "gateway.progress"
CURRENT: ContextVar[ProgressSend | None] = ContextVar("gateway_progress", default=None)
EARLY_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                 (b"x-accel-buffering", b"no")]  # nginx: pass each comment on at once


def is_sse(message: Message) -> bool:
    content_type = Headers(raw=message.get("headers") or []).get("content-type", "")
    return message["status"] == 200 and content_type.startswith("text/event-stream")


def error_event(status: int, body: bytes, responses: bool) -> bytes:
    """An HTTP error answer (OpenAI envelope, or anything else) as one SSE error event."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        error = {"message": body.decode(errors="replace")[:1000] or f"HTTP {status}", "type": "api_error",
                 "param": None, "code": str(status)}
    if not responses:
        return b"data: " + json.dumps({"error": error}).encode() + b"\n\n"
    event = {"type": "error", "code": error.get("code"), "message": error.get("message"),
             "param": error.get("param"), "sequence_number": 0, "error": error}
    return b"event: error\ndata: " + json.dumps(event).encode() + b"\n\n"


class ProgressSend:
    """The `send` of one chat or Responses request: forwards the app's messages, and once `arm()`ed (the
    body asked for a stream) starts the response early and sends comments until the first event."""

    def __init__(self, send: Send, interval_s: float, responses: bool) -> None:
        self.send, self.interval_s, self.responses = send, interval_s, responses
        self.lock = asyncio.Lock()
        self.began = time.monotonic()
        self.early = False  # the response was started here, before the app's own start
        self.app_started = False
        self.quiet = False  # the first event went out (or the answer is no stream): no more comments
        self.ended = False
        self.error_start: Message | None = None
        self.error_body = b""
        self.ticker: asyncio.Task | None = None
        self.model_wait_from: float | None = None  # when the gateway's own work ended (settle)
        self.model_wait_s = 0.0

    def arm(self) -> None:
        """The request asked for a stream: start counting."""
        if self.ticker is None:
            self.ticker = asyncio.create_task(self._tick())

    def settle(self, model_wait_s: float) -> None:
        """The gateway's own work is done: unless the response already started here, wait `model_wait_s` of
        the model's silence before starting it."""
        self.model_wait_from = time.monotonic()
        self.model_wait_s = model_wait_s

    async def __call__(self, message: Message) -> None:
        async with self.lock:
            await self._from_app(message)

    async def _from_app(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.app_started = True
            if not self.early:
                self.quiet = not is_sse(message)
                await self.send(message)
            elif is_sse(message):
                comments = b"".join(b": " + name + b": " + value + b"\n" for name, value in message.get("headers") or []
                                    if name.lower().startswith(b"x-gateway-"))
                if comments:
                    await self.send({"type": "http.response.body", "body": comments + b"\n", "more_body": True})
            else:
                self.error_start = message
            return
        if message["type"] == "http.response.body" and self.error_start is not None:
            self.error_body += message.get("body", b"")
            if not message.get("more_body", False):
                await self._end(error_event(self.error_start["status"], self.error_body, self.responses))
            return
        if message["type"] == "http.response.body":
            self.quiet = self.quiet or bool(message.get("body"))
            self.ended = not message.get("more_body", False)
        await self.send(message)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            async with self.lock:
                if self.quiet or self.ended:
                    return
                if not self.app_started and not self.early:
                    if self.model_wait_from is not None and \
                            time.monotonic() - self.model_wait_from < self.model_wait_s:
                        continue  # the model's own silence: not yet
                    self.early = True
                    await self.send({"type": "http.response.start", "status": 200, "headers": EARLY_HEADERS})
                elapsed = round(time.monotonic() - self.began)
                await self.send({"type": "http.response.body", "body": f": gateway working, {elapsed} s\n\n".encode(),
                                 "more_body": True})

    async def _end(self, body: bytes) -> None:
        self.quiet = self.ended = True
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def finish(self, error: Exception | None) -> bool:
        """After the app: stop the comments; end a stream started here that the app left open (an exception
        becomes an error event). True when the exception was answered that way."""
        if self.ticker is not None:
            self.ticker.cancel()
        async with self.lock:
            if not self.early or self.ended:
                return False
            if error is None and self.error_start is None:
                await self._end(b"")
                return False
            status = self.error_start["status"] if self.error_start is not None else 500
            body = self.error_body or json.dumps({"error": {
                "message": f"The gateway failed before the first event: {type(error).__name__}", "type": "api_error",
                "param": None, "code": "500"}}).encode()
            await self._end(error_event(status, body, self.responses))
            if error is not None:
                log.exception("gateway: a streamed request failed after its response had started", exc_info=error)
            return error is not None


def progress_for(scope: Scope, send: Send) -> ProgressSend | None:
    """A ProgressSend for a POST that may ask for a stream (chat, Responses), when progress is on."""
    path = str(scope.get("path", ""))
    if scope.get("method") != "POST" or not (path.endswith(CHAT_PATHS) or path in RESPONSES_PATHS):
        return None
    interval = float(gateway_settings("streaming")["progress_interval_s"] or 0)
    return ProgressSend(send, interval, path in RESPONSES_PATHS) if interval > 0 else None


def arm_progress(scope: Scope, body: dict) -> None:
    """The body is known: a `stream: true` request gets progress comments (JSON and multipart alike)."""
    progress = scope.get(SCOPE_KEY)
    if isinstance(progress, ProgressSend) and body.get("stream") is True:
        progress.arm()


@asynccontextmanager
async def progress_around(scope: Scope, progress: ProgressSend) -> AsyncIterator[None]:
    """Run the request with `progress` as its outermost send; close it properly whatever happens."""
    scope[SCOPE_KEY] = progress
    CURRENT.set(progress)
    try:
        yield
    except Exception as error:
        if not await progress.finish(error):
            raise
        return
    await progress.finish(None)


def gateway_work_done() -> None:
    """Called by the pre-call hook when its work (scan, OCR, upload) is over: see `ProgressSend.settle`."""
    progress = CURRENT.get()
    if progress is not None:
        progress.settle(float(gateway_settings("streaming")["progress_after_model_s"]))
