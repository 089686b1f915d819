"""The OpenAPI document describes exactly the HTTP routes the app serves."""

from __future__ import annotations

import httpx
from starlette.routing import Route

from playground.app import create_app
from playground.settings import Settings
from tests.conftest import ServerProcess

NOT_API = {"/", "/s/{session_id}"}


def test_openapi_matches_the_real_routes(server: ServerProcess) -> None:
    spec = httpx.get(f"{server.url}/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    app = create_app(Settings())
    served = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route)
        and route.path not in NOT_API
        and route.methods
        and route.path.startswith(("/api", "/healthz", "/metrics"))
        for method in route.methods
        if method != "HEAD"
    }
    assert documented == served


def test_every_reference_resolves(server: ServerProcess) -> None:
    spec = httpx.get(f"{server.url}/api/openapi.json").json()
    text = httpx.get(f"{server.url}/api/openapi.json").text
    import re

    for name in set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', text)):
        assert name in spec["components"]["schemas"], name
