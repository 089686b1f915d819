"""One connected client of a document room: its frames in, its messages out.

Frames in. The transport hands each frame over as it arrives and the room handles it at
once, in the same turn of the event loop. A client over its rate limits is slowed down,
never answered with lost edits: its frames wait in order, in a backlog capped at
`max_backlog` bytes, until its limits allow them; the socket is still read meanwhile,
so its WebSocket pongs arrive and the connection stays healthy. A client that outruns
even the backlog is closed.

Messages out. A message is written to the socket at once when nothing is waiting ahead
of it and the socket takes more; otherwise it waits in the client's outbox, drained by a
sender task that exists only while something waits. Either way messages arrive in the
order they were produced, and a slow client never blocks the room or the others: when
its outbox is full it is disconnected, and resyncs on reconnect.

An idle client costs no task and no queue of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from .errors import CLOSE_BAD_MESSAGE, CLOSE_INTERNAL, CLOSE_RATE_LIMITED, CLOSE_TOO_SLOW
from .limits import TokenBucket
from .protocol import MSG_AWARENESS, MSG_QUERY_AWARENESS
from .stats import RoomStats

log = logging.getLogger("playground.peers")

_ids = itertools.count(1)

# First bytes of awareness and query-awareness messages.
_PRESENCE_KINDS = (bytes([MSG_AWARENESS]), bytes([MSG_QUERY_AWARENESS]))

Handler = Callable[["Peer", bytes], None]


class Transport(Protocol):
    """The little a peer needs from a WebSocket."""

    async def send(self, message: bytes) -> None: ...

    def send_now(self, message: bytes) -> bool:
        """Sends at once if the socket takes it without waiting; False otherwise."""
        ...

    def receive_into(self, receiver: Callable[[bytes | str | None], None]) -> None:
        """From now on hands every message to `receiver` as it arrives: bytes, a str for
        a text frame, None once the connection has ended (possibly more than once)."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


class Peer:
    """A client connection of one room."""

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
        self.stats = stats
        # A view-only link: reads and shows presence, but its edits are dropped.
        self.read_only = read_only
        self.transport = transport
        self._send_now = transport.send_now  # looked up once, used for every message
        self.remote = remote
        self.path = path
        self.queue_size = queue_size
        self.user: str | None = None
        # Awareness client ids this connection announced: removed when it goes.
        self.awareness_ids: set[int] = set()
        self.closed = False
        # How the connection is to be closed once `run` returns.
        self.close_code: tuple[int, str] = (1000, "")
        # Whether anything was sent or queued since the last keepalive sweep.
        self.sent_recently = False
        self._handle: Handler | None = None
        self._ended: asyncio.Future[None] | None = None
        # Frames held back by this client's limits (the first one is due next), and
        # their bytes; the pacer task runs exactly while it is not empty.
        self._backlog: deque[bytes] = deque()
        self.backlog_bytes = 0
        self._pacer: asyncio.Task[None] | None = None
        # Messages waiting for the socket; the sender task runs while it is not empty
        # or holds a message it has not finished sending (while the peer is open, it
        # is None only when nothing is queued or being sent).
        self._outbox: deque[bytes] = deque()
        self._sender: asyncio.Task[None] | None = None

    @property
    def author(self) -> str:
        return self.user or self.id

    # -- frames in -------------------------------------------------------------------

    async def run(self, handle: Handler) -> None:
        """Hands this client's frames to `handle`, in order and paced to its limits,
        until the connection ends or the peer is closed."""
        self._handle = handle
        self._ended = asyncio.get_running_loop().create_future()
        self.transport.receive_into(self._receive)
        try:
            await self._ended
        finally:
            self.closed = True
            self._backlog.clear()
            self._outbox.clear()
            for task in (self._pacer, self._sender):
                if task is not None:
                    task.cancel()

    def throttle(self, frame: bytes) -> float:
        """Seconds to hold `frame` back so that this client stays within its limits;
        the frame is charged to its bucket now. A query for presence counts as a
        presence message: one byte asks for everyone's state."""
        if frame[:1] in _PRESENCE_KINDS:
            bucket, cost = self.awareness_bucket, 1.0
        else:
            bucket, cost = self.update_bucket, float(len(frame))
        return bucket.debt_seconds(cost) if bucket is not None else 0.0

    def _receive(self, message: bytes | str | None) -> None:
        if message is None:
            self._end()
            return
        if self.closed:
            return
        if isinstance(message, str):
            self.close_soon(CLOSE_BAD_MESSAGE, "text frames are not part of this protocol")
            return
        if self._backlog:
            self._hold(message)
            return
        pause = self.throttle(message)
        if pause > 0:
            self._hold(message)
            self._pacer = asyncio.get_running_loop().create_task(self._pace(pause))
            return
        self._dispatch(message)

    def _hold(self, frame: bytes) -> None:
        self._backlog.append(frame)
        self.backlog_bytes += len(frame)
        if self.backlog_bytes > self.max_backlog:
            self.close_soon(CLOSE_RATE_LIMITED, "sending faster than the limits allow")

    async def _pace(self, pause: float) -> None:
        """Hands the held frames over as the limits allow; the first is charged already."""
        try:
            while True:
                if pause > 0:
                    if self.stats is not None:
                        self.stats.throttled += 1
                    await asyncio.sleep(pause)
                if self.closed or not self._backlog:
                    return
                frame = self._backlog.popleft()
                self.backlog_bytes -= len(frame)
                self._dispatch(frame)
                if self.closed or not self._backlog:
                    return
                pause = self.throttle(self._backlog[0])
        finally:
            self._pacer = None

    def _dispatch(self, frame: bytes) -> None:
        assert self._handle is not None
        try:
            self._handle(self, frame)
        except Exception:
            log.exception("handling a frame from %s failed", self.id)
            self.close_soon(CLOSE_INTERNAL, "internal error")

    def _end(self) -> None:
        self.closed = True
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    # -- messages out ----------------------------------------------------------------

    def send(self, message: bytes) -> None:
        """Sends a message now, or queues it behind the ones ahead of it; a client too
        far behind is disconnected, never waited for."""
        if self.closed:
            return
        self.sent_recently = True
        # No sender task: nothing queued ahead of this message.
        if self._sender is None and self._send_now(message):
            return
        if len(self._outbox) >= self.queue_size:
            self.close_soon(CLOSE_TOO_SLOW, "client too slow to keep up")
            return
        self._outbox.append(message)
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_queued())

    async def _send_queued(self) -> None:
        try:
            while self._outbox and not self.closed:
                message = self._outbox.popleft()
                try:
                    await self.transport.send(message)
                except Exception:
                    self._end()
                    return
        finally:
            self._sender = None

    # -- closing ---------------------------------------------------------------------

    def close_soon(self, code: int, reason: str) -> None:
        """Stops handling this client's frames and sending to it now; what was queued
        for it is dropped. The connection is closed with `code` once `run` returns (by
        its caller, from `close_code`), or at once when it is not running."""
        if self.closed:
            return
        running = self._ended is not None
        self._stop(code, reason)
        if not running:
            asyncio.get_running_loop().create_task(self._close_transport(code, reason))

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self._stop(code, reason)
        await self._close_transport(code, reason)

    def _stop(self, code: int, reason: str) -> None:
        self._backlog.clear()
        self._outbox.clear()
        self.close_code = (code, reason)
        self._end()

    async def _close_transport(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.transport.close(code, reason)
