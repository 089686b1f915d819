"""A WebSocket transport that a test drives by hand: what a `Peer` sends lands in
`wire`, and `push` plays a frame (or the end) from the client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Receiver = Callable[[bytes | str | None], None]


class HandTransport:
    """Takes `send_now` only while `open_now` is set; `send` waits for `drain`."""

    def __init__(self) -> None:
        self.receiver: Receiver | None = None
        self.open_now = True
        self.wire: list[bytes] = []
        self.drain = asyncio.Event()
        self.drain.set()
        self.closed_with: tuple[int, str] | None = None

    def send_now(self, message: bytes) -> bool:
        if self.open_now:
            self.wire.append(message)
        return self.open_now

    async def send(self, message: bytes) -> None:
        await self.drain.wait()
        self.wire.append(message)

    def receive_into(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def push(self, message: bytes | str | None) -> None:
        assert self.receiver is not None
        self.receiver(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
