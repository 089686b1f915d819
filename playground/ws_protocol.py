"""uvicorn's WebSocket protocol with two changes: a synchronous send, and
permessage-deflate that compresses only messages worth compressing.

Sending. An ASGI send is a coroutine through every layer (Starlette, uvicorn), so
delivering one update to N clients took N task switches through a per-client sender
task. The protocol puts a plain function in the scope's extensions (`SEND_NOW`) that
writes a binary message to the socket at once when nothing is queued ahead of it and
the transport takes more; otherwise it declines and the caller queues as before.

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
from collections.abc import Sequence
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
from websockets.server import ServerProtocol
from websockets.typing import ExtensionParameter

# uvicorn's choices for its own permessage-deflate: a 4 KiB window and memLevel 5 keep a
# compressor at ~32 KiB instead of ~260 KiB for zlib's defaults (while it lives).
WINDOW_BITS = 12
COMPRESS_SETTINGS = {"memLevel": 5}

# The scope extension holding `send_now(data: bytes) -> bool`.
SEND_NOW = "playground.send_now"


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

    class PlaygroundWebSocketProtocol(WebSocketsSansIOProtocol):
        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            if min_bytes is not None:
                self.conn = ServerProtocol(
                    extensions=[ThresholdDeflateFactory(min_bytes)],
                    max_size=config.ws_max_size,
                    logger=self.conn.logger,
                )

        def handle_connect(self, event: Request) -> None:
            super().handle_connect(event)
            if self.handshake_initiated and not self.close_sent:
                self.scope["extensions"][SEND_NOW] = self.send_now  # type: ignore[assignment]

        def send_now(self, data: bytes) -> bool:
            """Writes one binary message now, as uvicorn's ASGI send would once its
            turn came; False (nothing sent) if the socket is not open for messages or
            its write buffer is over the high-water mark."""
            if (
                not self.writable.is_set()
                or self.disconnected
                or not self.handshake_complete
                or self.close_sent
                or self.initial_response is not None
            ):
                return False
            try:
                self.conn.send_binary(data)
            except InvalidState:
                return False
            self.transport.write(b"".join(self.conn.data_to_send()))
            return True

    return PlaygroundWebSocketProtocol
