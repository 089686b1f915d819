"""The Starlette application: one lifespan builds every service and hands it to routes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from crdt_store import Store
from runners import RunnerService
from runners.languages import LANGUAGES

from . import (
    doc_socket,
    history_routes,
    language_routes,
    metrics,
    openapi,
    run_routes,
    session_routes,
)
from .access import Access
from .errors import PlaygroundError
from .http import http_exception_handler, playground_error_handler, unexpected_error_handler
from .limits import ConnectionCounter, RunLimits
from .loop_watch import LoopWatch
from .middleware import RequestIdMiddleware
from .room_registry import RoomRegistry
from .run_channel import RunHub
from .settings import Settings

log = logging.getLogger("playground")


async def healthz(request: Request) -> Response:
    state = request.app.state
    db = await state.store.healthy()
    docker = await state.runner.docker_available() if hasattr(state, "runner") else False
    return JSONResponse(
        {"status": "ok", "db": db, "docker": docker, "rooms": len(state.rooms.rooms)},
        status_code=200,
    )


def _web_routes(dist: Path) -> list[Route | Mount]:
    """The built client at `/`; any `/s/...` deep link falls back to its index.html."""
    index = dist / "index.html"

    async def app_page(request: Request) -> Response:
        if not index.is_file():
            return JSONResponse(
                {
                    "error": {
                        "code": "client_not_built",
                        "message": "the web client is not built: run `make install`",
                    }
                },
                status_code=503,
            )
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    routes: list[Route | Mount] = [
        Route("/", app_page),
        Route("/s/{session_id}", app_page),
    ]
    if (dist / "assets").is_dir():
        routes.append(Mount("/assets", StaticFiles(directory=dist / "assets"), name="assets"))
    for extra in sorted(dist.glob("*")) if dist.is_dir() else []:
        if extra.is_file() and extra.name != "index.html":
            routes.append(Route(f"/{extra.name}", _file(extra)))
    return routes


def _file(path: Path) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        return FileResponse(path)

    return serve


def _middleware(settings: Settings) -> list[Middleware]:
    middleware = [Middleware(RequestIdMiddleware)]
    origins = [o.strip() for o in settings.allowed_origins.split(",") if o.strip()]
    if origins:
        # Same origin needs no CORS; other origins only when configured.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "X-Playground-Token"],
            )
        )
    return middleware


class PlaygroundApp(Starlette):
    """Starlette, with document sockets served directly (`doc_socket.serve_direct`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(doc_socket.PATH_PREFIX):
            scope["app"] = self
            await doc_socket.serve_direct(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            app.state.loop_watch = await stack.enter_async_context(LoopWatch())
            store = await stack.enter_async_context(
                Store(settings.db, snapshot_every=settings.snapshot_every)
            )
            rooms = RoomRegistry(
                store,
                idle_seconds=settings.room_idle_s,
                keepalive_seconds=settings.ws_keepalive_s,
                max_code_bytes=settings.max_code_bytes,
                snapshot_every=settings.snapshot_every,
            )
            await stack.enter_async_context(rooms)
            await stack.enter_async_context(history_routes.retention(settings, store))
            runner = await stack.enter_async_context(
                RunnerService(run_routes.runner_config(settings))
            )
            run_hub = await stack.enter_async_context(
                RunHub(
                    runner,
                    store,
                    rooms,
                    max_code_bytes=settings.max_code_bytes,
                    client_queue=settings.client_send_queue,
                    run_limits=RunLimits(
                        settings.limit_runs_per_minute, settings.limit_runs_per_minute_per_ip
                    ),
                )
            )
            app.state.runner = runner
            app.state.run_hub = run_hub
            app.state.settings = settings
            app.state.store = store
            app.state.rooms = rooms
            app.state.connections = ConnectionCounter(settings.limit_connections_per_ip)
            app.state.access = Access(
                store, admin_token=settings.admin_token, allowed_origins=settings.allowed_origins
            )
            app.state.languages = {lang.id: lang for lang in LANGUAGES}
            stack.push_async_callback(rooms.shutdown)
            log.info("playground ready: database %s", settings.db)
            yield
            log.info("shutting down: storing every room")

    routes = [
        Route("/healthz", healthz),
        *metrics.routes,
        *openapi.routes,
        *session_routes.routes,
        *history_routes.routes,
        *language_routes.routes,
        *run_routes.routes,
        *doc_socket.routes,
        *_web_routes(settings.web_dist),
    ]
    return PlaygroundApp(
        routes=routes,
        lifespan=lifespan,
        middleware=_middleware(settings),
        exception_handlers={
            PlaygroundError: playground_error_handler,
            HTTPException: http_exception_handler,
            Exception: unexpected_error_handler,
        },
    )
