"""Who may do what: share-link roles, the admin token, and WebSocket origins.

Every session has two unguessable link tokens: an edit link (`/s/{id}?t=EDIT`) and a
view-only link (`/s/{id}?t=VIEW`). A token travels as the `t` query parameter (the only
thing a browser can attach to a WebSocket) or, on HTTP, the `X-Playground-Token`
header; the admin token as `Authorization: Bearer ...`.

Open instance (no admin token configured, for local use): a request without a token
may edit, as the contract's stock client expects; a view token limits that
connection to reading. Protected instance (`PLAYGROUND_ADMIN_TOKEN` set): creating,
listing, importing and one-shot runs need the admin token, and a session needs one of
its tokens (or the admin token). A wrong token is refused in both modes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import Enum
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from crdt_store import Store

from .errors import PlaygroundError


class Role(Enum):
    EDIT = "edit"
    VIEW = "view"


class Forbidden(PlaygroundError):
    code = "forbidden"
    status = 403


def _same(a: str, b: str | None) -> bool:
    return b is not None and hmac.compare_digest(a.encode(), b.encode())


class Access:
    """Decides roles for HTTP requests and WebSockets. Built once from the settings."""

    def __init__(self, store: Store, *, admin_token: str, allowed_origins: str) -> None:
        self.store = store
        self.admin_token = admin_token
        self.allowed_origins = {o.strip().rstrip("/") for o in allowed_origins.split(",")} - {""}

    @property
    def protected(self) -> bool:
        return bool(self.admin_token)

    def is_admin(self, conn: HTTPConnection) -> bool:
        auth = conn.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return self.protected and scheme.lower() == "bearer" and _same(self.admin_token, token)

    def require_admin(self, conn: HTTPConnection) -> None:
        """Creating, listing and importing sessions on a protected instance."""
        if self.protected and not self.is_admin(conn):
            raise Forbidden("this instance needs the admin token for that")

    @staticmethod
    def link_token(conn: HTTPConnection) -> str | None:
        return conn.query_params.get("t") or conn.headers.get("x-playground-token") or None

    async def role(self, conn: HTTPConnection, session_id: str) -> Role:
        """The caller's role in `session_id` (which must exist); Forbidden if none."""
        if self.is_admin(conn):
            return Role.EDIT
        token = self.link_token(conn)
        if token is None:
            if self.protected:
                raise Forbidden("this session needs a share link's token")
            return Role.EDIT
        tokens = await self.store.session_tokens(session_id)
        if tokens is not None:
            edit, view = tokens
            if _same(edit, token):
                return Role.EDIT
            if _same(view, token):
                return Role.VIEW
        raise Forbidden("that token does not open this session")

    async def require_edit(self, conn: HTTPConnection, session_id: str) -> None:
        if await self.role(conn, session_id) is not Role.EDIT:
            raise Forbidden("the view-only link cannot change this session")

    def origin_allowed(self, headers: Mapping[str, str]) -> bool:
        """Browsers send Origin on every WebSocket: it must be this server's own origin
        or a configured one. Clients that send none (scripts, servers) are not browsers
        a page could hijack."""
        origin = headers.get("origin")
        if origin is None:
            return True
        origin = origin.rstrip("/")
        if origin in self.allowed_origins or "*" in self.allowed_origins:
            return True
        host = headers.get("host", "")
        return urlsplit(origin).netloc.lower() == host.lower()

    def links(self, session_id: str, edit: str, view: str) -> dict[str, str]:
        return {"edit": f"/s/{session_id}?t={edit}", "view": f"/s/{session_id}?t={view}"}
