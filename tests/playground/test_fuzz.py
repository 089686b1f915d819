"""Seeded random garbage at every entry point: refused, and nothing else harmed."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest
import websockets

from playground.protocol import write_var_uint
from tests.conftest import ServerProcess
from tests.yjs_client import PyClient


def _garbage(rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # random bytes
        return rng.randbytes(rng.randrange(1, 512))
    if kind == 1:  # a sync update whose payload is random
        payload = rng.randbytes(rng.randrange(0, 256))
        return b"\x00\x02" + write_var_uint(len(payload)) + payload
    if kind == 2:  # an absurd length prefix
        return b"\x00\x02" + write_var_uint(rng.randrange(2**20, 2**40)) + b"\x01\x02"
    if kind == 3:  # truncated varints
        return bytes([rng.randrange(2), rng.randrange(3)]) + b"\xff" * rng.randrange(1, 12)
    # awareness with random content
    body = rng.randbytes(rng.randrange(1, 64))
    return b"\x01" + write_var_uint(len(body)) + body


async def test_random_doc_frames_never_harm_the_document(server: ServerProcess) -> None:
    session = server.create_session(code="intact\n")
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(watcher.synced.wait(), 10)
    rng = random.Random(20261127)
    url = f"{server.ws_url}/ws/doc/{session['id']}"
    for _ in range(60):
        async with websockets.connect(url) as ws:
            for _ in range(5):
                try:
                    await ws.send(_garbage(rng))
                except websockets.ConnectionClosed:
                    break
            try:
                async with asyncio.timeout(2):
                    while True:
                        await ws.recv()
            except (websockets.ConnectionClosed, TimeoutError):
                pass
    # Still one healthy document that takes edits, and a healthy server.
    watcher.code.insert(len(watcher.code), "still editable\n")
    other = await PyClient(server.ws_url, session["id"]).connect()
    await other.wait_text("intact\nstill editable\n")
    assert str(watcher.code) == "intact\nstill editable\n"
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    await watcher.close()
    await other.close()


BAD_RUN_FRAMES: list[str | bytes] = [
    "not json",
    "[]",
    "null",
    '"run"',
    '{"type": 5}',
    '{"type": "run", "stdin": 5}',
    '{"type": "run", "user": {"name": 1}}',
    '{"type": "stdin"}',
    '{"type": "stdin", "data": 7}',
    '{"type": "teleport"}',
    json.dumps({"type": "x" * 100_000}),
    b"\x00\x01\x02binary",
]


async def test_broken_run_channel_frames_get_error_frames(server: ServerProcess) -> None:
    session = server.create_session(code="print(1)\n")
    async with websockets.connect(f"{server.ws_url}/ws/run/{session['id']}") as ws:
        assert json.loads(await ws.recv())["type"] == "state"
        for frame in BAD_RUN_FRAMES:
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "error", frame
            assert reply["code"] in ("bad_message", "no_active_run"), reply
            assert reply["message"] and len(reply["message"]) < 200  # never echoes a flood
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


@pytest.mark.parametrize(
    "body",
    [
        b"x" * (5 * 1024 * 1024),
        b'{"language": "python", "title": "' + b"a" * (5 * 1024 * 1024) + b'"}',
        b"\xff\xfe\x00garbage",
        b'{"language": "python"' * 1000,
    ],
    ids=["5MiB-junk", "5MiB-title", "not-utf8", "repeated"],
)
def test_broken_http_bodies_are_refused(server: ServerProcess, body: bytes) -> None:
    response = httpx.post(f"{server.url}/api/sessions", content=body)
    assert response.status_code in (400, 413), response.text
    assert response.json()["error"]["code"] in ("invalid_json", "payload_too_large")
    assert httpx.get(f"{server.url}/api/sessions").json()["total"] == 0
