import asyncio


from services.common.batching import BatchObserver, DynamicBatcher


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_callers_share_batches_and_get_their_own_results():
    sizes: list[int] = []

    async def main():
        batcher = DynamicBatcher(lambda xs: [x * 10 for x in xs], max_batch=8, max_delay_s=0.05,
                                 observer=BatchObserver(size=sizes.append))
        batcher.start()
        results = await asyncio.gather(*(batcher.run([i, i + 100]) for i in range(10)))
        await batcher.stop()
        return results

    results = run(main())
    assert results == [[i * 10, (i + 100) * 10] for i in range(10)]
    assert sum(sizes) == 20 and max(sizes) == 8  # never above max_batch
    assert len(sizes) < 20  # merged


def test_a_failing_batch_fails_only_its_callers():
    def fn(xs):
        if "boom" in xs:
            raise RuntimeError("model exploded")
        return [x.upper() for x in xs]

    async def main():
        batcher = DynamicBatcher(fn, max_batch=1, max_delay_s=0)
        batcher.start()
        failed = await asyncio.gather(batcher.run(["boom"]), return_exceptions=True)
        ok = await batcher.run(["fine"])
        await batcher.stop()
        return failed, ok

    failed, ok = run(main())
    assert isinstance(failed[0], RuntimeError) and "exploded" in str(failed[0])
    assert ok == ["FINE"]


def test_a_lone_item_waits_at_most_about_the_delay():
    async def main():
        batcher = DynamicBatcher(lambda xs: xs, max_batch=64, max_delay_s=0.01)
        batcher.start()
        result = await asyncio.wait_for(batcher.run(["alone"]), timeout=5)
        await batcher.stop()
        return result

    assert run(main()) == ["alone"]
