"""`/ws/doc/{session_id}`: the y-websocket protocol, served by the room registry."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import logs
from .access import Access, Forbidden, Role
from .errors import (
    CLOSE_BAD_MESSAGE,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RATE_LIMITED,
)
from .limits import ConnectionCounter, TokenBucket
from .peers import Peer
from .room_registry import RoomRegistry
from .session_routes import SESSION_ID_ALPHABET
from .ws_protocol import SEND_NOW


class StarletteTransport:
    """`peers.Transport` over a Starlette WebSocket. Text frames are protocol errors."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        send_now = websocket.scope.get("extensions", {}).get(SEND_NOW)
        self._send_now: Callable[[bytes], bool] | None = send_now

    async def send(self, message: bytes) -> None:
        await self.websocket.send_bytes(message)

    def send_now(self, message: bytes) -> bool:
        return self._send_now is not None and self._send_now(message)

    async def receive(self) -> bytes | None:
        try:
            message = await self.websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return None
        if message["type"] == "websocket.disconnect":
            return None
        data = message.get("bytes")
        if data is None:
            await self.close(CLOSE_BAD_MESSAGE, "text frames are not part of this protocol")
            return None
        return bytes(data)

    async def close(self, code: int, reason: str) -> None:
        await close_quietly(self.websocket, code, reason)


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    """Closes the socket unless it is closed already. The peer may have gone first:
    Starlette then raises WebSocketDisconnect, which would otherwise reach uvicorn as
    an error for every client that left."""
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)


async def doc_socket(websocket: WebSocket) -> None:
    registry: RoomRegistry = websocket.app.state.rooms
    settings = websocket.app.state.settings
    session_id = websocket.path_params["session_id"]
    logs.session_id.set(session_id[:64])
    await websocket.accept()
    transport = StarletteTransport(websocket)
    if not (1 <= len(session_id) <= 64 and set(session_id) <= SESSION_ID_ALPHABET):
        await transport.close(CLOSE_NOT_FOUND, "unknown session")
        return
    access: Access = websocket.app.state.access
    if not access.origin_allowed(websocket.headers):
        await transport.close(CLOSE_FORBIDDEN, "origin not allowed")
        return
    if not await registry.store.session_exists(session_id):
        await transport.close(CLOSE_NOT_FOUND, "unknown session")
        return
    try:
        role = await access.role(websocket, session_id)
    except Forbidden as exc:
        await transport.close(CLOSE_FORBIDDEN, exc.message)
        return
    address = websocket.client.host if websocket.client else ""
    counter: ConnectionCounter = websocket.app.state.connections
    if not counter.acquire(address):
        await transport.close(CLOSE_RATE_LIMITED, "too many connections from this address")
        return
    try:
        peer = Peer(
            transport,
            path=session_id,
            queue_size=settings.client_send_queue,
            remote=address,
            update_bucket=_bucket(
                settings.limit_update_bytes_per_s, settings.limit_update_burst_bytes
            ),
            awareness_bucket=_bucket(
                settings.limit_awareness_per_s, settings.limit_awareness_per_s * 2
            ),
            stats=registry.stats,
            read_only=role is Role.VIEW,
            max_backlog=max(8 * settings.max_message_bytes, 4 * settings.limit_update_burst_bytes),
        )
        await registry.serve(peer)
        await transport.close(1000, "")
    finally:
        counter.release(address)


def _bucket(rate: float, burst: float) -> TokenBucket | None:
    return TokenBucket(rate, burst) if rate > 0 else None


routes = [WebSocketRoute("/ws/doc/{session_id:path}", doc_socket)]
