"""The event loop's lag and the collector's pauses, as /metrics shows them."""

from __future__ import annotations

import asyncio
import gc
import time

import httpx
import pytest

from playground.loop_watch import BUCKETS, Histogram, LoopWatch
from tests.conftest import ServerProcess, metric


def test_histogram_buckets_are_cumulative() -> None:
    histogram = Histogram()
    for value in (0.0004, 0.003, 0.2, 0.25, 7.0):
        histogram.observe(value)
    samples = dict(histogram.samples('generation="2"'))
    assert samples['_bucket{generation="2",le="0.001"}'] == 1
    assert samples['_bucket{generation="2",le="0.005"}'] == 2
    assert samples['_bucket{generation="2",le="0.1"}'] == 2
    assert samples['_bucket{generation="2",le="0.25"}'] == 4  # a bound is inclusive
    assert samples['_bucket{generation="2",le="2.5"}'] == 4
    assert samples['_bucket{generation="2",le="+Inf"}'] == 5  # past the last bound
    assert samples['_count{generation="2"}'] == 5
    assert samples['_sum{generation="2"}'] == pytest.approx(7.4534)
    assert histogram.max == 7.0
    assert len(samples) == len(BUCKETS) + 3
    assert "_count" in dict(Histogram().samples())


async def test_a_blocked_loop_is_seen_late() -> None:
    async with LoopWatch(interval=0.02) as watch:
        await asyncio.sleep(0.1)
        assert watch.lag.count >= 1
        # What a slow callback does to every connection: the blocking is the point.
        time.sleep(0.3)  # noqa: ASYNC251
        await asyncio.sleep(0.1)
    assert watch.lag.max >= 0.25
    over = watch.lag.count - sum(watch.lag.counts[: BUCKETS.index(0.1) + 1])
    assert over >= 1, "the blocked wake-up is counted above 100 ms"
    count = watch.lag.count
    await asyncio.sleep(0.1)
    assert watch.lag.count == count, "the timer stops with the watch"


async def test_collections_are_timed_by_generation() -> None:
    async with LoopWatch() as watch:
        with pytest.raises(RuntimeError):
            await watch.__aenter__()
        cycles = []
        for _ in range(10_000):
            cycle: list[object] = []
            cycle.append(cycle)
            cycles.append(cycle)
        del cycles, cycle
        before = watch.gc_pauses[2].count
        gc.collect(2)
        full = watch.gc_pauses[2]
        assert full.count == before + 1
        assert full.sum > 0 and full.max > 0
        gc.collect(0)
        assert watch.gc_pauses[0].count >= 1
    counts = [watch.gc_pauses[g].count for g in (0, 1, 2)]
    gc.collect(2)
    assert [watch.gc_pauses[g].count for g in (0, 1, 2)] == counts, "the hook is removed"


async def test_metrics_show_the_loop_and_the_collector(server: ServerProcess) -> None:
    deadline = time.monotonic() + 10
    while metric(server, "playground_event_loop_lag_seconds_count") < 3:
        assert time.monotonic() < deadline, "the loop's timer never ran"
        await asyncio.sleep(0.1)
    lines = httpx.get(server.url + "/metrics").text.splitlines()
    lag = [line for line in lines if line.startswith("playground_event_loop_lag_seconds_bucket")]
    counts = [float(line.split()[-1]) for line in lag]
    assert len(counts) == len(BUCKETS) + 1 and counts == sorted(counts)
    assert f"playground_event_loop_lag_seconds_count {counts[-1]:.0f}" in lines
    for generation in (0, 1, 2):
        assert (
            metric(server, f'playground_gc_pause_seconds_count{{generation="{generation}"}}') >= 0
        )
    assert "# TYPE playground_gc_pause_seconds histogram" in lines
