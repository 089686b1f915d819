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
            "playground_doc_frames_total",
            "counter",
            "Document frames throttled, malformed, over the size limit or from view-only links.",
            [
                ('{outcome="throttled"}', rooms.stats.throttled),
                ('{outcome="bad_frame"}', rooms.stats.bad_frames),
                ('{outcome="too_large"}', rooms.stats.too_large),
                ('{outcome="read_only_dropped"}', rooms.stats.read_only_dropped),
            ],
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
        _metric(
            "playground_store_journal_copy_seconds",
            "summary",
            "Time spent copying journaled updates into SQLite on the event loop.",
            [("_sum", stats.copy_seconds_sum), ("_count", stats.copy_count)],
        ),
    ]
    runner = getattr(state, "runner", None)
    if runner is not None:
        stats = runner.stats
        parts += [
            _metric(
                "playground_runs_total",
                "counter",
                "Finished runs by status.",
                [(f'{{status="{k}"}}', v) for k, v in sorted(stats.runs_by_status.items())],
            ),
            _metric(
                "playground_runs_active",
                "gauge",
                "Runs executing now.",
                [("", runner.scheduler.active)],
            ),
            _metric(
                "playground_runs_queued",
                "gauge",
                "Runs waiting for a slot.",
                [("", runner.scheduler.queued)],
            ),
            _metric(
                "playground_pool_idle",
                "gauge",
                "Warm containers ready, per language.",
                [(f'{{language="{k}"}}', v) for k, v in sorted(runner.pool_idle().items())],
            ),
            _metric(
                "playground_container_start_seconds",
                "summary",
                "From a run's slot to its started container (warm pool: near zero).",
                [("_sum", stats.start_seconds_sum), ("_count", stats.start_count)],
            ),
        ]
    return PlainTextResponse("\n".join(parts) + "\n", media_type="text/plain; version=0.0.4")


routes = [Route("/metrics", metrics)]
