"""Admission: the concurrency limit, the bounded queue, fairness across sessions."""

from __future__ import annotations

import pytest

from runners import RateLimited
from runners.scheduler import Scheduler


async def test_runs_beyond_the_limit_queue_and_start_when_a_slot_frees() -> None:
    scheduler = Scheduler(concurrency=2, queue_size=4)
    a, b, c = scheduler.admit("s1"), scheduler.admit("s2"), scheduler.admit("s3")
    assert (a.queued, b.queued, c.queued) == (False, False, True)
    a.release()
    await c.wait()
    assert not c.queued
    assert scheduler.active == 2


async def test_a_full_queue_refuses_with_rate_limited() -> None:
    scheduler = Scheduler(concurrency=1, queue_size=2)
    scheduler.admit("s1")
    scheduler.admit("s2")
    scheduler.admit("s3")
    with pytest.raises(RateLimited) as info:
        scheduler.admit("s4")
    assert info.value.code == "rate_limited"


async def test_sessions_take_turns() -> None:
    scheduler = Scheduler(concurrency=1, queue_size=10)
    running = scheduler.admit("busy")
    busy = [scheduler.admit("busy") for _ in range(3)]
    other = scheduler.admit("other")
    order = []
    current = running
    for _ in range(4):
        current.release()
        granted = next(t for t in [*busy, other] if not t.queued and t not in order)
        order.append(granted)
        current = granted
    # "other" asked after three runs of "busy" but runs second, not last.
    assert order.index(other) == 1


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    scheduler = Scheduler(concurrency=1, queue_size=1)
    first = scheduler.admit("s1")
    waiting = scheduler.admit("s2")
    waiting.release()
    assert scheduler.queued == 0
    scheduler.admit("s3")  # the freed place can be taken again
    first.release()
    assert scheduler.active == 1
