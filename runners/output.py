"""A run's output: the byte cap, UTF-8 decoding, coalescing and sequence numbers.

Raw frames from the container become `OutputEvent`s: text (invalid UTF-8 replaced,
multi-byte characters split across frames kept whole), numbered from 0 without gaps,
stdout and stderr kept apart. Small frames arriving within `COALESCE_S` of each other
on the same stream become one event, so a chatty program does not become thousands
of frames; one event never carries more than `MAX_EVENT_BYTES`.
"""

from __future__ import annotations

import asyncio
import codecs
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Stream = Literal["stdout", "stderr"]

COALESCE_S = 0.005
MAX_EVENT_BYTES = 64 * 1024


@dataclass(frozen=True)
class OutputEvent:
    """One piece of output: `seq` counts from 0 per run, `t` is ms since the epoch."""

    seq: int
    t: int
    stream: Stream
    data: str


OutputCallback = Callable[[OutputEvent], None]


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class OutputCollector:
    """Turns raw output bytes into `OutputEvent`s delivered to `on_event`.

    `on_event` is called synchronously from the event loop and must not block.
    When the output exceeds `cap` bytes, everything from that byte on is dropped and
    `capped` is set (the run is then killed).
    """

    def __init__(self, cap: int, on_event: OutputCallback) -> None:
        self._cap = cap
        self._on_event = on_event
        self.capped = asyncio.Event()
        self._total = 0
        self._seq = 0
        self._decoders = {
            "stdout": codecs.getincrementaldecoder("utf-8")("replace"),
            "stderr": codecs.getincrementaldecoder("utf-8")("replace"),
        }
        self._pending: bytearray = bytearray()
        self._pending_stream: Stream = "stdout"
        self._pending_t = 0
        self._timer: asyncio.TimerHandle | None = None
        self.truncated = False
        self.first_output_at: float | None = None

    @property
    def total_bytes(self) -> int:
        """Bytes accepted so far (at most the cap)."""
        return self._total

    def feed(self, stream: Stream, data: bytes) -> None:
        """Accept raw bytes from the program."""
        if self.truncated or not data:
            return
        if self.first_output_at is None:
            self.first_output_at = time.monotonic()
        room = self._cap - self._total
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        self._total += len(data)
        if data:
            if stream != self._pending_stream and self._pending:
                self.flush()
            if not self._pending:
                self._pending_t = now_ms()
            self._pending_stream = stream
            self._pending += data
            while len(self._pending) >= MAX_EVENT_BYTES:
                chunk = bytes(self._pending[:MAX_EVENT_BYTES])
                del self._pending[:MAX_EVENT_BYTES]
                self._emit(stream, chunk, final=False)
            if self._pending and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(COALESCE_S, self.flush)
        if self.truncated:
            self.flush()
            self.capped.set()

    def flush(self) -> None:
        """Emit whatever is buffered now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            chunk = bytes(self._pending)
            self._pending.clear()
            self._emit(self._pending_stream, chunk, final=False)

    def close(self) -> None:
        """Flush everything, including incomplete UTF-8 sequences (as U+FFFD)."""
        self.flush()
        streams: tuple[Stream, ...] = ("stdout", "stderr")
        for stream in streams:
            self._emit(stream, b"", final=True)

    def _emit(self, stream: Stream, chunk: bytes, *, final: bool) -> None:
        text = self._decoders[stream].decode(chunk, final=final)
        if not text:
            return
        event = OutputEvent(self._seq, self._pending_t or now_ms(), stream, text)
        self._seq += 1
        self._on_event(event)
