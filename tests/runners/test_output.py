"""Output handling: UTF-8 across frames, seq numbering, stream separation, the cap."""

from __future__ import annotations

import asyncio

from runners.output import MAX_EVENT_BYTES, OutputCollector, OutputEvent
from runners.sandbox import COMPILED_MARK, Usage, _CompiledMark, _UsageTrailer


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


def test_the_compiled_mark_is_taken_off_stdout_however_it_is_split() -> None:
    program = b"first line\n"
    stream = COMPILED_MARK + program
    for size in (1, 2, 5, len(COMPILED_MARK), len(stream)):
        mark = _CompiledMark(expected=True)
        out = b"".join(mark.stdout(stream[i : i + size]) for i in range(0, len(stream), size))
        assert (out + mark.rest(), mark.seen) == (program, True), size


def test_stdout_without_the_mark_is_passed_on_whole() -> None:
    # A compile that failed writes no mark; a language without a compile step looks for none.
    for data in (b"\x1eplay", b"\x1eplayground:compiled\x1f\n", b"hello\n"):
        mark = _CompiledMark(expected=True)
        assert mark.stdout(data) + mark.rest() == data and not mark.seen
    mark = _CompiledMark(expected=False)
    assert mark.stdout(COMPILED_MARK) == COMPILED_MARK and not mark.seen


TRAILER = b"\x1eplayground:usage 7632 12345\x1e\n"
USED = Usage(cpu_ms=12, memory_kb=7632)


def _through_trailer(stream: bytes, size: int) -> tuple[bytes, Usage | None]:
    trailer = _UsageTrailer()
    out = b"".join(trailer.stdout(stream[i : i + size]) for i in range(0, len(stream), size))
    return out + trailer.end(), trailer.usage


def test_the_usage_trailer_is_read_off_the_end_of_stdout_however_it_is_split() -> None:
    # The program's own output may hold record separators and even look like the head.
    program = b"a\x1eb\n\x1eplayground:usage x\nno newline at the end"
    stream = program + TRAILER
    for size in (1, 2, 3, 7, len(TRAILER), len(stream)):
        assert _through_trailer(stream, size) == (program, USED), size


def test_what_could_not_be_measured_is_none() -> None:
    stream = b"out\n\x1eplayground:usage - 1750\x1e\n"
    assert _through_trailer(stream, 4) == (b"out\n", Usage(cpu_ms=2, memory_kb=None))


def test_a_trailer_that_does_not_end_stdout_is_the_programs_output() -> None:
    # A program printing a trailer of its own, then more: none of it is taken off, and a
    # trailer it prints last is followed by the real one, which alone is read.
    for stream in (TRAILER + b"more", TRAILER[:-1], TRAILER[:-2] + b"x\x1e\n", b"\x1eplay"):
        assert _through_trailer(stream, 5) == (stream, None)
    fake = b"\x1eplayground:usage 1 1\x1e\n"
    assert _through_trailer(fake + TRAILER, 3) == (fake, USED)


def test_the_compiled_mark_and_the_usage_trailer_both_come_off() -> None:
    mark, trailer = _CompiledMark(expected=True), _UsageTrailer()
    stream = COMPILED_MARK + b"hi\n" + TRAILER
    out = b"".join(trailer.stdout(mark.stdout(stream[i : i + 4])) for i in range(0, len(stream), 4))
    out += trailer.stdout(mark.rest()) + trailer.end()
    assert (out, mark.seen, trailer.usage) == (b"hi\n", True, USED)
