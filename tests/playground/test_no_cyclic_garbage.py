"""Ended WebSocket connections and unloaded rooms are freed by reference counting, not
left as cyclic garbage for the collector, whose pauses stop every room. The server runs
in this process with the collector off, and weak references say what is freed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from playground.peers import Peer
from playground.rooms import DocRoom
from playground.settings import Settings
from playground.transports import free_closed_transports
from tests.conftest import free_port, in_process_server
from tests.yjs_client import PyClient


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


class Made:
    """Objects the server made, by weak reference; `freed` is set once all are gone."""

    def __init__(self) -> None:
        self.refs: list[tuple[str, weakref.ref[Any]]] = []
        self.freed = asyncio.Event()

    def add(self, kind: str, obj: Any) -> None:
        self.refs.append((kind, weakref.ref(obj, self._gone)))

    def _gone(self, _: weakref.ref[Any]) -> None:
        if not self.alive():
            self.freed.set()

    def alive(self) -> list[str]:
        return [kind for kind, ref in self.refs if ref() is not None]

    def record(self, cls: type, method: str, kind: str, mp: pytest.MonkeyPatch) -> None:
        """From now on, adds each object `method` of `cls` is called on."""
        original = getattr(cls, method)

        def recording(obj: Any, *args: Any, **kwargs: Any) -> Any:
            self.add(kind, obj)
            return original(obj, *args, **kwargs)

        mp.setattr(cls, method, recording)


async def test_ended_connections_and_unloaded_rooms_leave_no_cyclic_garbage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector_off: None
) -> None:
    port = free_port()
    settings = Settings(
        db=tmp_path / "p.db", port=port, pool_size=0, room_idle_s=0.3, log_level="error"
    )
    async with in_process_server(settings) as server:
        ws_base = f"ws://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            created = await http.post("/api/sessions", json={"language": "python", "code": ""})
        session = created.json()["id"]

        made = Made()
        protocol_class = server.config.ws_protocol_class
        assert protocol_class is not None
        made.record(protocol_class, "connection_made", "protocol", monkeypatch)
        made.record(Peer, "__init__", "peer", monkeypatch)
        made.record(DocRoom, "__init__", "room", monkeypatch)
        transport_made = protocol_class.connection_made

        def record_transport(protocol: Any, transport: Any) -> None:
            made.add("asyncio transport", transport)
            transport_made(protocol, transport)

        monkeypatch.setattr(protocol_class, "connection_made", record_transport)

        # Clients that sync, type and show a cursor; one closes, one vanishes without a
        # closing handshake. Then the room unloads.
        writer = await PyClient(ws_base, session).connect()
        reader = await PyClient(ws_base, session).connect()
        await asyncio.wait_for(asyncio.gather(writer.synced.wait(), reader.synced.wait()), 10)
        writer.code.insert(0, "print('hi')\n")
        await writer.set_presence(1234, 1, '{"user": {"name": "ada"}}')
        await reader.wait_text("print('hi')\n")
        await writer.close()
        reader.ws.transport.abort()
        await reader.wait_closed()
        # One the server turns away (no such session).
        refused = await PyClient(ws_base, "nosuchsession").connect()
        assert await refused.wait_closed() == 4404
        # The run channel.
        async with websockets.connect(f"{ws_base}/ws/run/{session}") as run:
            await asyncio.wait_for(run.recv(), 10)  # its state frame

        kinds = [kind for kind, _ in made.refs]
        assert (kinds.count("protocol"), kinds.count("peer"), kinds.count("room")) == (4, 2, 1)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(made.freed.wait(), 10)
        assert not made.alive(), f"still held after 10 s, the collector off: {made.alive()}"
        # The session is whole and the server serves on.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            detail = await http.get(f"/api/sessions/{session}")
        assert detail.json()["code"] == "print('hi')\n"


async def test_closed_asyncio_connections_are_freed_without_the_collector(
    collector_off: None,
) -> None:
    """What aiodocker's connections to the Docker daemon rely on (see
    `playground.transports`): a TCP connection closed by either end."""
    free_closed_transports()
    made = Made()
    loop = asyncio.get_running_loop()

    class ClosesAtOnce(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.add("accepted transport", transport)
            transport.close()

    listener = await loop.create_server(ClosesAtOnce, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    for _ in range(3):
        transport, _protocol = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        made.add("connecting transport", transport)
        transport.close()
        del transport, _protocol
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(made.freed.wait(), 10)
    assert len(made.refs) == 6
    assert not made.alive(), f"still held after 10 s, the collector off: {made.alive()}"
    listener.close()
    await listener.wait_closed()
