"""`GET /api/languages` and `GET /api/limits`: what can be run here, and within what."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def list_languages(request: Request) -> Response:
    state = request.app.state
    prefix = state.settings.image_prefix
    runner = getattr(state, "runner", None)
    images = await runner.image_info() if runner is not None else {}
    body = []
    for lang in state.languages.values():
        tag = lang.image(prefix)
        info = images.get(lang.id)
        body.append(
            {
                "id": lang.id,
                "name": lang.name,
                "version": info.version if info else "",
                "image": tag,
                "available": info is not None,
                "template": lang.template,
            }
        )
    return JSONResponse(body)


async def limits(request: Request) -> Response:
    """The limits in force for every run and document on this server."""
    settings = request.app.state.settings
    return JSONResponse(
        {
            "time_limit_s": settings.run_time_limit_s,
            "memory_mb": settings.run_memory_mb,
            "pids": settings.run_pids,
            "output_bytes": settings.run_output_bytes,
            "code_bytes": settings.max_code_bytes,
            "message_bytes": settings.max_message_bytes,
            "network": False,
        }
    )


routes = [Route("/api/languages", list_languages), Route("/api/limits", limits)]
