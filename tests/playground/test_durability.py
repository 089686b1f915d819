"""Nothing a client saw is lost: kill -9, restarts, offline edits, SIGTERM."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import NodeClient, ServerProcess, start_client
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
