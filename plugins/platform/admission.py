"""Admission control for heavy local work (OCR, PDF rasterising, transcription): a bounded pool per process.

At most `workers` jobs run at once (each in a thread, off the event loop) and at most
`workers + queue` requests hold a place; a request beyond that gets 429 with Retry-After instead of
queueing without limit, so a burst of page-bomb PDFs cannot exhaust memory and /health keeps answering.

Admission is per request, not per job: a request's first job takes its place and all its jobs (twelve
images to read, say) share it, waiting their turn for a worker. Counting jobs would refuse a single
request with more attachments than places, every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

T = TypeVar("T")


class Ticket:
    """One request's place in a pool, taken by its first job (a request with no local work takes none)."""

    def __init__(self, pool: WorkPool) -> None:
        self.pool, self.admitted = pool, False


_TICKET: ContextVar[Ticket | None] = ContextVar("local_work_ticket", default=None)


class WorkPool:
    """Runs blocking functions in threads, `workers` at a time, refusing requests beyond `queue` waiting."""

    def __init__(self, workers: int, queue: int, retry_after_s: int) -> None:
        self.workers, self.queue, self.retry_after_s = max(1, workers), max(0, queue), retry_after_s
        self._admitted = 0
        self._semaphore: asyncio.Semaphore | None = None

    def _admit(self) -> None:
        if self._admitted >= self.workers + self.queue:
            raise GatewayError(429, "The gateway's local processing (OCR, PDF rendering, transcription) is at "
                               f"capacity; retry in {self.retry_after_s} s.", error_type="rate_limit_error",
                               headers={"Retry-After": str(self.retry_after_s)})
        self._admitted += 1

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """The jobs run inside this block (tasks it starts included) belong to one request: one admission."""
        if (held := _TICKET.get()) is not None and held.pool is self:
            yield
            return
        ticket = Ticket(self)
        token = _TICKET.set(ticket)
        try:
            yield
        finally:
            _TICKET.reset(token)
            if ticket.admitted:
                self._admitted -= 1

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        ticket = _TICKET.get()
        if ticket is not None and ticket.pool is not self:
            ticket = None
        if ticket is None or not ticket.admitted:  # a job of its own, or its request's first
            self._admit()
            if ticket is not None:
                ticket.admitted = True
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.workers)
        try:
            async with self._semaphore:
                return await asyncio.to_thread(function, *args)
        finally:
            if ticket is None:
                self._admitted -= 1


@functools.lru_cache(maxsize=1)
def local_work() -> WorkPool:
    """The process's pool, sized by `gateway.local_work`."""
    settings = gateway_settings("local_work")
    return WorkPool(int(settings["workers"]), int(settings["queue"]),
                    int(settings["retry_after_s"]))
