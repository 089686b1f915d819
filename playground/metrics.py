"""`/metrics` in the Prometheus text format."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def _metric(name: str, kind: str, help: str, samples: Iterable[tuple[str, float]]) -> str:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value:g}" for labels, value in samples]
    return "\n".join(lines)


async def metrics(request: Request) -> Response:
    state = request.app.state
    rooms = state.rooms
    stats = state.store.stats
    parts = [
        _metric(
            "playground_rooms",
            "gauge",
            "Document rooms loaded in memory.",
            [("", len(rooms.rooms))],
        ),
        _metric(
            "playground_clients", "gauge", "Connected document clients.", [("", rooms.client_count)]
        ),
        _metric(
            "playground_rooms_unloaded_total",
            "counter",
            "Idle rooms unloaded.",
            [("", rooms.rooms_unloaded)],
        ),
        _metric(
            "playground_updates_stored_total",
            "counter",
            "Document updates stored.",
            [("", stats.updates_stored)],
        ),
        _metric(
            "playground_store_write_seconds",
            "summary",
            "Time spent in store writes.",
            [("_sum", stats.write_seconds_sum), ("_count", stats.write_count)],
        ),
    ]
    for extra in getattr(state, "metric_sources", []):
        parts.append(extra())
    return PlainTextResponse("\n".join(parts) + "\n", media_type="text/plain; version=0.0.4")


routes = [Route("/metrics", metrics)]
