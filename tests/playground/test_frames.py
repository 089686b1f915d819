"""Frames as the server reads and writes them itself: a client's frames however TCP
cuts and joins them, read in order, whole, and judged as websockets' parser would judge
them; and the plain frames a broadcast sends."""

from __future__ import annotations

import asyncio
import random

import pytest
from pycrdt import Doc, Text
from websockets.frames import Frame, Opcode

from playground.protocol import SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE, sync_message
from playground.ws_protocol import _plain_frame
from tests.conftest import ServerProcess
from tests.raw_socket import RawSocket, frame_bytes
from tests.yjs_client import PyClient


async def _typist(server: ServerProcess) -> tuple[RawSocket, PyClient, Doc[Text], list[bytes]]:
    """A raw client synced to a new session, a watcher of it, and the raw client's own
    copy of the document with the list its updates are recorded in."""
    session = server.create_session(code="")
    raw, _ = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}")
    raw.send(sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
    _, state = await raw.sync_messages(SYNC_STEP2)
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(watcher.synced.wait(), 10)
    mine: Doc[Text] = Doc()
    mine.apply_update(state)
    updates: list[bytes] = []
    mine.observe(lambda event: updates.append(event.update))
    return raw, watcher, mine, updates


async def _write_in_pieces(raw: RawSocket, stream: bytes, cuts: list[int]) -> None:
    """Writes `stream` cut at `cuts`, each piece on its own, so the server reads them
    apart."""
    start = 0
    for cut in [*cuts, len(stream)]:
        raw.writer.write(stream[start:cut])
        await raw.writer.drain()
        await asyncio.sleep(0.003)
        start = cut


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_updates_arrive_in_order_however_the_stream_is_cut(
    server: ServerProcess, seed: int
) -> None:
    raw, watcher, mine, updates = await _typist(server)
    text = mine.get("code", type=Text)
    for i in range(60):  # keystrokes, and pastes long enough for a 16-bit frame length
        text.insert(len(text), f"line {i}\n" if i % 10 else "# " + "=" * 300 + "\n")
    messages = [sync_message(SYNC_UPDATE, update) for update in updates]
    # Between the plain frames: a ping, a message in two fragments, a compressed one.
    frames = [frame_bytes(message) for message in messages]
    frames[15] = frame_bytes(b"still there?", opcode=0x9) + frames[15]
    frames[30] = frame_bytes(messages[30][:4], fin=False) + frame_bytes(
        messages[30][4:], opcode=0x0
    )
    frames[45] = frame_bytes(messages[45], compress=True)
    stream = b"".join(frames)

    # Cut anywhere: inside headers, masks and payloads, several frames to a piece, and
    # runs of single bytes.
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(stream)), 40))
    first = rng.randrange(len(stream) - 20)
    cuts = sorted({*cuts, *range(first, first + 20)})
    await _write_in_pieces(raw, stream, cuts)

    await watcher.wait_text(str(text))
    assert await raw.pong() == b"still there?"
    assert "bad frame" not in server.log()
    raw.close()
    await watcher.close()


async def test_bytes_that_look_like_a_frame_inside_a_split_frame_are_its_payload(
    server: ServerProcess,
) -> None:
    raw, watcher, mine, updates = await _typist(server)
    # U+2085 is E2 82 85 in UTF-8: from its second byte on, unmasked (a zero mask), the
    # payload reads like the start of a binary frame of 5 bytes.
    mine.get("code", type=Text).insert(0, "x\u2085" * 40)
    stream = frame_bytes(sync_message(SYNC_UPDATE, updates[0]), mask=bytes(4))
    await _write_in_pieces(raw, stream, [stream.index(b"\xe2\x82\x85") + 1])
    await watcher.wait_text("x\u2085" * 40)
    assert "bad frame" not in server.log()
    raw.close()
    await watcher.close()


async def test_a_new_message_inside_a_fragmented_one_is_refused_in_a_later_read(
    server: ServerProcess,
) -> None:
    raw, watcher, mine, updates = await _typist(server)
    mine.get("code", type=Text).insert(0, "never\n")
    message = sync_message(SYNC_UPDATE, updates[0])
    first_half = frame_bytes(message[:3], fin=False)
    await _write_in_pieces(raw, first_half + frame_bytes(message), [len(first_half)])
    assert await raw.close_code() == 1002
    raw.close()
    await asyncio.sleep(0.2)
    assert str(watcher.code) == ""
    await watcher.close()


@pytest.mark.server_env({"PLAYGROUND_MAX_MESSAGE_BYTES": "4096"})
@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (frame_bytes(sync_message(SYNC_UPDATE, b"\x00" * 5000)), 1009),  # over the size limit
        (b"\x82\x04\x00\x00\x01\x00", 1002),  # unmasked
        (frame_bytes(b"\x00" * 10, opcode=0x0), 1002),  # a continuation of nothing
        (frame_bytes(b"hello", opcode=0x1), 4400),  # text: not this protocol
        (b"\x82\xff" + (1 << 62).to_bytes(8, "big") + b"\x00" * 8, 1009),  # absurd length
    ],
    ids=["too-large", "unmasked", "stray-continuation", "text", "absurd-length"],
)
async def test_a_bad_frame_after_good_ones_in_one_read_ends_only_that_client(
    server: ServerProcess, bad: bytes, code: int
) -> None:
    raw, watcher, mine, updates = await _typist(server)
    text = mine.get("code", type=Text)
    text.insert(0, "kept\n")
    text.insert(5, "also kept\n")
    text.insert(15, "never sent on\n")
    good = frame_bytes(sync_message(SYNC_UPDATE, updates[0])) + frame_bytes(
        sync_message(SYNC_UPDATE, updates[1])
    )
    after = frame_bytes(sync_message(SYNC_UPDATE, updates[2]))
    raw.writer.write(good + bad + after)  # one write: the server reads it at once

    assert await raw.close_code() == code
    raw.close()
    await watcher.wait_text("kept\nalso kept\n")
    await asyncio.sleep(0.2)
    assert str(watcher.code) == "kept\nalso kept\n"
    # The room goes on for everyone else.
    watcher.code.insert(0, "# ")
    other = await PyClient(server.ws_url, watcher.url.rsplit("/", 1)[-1]).connect()
    await other.wait_text("# kept\nalso kept\n")
    await watcher.close()
    await other.close()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 300_000])
def test_a_plain_frame_is_what_websockets_would_make(size: int) -> None:
    data = random.Random(size).randbytes(size)
    expected = Frame(Opcode.BINARY, data).serialize(mask=False, extensions=())
    assert _plain_frame(data) == expected
