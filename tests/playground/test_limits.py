"""Abuse limits: floods are slowed, not answered with lost edits; others are unharmed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from playground.protocol import AwarenessEntry, awareness_message, encode_awareness
from tests.conftest import ServerProcess, metric
from tests.yjs_client import PyClient


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path / "limits.db",
        env={
            "PLAYGROUND_LIMIT_UPDATE_BYTES_PER_S": "20000",
            "PLAYGROUND_LIMIT_UPDATE_BURST_BYTES": "20000",
            "PLAYGROUND_LIMIT_AWARENESS_PER_S": "10",
            "PLAYGROUND_LIMIT_CONNECTIONS_PER_IP": "4",
        },
    )
    proc.start()
    yield proc
    proc.kill()


async def test_update_flood_is_slowed_but_loses_nothing(strict_server: ServerProcess) -> None:
    server = strict_server
    session = server.create_session(code="")
    flooder = await PyClient(server.ws_url, session["id"]).connect()
    other = await PyClient(server.ws_url, session["id"]).connect()
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    for client in (flooder, other, watcher):
        await asyncio.wait_for(client.synced.wait(), 10)

    # ~100 kB of edits: five times what the limit lets through per second.
    chunk = "x" * 1000 + "\n"
    for _ in range(100):
        flooder.code.insert(len(flooder.code), chunk)
    await asyncio.sleep(0.3)
    other.code.insert(0, "OTHER\n")

    # The other person's edit gets through while the flood is still being worked off.
    async with asyncio.timeout(20):
        while "OTHER\n" not in str(watcher.code):
            watcher.changed.clear()
            await watcher.changed.wait()
    assert str(watcher.code).count(chunk) < 100

    expected = "OTHER\n" + chunk * 100
    await watcher.wait_text(expected, timeout=30)
    assert flooder.ws.close_code is None  # slowed down, not thrown out
    detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
    assert detail["code"] == expected
    assert metric(server, 'playground_doc_frames_total{outcome="throttled"}') > 0
    for client in (flooder, other, watcher):
        await client.close()


async def test_awareness_flood_is_slowed_and_last_state_wins(strict_server: ServerProcess) -> None:
    server = strict_server
    session = server.create_session(code="")
    url = f"{server.ws_url}/ws/doc/{session['id']}"
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(watcher.synced.wait(), 10)
    async with websockets.connect(url) as flooder:
        for clock in range(1, 201):
            state = f'{{"user": {{"name": "spam"}}, "cursor": {clock}}}'
            await flooder.send(
                awareness_message(encode_awareness([AwarenessEntry(7, clock, state)]))
            )
        # A late joiner eventually sees the flooder's last state, and nothing broke.
        async with asyncio.timeout(40):
            while True:
                async with websockets.connect(url) as late:
                    frames = []
                    try:
                        async with asyncio.timeout(1):
                            while True:
                                frames.append(await late.recv())
                    except TimeoutError:
                        pass
                if any(b'"cursor": 200' in f for f in frames if isinstance(f, bytes)):
                    break
        assert metric(server, 'playground_doc_frames_total{outcome="throttled"}') > 0
    await watcher.close()


async def test_connections_per_address_are_capped(strict_server: ServerProcess) -> None:
    server = strict_server
    session = server.create_session(code="")
    clients = [await PyClient(server.ws_url, session["id"]).connect() for _ in range(4)]
    for client in clients:
        await asyncio.wait_for(client.synced.wait(), 10)
    refused = await PyClient(server.ws_url, session["id"]).connect()
    assert await refused.wait_closed() == 4429
    await clients[0].close()
    await asyncio.sleep(0.2)
    accepted = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(accepted.synced.wait(), 10)
    for client in [*clients[1:], accepted]:
        await client.close()
