"""Stock Yjs clients (Node) and Python clients editing one session through the server."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
import websockets
from pycrdt import Doc, Text

from playground.protocol import KEEPALIVE, SYNC_STEP1, SYNC_UPDATE, sync_message, write_var_bytes
from playground.settings import Settings
from tests.conftest import NodeClient, ServerProcess, start_client
from tests.raw_socket import RawSocket
from tests.yjs_client import PyClient


async def test_node_and_python_clients_converge(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session(code="")
    a = await start_client(node_clients, server, session["id"], "ada")
    b = await start_client(node_clients, server, session["id"], "bob")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await a.call("wait_synced")
    await b.call("wait_synced")
    await asyncio.wait_for(py.synced.wait(), 10)

    # Concurrent edits from all three, no waiting in between.
    for i in range(20):
        await a.call("insert", index=0, text=f"a{i};")
        await b.call("insert", index=10_000, text=f"b{i};")
        py.code.insert(0, f"p{i};")

    final = await a.text()
    for _ in range(100):
        texts = {await a.text(), await b.text(), str(py.code)}
        if len(texts) == 1 and all(f"p{i};" in final for i in range(20)):
            break
        await asyncio.sleep(0.05)
        final = await a.text()
    texts = {await a.text(), await b.text(), str(py.code)}
    assert len(texts) == 1, texts
    (final,) = texts
    for i in range(20):
        assert final.count(f"a{i};") == 1
        assert final.count(f"b{i};") == 1
        assert final.count(f"p{i};") == 1
    await py.close()

    # What the clients agree on is what the server stored.
    detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
    assert detail["code"] == final


async def test_frames_sent_before_the_room_is_ready_are_all_applied(
    server: ServerProcess,
) -> None:
    # A client may send its sync and its first edits in the same breath as the
    # handshake; they wait while the room loads, then are handled in order.
    session = server.create_session(code="")
    mine: Doc[Text] = Doc()
    text: Text = mine.get("code", type=Text)
    updates: list[bytes] = []
    mine.observe(lambda event: updates.append(event.update))
    for i in range(20):
        text.insert(len(text), f"{i},")
    raw, _ = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}")
    raw.send(sync_message(SYNC_STEP1, mine.get_state()), compress=False)
    for update in updates:
        raw.send(sync_message(SYNC_UPDATE, update), compress=False)
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await watcher.wait_text("".join(f"{i}," for i in range(20)))
    raw.close()
    await watcher.close()


async def test_many_clients_joining_a_fresh_room_at_once_all_sync(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    for round_no in range(3):
        code = f"print('round {round_no}')\n"
        session = server.create_session(code=code)
        clients = await asyncio.gather(
            *(start_client(node_clients, server, session["id"], f"u{i}") for i in range(12))
        )
        # All connect at the same instant, to a room that is not loaded yet.
        synced = await asyncio.gather(*(c.call("wait_synced") for c in clients))
        assert [s["text"] for s in synced] == [code] * 12
        await asyncio.gather(
            *(c.call("insert", index=0, text=f"#{i}\n") for i, c in enumerate(clients))
        )
        texts = []
        for c in clients:
            texts.append(
                await _settled_text(
                    c, expected_len=len(code) + sum(len(f"#{i}\n") for i in range(12))
                )
            )
        assert len(set(texts)) == 1
        assert all(texts[0].count(f"#{i}\n") == 1 for i in range(12))
        assert texts[0].endswith(code)
        for c in clients:
            await c.close()


async def _settled_text(client: NodeClient, expected_len: int) -> str:
    for _ in range(200):
        text = await client.text()
        if len(text) >= expected_len:
            return text
        await asyncio.sleep(0.05)
    return await client.text()


async def test_presence_follows_clients_and_a_killed_client_vanishes_fast(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session()
    a = await start_client(node_clients, server, session["id"], "ada")
    b = await start_client(node_clients, server, session["id"], "bob")
    await a.call("wait_presence", count=1)
    assert (await b.call("wait_presence", count=1))["presence"] == ["ada"]

    b.kill()  # no clean close: the process just dies
    loop = asyncio.get_running_loop()
    started = loop.time()
    await a.call("wait_presence", count=0, timeout_ms=10_000)
    # The awareness timeout of the protocol is 30 s; the server must not rely on it.
    assert loop.time() - started < 5


async def test_late_joiner_sees_presence_of_those_already_there(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session()
    a = await start_client(node_clients, server, session["id"], "ada")
    await a.call("wait_synced")
    await asyncio.sleep(0.2)
    c = await start_client(node_clients, server, session["id"], "cy")
    assert (await c.call("wait_presence", count=1))["presence"] == ["ada"]


async def test_language_switch_is_an_edit_that_persists(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session("python")
    a = await start_client(node_clients, server, session["id"])
    await a.call("wait_synced")
    await a.call("set_meta", key="language", value="javascript")
    for _ in range(100):
        detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
        if detail["language"] == "javascript":
            break
        await asyncio.sleep(0.05)
    assert detail["language"] == "javascript"
    # Listing reads the stored summary, rewritten once the room has been quiet a moment.
    for _ in range(100):
        listed = httpx.get(f"{server.url}/api/sessions", params={"language": "javascript"})
        if listed.json()["items"]:
            break
        await asyncio.sleep(0.05)
    assert [s["id"] for s in listed.json()["items"]] == [session["id"]]


async def test_frozen_client_without_close_leaves_presence_within_seconds(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    """A client whose network is gone sends no close frame; pings must find it."""
    session = server.create_session()
    a = await start_client(node_clients, server, session["id"], "ada")
    b = await start_client(node_clients, server, session["id"], "bob")
    await a.call("wait_presence", count=1)
    b.proc.send_signal(signal.SIGSTOP)  # alive, socket open, answering nothing
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await a.call("wait_presence", count=0, timeout_ms=15_000)
        assert loop.time() - started < 8
    finally:
        b.proc.send_signal(signal.SIGCONT)


async def test_awareness_echoes_are_not_relayed_again(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    """Stock clients send back every awareness state they receive; relaying those echoes
    would turn one cursor move into N x N messages."""
    session = server.create_session()
    typist = await start_client(node_clients, server, session["id"], "ada")
    others = [await start_client(node_clients, server, session["id"], f"u{i}") for i in range(3)]
    for client in (typist, *others):
        await client.call("wait_presence", count=3)
    async with websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}") as observer:
        await asyncio.sleep(0.5)
        moves = 40
        for value in range(moves):
            await typist.call("cursor", value=value)
            await asyncio.sleep(0.01)
        seen = 0
        try:
            async with asyncio.timeout(1.5):
                while True:
                    frame = await observer.recv()
                    if isinstance(frame, bytes) and frame[:1] == b"\x01":
                        seen += 1
        except TimeoutError:
            pass
    # One relay per move (plus the state sent on joining); echoes would triple it.
    assert moves <= seen <= moves + 5, seen


async def test_a_lone_stock_client_is_not_dropped_for_silence(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    """A stock y-websocket client reconnects after 30 s without a message. The server
    echoes nobody's awareness back, so alone in a room (or while the others are idle)
    only the server's keepalive keeps its connection, and its presence, steady."""
    session = server.create_session()
    alone = await start_client(node_clients, server, session["id"], "ada")
    await alone.call("wait_synced")
    await asyncio.sleep(34)
    await alone.call("text")
    assert [e for e in alone.events if e.get("event") == "close"] == []


async def test_keepalive_goes_only_to_clients_sent_nothing(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "db.sqlite", {"PLAYGROUND_WS_KEEPALIVE_S": "0.3"})
    proc.start()
    try:
        session = proc.create_session()
        url = f"{proc.ws_url}/ws/doc/{session['id']}"
        async with websockets.connect(url) as idle, websockets.connect(url) as busy:
            keepalives = {"idle": 0, "busy": 0}

            async def count(name: str, ws: websockets.ClientConnection) -> None:
                while True:
                    if await ws.recv() == KEEPALIVE:
                        keepalives[name] += 1

            readers = [
                asyncio.create_task(count("idle", idle)),
                asyncio.create_task(count("busy", busy)),
            ]
            # `idle` types (its own edits are not sent back to it); `busy` receives them.
            text = Doc()
            code = text.get("code", type=Text)
            for _ in range(30):
                before = text.get_state()
                code.insert(len(code), "x")
                await idle.send(b"\x00\x02" + write_var_bytes(text.get_update(before)))
                await asyncio.sleep(0.05)
            for reader in readers:
                reader.cancel()
        assert keepalives["idle"] >= 2, keepalives
        assert keepalives["busy"] == 0, keepalives
    finally:
        proc.stop()


def test_keepalive_setting_must_beat_the_clients_30_s_timeout() -> None:
    with pytest.raises(ValueError, match="ws_keepalive_s"):
        Settings(ws_keepalive_s=20)
    with pytest.raises(SystemExit, match="ws_keepalive_s"):
        Settings.from_sources(env={"PLAYGROUND_WS_KEEPALIVE_S": "0"})
