"""Run endpoints: `/ws/run/{session_id}`, `POST /api/execute`, runs history.

The app's lifespan builds the services with `runner_config(settings)`:

    runner = await stack.enter_async_context(RunnerService(runner_config(settings)))
    run_hub = await stack.enter_async_context(RunHub(runner, store, rooms, ...))
    app.state.runner, app.state.run_hub = runner, run_hub
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from crdt_store import OutputChunk, RunRecord, Store
from runners import Limits, OutputEvent, RunControl, RunnerConfig, RunnerService
from runners.errors import RuntimeUnavailable
from runners.languages import get_language
from runners.sandbox import MIN_MEMORY_MB

from .access import Access, Forbidden, Role
from .doc_socket import close_quietly
from .errors import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
)
from .http import field, json_body, query_int
from .run_channel import RunHub, error_frame, record_result
from .session_routes import SESSION_ID_ALPHABET, readable_session
from .settings import Settings


def runner_config(settings: Settings) -> RunnerConfig:
    """The runner's configuration from the server's settings."""
    return RunnerConfig(
        limits=Limits(
            time_limit_s=settings.run_time_limit_s,
            memory_mb=settings.run_memory_mb,
            pids=settings.run_pids,
            output_bytes=settings.run_output_bytes,
            cpus=settings.run_cpus,
            tmpfs_mb=settings.run_tmpfs_mb,
        ),
        concurrency=settings.run_concurrency,
        queue_size=settings.run_queue,
        pool_size=settings.pool_size,
        image_prefix=settings.image_prefix,
    )


class _WebSocketClient:
    """`run_channel.RunClient` over a Starlette WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send_text(self, text: str) -> None:
        await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        await close_quietly(self.websocket, code, reason)


async def run_socket(websocket: WebSocket) -> None:
    """One run-channel client: `state` first, then frames both ways."""
    hub: RunHub = websocket.app.state.run_hub
    store: Store = websocket.app.state.store
    session_id = websocket.path_params["session_id"]
    await websocket.accept()
    client = _WebSocketClient(websocket)
    valid = 1 <= len(session_id) <= 64 and set(session_id) <= SESSION_ID_ALPHABET
    if not valid or hub.closing or not await store.session_exists(session_id):
        await client.close(CLOSE_NOT_FOUND, "unknown session")
        return
    access: Access = websocket.app.state.access
    if not access.origin_allowed(websocket.headers):
        await client.close(CLOSE_FORBIDDEN, "origin not allowed")
        return
    try:
        role = await access.role(websocket, session_id)
    except Forbidden as exc:
        await client.close(CLOSE_FORBIDDEN, exc.message)
        return
    channel = hub.channel(session_id)
    address = websocket.client.host if websocket.client else ""
    sub = await channel.join(client, read_only=role is Role.VIEW, address=address)
    try:
        while True:
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                break
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                sub.send(error_frame("bad_message", "frames are JSON text frames"))
                continue
            await channel.handle(sub, text)
    finally:
        await channel.leave(sub)
        await client.close(1000, "")


async def execute(request: Request) -> Response:
    """`POST /api/execute`: a one-shot run without a session."""
    settings: Settings = request.app.state.settings
    runner: RunnerService = request.app.state.runner
    store: Store = request.app.state.store
    access: Access = request.app.state.access
    access.require_admin(request)
    address = request.client.host if request.client else ""
    hub: RunHub = request.app.state.run_hub
    wait = hub.run_limits.admit(address, "execute:" + address)
    if wait > 0:
        raise RateLimited(f"too many runs; try again in {wait:.0f} s", retry_after=wait)
    body = await json_body(request)
    language = field(body, "language", str, required=True)
    code = field(body, "code", str, required=True)
    stdin = field(body, "stdin", str) or ""
    ceiling = runner.config.limits
    time_limit_s = _limit(body, "time_limit_s", 0.1, ceiling.time_limit_s, integer=False)
    memory_mb = _limit(body, "memory_mb", MIN_MEMORY_MB, ceiling.memory_mb, integer=True)
    output_bytes = _limit(body, "output_bytes", 1, ceiling.output_bytes, integer=True)
    get_language(language)
    if len(code.encode()) > settings.max_code_bytes:
        raise PayloadTooLarge(f"code over {settings.max_code_bytes} bytes")
    if not await runner.docker_available():
        raise RuntimeUnavailable("the Docker engine is not reachable")
    ticket = runner.reserve("api:" + address)
    record = RunRecord(
        id=_new_id(),
        session_id=None,
        language=language,
        user=None,
        status="queued" if ticket.queued else "running",
        code=code,
    )
    output: list[OutputChunk] = []

    def on_output(event: OutputEvent) -> None:
        output.append(OutputChunk(event.seq, event.t, event.stream, event.data))

    result = await runner.execute(
        ticket,
        language,
        code,
        control=RunControl(stdin.encode(), eof=True),
        on_output=on_output,
        time_limit_s=time_limit_s,
        memory_mb=None if memory_mb is None else int(memory_mb),
        output_bytes=None if output_bytes is None else int(output_bytes),
    )
    record_result(record, result)
    await store.save_run(record)
    await store.append_output(record.id, output)
    if result.status == "error" and result.error is not None:
        raise result.error
    return JSONResponse(_run_json(record, output))


def _limit(
    body: dict[str, Any], name: str, floor: float, ceiling: float, *, integer: bool
) -> float | None:
    """An optional per-run limit from `body`: at least `floor`, at most the server's own
    (`ceiling`); a run may lower a limit, never raise it."""
    value = body.get(name)
    if value is None:
        return None
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not floor <= value <= ceiling:
        what = "an integer" if integer else "a number"
        raise BadRequest(
            f"'{name}' must be {what} from {floor:g} to {ceiling:g} (this server's limit)",
            code="invalid_field",
        )
    return float(value)


async def session_runs(request: Request) -> Response:
    """`GET /api/sessions/{id}/runs`: the session's runs, latest first."""
    store: Store = request.app.state.store
    session_id = await readable_session(request)
    limit = query_int(request, "limit", 100, lo=1, hi=1000)
    runs = await store.list_runs(session_id, limit=limit)
    return JSONResponse([run.to_json() for run in runs])


async def get_run(request: Request) -> Response:
    """`GET /api/runs/{run_id}`: one run with its output."""
    store: Store = request.app.state.store
    run_id = request.path_params["run_id"]
    run = await store.get_run(run_id) if len(run_id) <= 64 else None
    if run is None:
        raise NotFound("no such run")
    access: Access = request.app.state.access
    if run.session_id is None:
        access.require_admin(request)  # a one-shot run belongs to the instance's admin
    else:
        await access.role(request, run.session_id)
    # The detail also shows the exact code that ran (`doc_seq` names the update it
    # was taken after, so the history can place it).
    # What people typed while it ran comes apart from the output (`input`, by `t`).
    typed = [chunk.to_json() for chunk in await store.get_input(run_id)]
    detail = _run_json(run, await store.get_output(run_id))
    return JSONResponse(detail | {"code": run.code, "input": typed})


def _run_json(run: RunRecord, output: list[OutputChunk]) -> dict[str, Any]:
    return {**run.to_json(), "output": [chunk.to_json() for chunk in output]}


def _new_id() -> str:
    return uuid.uuid4().hex


routes = [
    WebSocketRoute("/ws/run/{session_id}", run_socket),
    Route("/api/execute", execute, methods=["POST"]),
    Route("/api/sessions/{session_id}/runs", session_runs, methods=["GET"]),
    Route("/api/runs/{run_id}", get_run, methods=["GET"]),
]
