"""HTTP API for sessions: create, list, read, rename, delete (history: history_routes)."""

from __future__ import annotations

import secrets
from typing import Any

from pycrdt import Doc, Map
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crdt_store import SessionRecord, Store

from .access import Access, Role
from .errors import BadRequest, NotFound, PayloadTooLarge, UnknownLanguage
from .http import field, json_body, query_int
from .room_registry import RoomRegistry

MAX_TITLE = 200
SESSION_ID_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def new_session_id() -> str:
    return secrets.token_urlsafe(9)


def check_session_id(session_id: str) -> str:
    """Ids are URL-safe tokens the server made; anything else cannot name a session."""
    if not 1 <= len(session_id) <= 64 or not set(session_id) <= SESSION_ID_ALPHABET:
        raise NotFound("no such session")
    return session_id


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _rooms(request: Request) -> RoomRegistry:
    rooms: RoomRegistry = request.app.state.rooms
    return rooms


def _access(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


async def _existing(request: Request) -> str:
    """The path's session id, checked to exist (404) before access (403)."""
    session_id = check_session_id(request.path_params["session_id"])
    if not await _store(request).session_exists(session_id):
        raise NotFound("no such session")
    return session_id


async def readable_session(request: Request) -> str:
    """The path's session id, which exists and which the caller may at least view."""
    session_id = await _existing(request)
    await _access(request).role(request, session_id)
    return session_id


def _title(data: dict[str, Any]) -> str | None:
    title: str | None = field(data, "title", str)
    if title is not None and len(title) > MAX_TITLE:
        raise BadRequest(f"'title' is longer than {MAX_TITLE} characters", code="invalid_field")
    return title


async def create_session(request: Request) -> Response:
    _access(request).require_admin(request)
    data = await json_body(request)
    language = field(data, "language", str, required=True)
    languages = request.app.state.languages
    if language not in languages:
        raise UnknownLanguage(f"unknown language '{language}'")
    title = _title(data) or "Untitled"
    code = field(data, "code", str)
    if code is None:
        code = languages[language].template
    limit = request.app.state.settings.max_code_bytes
    if len(code.encode("utf-8")) > limit:
        raise PayloadTooLarge(f"'code' is over the {limit}-byte limit", code="code_too_large")
    rooms = _rooms(request)
    session = await _store(request).create_session(
        new_session_id(),
        title=title,
        language=language,
        code=code,
        initial_update=rooms.new_document(language, title, code),
        author="api",
    )
    return await created(request, session)


async def created(request: Request, session: SessionRecord) -> Response:
    """201 with the new SESSION and its share links (only its creator sees the edit link
    without opening the session)."""
    tokens = await _store(request).session_tokens(session.id)
    links = _access(request).links(session.id, *tokens) if tokens else {}
    return JSONResponse(session.to_json() | {"links": links}, status_code=201)


async def list_sessions(request: Request) -> Response:
    _access(request).require_admin(request)
    q = request.query_params.get("q", "")[:200]
    language = request.query_params.get("language", "")[:50]
    limit = query_int(request, "limit", 50, lo=1, hi=200)
    offset = query_int(request, "offset", 0, lo=0, hi=10**9)
    store = _store(request)
    items, total = await store.list_sessions(q=q, language=language, limit=limit, offset=offset)
    last_runs = await store.latest_runs([s.id for s in items])
    body = [
        s.to_json() | {"last_run": last_runs[s.id].to_json() if s.id in last_runs else None}
        for s in items
    ]
    return JSONResponse({"items": body, "total": total})


async def get_session(request: Request) -> Response:
    session_id = await _existing(request)
    role = await _access(request).role(request, session_id)
    store = _store(request)
    session = await store.get_session(session_id)
    if session is None:
        raise NotFound("no such session")
    doc = await _rooms(request).read_document(session_id)
    runs = await store.list_runs(session_id)
    body = session.to_json() | {
        "title": doc.title or session.title,
        "language": doc.language or session.language,
        "code": doc.code,
        "time_limit_s": doc.time_limit_s,
        "memory_mb": doc.memory_mb,
        "runs": [run.to_json() for run in runs],
        "role": role.value,
    }
    tokens = await store.session_tokens(session_id)
    if role is Role.EDIT and tokens is not None:
        body["links"] = _access(request).links(session_id, *tokens)
    return JSONResponse(body)


async def patch_session(request: Request) -> Response:
    session_id = await _existing(request)
    await _access(request).require_edit(request, session_id)
    data = await json_body(request)
    title = _title(data)
    store = _store(request)
    if title is not None:

        def rename(doc: Doc[Any]) -> None:
            doc.get("meta", type=Map)["title"] = title

        await _rooms(request).edit(session_id, rename, author="api")
    session = await store.get_session(session_id)
    if session is None:
        raise NotFound("no such session")
    return JSONResponse(session.to_json())


async def delete_session(request: Request) -> Response:
    session_id = await _existing(request)
    await _access(request).require_edit(request, session_id)
    await _rooms(request).close_session(session_id)
    runner_hub = getattr(request.app.state, "run_hub", None)
    if runner_hub is not None:
        await runner_hub.close_session(session_id)
    if not await _store(request).delete_session(session_id):
        raise NotFound("no such session")
    return Response(status_code=204)


routes = [
    Route("/api/sessions", create_session, methods=["POST"]),
    Route("/api/sessions", list_sessions, methods=["GET"]),
    Route("/api/sessions/{session_id}", get_session, methods=["GET"]),
    Route("/api/sessions/{session_id}", patch_session, methods=["PATCH"]),
    Route("/api/sessions/{session_id}", delete_session, methods=["DELETE"]),
]
