"""Dynamic batching: texts from concurrent calls are merged into one inference call.

The first text to arrive waits at most `max_delay` for others; a batch closes
when it holds `max_batch` texts or the delay is over. While one batch runs on the
inference thread, the next one fills up, so under load batches grow by themselves
and at low load a lone request waits only `max_delay`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from services.common import metrics


@dataclass
class _Item:
    text: str
    future: asyncio.Future
    enqueued: float


class DynamicBatcher:
    def __init__(self, predict: Callable[[list[str]], np.ndarray], max_batch: int, max_delay_s: float):
        self._predict = predict
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        # One inference at a time: ONNX Runtime already uses every core for one call.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        self._executor.shutdown(wait=True)

    async def predict(self, texts: list[str]) -> np.ndarray:
        """Probabilities for the texts, computed together with whatever else is queued."""
        if not texts:
            return np.zeros((0, 6), dtype=np.float32)
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        futures = []
        for text in texts:
            future = loop.create_future()
            self._queue.put_nowait(_Item(text, future, now))
            futures.append(future)
        return np.stack(await asyncio.gather(*futures))

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
                metrics.QUEUE_SECONDS.observe(started - item.enqueued)
            metrics.BATCH_SIZE.observe(len(batch))
            try:
                probabilities = await loop.run_in_executor(
                    self._executor, self._predict, [item.text for item in batch]
                )
            except Exception as exc:  # the model failed: every caller in the batch hears it
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            finally:
                metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
            for item, row in zip(batch, probabilities):
                if not item.future.done():
                    item.future.set_result(row)
