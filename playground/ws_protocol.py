"""uvicorn's WebSocket protocol with three changes: a synchronous send, a push receive,
and permessage-deflate that compresses only messages worth compressing.

Sending. An ASGI send is a coroutine through every layer (Starlette, uvicorn), so
delivering one update to N clients took N task switches through a per-client sender
task. The protocol puts a plain function in the scope's extensions (`SEND_NOW`) that
writes a binary message to the socket at once when nothing is queued ahead of it and
the transport takes more; otherwise it declines and the caller queues as before. The
frame is serialized once for every client that negotiated the same encoding, so a
broadcast costs one encoding (and, for a large message, one compression), not N.

Once `send_now` has found a connection open and asyncio's transport holding nothing,
it writes plain frames to the socket itself, as the transport's `write` would first
try, until anything else is written through the transport (uvicorn's writes, pings,
the rest of a frame the socket did not take: `_WatchedTransport` sees them all) or
websockets' parser reads something; then it checks again. So each client of a
broadcast costs a look at this protocol object and a `send(2)`: with a keystroke
every 30 ms, every object the path touches for a client is out of the CPU's caches
when its turn comes. At 60 clients that took the time per further receiver from
15.4 to 16.4 µs down to 12.7 µs; the reference server's was 12.7 to 13.4 µs in the
same runs (bench/README.md, fan-out).

Receiving. Through ASGI every message takes a queue, a task switch, and a pause and a
resume of the socket's reading (uvicorn reads one message at a time), before the app
sees it. `RECEIVE_INTO` lets the app take each message as it is parsed instead: a
function called with the bytes (a str for a text frame, None once the connection has
ended). The app then does its own pacing; it never calls ASGI receive again. Once it
receives by push, the protocol reads whole binary frames and pongs itself, where
websockets' parser stands between two frames; anything else still goes through that
parser, which judges it as before.

Keepalive. uvicorn pings each connection on its own two timers (one for the next ping,
one for the pong's deadline), rescheduled on every pong: with 1,000 idle connections
and 1 s pings that was ~6% of a core. Here one sweep pings every connection once per
interval, in slots spread over the interval, with one serialized ping frame per slot;
a connection whose ping goes unanswered for `ws_ping_timeout` is closed with 1011, as
uvicorn does. A connection that sent a message since its last turn in the sweep is
not pinged: it has just shown it is alive, and a ping would cost a send, a pong and a
read. (A typing client answers no pings at all; a client that goes silent is pinged
at its next turn, so it is dropped at most one interval later than otherwise.)

Compression. uvicorn's own permessage-deflate compresses every outgoing message and gives every
connection a compressor and a decompressor (~40 KiB of zlib state) for its lifetime.
Most of what a collaborative editor sends is a keystroke (~30 bytes) or a cursor move
(~150 bytes), and most connections sit idle; the bytes worth saving are the initial
sync of a large document and run output. So:
- a message shorter than `min_bytes` goes out uncompressed (RFC 7692 allows that per
  message: only the first frame's RSV1 bit says whether a message is compressed);
- both directions are negotiated without context takeover (a server may ask for that
  in its response whatever the client offered): each compressed message gets fresh
  zlib state, freed with it, so no connection holds zlib memory between messages. For
  messages of 1 KiB and more, compressing each on its own loses little.
The threshold, 1 KiB by default, is the one the Node `ws` server uses.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import sys
from asyncio import selector_events
from collections import deque
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.exceptions import InvalidState
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import CTRL_OPCODES, Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import ExtensionParameter

try:  # websockets' C unmasking, as its own parser uses
    from websockets.speedups import apply_mask
except ImportError:  # a build without its C extension
    from websockets.utils import apply_mask

# uvicorn's choices for its own permessage-deflate: a 4 KiB window and memLevel 5 keep a
# compressor at ~32 KiB instead of ~260 KiB for zlib's defaults (while it lives).
WINDOW_BITS = 12
COMPRESS_SETTINGS = {"memLevel": 5}

# The scope extension holding `send_now(data: bytes) -> bool`.
SEND_NOW = "playground.send_now"
# The scope extension holding `receive_into(receiver: Receiver) -> None`.
RECEIVE_INTO = "playground.receive_into"

Receiver = Callable[[bytes | str | None], None]

log = logging.getLogger("playground.ws")

# The first byte of a whole frame: FIN set, no RSV bit (so not compressed), the opcode.
# `_receive_simple_frames` reads frames that start with one of `_SIMPLE_HEADS` itself.
_BINARY_HEAD = 0x80 | Opcode.BINARY
_SIMPLE_HEADS = (_BINARY_HEAD, 0x80 | Opcode.PONG)

# The frames of the message being broadcast, by encoding: `send_now` is called with the
# same bytes object for every client of a room, one after another.
_PLAIN = "plain"
_frames_of: bytes | None = None
_frames: dict[object, bytes] = {}


def _shared_frame(data: bytes, key: object, extensions: Sequence[Extension]) -> bytes:
    global _frames_of
    if data is not _frames_of:
        _frames_of = data
        _frames.clear()
    frame = _frames.get(key)
    if frame is None:
        if key is _PLAIN:
            frame = _plain_frame(data)
        else:
            frame = Frame(Opcode.BINARY, data).serialize(mask=False, extensions=extensions)
        _frames[key] = frame
    return frame


def _plain_frame(data: bytes) -> bytes:
    """A server's uncompressed binary frame of `data`: what websockets' `serialize`
    makes of it, without its `Frame` object, checks and extension loop (0.24 against
    1.5 µs warm, once per broadcast, before the first client is sent anything)."""
    n = len(data)
    if n < 126:
        return bytes((_BINARY_HEAD, n)) + data
    if n < 1 << 16:
        return bytes((_BINARY_HEAD, 126)) + n.to_bytes(2, "big") + data
    return bytes((_BINARY_HEAD, 127)) + n.to_bytes(8, "big") + data


# asyncio's TCP transport on its selector loops (not in typeshed: private).
_SELECTOR_SOCKET_TRANSPORT = getattr(selector_events, "_SelectorSocketTransport", None)


class _WatchedTransport:
    """The protocol's transport, as uvicorn and this module use it: whatever is
    written, closed or aborted through it ends the protocol's direct sends (its
    `_direct`), which `send_now` resumes only once it has found the connection open
    and this transport idle again. So the protocol writes to the socket itself only
    while every byte since it last looked went out that way, and whole: never ahead
    of anything buffered."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, transport: Any, protocol: Any) -> None:
        self._transport = transport
        self._protocol = protocol

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._protocol._direct = None
        self._transport.write(data)

    def close(self) -> None:
        self._protocol._direct = None
        self._transport.close()

    def abort(self) -> None:
        self._protocol._direct = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def own_socket(self) -> socket.socket | None:
        """The socket of asyncio's own TCP transport, which `write` tries first
        itself; None for any other transport (TLS, another event loop)."""
        transport = self._transport
        if type(transport) is not _SELECTOR_SOCKET_TRANSPORT:
            return None
        sock = getattr(transport, "_sock", None)
        if type(sock) is not socket.socket or not all(
            hasattr(transport, name) for name in ("_buffer", "_closing", "_conn_lost")
        ):
            return None
        return sock

    def idle(self) -> bool:
        """Nothing buffered, not closing (asyncio's own TCP transport only)."""
        transport = self._transport
        return not (transport._buffer or transport._closing or transport._conn_lost)


class _Keepalive:
    """Pings every registered connection once per `interval`, in `SLOTS` slots spread
    over it, and closes those that leave a ping unanswered for `timeout` (None: never)."""

    SLOTS = 10

    def __init__(
        self, loop: asyncio.AbstractEventLoop, interval: float, timeout: float | None
    ) -> None:
        self.loop = loop
        self.interval = interval
        self.timeout = timeout
        self.slots: list[set[Any]] = [set() for _ in range(self.SLOTS)]
        self._next_slot = itertools.count()
        # (deadline, protocol, payload) of the pings sent, oldest first.
        self.waiting: deque[tuple[float, Any, bytes]] = deque()
        self.tick = 0
        self.timer: asyncio.TimerHandle | None = None

    def add(self, protocol: Any) -> None:
        protocol.keepalive_slot = next(self._next_slot) % self.SLOTS
        self.slots[protocol.keepalive_slot].add(protocol)
        if self.timer is None:
            self.timer = self.loop.call_later(self.interval / self.SLOTS, self._sweep)

    def remove(self, protocol: Any) -> None:
        self.slots[protocol.keepalive_slot].discard(protocol)

    def _sweep(self) -> None:
        now = self.loop.time()
        while self.waiting and self.waiting[0][0] <= now:
            _, protocol, payload = self.waiting.popleft()
            if protocol.pending_ping_payload is payload:
                protocol.keepalive_timeout()
        slot = self.slots[self.tick % self.SLOTS]
        self.tick += 1
        if slot:
            payload = self.tick.to_bytes(8, "big")
            frame = Frame(Opcode.PING, payload).serialize(mask=False)
            for protocol in list(slot):
                sent = protocol.send_keepalive(payload, frame, now)
                if sent and self.timeout is not None:
                    self.waiting.append((now + self.timeout, protocol, payload))
        if any(self.slots) or self.waiting:
            self.timer = self.loop.call_later(self.interval / self.SLOTS, self._sweep)
        else:
            self.timer = None


def _ignore(message: Any) -> None:
    pass


class _PushQueue:
    """Stands in for uvicorn's receive queue once the app receives by push: whatever
    uvicorn would queue (a message, or the disconnect, whoever closed) is pushed."""

    def __init__(self, push: Callable[[dict[str, Any]], None]) -> None:
        self.put_nowait = push


# What a protocol's queue and transport refer to once its connection is gone.
_DISCARD = _PushQueue(_ignore)
_GONE = SimpleNamespace(_direct=None)


class ThresholdDeflate(PerMessageDeflate):
    """Compresses a message only from `min_bytes` on."""

    def __init__(self, negotiated: PerMessageDeflate, min_bytes: int) -> None:
        super().__init__(
            negotiated.remote_no_context_takeover,
            negotiated.local_no_context_takeover,
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            negotiated.compress_settings,
        )
        self.min_bytes = min_bytes
        self._plain = False  # the message being sent goes out uncompressed

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode in CTRL_OPCODES:
            return frame
        if frame.opcode is not Opcode.CONT:
            # Only a whole message in one frame can be judged by its size; a fragmented
            # one is compressed, as its first frame decides for all of them.
            self._plain = frame.fin and len(frame.data) < self.min_bytes
        if self._plain:
            return frame
        return super().encode(frame)


class ThresholdDeflateFactory(ServerPerMessageDeflateFactory):
    """Negotiates like websockets' factory, then hands out a `ThresholdDeflate`."""

    def __init__(self, min_bytes: int) -> None:
        super().__init__(
            server_no_context_takeover=True,
            client_no_context_takeover=True,
            server_max_window_bits=WINDOW_BITS,
            client_max_window_bits=WINDOW_BITS,
            compress_settings=COMPRESS_SETTINGS,
        )
        self.min_bytes = min_bytes

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        response, negotiated = super().process_request_params(params, accepted_extensions)
        return response, ThresholdDeflate(negotiated, self.min_bytes)


def websocket_protocol(min_bytes: int | None) -> type[WebSocketsSansIOProtocol]:
    """uvicorn's WebSocket protocol with `SEND_NOW`, offering `ThresholdDeflate` (or,
    with None, no compression)."""

    keepalive: _Keepalive | None = None
    # Negotiation settings only, no state: one factory serves every connection.
    deflate = ThresholdDeflateFactory(min_bytes) if min_bytes is not None else None

    class PlaygroundWebSocketProtocol(WebSocketsSansIOProtocol):
        keepalive_slot = 0
        # Whether a message arrived since the keepalive sweep's last turn here.
        heard = False
        # Set by `_learn_frame_keys` once the handshake is complete (-1 until then).
        _plain_below = -1
        _long_key: object | None = None
        # The socket of asyncio's own transport (None for any other), and the same
        # while plain frames may be sent to it directly (see `send_now`).
        _socket: socket.socket | None = None
        _direct: socket.socket | None = None

        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            self._receiver: Receiver = _ignore
            self._keepalive: _Keepalive | None = None
            if deflate is not None:
                self.conn = ServerProtocol(
                    extensions=[deflate],
                    max_size=config.ws_max_size,
                    logger=self.conn.logger,
                )

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._watched = _WatchedTransport(transport, self)
            self.transport = self._watched  # type: ignore[assignment]

        def connection_lost(self, exc: Exception | None) -> None:
            self._direct = None
            super().connection_lost(exc)
            self._let_go()

        def _let_go(self) -> None:
            """Once the connection is gone and the app has been told, drops the
            references that lead back to this protocol: its `send_now` and
            `receive_into` in the scope, the app's receiver (the peer holds this
            protocol's `send_now`), its push queue, its watched transport, and
            websockets' parser (a generator holding its protocol); for asyncio's
            transport see `transports.free_closed_transports`. Without that each ended
            connection was ~50 objects of cyclic garbage, left for the collector to
            find, which lengthened its pauses of every room (bench/README.md, soak).
            Now reference counting frees them as the app lets go."""
            # An app that has not switched to push may still: `receive_into` then
            # hands it the disconnect waiting in uvicorn's queue, and comes back here.
            self._receiver = _ignore
            if isinstance(self.queue, _PushQueue):
                self.queue = _DISCARD
            extensions = getattr(self, "scope", {}).get("extensions")
            if extensions:
                extensions.pop(SEND_NOW, None)
                extensions.pop(RECEIVE_INTO, None)
            self._watched._protocol = _GONE
            self.conn.parser.close()

        # -- keepalive: the shared sweep instead of uvicorn's timers per connection

        def start_keepalive(self) -> None:
            nonlocal keepalive
            if not self.ping_interval or self.ping_interval <= 0:
                return
            if keepalive is None or keepalive.loop is not self.loop:
                keepalive = _Keepalive(self.loop, self.ping_interval, self.ping_timeout)
            self._keepalive = keepalive
            keepalive.add(self)

        def stop_keepalive(self) -> None:
            super().stop_keepalive()
            if self._keepalive is not None:
                self._keepalive.remove(self)

        def send_keepalive(self, payload: bytes, frame: bytes, now: float) -> bool:
            """Sends the sweep's ping unless the client sent a message since its last
            turn, a ping is unanswered, or the socket is closing."""
            if self.heard:
                self.heard = False
                return False
            if (
                self.pending_ping_payload is not None
                or self.close_sent
                or self.transport.is_closing()
                or self.conn.state is not State.OPEN
            ):
                return False
            self.pending_ping_payload = payload
            self.ping_sent_at = now
            self.transport.write(frame)
            return True

        def handle_connect(self, event: Request) -> None:
            super().handle_connect(event)
            if self.handshake_initiated and not self.close_sent:
                extensions: dict[str, Any] = self.scope["extensions"]
                extensions[SEND_NOW] = self.send_now
                extensions[RECEIVE_INTO] = self.receive_into

        async def send(self, message: Any) -> None:
            await super().send(message)
            if self.handshake_complete and getattr(self, "response", None) is not None:
                # uvicorn keeps the handshake's request and response (with their headers,
                # ~40 objects) for the connection's life, and so does websockets' parser
                # for the request; every full garbage collection walks them. Nothing
                # reads them after the handshake: the scope has its own copy.
                self.request.headers.clear()
                del self.request, self.response

        def shutdown(self) -> None:
            """uvicorn's graceful shutdown closes the socket at once, dropping whatever
            the client sent that this loop has not read yet: for a document socket,
            updates the client believes sent. Those are read and handled first (the
            rooms store them before the process exits)."""
            if isinstance(self.queue, _PushQueue) and not self.close_sent:
                self._read_waiting()
            super().shutdown()

        def _read_waiting(self) -> None:
            sock = self.transport.get_extra_info("socket")
            if sock is None or self.transport.is_closing():
                return
            waiting = sock.dup()  # the same socket; the transport offers no read of its own
            try:
                waiting.setblocking(False)
                for _ in range(64):  # at most 4 MiB: a shutdown is not held up for long
                    data = waiting.recv(65536)
                    if not data:
                        break
                    self.data_received(data)
            except OSError:
                pass  # nothing more waiting (BlockingIOError), or the peer is gone
            finally:
                waiting.close()

        def receive_into(self, receiver: Receiver) -> None:
            """Hands every message from now on to `receiver` as it is parsed, after the
            ones already waiting in the ASGI queue."""
            self._receiver = receiver
            waiting: asyncio.Queue[Any] = self.queue
            self.queue = _PushQueue(self._push)  # type: ignore[assignment]
            while not waiting.empty():
                self._push(waiting.get_nowait())
            if self.disconnected:  # the disconnect was among them
                self._let_go()
                return
            if self.read_paused:
                self.read_paused = False
                self.transport.resume_reading()

        def data_received(self, data: bytes) -> None:
            """Whole unfragmented, uncompressed binary frames (a client's updates and
            presence) and pongs, nearly everything a document socket receives, are
            read here: a message is handed to the receiver, a pong to uvicorn. Anything
            else, from the first byte that is not such a frame on, goes through
            websockets' parser. (That parser's generators, and uvicorn's events and
            dispatch after it, took ~3.5 µs a frame against ~0.8 µs here, warm.)"""
            if isinstance(self.queue, _PushQueue):
                data = self._receive_simple_frames(data)
                if not data:
                    return
            # The parser may change the connection's state (a close, an error) before
            # uvicorn writes anything: `send_now` checks it again before sending.
            self._direct = None
            super().data_received(data)

        def _receive_simple_frames(self, data: bytes) -> bytes:
            """Hands over the simple frames at the start of `data`; returns the rest.
            Only where websockets' parser stands between two frames with nothing
            buffered, so that what it is given next starts a frame, as it expects."""
            conn = self.conn
            reader = conn.reader
            limit = conn.max_message_size
            end = len(data)
            at = 0
            while (
                at + 6 <= end
                # FIN, no RSV bit (not compressed), binary or pong
                and (head := data[at]) in _SIMPLE_HEADS
                and conn.state is State.OPEN
                and conn.current_size is None
                and conn.parser_exc is None
                and not reader.buffer
                and not reader.eof
                and not self.close_sent
            ):
                length = data[at + 1] ^ 0x80  # masked, as a client's frames must be
                if length < 126:
                    start = at + 2
                elif length == 126 and head == _BINARY_HEAD:
                    length = int.from_bytes(data[at + 2 : at + 4], "big")
                    start = at + 4
                else:  # 64-bit lengths, a long pong, an unmasked frame: the parser decides
                    break
                stop = start + 4 + length
                if stop > end or (limit is not None and length > limit):
                    break
                payload = apply_mask(data[start + 4 : stop], data[start : start + 4])
                at = stop
                if head == _BINARY_HEAD:
                    self.heard = True
                    self._deliver(payload)
                else:
                    self.handle_pong(Frame(Opcode.PONG, payload))
            return data[at:] if at else data

        def send_receive_event_to_app(self) -> None:
            self.heard = True
            if not isinstance(self.queue, _PushQueue):
                super().send_receive_event_to_app()
                return
            # uvicorn's, without pausing the socket's reading after each message.
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            self.frames = []
            if self.close_sent:
                return
            if self.curr_msg_data_type == "text":
                self._push({"type": "websocket.receive", "text": data.decode(errors="replace")})
            else:
                self._push({"type": "websocket.receive", "bytes": data})

        def _push(self, message: dict[str, Any]) -> None:
            if message["type"] == "websocket.disconnect":
                self._receiver(None)
                return
            self._deliver(message.get("bytes", message.get("text")))

        def _deliver(self, data: bytes | str | None) -> None:
            try:
                self._receiver(data)
            except Exception:
                # The receiver handles its own errors; this is a bug. Close loudly rather
                # than let it escape into the event loop's reading of the socket.
                log.exception("handling a WebSocket message failed")
                if not self.close_sent and not self.transport.is_closing():
                    self.conn.fail(1011, "internal error")
                    self.transport.write(b"".join(self.conn.data_to_send()))
                    self.close_sent = True
                    self.transport.close()

        def send_now(self, data: bytes) -> bool:
            """Writes one binary message now, as uvicorn's ASGI send would once its
            turn came; False (nothing sent) if the socket is not open for messages or
            its write buffer is over the high-water mark."""
            # The path of nearly every message a room broadcasts: a plain frame to a
            # socket that took everything since `_send_now_checked` last found the
            # connection open with nothing waiting to go out. Each client of an update
            # costs this path once, with its objects gone from the CPU's caches since
            # the last update: it touches this object and the socket, no more.
            sock = self._direct
            if sock is not None and len(data) < self._plain_below:
                frame = _shared_frame(data, _PLAIN, ())
                try:
                    sent = sock.send(frame)
                except OSError:  # full (EAGAIN), or failed: the transport's own
                    sent = 0  # write below meets it again and handles it its way
                if sent < len(frame):
                    self.transport.write(frame[sent:])  # and ends direct sends
                return True
            return self._send_now_checked(data)

        def _send_now_checked(self, data: bytes) -> bool:
            if (
                not self.writable.is_set()
                or self.disconnected
                or not self.handshake_complete
                or self.close_sent
                or self.initial_response is not None
            ):
                return False
            conn = self.conn
            if conn.state is not State.OPEN or conn.expect_continuation_frame:
                return False
            # Called once per client for every update a room broadcasts: the frame's
            # key comes from what the handshake settled, worked out once.
            plain_below = self._plain_below
            if plain_below < 0:
                plain_below = self._learn_frame_keys()
            key = _PLAIN if len(data) < plain_below else self._long_key
            if key is None:
                try:
                    conn.send_binary(data)
                except InvalidState:
                    return False
                self.transport.write(b"".join(conn.data_to_send()))
                return True
            if conn.writes:  # a pong or close websockets queued: it goes out first
                self.transport.write(b"".join(conn.data_to_send()))
            if key is _PLAIN and self._socket is not None and self._watched.idle():
                # Open, nothing buffered: from here on, plain frames go to the socket
                # until anything is written through the transport.
                self._direct = self._socket
                return self.send_now(data)
            self.transport.write(_shared_frame(data, key, conn.extensions))
            return True

        def _learn_frame_keys(self) -> int:
            """What the frame of a message depends on, for sharing it between clients,
            from the extensions the handshake settled: a message shorter than
            `_plain_below` goes out plain (`_PLAIN`), a longer one has `_long_key`,
            None when it depends on this connection's compression history."""
            self._socket = self._watched.own_socket()
            extensions = self.conn.extensions
            deflate = extensions[0] if len(extensions) == 1 else None
            if not extensions:
                self._plain_below, self._long_key = sys.maxsize, _PLAIN
            elif not isinstance(deflate, ThresholdDeflate):
                self._plain_below, self._long_key = 0, None
            else:
                self._plain_below = deflate.min_bytes
                self._long_key = (
                    ("deflate", deflate.local_max_window_bits, deflate.min_bytes)
                    if deflate.local_no_context_takeover
                    else None
                )
            return self._plain_below

    return PlaygroundWebSocketProtocol
