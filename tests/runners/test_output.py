"""Output handling: UTF-8 across frames, seq numbering, stream separation, the cap."""

from __future__ import annotations

import asyncio

from runners.output import MAX_EVENT_BYTES, OutputCollector, OutputEvent


async def test_a_character_split_across_frames_stays_whole() -> None:
    events: list[OutputEvent] = []
    collector = OutputCollector(1024, events.append)
    euro = "€".encode()
    collector.feed("stdout", b"price " + euro[:1])
    collector.flush()
    collector.feed("stdout", euro[1:] + b"\n")
    collector.close()
    assert "".join(e.data for e in events) == "price €\n"


async def test_small_frames_are_coalesced_and_streams_kept_apart() -> None:
    events: list[OutputEvent] = []
    collector = OutputCollector(1 << 20, events.append)
    for i in range(100):
        collector.feed("stdout", f"{i}\n".encode())
    collector.feed("stderr", b"oops\n")
    collector.feed("stdout", b"after\n")
    await asyncio.sleep(0.05)
    collector.close()
    assert [(e.seq, e.stream) for e in events] == [(0, "stdout"), (1, "stderr"), (2, "stdout")]
    assert events[0].data == "".join(f"{i}\n" for i in range(100))


async def test_output_beyond_the_cap_is_dropped_and_signalled() -> None:
    events: list[OutputEvent] = []
    collector = OutputCollector(10, events.append)
    collector.feed("stdout", b"0123456789abcdef")
    collector.feed("stdout", b"more")
    collector.close()
    assert collector.truncated and collector.capped.is_set()
    assert "".join(e.data for e in events) == "0123456789"


async def test_large_output_is_split_into_bounded_events() -> None:
    events: list[OutputEvent] = []
    collector = OutputCollector(1 << 20, events.append)
    collector.feed("stdout", b"x" * (3 * MAX_EVENT_BYTES + 5))
    collector.close()
    assert all(len(e.data) <= MAX_EVENT_BYTES for e in events)
    assert sum(len(e.data) for e in events) == 3 * MAX_EVENT_BYTES + 5
    assert [e.seq for e in events] == list(range(len(events)))
