"""A peer's frames in and messages out, over a transport the test drives by hand."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from playground.doc_socket import StarletteTransport
from playground.errors import CLOSE_BAD_MESSAGE, CLOSE_INTERNAL, CLOSE_RATE_LIMITED, CLOSE_TOO_SLOW
from playground.limits import TokenBucket
from playground.peers import Peer
from playground.stats import RoomStats
from tests.hand_transport import HandTransport


async def started(peer: Peer, handled: list[bytes]) -> asyncio.Task[None]:
    task = asyncio.create_task(peer.run(lambda _peer, frame: handled.append(frame)))
    await asyncio.sleep(0)
    return task


def update(n: int, size: int = 10) -> bytes:
    return b"\x00\x02" + bytes([n]) * (size - 2)


async def test_frames_are_handled_as_they_arrive_and_the_end_ends_run() -> None:
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(transport, path="s", queue_size=8)
    run = await started(peer, handled)
    transport.push(update(1))
    transport.push(update(2))
    assert handled == [update(1), update(2)]  # synchronously, in order
    assert peer._pacer is None and peer._sender is None  # an idle peer has no task
    transport.push(None)
    transport.push(None)  # a transport may report the end twice
    await asyncio.wait_for(run, 1)
    assert peer.closed and peer.close_code == (1000, "")


async def test_a_flood_is_held_in_order_and_nothing_is_lost() -> None:
    transport, handled, stats = HandTransport(), list[bytes](), RoomStats()
    # 100 bytes/s with a 20-byte burst: the first two 10-byte frames pass at once.
    peer = Peer(transport, path="s", queue_size=8, update_bucket=TokenBucket(100, 20), stats=stats)
    run = await started(peer, handled)
    frames = [update(i) for i in range(6)]
    for frame in frames:
        transport.push(frame)
    assert handled == frames[:2]
    assert peer.backlog_bytes == 40
    await asyncio.sleep(0.5)  # 40 bytes at 100 bytes/s
    assert handled == frames
    assert peer.backlog_bytes == 0 and peer._pacer is None
    assert stats.throttled == 4
    transport.push(None)
    await run


async def test_presence_and_queries_for_it_share_the_presence_limit() -> None:
    # A query for presence is one byte and answered with everyone's state: charged by
    # bytes, a client could make the server encode all presence thousands of times a
    # second within its update budget.
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(
        transport,
        path="s",
        queue_size=8,
        update_bucket=TokenBucket(1_000_000, 1_000_000),
        awareness_bucket=TokenBucket(10, 3),
    )
    run = await started(peer, handled)
    for _ in range(5):
        transport.push(b"\x03")
    transport.push(b"\x01\x00")
    assert handled == [b"\x03"] * 3  # the burst; the rest wait for the presence limit
    assert len(peer._backlog) == 3
    transport.push(update(1))  # behind them, in order
    assert handled == [b"\x03"] * 3
    transport.push(None)
    await run


async def test_a_backlog_over_its_cap_closes_with_4429() -> None:
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(transport, path="s", queue_size=8, update_bucket=TokenBucket(1, 10), max_backlog=25)
    run = await started(peer, handled)
    for i in range(5):
        transport.push(update(i))
    await asyncio.wait_for(run, 1)
    assert handled == [update(0)]
    assert peer.close_code[0] == CLOSE_RATE_LIMITED
    transport.push(update(9))  # after the close: ignored
    assert handled == [update(0)]


async def test_a_text_frame_closes_with_4400() -> None:
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(transport, path="s", queue_size=8)
    run = await started(peer, handled)
    transport.push("hello")
    await asyncio.wait_for(run, 1)
    assert peer.close_code[0] == CLOSE_BAD_MESSAGE and handled == []


async def test_a_failing_handler_closes_only_that_peer_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = HandTransport()
    peer = Peer(transport, path="s", queue_size=8)

    def handle(_peer: Peer, frame: bytes) -> None:
        raise ValueError("bug")

    run = asyncio.create_task(peer.run(handle))
    await asyncio.sleep(0)
    transport.push(update(1))
    await asyncio.wait_for(run, 1)
    assert peer.close_code == (CLOSE_INTERNAL, "internal error")
    assert "handling a frame from" in caplog.text


async def test_messages_keep_their_order_between_sent_now_and_queued() -> None:
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(transport, path="s", queue_size=8)
    run = await started(peer, handled)
    peer.send(b"1")  # the socket takes it at once
    transport.open_now = False
    transport.drain.clear()
    peer.send(b"2")  # queued: the socket is full
    transport.open_now = True
    peer.send(b"3")  # the socket takes more, but 2 is ahead of it: queued too
    assert transport.wire == [b"1"]
    transport.drain.set()
    await asyncio.sleep(0.01)
    assert transport.wire == [b"1", b"2", b"3"]
    assert peer._sender is None  # the sender task ends with the queue
    peer.send(b"4")
    assert transport.wire == [b"1", b"2", b"3", b"4"]
    transport.push(None)
    await run


async def test_a_client_too_far_behind_is_closed_with_4408() -> None:
    transport, handled = HandTransport(), list[bytes]()
    peer = Peer(transport, path="s", queue_size=3)
    run = await started(peer, handled)
    transport.open_now = False
    transport.drain.clear()
    for i in range(5):
        peer.send(bytes([i]))
    await asyncio.wait_for(run, 1)
    assert peer.close_code[0] == CLOSE_TOO_SLOW
    assert transport.wire == []


class PulledWebSocket:
    """A Starlette WebSocket under an ASGI server without `ws_protocol`'s extensions."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.scope: dict[str, Any] = {"extensions": {}}
        self.messages = messages

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)
        return self.messages.pop(0)


async def test_without_push_receive_the_transport_pulls() -> None:
    websocket = PulledWebSocket(
        [
            {"type": "websocket.receive", "bytes": update(1)},
            {"type": "websocket.receive", "text": "hi"},
            {"type": "websocket.disconnect", "code": 1000},
        ]
    )
    transport = StarletteTransport(websocket)  # type: ignore[arg-type]
    assert transport.send_now(b"x") is False  # without the extension: always queued
    got: list[bytes | str | None] = []
    transport.receive_into(got.append)
    for _ in range(10):
        await asyncio.sleep(0)
    assert got == [update(1), "hi", None]
