"""`GET /api/languages`: what can be run here, and whether its image is present."""

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


routes = [Route("/api/languages", list_languages)]
