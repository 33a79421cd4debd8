"""Dynamic batching: items from concurrent callers are merged into one call of a batch function.

The classifier uses it to merge texts from concurrent requests into one inference
call; ingest uses it to label and store songs in batches. The first item to
arrive waits at most `max_delay` for others; a batch closes when it holds
`max_batch` items or the delay is over. While one batch runs on the worker
thread, the next one fills up, so under load batches grow by themselves and at
low load a lone item waits only `max_delay`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Item:
    value: Any
    future: asyncio.Future
    enqueued: float


@dataclass(frozen=True)
class BatchObserver:
    """Hooks for metrics: batch size, time spent queued, time of the batch call."""

    size: Callable[[int], None] = lambda n: None
    queued: Callable[[float], None] = lambda s: None
    seconds: Callable[[float], None] = lambda s: None


class DynamicBatcher(Generic[T, R]):
    """`await batcher.run(items)` returns `fn(batch)`'s results for those items, in order.

    `fn` takes a list and returns one result per element; it runs on one worker
    thread, one batch at a time (ONNX Runtime already uses every core for one call).
    """

    def __init__(self, fn: Callable[[list[T]], Sequence[R]], max_batch: int, max_delay_s: float,
                 observer: BatchObserver = BatchObserver(), name: str = "batcher"):
        self._fn = fn
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self._observer = observer
        self._name = name
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        self._executor.shutdown(wait=True)

    async def run(self, items: Sequence[T]) -> list[R]:
        """Results for the items, computed together with whatever else is queued."""
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        futures = []
        for value in items:
            future = loop.create_future()
            self._queue.put_nowait(_Item(value, future, now))
            futures.append(future)
        return list(await asyncio.gather(*futures))

    async def _collect(self) -> list[_Item]:
        batch = [await self._queue.get()]
        deadline = time.perf_counter() + self.max_delay_s
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            # Callers that gave up (deadline, cancel) need no answer.
            batch = [item for item in batch if not item.future.done()]
            if not batch:
                continue
            started = time.perf_counter()
            for item in batch:
                self._observer.queued(started - item.enqueued)
            self._observer.size(len(batch))
            try:
                results = await loop.run_in_executor(self._executor, self._fn, [item.value for item in batch])
            except Exception as exc:  # the batch failed: every caller in it hears why
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            finally:
                self._observer.seconds(time.perf_counter() - started)
            for item, result in zip(batch, results):
                if not item.future.done():
                    item.future.set_result(result)
