"""HTTP API for replayable history: timeline, snapshot at a time, export and import.

- `GET /api/sessions/{id}/timeline?since=&until=&limit=&cursor=` → `{"events", "next"}`.
  Events in one time order (ties: edits, then run starts, then run ends; then by seq or
  run id). At most `limit` (default 1000, max 5000) per page; when more remain, `next`
  is an opaque cursor: pass it back as `cursor=` (with the same since/until) for the
  following page, until `next` is null.
- `GET /api/sessions/{id}/snapshot?at=T` or `?seq=N` → `{"at", "seq", "code",
  "language", "title"}`: the document after the last update stored at or before T
  (the empty document before the first); `at` defaults to now. 410 `history_pruned`
  when retention has deleted the history of that moment.
- `GET /api/sessions/{id}/export` → the history file (`crdt_store.archive`).
- `POST /api/sessions/import` (the file as the body) → 201 SESSION; 4xx and nothing
  stored for anything else.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crdt_store import Store, now_ms
from crdt_store.archive import export_session, import_session, plan_import
from crdt_store.history import (
    FOREVER,
    Retention,
    history_floor,
    seq_at,
    timeline,
)

from .errors import BadRequest, NotFound, PayloadTooLarge, PlaygroundError
from .http import query_int
from .room_registry import RoomRegistry
from .session_routes import created, new_session_id, readable_session
from .settings import Settings

DEFAULT_PAGE = 1000
MAX_PAGE = 5000
DEFAULT_IMPORT_MB = 64


class HistoryPruned(PlaygroundError):
    code = "history_pruned"
    status = 410


def retention(settings: Settings, store: Store) -> Retention:
    """The retention service the lifespan runs: off unless `history_retention_days` > 0."""
    return Retention(store, settings.history_retention_days)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def _flush(request: Request, session_id: str) -> None:
    """A loaded room may hold updates not yet stored: wait for them, load nothing."""
    rooms: RoomRegistry = request.app.state.rooms
    room = rooms.rooms.get(session_id)
    if room is not None:
        await room.flush()


async def get_timeline(request: Request) -> Response:
    """`GET /api/sessions/{id}/timeline`: one page of the merged event stream."""
    session_id = await readable_session(request)
    since = query_int(request, "since", 0, lo=0, hi=FOREVER)
    until = query_int(request, "until", FOREVER, lo=0, hi=FOREVER)
    limit = query_int(request, "limit", DEFAULT_PAGE, lo=1, hi=MAX_PAGE)
    cursor = request.query_params.get("cursor") or None
    page = await timeline(
        _store(request), session_id, since=since, until=until, limit=limit, cursor=cursor
    )
    return JSONResponse({"events": [e.to_json() for e in page.events], "next": page.next_cursor})


async def get_snapshot(request: Request) -> Response:
    """`GET /api/sessions/{id}/snapshot?at=T|seq=N`: the document as it stood then."""
    session_id = await readable_session(request)
    store = _store(request)
    at = query_int(request, "at", -1, lo=0, hi=FOREVER)
    seq_param = query_int(request, "seq", -1, lo=0, hi=FOREVER)
    if at >= 0 and seq_param >= 0:
        raise BadRequest("give 'at' or 'seq', not both", code="invalid_query")
    if seq_param >= 0:
        seq = min(seq_param, await store.last_seq(session_id))
    elif at >= 0:
        seq = await seq_at(store, session_id, at)
    else:
        await _flush(request, session_id)
        seq = await store.last_seq(session_id)
    if seq < await history_floor(store, session_id):
        raise HistoryPruned("the history of that moment was deleted by the retention setting")
    state = await store.document_at(session_id, seq)
    return JSONResponse(
        {
            "at": at if at >= 0 else now_ms(),
            "seq": seq,
            "code": state.code,
            "language": state.language,
            "title": state.title,
        }
    )


async def export(request: Request) -> Response:
    """`GET /api/sessions/{id}/export`: the whole history as one JSON file."""
    session_id = await readable_session(request)
    await _flush(request, session_id)
    document = await export_session(_store(request), session_id)
    if document is None:
        raise NotFound("no such session")
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.json"'},
    )


async def import_(request: Request) -> Response:
    """`POST /api/sessions/import`: a new session from an export file."""
    request.app.state.access.require_admin(request)
    settings = request.app.state.settings
    limit = int(getattr(settings, "history_import_max_mb", DEFAULT_IMPORT_MB)) * 1024 * 1024
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the file is over the {limit}-byte import limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the file is over the {limit}-byte import limit")
    plan = await asyncio.to_thread(
        plan_import, bytes(body), snapshot_every=max(1, int(settings.snapshot_every))
    )
    session = await import_session(_store(request), plan, new_session_id())
    return await created(request, session)


routes = [
    Route("/api/sessions/import", import_, methods=["POST"]),
    Route("/api/sessions/{session_id}/timeline", get_timeline, methods=["GET"]),
    Route("/api/sessions/{session_id}/snapshot", get_snapshot, methods=["GET"]),
    Route("/api/sessions/{session_id}/export", export, methods=["GET"]),
]
