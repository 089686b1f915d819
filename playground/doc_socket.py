"""`/ws/doc/{session_id}`: the y-websocket protocol, served by the room registry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import logs
from .access import Access, Forbidden, Role
from .errors import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RATE_LIMITED,
)
from .limits import ConnectionCounter, TokenBucket
from .middleware import set_request_id
from .peers import Peer
from .room_registry import RoomRegistry
from .session_routes import SESSION_ID_ALPHABET
from .ws_protocol import RECEIVE_INTO, SEND_NOW, Receiver


class StarletteTransport:
    """`peers.Transport` over a Starlette WebSocket served by `ws_protocol`'s protocol,
    whose scope extensions give it a synchronous send and a push receive."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        extensions = websocket.scope.get("extensions") or {}
        self.send_now: Callable[[bytes], bool] = extensions.get(SEND_NOW) or _never
        self._receive_into: Callable[[Receiver], None] | None = extensions.get(RECEIVE_INTO)
        self._puller: asyncio.Task[None] | None = None

    async def send(self, message: bytes) -> None:
        await self.websocket.send_bytes(message)

    def receive_into(self, receiver: Receiver) -> None:
        if self._receive_into is not None:
            self._receive_into(receiver)
            return
        # Another ASGI server: pull, and push what arrives.
        self._puller = asyncio.get_running_loop().create_task(self._pull_into(receiver))

    async def _pull_into(self, receiver: Receiver) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                receiver(data if data is not None else message.get("text", ""))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver(None)

    async def close(self, code: int, reason: str) -> None:
        await close_quietly(self.websocket, code, reason)


def _never(message: bytes) -> bool:
    return False


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
        await transport.close(*peer.close_code)
    finally:
        counter.release(address)


def _bucket(rate: float, burst: float) -> TokenBucket | None:
    return TokenBucket(rate, burst) if rate > 0 else None


PATH_PREFIX = "/ws/doc/"

routes = [WebSocketRoute(PATH_PREFIX + "{session_id:path}", doc_socket)]


async def serve_direct(scope: Scope, receive: Receive, send: Send) -> None:
    """`doc_socket` without Starlette's middleware and routing, for `PlaygroundApp`.

    Each layer (error and exception middleware, request ids, CORS, the router, the
    route's session wrapper) stays suspended for a connection's whole life: about a
    dozen coroutines and as many closures per client, a third of an idle connection's
    objects. A document socket needs none of them past the handshake; what it needs
    (a request id, its path parameter) is set here."""
    set_request_id(scope)
    scope["path_params"] = {"session_id": scope["path"][len(PATH_PREFIX) :]}
    await doc_socket(WebSocket(scope, receive, send))
