"""Frames as the server reads and writes them itself: a client's frames however TCP
cuts and joins them, read in order, whole, and judged as websockets' parser would judge
them; and the plain frames a broadcast sends."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import struct
from types import SimpleNamespace
from typing import Any

import pytest
from pycrdt import Doc, Text
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode

from playground.protocol import SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE, sync_message
from playground.ws_protocol import SEND_NOW, _plain_frame, _WatchedTransport, websocket_protocol
from tests.conftest import ServerProcess
from tests.raw_socket import RawSocket, frame_bytes
from tests.yjs_client import PyClient


async def _typist(
    server: ServerProcess, **connect: Any
) -> tuple[RawSocket, PyClient, Doc[Text], list[bytes]]:
    """A raw client synced to a new session (`connect`: `RawSocket.connect`'s options),
    a watcher of it, and the raw client's own copy of the document with the list its
    updates are recorded in."""
    session = server.create_session(code="")
    raw, _ = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}", **connect)
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


# No pings (the late client answers none while it is not reading), no pacing of the
# typist, so that the late client's socket fills at once.
@pytest.mark.server_env(
    {"PLAYGROUND_WS_PING_INTERVAL_S": "0", "PLAYGROUND_LIMIT_UPDATE_BYTES_PER_S": "0"}
)
async def test_a_client_that_reads_late_gets_every_frame_whole_and_in_order(
    server: ServerProcess,
) -> None:
    """A broadcast frame goes to the socket itself while the transport holds nothing;
    once a client's socket is full, the rest of that frame and every later one go
    through the transport's buffer (and the peer's queue), and arrive after it."""
    # Offering no compression the server knows: every frame it is sent is plain.
    late, typist, doc, _ = await _typist(server, offer="x-unknown", rcvbuf=4096)
    text = doc.get("code", type=Text)
    # The document after each update the late client is sent: a line's number after
    # its insertion, "" after its deletion. (An update that came before one it needs
    # would change nothing until that one came: Yjs holds it back.)
    seen: list[str] = []

    async def read_all() -> None:
        while not seen or seen[-1] != "done":
            compressed, update = await late.sync_messages(SYNC_UPDATE)
            assert not compressed
            doc.apply_update(update)
            seen.append(str(text)[:5].strip())

    # ~15 MB in numbered lines of 8 KiB, each typed and deleted (the document stays
    # small). The late client reads nothing for the first two thirds: more than the
    # server's socket buffer takes (4 MiB at most, `net.ipv4.tcp_wmem`), so that sends
    # fall short and the rest queues; then it reads while the typing goes on, so that
    # new updates come while queued ones are still going out.
    lines = 1800
    reading = None
    for i in range(lines):
        if i == lines * 2 // 3:
            reading = asyncio.create_task(read_all())
        line = f"{i:05} " + "x" * 8192 + "\n"
        typist.code.insert(0, line)
        del typist.code[0 : len(line)]
        await asyncio.sleep(0 if reading is None else 0.002)
    typist.code.insert(0, "done\n")
    assert reading is not None
    await asyncio.wait_for(reading, 60)
    assert seen == [state for i in range(lines) for state in (f"{i:05}", "")] + ["done"]
    late.close()
    await typist.close()


async def test_clients_reset_in_the_middle_of_broadcasts_harm_nobody(
    server: ServerProcess,
) -> None:
    """A send to a socket the client has just reset fails; the broadcast goes on to
    everyone else, and the typist's connection stays open."""
    raw, watcher, mine, updates = await _typist(server)
    session_id = watcher.url.rsplit("/", 1)[-1]
    goners = []
    for _ in range(20):
        goner, _ = await RawSocket.connect(server.port, f"/ws/doc/{session_id}")
        goner.send(sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
        await goner.sync_messages(SYNC_STEP2)
        goners.append(goner)
    text = mine.get("code", type=Text)
    for i, goner in enumerate(goners):
        # The server, stopped, is sent an update and then the reset of a client's
        # connection (a close that discards, SO_LINGER 0): once it goes on, it reads
        # the update first and sends it to a socket that is already reset.
        server.proc.send_signal(signal.SIGSTOP)
        text.insert(len(text), f"{i}\n")
        raw.writer.write(frame_bytes(sync_message(SYNC_UPDATE, updates[-1])))
        await raw.writer.drain()
        sock = goner.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        goner.writer.transport.abort()
        await asyncio.sleep(0.01)
        server.proc.send_signal(signal.SIGCONT)
    expected = "".join(f"{i}\n" for i in range(20))
    await watcher.wait_text(expected)
    text.insert(len(text), "still here\n")
    raw.writer.write(frame_bytes(sync_message(SYNC_UPDATE, updates[-1])))
    await watcher.wait_text(expected + "still here\n")
    raw.close()
    await watcher.close()


async def test_direct_sends_go_to_asyncios_own_transport_until_it_is_written_to() -> None:
    accepted: list[asyncio.StreamWriter] = []
    listener = await asyncio.start_server(
        lambda reader, writer: accepted.append(writer), "127.0.0.1", 0
    )
    port = listener.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    protocol = SimpleNamespace(_direct=None)
    watched = _WatchedTransport(writer.transport, protocol)
    sock = watched.own_socket()
    assert sock is not None
    assert sock.fileno() == writer.get_extra_info("socket").fileno()
    assert watched.idle()
    # TLS, another loop: always through their `write`.
    assert _WatchedTransport(object(), protocol).own_socket() is None
    for end in (lambda: watched.write(b"x"), watched.close):
        protocol._direct = sock
        end()
        assert protocol._direct is None
    assert not watched.idle()  # closing
    for each in [writer, *accepted]:
        each.close()
        await each.wait_closed()
    listener.close()
    await listener.wait_closed()


async def test_no_frame_goes_to_the_socket_ahead_of_what_the_transport_holds() -> None:
    """In-process, on the real protocol: once a send falls short, the rest waits in
    asyncio's buffer; a client that then reads makes room in the socket before the
    loop has flushed that buffer, and the next message must still go out after it."""
    accepted: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        accepted.set_result(scope["extensions"][SEND_NOW])
        await receive()  # until the connection ends

    protocol_class = websocket_protocol(None)
    config = Config(app, ws=protocol_class, ws_ping_interval=None, log_config=None)
    config.load()
    protocol = protocol_class(config, ServerState(), {})
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(listener.getsockname())
        server_side, _ = listener.accept()
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    loop = asyncio.get_running_loop()
    await loop.connect_accepted_socket(lambda: protocol, server_side)
    client.sendall(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    send_now = await asyncio.wait_for(accepted, 10)
    client.setblocking(False)
    received = bytearray()

    def drain() -> None:  # the client reads what its socket holds, synchronously
        with contextlib.suppress(BlockingIOError):
            while chunk := client.recv(1 << 20):
                received.extend(chunk)

    drain()
    received.clear()  # the handshake's response
    messages = [bytes([i]) * 3000 for i in range(200)]
    sent = 0
    # Send until one falls short: its rest (under a frame) is in asyncio's buffer.
    while protocol.transport.get_write_buffer_size() == 0:
        assert send_now(messages[sent])
        sent += 1
    assert protocol.transport.get_write_buffer_size() < 3100
    drain()  # room in the socket now, the buffer not yet flushed (no await since)
    assert send_now(messages[sent])
    sent += 1
    for _ in range(500):
        await asyncio.sleep(0.001)
        drain()
    frames = []
    at = 0
    while at < len(received):
        assert received[at] == 0x82 and received[at + 1] == 126
        size = int.from_bytes(received[at + 2 : at + 4], "big")
        frames.append(bytes(received[at + 4 : at + 4 + size]))
        at += 4 + size
    assert frames == messages[:sent]
    client.close()
