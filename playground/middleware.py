"""ASGI middleware: a request id for every HTTP request and WebSocket."""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import logs


def set_request_id(scope: Scope) -> str:
    """The request's id for the logs: its `X-Request-Id` when sane, else a new one."""
    given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
    rid = given if 0 < len(given) <= 64 and given.isprintable() else secrets.token_hex(6)
    logs.request_id.set(rid)
    return rid


class RequestIdMiddleware:
    """Takes `X-Request-Id` (when sane) or makes one; logs carry it; responses echo it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = set_request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
