"""Nothing a client saw is lost: kill -9, restarts, offline edits, SIGTERM."""

from __future__ import annotations

import asyncio
import fcntl
import socket
import struct
import termios
import time
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Text, TransactionEvent

from playground.protocol import SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE, sync_message
from playground.settings import Settings
from tests.conftest import NodeClient, ServerProcess, free_port, in_process_server, start_client
from tests.raw_socket import RawSocket
from tests.yjs_client import PyClient


def stored_code(server: ServerProcess, session_id: str) -> str:
    detail = httpx.get(f"{server.url}/api/sessions/{session_id}").json()
    return str(detail["code"])


async def test_kill_9_right_after_edits_loses_and_duplicates_nothing(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session(code="")
    a = await start_client(node_clients, server, session["id"], "ada")
    b = await start_client(node_clients, server, session["id"], "bob")
    await a.call("wait_synced")
    await b.call("wait_synced")
    lines = [f"line {i}\n" for i in range(50)]
    for line in lines:
        await a.call("insert", index=10**6, text=line)
    expected = "".join(lines)
    # b has seen everything, so the server stored everything before broadcasting it.
    await b.call("wait_text", text=expected)
    server.kill()

    server.start()
    assert stored_code(server, session["id"]) == expected
    # Both clients reconnect by themselves and resync: still exactly one copy.
    await a.call("wait_synced")
    await asyncio.sleep(0.5)
    for client in (a, b):
        assert await client.text() == expected
    assert stored_code(server, session["id"]) == expected


async def test_client_editing_while_server_is_down_merges_on_reconnect(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session(code="base\n")
    a = await start_client(node_clients, server, session["id"], "ada")
    b = await start_client(node_clients, server, session["id"], "bob")
    await a.call("wait_synced")
    await b.call("wait_synced")
    server.kill()

    # Both keep typing while the server is gone.
    await a.call("insert", index=0, text="from a\n")
    await b.call("insert", index=10**6, text="from b\n")
    server.start()

    expected_parts = ["from a\n", "base\n", "from b\n"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        texts = {await a.text(), await b.text()}
        if len(texts) == 1 and all(p in next(iter(texts)) for p in expected_parts):
            break
        await asyncio.sleep(0.1)
    (text,) = {await a.text(), await b.text()}
    assert text == "from a\nbase\nfrom b\n"
    for _ in range(50):
        if stored_code(server, session["id"]) == text:
            break
        await asyncio.sleep(0.1)
    assert stored_code(server, session["id"]) == text


async def test_room_loads_stored_content_before_first_sync(server: ServerProcess) -> None:
    """A client joining an unloaded room must receive the stored document, not sync
    against an empty one (which would duplicate or lose content)."""
    session = server.create_session(code="stored before\n")
    for _ in range(3):
        py = await PyClient(server.ws_url, session["id"]).connect()
        await asyncio.wait_for(py.synced.wait(), 10)
        assert str(py.code) == "stored before\n"
        await py.close()
    assert stored_code(server, session["id"]) == "stored before\n"


async def test_sigterm_with_clients_connected_flushes_and_exits_0(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session(code="")
    a = await start_client(node_clients, server, session["id"], "ada")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await a.call("wait_synced")
    await asyncio.wait_for(py.synced.wait(), 10)
    for i in range(200):
        py.code.insert(len(py.code), f"{i},")
    await asyncio.sleep(0)  # let the sends go out
    started = time.monotonic()
    code = await asyncio.to_thread(server.stop)
    assert code == 0
    assert time.monotonic() - started < 10
    await py.close()

    server.start()
    expected = "".join(f"{i}," for i in range(200))
    assert stored_code(server, session["id"]) == expected


def _unread_bytes(sock: Any) -> int:
    """Bytes waiting in `sock`'s receive buffer."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


async def test_shutdown_stores_updates_that_arrived_but_were_not_read_yet(
    tmp_path: Path,
) -> None:
    """uvicorn's graceful shutdown closes each socket at once. Updates already in a
    socket's receive buffer, not yet read by the event loop, are ones the client
    believes sent: they are read and stored before the socket closes. The server runs
    in this process so the frames can be made to arrive between two loop turns."""
    settings = Settings(
        db=tmp_path / "p.db",
        port=free_port(),
        pool_size=0,
        ws_ping_interval_s=0,  # this client answers no pings
        log_level="error",
    )
    async with in_process_server(settings) as server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}") as http:
            created = await http.post("/api/sessions", json={"language": "python", "code": ""})
        session_id = created.json()["id"]
        raw, _ = await RawSocket.connect(settings.port, f"/ws/doc/{session_id}")
        raw.send(sync_message(SYNC_STEP1, b"\x00"), compress=False)  # an empty state vector
        await raw.sync_messages(SYNC_STEP2)  # joined: the room now reads this socket
        [connection] = server.server_state.connections
        server_socket = connection.transport.get_extra_info("socket")

        doc: Doc[Any] = Doc()
        code = doc.get("code", type=Text)
        updates: list[bytes] = []

        def collect(event: TransactionEvent) -> None:
            updates.append(event.update)

        doc.observe(collect)
        for i in range(100):
            code += f"{i},"
        # From here to the shutdown nothing yields to the event loop: the frames wait
        # in the server's receive buffer, unseen by the loop.
        client_socket = raw.writer.get_extra_info("socket")
        client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as browsers do
        sent = 0
        for update in updates:
            message = sync_message(SYNC_UPDATE, update)
            assert len(message) < 126
            raw.send(message, compress=False)
            sent += 2 + 4 + len(message)  # header, mask, payload
        assert raw.writer.transport.get_write_buffer_size() == 0
        deadline = time.monotonic() + 5
        while _unread_bytes(server_socket) < sent and time.monotonic() < deadline:
            time.sleep(0.001)  # noqa: ASYNC251 -- the loop must not run here
        assert _unread_bytes(server_socket) == sent, "the frames never all arrived"
        for protocol in list(server.server_state.connections):
            protocol.shutdown()  # what uvicorn's graceful shutdown does first
    raw.close()

    base_url = f"http://127.0.0.1:{settings.port}"
    async with in_process_server(settings), httpx.AsyncClient(base_url=base_url) as http:
        detail = (await http.get(f"/api/sessions/{session_id}")).json()
    assert detail["code"] == str(code)


async def test_burst_of_updates_is_stored_completely(server: ServerProcess) -> None:
    """No bounded queue between a client and the store may drop an update."""
    session = server.create_session(code="")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    for i in range(3000):
        py.code.insert(len(py.code), chr(ord("a") + i % 26))
    expected = str(py.code)
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await watcher.wait_text(expected, timeout=30)
    await py.close()
    await watcher.close()
    assert stored_code(server, session["id"]) == expected
    metrics = httpx.get(f"{server.url}/metrics").text
    assert "playground_updates_stored_total 3001" in metrics
