"""Runs under load: S sessions submit R runs each over the run channel, all at once.

Each session has one run-channel socket and keeps one run in flight (the contract
allows one active run per session): it sends `{"type": "run"}`, reads `run_started`,
`output` and `run_finished`, then submits its next run. So the server's queue holds a
run of nearly every session the whole time. Prints whether every run finished (none
lost, statuses), throughput in runs/s against a baseline of one session running alone
in the same run, the queue's fairness (runs completed per session as the bench goes
on; Jain's index, 1.0 = perfectly even), and the editing latency of five stock clients
typing in another room meanwhile, against the same typing before any run (baseline),
with what the server's event loop went through in each (from /metrics: its timer's
wake-ups late by more than 10 and 50 ms, full garbage collections). The typing clients
run at nice 10 (`--clients-nice`, as in bench/rooms.py): the server takes a core first,
as it would if its clients were elsewhere; the Docker daemons keep their own priority.

The per-session and per-address run limits are turned off for the bench
(`PLAYGROUND_LIMIT_RUNS_PER_MINUTE=0`, `..._PER_IP=0`): every socket comes from
127.0.0.1. The warm pool keeps the server's default size (1 per language).

    .venv/bin/python bench/runs.py                          # 20 sessions x 10 runs = 200
    .venv/bin/python bench/runs.py --sessions 5 --runs 4    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets
from benchlib import (
    Worker,
    add_clients_nice,
    cpu_seconds,
    create_sessions,
    hist_percentiles,
    load_average,
    log_problems,
    loop_pauses,
    merge_hist,
    metrics,
    pct,
    print_problems,
    revision,
    save_log,
    start_playground,
    stop_playground,
)

CODE = "import sys\nprint('run', sys.argv)\nprint(sum(range(10000)))\n"


def jain(counts: list[int]) -> float:
    total = sum(counts)
    squares = sum(c * c for c in counts)
    return total * total / (len(counts) * squares) if squares else 1.0


async def session_loop(
    ws_url: str, session_id: str, runs: int, t0: float, log: list[dict[str, Any]]
) -> list[str]:
    """Submits `runs` runs one after the other; appends one record per run to `log`."""
    errors: list[str] = []
    async with websockets.connect(f"{ws_url}/ws/run/{session_id}", max_size=None) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "state", first
        for _ in range(runs):
            submitted = time.monotonic()
            await ws.send(json.dumps({"type": "run", "user": "bench"}))
            record: dict[str, Any] = {"session": session_id, "submitted": submitted - t0}
            deadline = submitted + 300
            while time.monotonic() < deadline:
                frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
                kind = frame["type"]
                if kind == "run_started":
                    status = frame["run"]["status"]
                    record.setdefault("id", frame["run"]["id"])
                    if status == "running" and "running" not in record:
                        record["running"] = time.monotonic() - t0
                elif kind == "output":
                    record.setdefault("first_output", time.monotonic() - t0)
                    record["output_frames"] = record.get("output_frames", 0) + 1
                elif kind == "run_finished":
                    record["finished"] = time.monotonic() - t0
                    record["status"] = frame["run"]["status"]
                    break
                elif kind == "error":
                    errors.append(f"{frame['code']}: {frame['message']}")
                    record["status"] = "error frame " + frame["code"]
                    record["finished"] = time.monotonic() - t0
                    break
            log.append(record)
    return errors


async def run_all(
    ws_url: str, sessions: list[str], runs: int
) -> tuple[list[dict[str, Any]], list[str], float]:
    log: list[dict[str, Any]] = []
    t0 = time.monotonic()
    results = await asyncio.gather(
        *(session_loop(ws_url, s, runs, t0, log) for s in sessions), return_exceptions=True
    )
    errors: list[str] = []
    for r in results:
        if isinstance(r, BaseException):
            errors.append(f"session task failed: {r!r}")
        else:
            errors.extend(r)
    return log, errors, time.monotonic() - t0


def docker_cpu() -> float:
    """CPU seconds of dockerd + containerd (the runs' cost outside the server)."""
    total = 0.0
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            comm = (pid_dir / "comm").read_text().strip()
            if comm in ("dockerd", "containerd") or comm.startswith("containerd-shim"):
                total += cpu_seconds(int(pid_dir.name))
        except OSError:
            continue
    return total


class Typing:
    """Five stock clients typing in one room, measured in windows."""

    def __init__(self, ws_base: str, room: str, window_s: float, nice: int) -> None:
        self.window_s = window_s
        self.worker = Worker.start(ws_base, [room], 5, rate=2.0, duration_s=window_s, nice=nice)
        self.worker.wait_for("ready", 60)

    def window(self) -> dict[str, Any]:
        self.worker.command("start")
        return self.worker.wait_for("done", self.window_s + 60)

    def close(self) -> None:
        self.worker.close()


def summarize_typing(windows: list[dict[str, Any]]) -> tuple[float, float, int, int]:
    hist = merge_hist(windows)
    p50, p99 = hist_percentiles(hist, (0.5, 0.99))
    return p50, p99, sum(w["received"] for w in windows), sum(w["missing"] for w in windows)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_playground(
            Path(tmp),
            {
                "PLAYGROUND_POOL_SIZE": str(args.pool_size),
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE": "0",
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE_PER_IP": "0",
            },
        )
        typing: Typing | None = None
        try:
            assert server.proc is not None
            pid = server.proc.pid
            await asyncio.sleep(5)  # the warm pool fills
            sessions = create_sessions(server.url, args.sessions + 1, code=CODE)
            alone, sessions = sessions[0], sessions[1:]
            edit_room = create_sessions(server.url, 1, code="")[0]
            typing = Typing(server.ws_url + "/ws/doc", edit_room, args.window, args.clients_nice)

            # Baselines: typing with no run anywhere, then one session running alone.
            m0 = metrics(server.url)
            base_windows = [await asyncio.to_thread(typing.window) for _ in range(2)]
            base_loop = loop_pauses(m0, metrics(server.url))
            alone_log, alone_errors, alone_wall = await run_all(
                server.ws_url, [alone], args.alone_runs
            )
            alone_rate = len(alone_log) / alone_wall

            # The load: every session at once, typing windows alongside until it ends.
            m0, cpu0, dcpu0 = metrics(server.url), cpu_seconds(pid), docker_cpu()
            load = asyncio.create_task(run_all(server.ws_url, sessions, args.runs))
            load_windows = []
            while not load.done():
                load_windows.append(await asyncio.to_thread(typing.window))
            log, errors, wall = await load
            server_cpu = (cpu_seconds(pid) - cpu0) / wall
            dock_cpu = (docker_cpu() - dcpu0) / wall
            load_loop = loop_pauses(m0, metrics(server.url))
        finally:
            if typing is not None:
                typing.close()
            code = stop_playground(server)
        problems = log_problems(server)
        log_path = save_log(server, "runs")

    expected = args.sessions * args.runs
    finished = [r for r in log if "finished" in r]
    statuses: dict[str, int] = {}
    for r in log:
        statuses[r.get("status", "lost")] = statuses.get(r.get("status", "lost"), 0) + 1
    ends = sorted(r["finished"] for r in finished)
    total_s = [r["finished"] - r["submitted"] for r in finished]
    waits = [r["running"] - r["submitted"] for r in finished if "running" in r]
    execs = [r["finished"] - r["running"] for r in finished if "running" in r]
    rate = len(finished) / wall
    print(
        f"{len(sessions)} sessions x {args.runs} runs = {expected} submitted; "
        f"{len(finished)} finished, {expected - len(finished)} lost; statuses {statuses}"
    )
    print(
        f"throughput: {rate:.2f} runs/s over {wall:.1f} s; one session alone:"
        f" {alone_rate:.2f} runs/s ({len(alone_log)} runs); ratio {rate / alone_rate:.2f}x"
        f""
    )
    s_total, s_wait, s_exec = sorted(total_s), sorted(waits), sorted(execs)
    print(
        f"per run: submit->finished p50 {pct(s_total, 0.5):.2f} s p99 {pct(s_total, 0.99):.2f} s;"
        f" queued p50 {pct(s_wait, 0.5):.2f} s p99 {pct(s_wait, 0.99):.2f} s;"
        f" running->finished p50 {pct(s_exec, 0.5):.2f} s p99 {pct(s_exec, 0.99):.2f} s"
    )
    # Fairness: runs completed per session at 25/50/75 % of all completions.
    parts = []
    for q in (0.25, 0.5, 0.75):
        if not ends:
            break
        cut = ends[int(q * (len(ends) - 1))]
        counts = [
            sum(1 for r in finished if r["session"] == s and r["finished"] <= cut) for s in sessions
        ]
        parts.append(
            f"{int(q * 100)}%: min {min(counts)} max {max(counts)} Jain {jain(counts):.3f}"
        )
    print("fairness (runs done per session when N% of all were done): " + "; ".join(parts))
    print(
        f"CPU during the load: server {server_cpu * 100:.0f}%,"
        f" dockerd+containerd {dock_cpu * 100:.0f}%"
    )
    b50, b99, bn, bmiss = summarize_typing(base_windows)
    l50, l99, ln, lmiss = summarize_typing(load_windows)
    print(
        f"editing latency in another room (5 clients x 2 updates/s): without runs p50 {b50:.1f} ms"
        f" p99 {b99:.1f} ms ({bn} deliveries, {bmiss} missing); during runs p50 {l50:.1f} ms"
        f" p99 {l99:.1f} ms ({ln} deliveries, {lmiss} missing); ratio p50 {l50 / b50:.2f}x"
        f" p99 {l99 / b99:.2f}x"
    )
    print(f"server loop without runs: {base_loop}")
    print(f"server loop during runs: {load_loop}")
    print(f"errors: {len(errors) + len(alone_errors)} {sorted(set(errors + alone_errors))[:5]}")
    print_problems(problems, f"server exit code {code}; log ({log_path})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10, help="runs per session")
    parser.add_argument("--alone-runs", type=int, default=10, help="baseline: runs of one session")
    parser.add_argument("--pool-size", type=int, default=1, help="PLAYGROUND_POOL_SIZE")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per typing window")
    add_clients_nice(parser)
    args = parser.parse_args()
    print(f"revision {revision()}; load average at start {load_average()}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
