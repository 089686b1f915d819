"""permessage-deflate as it crosses the wire: raw frames, RSV1 bits, no context kept."""

from __future__ import annotations

import asyncio

import pytest
from pycrdt import Doc, Text

from playground.protocol import SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE
from playground.protocol import sync_message as make_sync_message
from playground.settings import Settings
from tests.conftest import ServerProcess
from tests.raw_socket import RawSocket
from tests.yjs_client import PyClient


def source(n_bytes: int) -> str:
    lines = [f"def f{i}(x):\n    return x * {i} + len('line {i}')\n" for i in range(n_bytes // 30)]
    return "".join(lines)[:n_bytes]


async def test_large_messages_compressed_small_ones_plain(
    server: ServerProcess,  # the defaults: compression on, from 1 KiB
) -> None:
    code = source(40_000)
    session = server.create_session(code=code)
    raw, head = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}")
    negotiated = next(
        line.lower() for line in head.splitlines() if line.lower().startswith("sec-websocket-ext")
    )
    assert "permessage-deflate" in negotiated
    # No zlib state outlives a message, in either direction.
    assert "server_no_context_takeover" in negotiated
    assert "client_no_context_takeover" in negotiated
    raw.send(make_sync_message(SYNC_STEP1, Doc().get_state()), compress=False)

    # The initial sync (40 KB of code) is compressed and inflates to the document.
    compressed, state = await raw.sync_messages(SYNC_STEP2)
    assert compressed
    doc: Doc[Text] = Doc()
    doc.apply_update(state)
    assert str(doc.get("code", type=Text)) == code

    # A keystroke from someone else arrives uncompressed ...
    other = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(other.synced.wait(), 10)
    other.code.insert(0, "x")
    compressed, update = await raw.sync_messages(SYNC_UPDATE)
    assert not compressed
    doc.apply_update(update)

    # ... and a paste after it is compressed again, on its own.
    paste = source(8_000).replace("def", "async def")
    other.code.insert(1, paste)
    compressed, update = await raw.sync_messages(SYNC_UPDATE)
    assert compressed
    doc.apply_update(update)
    assert str(doc.get("code", type=Text)) == "x" + paste + code

    # What a browser sends is compressed, whatever its size: the server inflates it.
    mine: Doc[Text] = Doc()
    mine.apply_update(doc.get_update())
    updates: list[bytes] = []
    mine.observe(lambda event: updates.append(event.update))
    mine.get("code", type=Text).insert(0, "# typed through deflate\n")
    raw.send(make_sync_message(SYNC_UPDATE, updates[0]), compress=True)
    mine.get("code", type=Text).insert(0, "# twice\n")
    raw.send(make_sync_message(SYNC_UPDATE, updates[1]), compress=True)
    await other.wait_text("# twice\n# typed through deflate\nx" + paste + code)
    raw.close()
    await other.close()


@pytest.mark.server_env({"PLAYGROUND_WS_COMPRESSION_MIN_BYTES": "0"})
async def test_threshold_zero_compresses_every_message(server: ServerProcess) -> None:
    session = server.create_session(code="print(1)\n")
    raw, _ = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}")
    raw.send(make_sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
    compressed, _ = await raw.sync_messages(SYNC_STEP2)
    assert compressed
    other = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(other.synced.wait(), 10)
    other.code.insert(0, "x")
    compressed, _ = await raw.sync_messages(SYNC_UPDATE)
    assert compressed
    raw.close()
    await other.close()


@pytest.mark.server_env({"PLAYGROUND_WS_COMPRESSION": "false"})
async def test_compression_off_negotiates_nothing(server: ServerProcess) -> None:
    session = server.create_session(code=source(40_000))
    raw, head = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}")
    assert "permessage-deflate" not in head.lower()
    raw.send(make_sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
    compressed, _ = await raw.sync_messages(SYNC_STEP2)
    assert not compressed
    raw.close()


def test_negative_threshold_refused() -> None:
    with pytest.raises(SystemExit, match="ws_compression_min_bytes"):
        Settings.from_sources(env={"PLAYGROUND_WS_COMPRESSION_MIN_BYTES": "-1"})


async def test_one_broadcast_reaches_clients_of_either_encoding(server: ServerProcess) -> None:
    # The server encodes a broadcast once per encoding, not once per client: a client
    # that negotiated no compression must still get plain frames of the same message.
    session = server.create_session(code="")
    path = f"/ws/doc/{session['id']}"
    deflating, head = await RawSocket.connect(server.port, path)
    assert "permessage-deflate" in head.lower()
    plain, head = await RawSocket.connect(server.port, path, offer="x-no-such-extension")
    assert "permessage-deflate" not in head.lower()
    docs: list[Doc[Text]] = [Doc(), Doc()]
    for raw, doc in zip((deflating, plain), docs, strict=True):
        raw.send(make_sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
        doc.apply_update((await raw.sync_messages(SYNC_STEP2))[1])

    other = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(other.synced.wait(), 10)
    paste = source(8_000)
    for text, compressed_for_deflating in (("x", False), (paste, True), ("y", False)):
        other.code.insert(0, text)
        got = [await raw.sync_messages(SYNC_UPDATE) for raw in (deflating, plain)]
        assert [compressed for compressed, _ in got] == [compressed_for_deflating, False]
        assert got[0][1] == got[1][1]
        for doc, (_, update) in zip(docs, got, strict=True):
            doc.apply_update(update)
    assert [str(doc.get("code", type=Text)) for doc in docs] == ["y" + paste + "x"] * 2
    deflating.close()
    plain.close()
    await other.close()
