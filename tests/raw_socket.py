"""A WebSocket client over a raw TCP stream that shows each frame as it arrives."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import zlib

from playground.protocol import MSG_SYNC, Decoder

OFFER = "permessage-deflate; client_max_window_bits"
TAIL = b"\x00\x00\xff\xff"  # RFC 7692: stripped from each compressed message


def frame_bytes(
    message: bytes,
    compress: bool = False,
    opcode: int = 0x2,
    fin: bool = True,
    mask: bytes | None = None,
) -> bytes:
    """A masked frame (binary by default, with a random mask unless given), compressed
    as a browser would send it."""
    if compress:
        deflate = zlib.compressobj(wbits=-12)  # the server asks for a 4 KiB window
        message = deflate.compress(message) + deflate.flush(zlib.Z_SYNC_FLUSH)
        assert message.endswith(TAIL)
        message = message[: -len(TAIL)]
    mask = os.urandom(4) if mask is None else mask
    head = bytes([(0x80 if fin else 0) | (0x40 if compress else 0) | opcode])
    if len(message) < 126:
        head += bytes([0x80 | len(message)])
    elif len(message) < 1 << 16:
        head += bytes([0x80 | 126]) + len(message).to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + len(message).to_bytes(8, "big")
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(message))
    return head + mask + body


class RawSocket:
    """A WebSocket client that shows each frame as it arrives, compressed or not."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(
        cls, port: int, path: str, offer: str = OFFER, rcvbuf: int | None = None
    ) -> tuple[RawSocket, str]:
        """Opens the socket (with a receive buffer of `rcvbuf` bytes, if given, to play
        a client that reads slowly) and completes the handshake."""
        sock = socket.socket()
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        assert head.startswith("HTTP/1.1 101"), head
        return cls(reader, writer), head

    async def _raw_frame(self) -> tuple[int, bytes]:
        """The next frame as it came: (its first header byte, its payload)."""
        b0, b1 = await self.reader.readexactly(2)
        size = b1 & 0x7F
        if size == 126:
            size = int.from_bytes(await self.reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await self.reader.readexactly(8), "big")
        return b0, await self.reader.readexactly(size)

    async def frame(self) -> tuple[bool, bytes]:
        """The next data frame: (compressed?, the message once inflated)."""
        while True:
            b0, payload = await asyncio.wait_for(self._raw_frame(), 10)
            assert b0 & 0x80, "the server sends each message as one frame"
            if b0 & 0x0F != 0x2:
                continue  # pings
            compressed = bool(b0 & 0x40)
            if compressed:
                # Fresh zlib state per message: the server keeps no context between
                # them, so none may be needed to inflate one.
                payload = zlib.decompressobj(wbits=-12).decompress(payload + TAIL)
            return compressed, payload

    def send(self, message: bytes, compress: bool, opcode: int = 0x2) -> None:
        """A masked frame (binary by default), compressed as a browser would send it."""
        self.writer.write(frame_bytes(message, compress, opcode))

    async def pong(self, timeout: float = 10.0) -> bytes:
        """Reads (and drops) frames until a pong: its payload."""
        async with asyncio.timeout(timeout):
            while True:
                b0, payload = await self._raw_frame()
                if b0 & 0x0F == 0xA:
                    return payload

    async def sync_messages(self, subtype: int) -> tuple[bool, bytes]:
        """The next sync message of `subtype`: (was it compressed?, its payload)."""
        while True:
            compressed, message = await self.frame()
            dec = Decoder(message)
            if dec.var_uint() == MSG_SYNC and dec.var_uint() == subtype:
                return compressed, dec.var_bytes()

    async def answer_pings(self, seconds: float) -> int:
        """Answers every ping for `seconds`, dropping other frames: how many came."""
        pings = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    b0, payload = await self._raw_frame()
                    assert b0 & 0x0F != 0x8, "the server closed the connection"
                    if b0 & 0x0F == 0x9:
                        pings += 1
                        self.send(payload, compress=False, opcode=0xA)
        return pings

    async def close_code(self, timeout: float = 30.0) -> int | None:
        """Reads (and drops) frames until the server's close frame: its code; None if
        the connection ends without one."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    b0, payload = await self._raw_frame()
                except asyncio.IncompleteReadError:
                    return None
                if b0 & 0x0F == 0x8:
                    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None

    def close(self) -> None:
        self.writer.close()
