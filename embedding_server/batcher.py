"""Dynamic micro-batching: concurrent requests to one model share a forward pass.

Items wait at most `max_wait_ms` for company (or until `max_batch_size` are queued); the batch
then runs in the model's worker thread, so the event loop never blocks on a forward pass.
While one batch runs, new items queue up and form the next one, so under load batches fill
themselves. The wait only applies while requests are concurrent (the last batch had company, or
items arrived while it ran): a lone request on an idle model is not delayed. Every item has its
own future: a batch that raises fails only its own items.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, TypeVar

from embedding_server.errors import EmbeddingError, InputTooLarge, ModelFailed, QueueFull
from embedding_server.settings import BatchingSettings

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class BatchStats:
    """What the batcher has done, for `/v1/embeddings/models` and the tests."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    failed_batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(batches=self.batches, items=self.items, largest=self.largest, failed_batches=self.failed_batches)


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    future: asyncio.Future
    queued_at: float


# Called as observer(model name, batch size, inputs still queued) for every batch: the gateway's metrics.
BATCH_OBSERVERS: list[Callable[[str, int, int], None]] = []


class MicroBatcher(Generic[Item, Result]):
    """Gathers items for `run_batch(items) -> results` (one result per item, in order)."""

    def __init__(self, name: str, run_batch: Callable[[list[Item]], Sequence[Result]], executor: Executor,
                 settings: BatchingSettings) -> None:
        self.name = name
        self.run_batch = run_batch
        self.executor = executor
        self.settings = settings
        self.stats = BatchStats()
        self._concurrent = False  # did the last batch have company, or did items arrive while it ran?
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> asyncio.AbstractEventLoop:
        """Queue state belongs to one event loop; a new loop (e.g. a new test) starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._queue: collections.deque[_Waiting[Item]] = collections.deque()
            self._arrived = asyncio.Event()
            self._worker: asyncio.Task | None = None
        return loop

    @property
    def queued(self) -> int:
        return len(self._queue) if self._loop is not None else 0

    async def submit(self, items: Sequence[Item]) -> list[Result]:
        """Queue the items and wait for their results; QueueFull if the queue has no room for all of them."""
        loop = self._bind()
        limit = self.settings.max_queue_items
        if len(items) > limit:  # could never fit: retrying would not help
            raise InputTooLarge(f"Request has {len(items)} inputs for '{self.name}', whose queue holds {limit}.")
        if len(self._queue) + len(items) > limit:
            raise QueueFull(
                f"Embedding model '{self.name}' is busy: {len(self._queue)} inputs queued (limit {limit}). "
                f"Retry after {self.settings.retry_after_s} s.",
                retry_after_s=self.settings.retry_after_s,
            )
        now = loop.time()
        waiting = [_Waiting(item, loop.create_future(), now) for item in items]
        self._queue.extend(waiting)
        self._arrived.set()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._run(), name=f"embedding-batcher-{self.name}")
        try:
            return list(await asyncio.gather(*(entry.future for entry in waiting)))
        finally:
            for entry in waiting:
                if entry.future.done() and not entry.future.cancelled():
                    entry.future.exception()  # the first error was raised above; mark the others as seen
                else:
                    entry.future.cancel()  # a cancelled request leaves nothing behind to compute

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            await self._gather_more(loop)
            batch = self._take_batch()
            if batch:
                await self._execute(loop, batch)

    async def _gather_more(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until the batch is full or the oldest item has waited max_wait_ms (only under concurrency)."""
        if not self._concurrent:
            return
        deadline = self._queue[0].queued_at + self.settings.max_wait_ms / 1000
        while len(self._queue) < self.settings.max_batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                return

    def _take_batch(self) -> list[_Waiting[Item]]:
        batch: list[_Waiting[Item]] = []
        while self._queue and len(batch) < self.settings.max_batch_size:
            entry = self._queue.popleft()
            if not entry.future.done():
                batch.append(entry)
        return batch

    async def _execute(self, loop: asyncio.AbstractEventLoop, batch: list[_Waiting[Item]]) -> None:
        self.stats.batches += 1
        self.stats.items += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        for observer in BATCH_OBSERVERS:
            observer(self.name, len(batch), len(self._queue))
        try:
            results = await loop.run_in_executor(self.executor, self.run_batch, [entry.item for entry in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} returned {len(results)} results")
        except Exception as error:
            self._concurrent = len(batch) > 1 or bool(self._queue)
            self.stats.failed_batches += 1
            failure = error if isinstance(error, EmbeddingError) else ModelFailed(
                f"Embedding model '{self.name}' failed on a batch of {len(batch)}: {type(error).__name__}: {error}"
            )
            for entry in batch:
                if not entry.future.done():
                    entry.future.set_exception(failure)
            return
        self._concurrent = len(batch) > 1 or bool(self._queue)
        for entry, result in zip(batch, results, strict=True):
            if not entry.future.done():
                entry.future.set_result(result)

