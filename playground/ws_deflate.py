"""permessage-deflate that compresses only messages worth compressing.

uvicorn's own permessage-deflate compresses every outgoing message and gives every
connection a compressor at the handshake. Most of what a collaborative editor sends is
a keystroke (~30 bytes) or a cursor move (~150 bytes), and most connections sit idle;
the bytes worth saving are the initial sync of a large document and run output. So:
- a message shorter than `min_bytes` goes out uncompressed (RFC 7692 allows that per
  message: only the first frame's RSV1 bit says whether a message is compressed, and
  an uncompressed message leaves both sides' LZ77 contexts untouched);
- the compressor is created on the first message that is compressed, so a connection
  that never gets one costs no compressor memory.
The same threshold, 1 KiB by default, is what the Node `ws` server uses.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import CTRL_OPCODES, Frame, Opcode
from websockets.server import ServerProtocol
from websockets.typing import ExtensionParameter

# uvicorn's choices for its own permessage-deflate: a 4 KiB window and memLevel 5 keep a
# compressor at ~32 KiB instead of ~260 KiB for zlib's defaults.
WINDOW_BITS = 12
COMPRESS_SETTINGS = {"memLevel": 5}


class ThresholdDeflate(PerMessageDeflate):
    """Compresses a message only from `min_bytes` on; the compressor is made on first use."""

    def __init__(self, negotiated: PerMessageDeflate, min_bytes: int) -> None:
        # Not super().__init__(): that would allocate the compressor now.
        self.remote_no_context_takeover = negotiated.remote_no_context_takeover
        self.local_no_context_takeover = negotiated.local_no_context_takeover
        self.remote_max_window_bits = negotiated.remote_max_window_bits
        self.local_max_window_bits = negotiated.local_max_window_bits
        self.compress_settings = negotiated.compress_settings
        if not self.remote_no_context_takeover:
            self.decoder = negotiated.decoder
        self.decode_cont_data = False
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
        if not self.local_no_context_takeover and not hasattr(self, "encoder"):
            self.encoder = zlib.compressobj(
                wbits=-self.local_max_window_bits, **self.compress_settings
            )
        return super().encode(frame)


class ThresholdDeflateFactory(ServerPerMessageDeflateFactory):
    """Negotiates like websockets' factory, then hands out a `ThresholdDeflate`."""

    def __init__(self, min_bytes: int) -> None:
        super().__init__(
            server_max_window_bits=WINDOW_BITS,
            client_max_window_bits=WINDOW_BITS,
            compress_settings=COMPRESS_SETTINGS,
        )
        self.min_bytes = min_bytes

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        response, negotiated = super().process_request_params(params, accepted_extensions)
        # The compressor the base class made is dropped here, before any use.
        return response, ThresholdDeflate(negotiated, self.min_bytes)


def websocket_protocol(min_bytes: int | None) -> type[WebSocketsSansIOProtocol]:
    """uvicorn's WebSocket protocol, offering `ThresholdDeflate` (or, with None, nothing)."""

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

    return PlaygroundWebSocketProtocol
