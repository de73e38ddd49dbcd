"""Admission control for heavy local work (OCR, PDF rasterising, transcription): a bounded pool per process.

At most `workers` jobs run at once (each in a thread, off the event loop) and at most `queue`
wait; a request beyond that gets 429 with Retry-After instead of queueing without limit, so a
burst of page-bomb PDFs cannot exhaust memory and /health keeps answering.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

T = TypeVar("T")


class WorkPool:
    """Runs blocking functions in threads, `workers` at a time, refusing work beyond `queue` waiting."""

    def __init__(self, workers: int, queue: int, retry_after_s: int) -> None:
        self.workers, self.queue, self.retry_after_s = max(1, workers), max(0, queue), retry_after_s
        self._admitted = 0
        self._semaphore: asyncio.Semaphore | None = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        if self._admitted >= self.workers + self.queue:
            raise GatewayError(429, "The gateway's local processing (OCR, PDF rendering, transcription) is at "
                               f"capacity; retry in {self.retry_after_s} s.", error_type="rate_limit_error",
                               headers={"Retry-After": str(self.retry_after_s)})
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.workers)
        self._admitted += 1
        try:
            async with self._semaphore:
                return await asyncio.to_thread(function, *args)
        finally:
            self._admitted -= 1


@functools.lru_cache(maxsize=1)
def local_work() -> WorkPool:
    """The process's pool, sized by `gateway.local_work`."""
    settings = gateway_settings("local_work")
    return WorkPool(int(settings["workers"]), int(settings["queue"]),
                    int(settings["retry_after_s"]))
