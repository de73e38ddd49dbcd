"""The micro-batcher with a fake model: gathering, limits, failures and cancellation."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from embedding_server import InputTooLarge, ModelFailed, QueueFull
from embedding_server.batcher import MicroBatcher
from embedding_server.settings import BatchingSettings


class Recorder:
    """A fake model: doubles numbers, records batch sizes, optionally sleeps or fails."""

    def __init__(self, delay=0.0, fail_on=None):
        self.batches: list[list[int]] = []
        self.delay, self.fail_on = delay, fail_on
        self.threads: set[str] = set()

    def __call__(self, items):
        self.threads.add(threading.current_thread().name)
        self.batches.append(list(items))
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in items:
            raise RuntimeError("boom")
        return [item * 2 for item in items]


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-model")
    yield pool
    pool.shutdown()


def batcher(run, executor, **settings) -> MicroBatcher:
    return MicroBatcher("fake", run, executor, BatchingSettings(**settings))


async def test_concurrent_submits_share_one_forward_pass_off_the_event_loop(executor):
    run = Recorder()
    gathered = batcher(run, executor, max_batch_size=16, max_wait_ms=50)
    results = await asyncio.gather(*(gathered.submit([n]) for n in range(10)))
    assert results == [[2 * n] for n in range(10)]
    assert run.batches == [list(range(10))] and run.threads == {"test-model_0"}
    assert gathered.stats.as_dict() == {"batches": 1, "items": 10, "largest": 10, "failed_batches": 0}


async def test_a_lone_request_is_not_delayed_but_concurrent_ones_wait_for_company(executor):
    loop = asyncio.get_running_loop()
    waiting = batcher(Recorder(), executor, max_batch_size=8, max_wait_ms=300)
    started = loop.time()
    await waiting.submit([1])
    assert loop.time() - started < 0.2  # idle model, nobody else: no wait
    await asyncio.gather(waiting.submit([1]), waiting.submit([2]))  # a batch with company
    started = loop.time()
    await waiting.submit([3])
    assert loop.time() - started >= 0.25  # under concurrency the first item waits for others


async def test_batches_never_exceed_max_batch_size(executor):
    run = Recorder()
    assert await batcher(run, executor, max_batch_size=4, max_wait_ms=20).submit(list(range(10))) == [
        2 * n for n in range(10)]
    assert [len(b) for b in run.batches] == [4, 4, 2]


async def test_batching_off_runs_each_item_alone(executor):
    run = Recorder()
    single = batcher(run, executor, max_batch_size=1, max_wait_ms=0)
    await asyncio.gather(*(single.submit([n]) for n in range(5)))
    assert [len(b) for b in run.batches] == [1] * 5


async def test_full_queue_is_refused_with_retry_after(executor):
    run = Recorder(delay=0.2)
    busy = batcher(run, executor, max_batch_size=1, max_wait_ms=0, max_queue_items=3, retry_after_s=2)
    first = asyncio.ensure_future(busy.submit([1, 2, 3]))
    await asyncio.sleep(0.05)  # item 1 is running, 2 and 3 wait
    with pytest.raises(QueueFull) as refused:
        await busy.submit([4, 5])
    assert refused.value.retry_after_s == 2 and refused.value.status_code == 429
    with pytest.raises(InputTooLarge, match="queue holds 3"):
        await busy.submit([1, 2, 3, 4])  # more than the queue could ever hold: 413, not 429
    assert await first == [2, 4, 6]


async def test_a_failing_batch_fails_only_its_own_requests(executor):
    run = Recorder(fail_on=13)
    flaky = batcher(run, executor, max_batch_size=8, max_wait_ms=30)
    bad, good = await asyncio.gather(flaky.submit([13]), flaky.submit([1]), return_exceptions=True)
    assert isinstance(bad, ModelFailed) and "boom" in bad.message and isinstance(good, ModelFailed)
    assert await flaky.submit([2]) == [4]  # the next batch runs normally
    assert flaky.stats.failed_batches == 1


async def test_cancelled_requests_are_not_computed(executor):
    run = Recorder(delay=0.1)
    slow = batcher(run, executor, max_batch_size=1, max_wait_ms=0)
    first = asyncio.ensure_future(slow.submit([1]))
    doomed = asyncio.ensure_future(slow.submit([2]))
    await asyncio.sleep(0.02)
    doomed.cancel()
    assert await first == [2]
    await asyncio.sleep(0.15)
    assert run.batches == [[1]]
