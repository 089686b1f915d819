"""`/metrics` in the Prometheus text format."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def _metric(name: str, kind: str, help: str, samples: Iterable[tuple[str, float]]) -> str:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]
    return "\n".join(lines)


def _number(value: float) -> str:
    """Every digit. `:g` kept six: a counter past 999,999 went out rounded
    (1.23457e+06), so its rate moved in steps, and a Unix time was off by up to
    5,000 s."""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(float(value))


def _process() -> list[str]:
    """The standard `process_*` metrics (what Prometheus' own clients export), read
    from /proc where there is one: an operator watches the server's memory and CPU
    without a node agent."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    parts = [
        _metric(
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time spent, in seconds.",
            [("", round(usage.ru_utime + usage.ru_stime, 6))],
        ),
        _metric(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
            [("", _STARTED)],
        ),
    ]
    proc = Path("/proc/self")
    try:
        pages = int((proc / "statm").read_text().split()[1])
        fds = len(os.listdir(proc / "fd"))
    except (OSError, ValueError, IndexError):
        return parts  # no /proc: CPU and start time only
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return [
        *parts,
        _metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            [("", pages * _PAGE_BYTES)],
        ),
        _metric("process_open_fds", "gauge", "Open file descriptors.", [("", fds)]),
        _metric(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            [("", soft if soft != resource.RLIM_INFINITY else -1)],
        ),
    ]


def _start_time() -> float:
    """The process's start from /proc (boot time plus its start in clock ticks); the
    time this module was imported, at start-up, where there is no /proc."""
    try:
        # The command name (field 2) may hold spaces: count from after its ")".
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        ticks = int(fields[19])  # field 22, starttime
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return time.time()


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_STARTED = _start_time()


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
    watch = state.loop_watch
    parts += [
        _metric(
            "playground_event_loop_lag_seconds",
            "histogram",
            f"How late a timer due every {watch.interval:g} s ran: time the event loop "
            "was kept from every connection.",
            watch.lag.samples(),
        ),
        _metric(
            "playground_gc_pause_seconds",
            "histogram",
            "Garbage collections by generation, each timed; every one stops the loop.",
            [
                sample
                for generation, pauses in sorted(watch.gc_pauses.items())
                for sample in pauses.samples(f'generation="{generation}"')
            ],
        ),
    ]
    parts += _process()
    return PlainTextResponse("\n".join(parts) + "\n", media_type="text/plain; version=0.0.4")


routes = [Route("/metrics", metrics)]
