"""A small Python Yjs client (pycrdt over `websockets`) speaking the y-websocket protocol."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import websockets
from pycrdt import Doc, Map, Text, TransactionEvent

from playground.protocol import (
    MSG_SYNC,
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    AwarenessEntry,
    Decoder,
    awareness_message,
    encode_awareness,
    sync_message,
)


class PyClient:
    """Connects, syncs, and sends every local change as an update."""

    def __init__(self, ws_base: str, session_id: str) -> None:
        self.url = f"{ws_base}/ws/doc/{session_id}"
        self.doc: Doc[Any] = Doc()
        self.code = self.doc.get("code", type=Text)
        self.meta = self.doc.get("meta", type=Map)
        self.synced = asyncio.Event()
        self.changed = asyncio.Event()
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._remote = False
        self.close_code: int | None = None
        self.doc.observe(self._on_change)

    def _on_change(self, event: TransactionEvent) -> None:
        self.changed.set()
        if not self._remote and self.ws is not None:
            asyncio.get_running_loop().create_task(
                self.ws.send(sync_message(SYNC_UPDATE, event.update))
            )

    async def connect(self) -> PyClient:
        self.ws = await websockets.connect(self.url, max_size=None)
        # The server may refuse the session at once (4404): the reader reports it.
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(sync_message(SYNC_STEP1, self.doc.get_state()))
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                dec = Decoder(frame)
                if dec.var_uint() != MSG_SYNC:
                    continue
                subtype = dec.var_uint()
                payload = dec.var_bytes()
                if subtype == SYNC_STEP1:
                    await self.ws.send(sync_message(SYNC_STEP2, self.doc.get_update(payload)))
                else:
                    self._remote = True
                    try:
                        self.doc.apply_update(payload)
                    finally:
                        self._remote = False
                    if subtype == SYNC_STEP2:
                        self.synced.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.ws is not None and self.ws.close_code is not None:
                self.close_code = self.ws.close_code

    async def set_presence(self, client_id: int, clock: int, state: str) -> None:
        entry = AwarenessEntry(client_id, clock, state)
        await self.ws.send(awareness_message(encode_awareness([entry])))

    async def wait_text(self, expected: str, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while str(self.code) != expected:
                self.changed.clear()
                await self.changed.wait()

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        assert self._reader is not None
        async with asyncio.timeout(timeout):
            await self._reader
        return self.ws.close_code  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
