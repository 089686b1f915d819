"""How late the event loop runs, and how long the garbage collector stops it.

Every room, socket and run of the server shares one event loop, so a pause anywhere
delays every participant's keystrokes. Two probes make such pauses visible in
/metrics: a task that sleeps a fixed interval records how late it wakes (the loop's
lag), and a `gc.callbacks` hook times every collection by generation (a full one stops
everything for tens of milliseconds once the heap is large).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from types import TracebackType
from typing import Any

# Upper bounds in seconds: from a slow callback (1 ms) to a loop stuck for seconds.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
GENERATIONS = (0, 1, 2)


class Histogram:
    """Counts of observations at or under each bound in `BUCKETS`, as Prometheus keeps
    them, plus their sum, count and the largest seen."""

    __slots__ = ("count", "counts", "max", "sum")

    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)  # per bucket, not yet cumulative
        self.sum = 0.0
        self.count = 0
        self.max = 0.0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[i] += 1
                break
        self.sum += value
        self.count += 1
        if value > self.max:
            self.max = value

    def samples(self, labels: str = "") -> list[tuple[str, float]]:
        """`_bucket`, `_sum` and `_count` samples; `labels` (`key="value"`, without
        braces) are added to each."""
        prefix = labels + "," if labels else ""
        braces = "{" + labels + "}" if labels else ""
        samples: list[tuple[str, float]] = []
        total = 0
        for bound, count in zip(BUCKETS, self.counts, strict=True):
            total += count
            samples.append((f'_bucket{{{prefix}le="{bound}"}}', total))
        samples.append((f'_bucket{{{prefix}le="+Inf"}}', self.count))
        samples.append((f"_sum{braces}", round(self.sum, 6)))
        samples.append((f"_count{braces}", self.count))
        return samples


class LoopWatch:
    """Use as `async with LoopWatch() as watch:`; `lag` and `gc_pauses` (by
    generation) fill while it is open."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.lag = Histogram()
        self.gc_pauses = {generation: Histogram() for generation in GENERATIONS}
        self._task: asyncio.Task[None] | None = None
        self._gc_started: float | None = None

    async def __aenter__(self) -> LoopWatch:
        if self._task is not None:
            raise RuntimeError("LoopWatch already started")
        self._task = asyncio.get_running_loop().create_task(self._watch())
        gc.callbacks.append(self._on_gc)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lag.observe(max(0.0, loop.time() - due))

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        # A collection in another thread (the database's) holds the GIL as well, so it
        # stops the loop just the same: it is counted too.
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            pause = time.perf_counter() - self._gc_started
            self._gc_started = None
            self.gc_pauses[info["generation"]].observe(pause)
