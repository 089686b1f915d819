"""One connected client of a document room, with a bounded outgoing queue.

A message to a client is written to its socket at once when nothing is queued or being
sent ahead of it and the socket takes more; otherwise it goes through the client's
queue and one sender task. Either way messages arrive in the order they were produced
and a slow client never blocks the room or the other clients: when its queue is full it
is disconnected and resyncs on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Protocol

from .errors import CLOSE_RATE_LIMITED, CLOSE_TOO_SLOW
from .limits import TokenBucket
from .stats import RoomStats

_ids = itertools.count(1)


class Transport(Protocol):
    """The little a room needs from a WebSocket (the real one, or an in-memory pair)."""

    async def send(self, message: bytes) -> None: ...

    def send_now(self, message: bytes) -> bool:
        """Sends at once if the socket takes it without waiting; False otherwise."""
        ...

    async def receive(self) -> bytes | None:
        """The next binary frame; None once the peer has gone."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


class Peer:
    """A client connection: reads frames from, and queues frames to, one transport."""

    def __init__(
        self,
        transport: Transport,
        *,
        path: str,
        queue_size: int,
        remote: str = "",
        update_bucket: TokenBucket | None = None,
        awareness_bucket: TokenBucket | None = None,
        max_backlog: int = 8 * 1024 * 1024,
        stats: RoomStats | None = None,
        read_only: bool = False,
    ):
        self.id = f"c{next(_ids)}"
        self.update_bucket = update_bucket
        self.awareness_bucket = awareness_bucket
        self.max_backlog = max_backlog
        self.backlog = 0
        self.stats = stats
        # A view-only link: reads and shows presence, but its edits are dropped.
        self.read_only = read_only
        self.transport = transport
        self.remote = remote
        self._path = path
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(queue_size)
        self.user: str | None = None
        # Awareness client ids this connection announced: removed when it goes.
        self.awareness_ids: set[int] = set()
        self.closed = False
        # Whether anything was sent or queued since the last keepalive sweep.
        self.sent_recently = False
        # The sender task holds a message it has not finished sending.
        self._sending = False

    @property
    def path(self) -> str:
        return self._path

    @property
    def author(self) -> str:
        return self.user or self.id

    def throttle(self, frame: bytes) -> float:
        """Seconds to stop reading this client after `frame`, so that it stays within
        its limits: a flood is slowed down (TCP pushes back), never answered with lost
        edits."""
        if frame[:1] == b"\x01":
            bucket, cost = self.awareness_bucket, 1.0
        else:
            bucket, cost = self.update_bucket, float(len(frame))
        return bucket.debt_seconds(cost) if bucket is not None else 0.0

    def send(self, message: bytes) -> None:
        """Sends a message now, or queues it behind the ones ahead of it; a client too
        far behind is disconnected, never waited for."""
        if self.closed:
            return
        self.sent_recently = True
        if not self._sending and self._queue.empty() and self.transport.send_now(message):
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.closed = True
            self._queue = asyncio.Queue(1)
            self._queue.put_nowait(None)
            asyncio.get_running_loop().create_task(
                self.transport.close(CLOSE_TOO_SLOW, "client too slow to keep up")
            )

    async def run_sender(self) -> None:
        """Delivers queued messages until closed; returns when the transport fails."""
        while True:
            message = await self._queue.get()
            if message is None:
                return
            self._sending = True
            try:
                await self.transport.send(message)
            except Exception:
                return
            finally:
                self._sending = False

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.transport.close(code, reason)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[bytes]:
        """Frames in order, paced to this client's limits.

        Frames are read eagerly (so WebSocket pongs queued behind a flood still arrive
        and the connection stays healthy) into a backlog capped at `max_backlog`
        bytes; a client that outruns even that is closed."""
        inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        reader = asyncio.create_task(self._read_into(inbox))
        try:
            while (frame := await inbox.get()) is not None:
                self.backlog -= len(frame)
                pause = self.throttle(frame)
                if pause > 0:
                    if self.stats is not None:
                        self.stats.throttled += 1
                    await asyncio.sleep(pause)
                yield frame
        finally:
            reader.cancel()

    async def _read_into(self, inbox: asyncio.Queue[bytes | None]) -> None:
        try:
            while (frame := await self.transport.receive()) is not None:
                self.backlog += len(frame)
                if self.backlog > self.max_backlog:
                    await self.close(CLOSE_RATE_LIMITED, "sending faster than the limits allow")
                    return
                inbox.put_nowait(frame)
        finally:
            inbox.put_nowait(None)
