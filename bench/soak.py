"""Soak: typing rooms, idle connections, room churn and runs, all at once, for minutes.

Runs against one playground server for `--minutes`:
- typing: `--rooms` rooms x 5 stock clients at 2 updates/s, measured in 20 s windows;
  each client types on from its own last keystroke, as people do (`--typing prepend`:
  every keystroke at the start of the document, each one an item of its own in the
  history for good); one client per room trims the document past `--max-doc-chars`
  (4,000), so documents stay small (`--max-doc-chars 0` lets them grow);
- idle: `--idle` connections that sync and sit still;
- churn: clients join `--churn-rooms` other rooms in turn and leave, so rooms load and
  unload (`PLAYGROUND_ROOM_IDLE_S=3`) the whole time;
- runs: `--run-sessions` sessions each running a short Python program back to back.
With `--reference`, the same typing load first runs alone against the reference
y-websocket server for the same number of windows: the baseline for the typing figures
(a Yjs document's history grows on every side, so some drift is everyone's).
Samples the server's RSS every 5 s. Afterwards: RSS over time (the slope over the
second half: flat?), the first and last typing windows (baseline: the first), the CPU
the server and the typing clients took in each window, runs by status, containers the
server leaves behind after a clean stop (`docker ps -a` by the server's pid label), and
the warnings/errors in its log, and per window what the server's event loop went
through (its timer's wake-ups late by more than 50 ms, full garbage collections; from
/metrics).

The Node clients share this machine's two cores with the server; they run at nice 10 by
default (`--clients-nice`, as in bench/rooms.py), so the server takes a core first, as
it would if its clients were elsewhere, and the typing figures are the server's. The
Docker daemons serving the runs keep their own priority.

    .venv/bin/python bench/soak.py                 # 2 minutes
    .venv/bin/python bench/soak.py --minutes 10    # the issue's figure
    .venv/bin/python bench/soak.py --minutes 3 --reference
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import websockets
from benchlib import (
    Sampler,
    Worker,
    add_clients_nice,
    collections_by_generation,
    cpu_seconds,
    create_sessions,
    hist_percentiles,
    load_average,
    log_problems,
    loop_figures,
    merge_hist,
    metrics,
    mib,
    print_problems,
    revision,
    rss_bytes,
    save_log,
    split,
    start_playground,
    start_reference,
    stop_playground,
)

CODE = "print('soak')\n"


async def run_loop(ws_url: str, session_id: str, deadline: float, out: dict[str, int]) -> None:
    async with websockets.connect(f"{ws_url}/ws/run/{session_id}") as ws:
        await ws.recv()  # state
        while time.monotonic() < deadline:
            await ws.send(json.dumps({"type": "run", "user": "soak"}))
            out["submitted"] += 1
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
                if frame["type"] == "run_finished":
                    status = "status_" + frame["run"]["status"]
                    out[status] = out.get(status, 0) + 1
                    break
                if frame["type"] == "error":
                    out["error_" + frame["code"]] = out.get("error_" + frame["code"], 0) + 1
                    break
            await asyncio.sleep(0.5)


def churn(ws_base: str, rooms: list[str], deadline: float, out: dict[str, int], nice: int) -> None:
    groups = split(rooms, 3)
    i = 0
    while time.monotonic() < deadline:
        worker = Worker.start(ws_base, groups[i % len(groups)], 2, join_gap_ms=0, nice=nice)
        try:
            ready = worker.wait_for("ready", 60)
            out["joins"] += ready["clients"]
            out["not_synced"] += ready["not_synced"]
            worker.command("leave")
            worker.wait_for("left", 30)
        finally:
            worker.close()
        i += 1
        time.sleep(4)  # longer than PLAYGROUND_ROOM_IDLE_S: the rooms unload


def start_typists(ws_base: str, rooms: list[str], args: argparse.Namespace) -> Worker:
    """5 clients per room, each typing 2 updates/s in windows of `--window` seconds."""
    return Worker.start(
        ws_base,
        rooms,
        5,
        rate=2.0,
        duration_s=args.window,
        max_chars=args.max_doc_chars,
        typing=args.typing,
        nice=args.clients_nice,
    )


def typing_windows(
    worker: Worker,
    deadline: float,
    window_s: float,
    server_pid: int,
    after_each: Callable[[], None] | None = None,
    base_url: str | None = None,
) -> list[dict[str, Any]]:
    """The typing windows until `deadline`, each with the CPU (cores) the server and the
    typing clients took during it (which side slows down when latency drifts) and, given
    the playground's `base_url`, what its event loop went through (`loop_figures`)."""
    windows = []
    while time.monotonic() + window_s < deadline:
        m0 = metrics(base_url) if base_url else {}
        t0, server0, clients0 = time.monotonic(), cpu_seconds(server_pid), worker.cpu()
        worker.command("start")
        window = worker.wait_for("done", window_s + 60)
        wall = time.monotonic() - t0
        window["server_cpu"] = (cpu_seconds(server_pid) - server0) / wall
        window["client_cpu"] = (worker.cpu() - clients0) / wall
        window["loop"] = loop_figures(m0, metrics(base_url)) if base_url else None
        windows.append(window)
        if after_each is not None:
            after_each()
    return windows


def reference_typing(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[float]]:
    """The typing load alone against the reference server: its windows and RSS (MiB)."""
    proc, ws = start_reference()
    worker = start_typists(ws, [f"soak-{i}" for i in range(args.rooms)], args)
    try:
        worker.wait_for("ready", 120)
        deadline = time.monotonic() + args.minutes * 60
        rss: list[float] = []
        windows = typing_windows(
            worker,
            deadline,
            args.window,
            proc.pid,
            lambda: rss.append(rss_bytes(proc.pid) / 1048576),
        )
        return windows, rss
    finally:
        worker.close()
        proc.terminate()
        proc.wait(10)


def window_p50s(windows: list[dict[str, Any]]) -> list[float]:
    """Each window's p50 in ms, at least one histogram bucket (0.1 ms) so ratios hold."""
    return [max(0.1, hist_percentiles(merge_hist([w]), (0.5,))[0]) for w in windows]


def ms_list(values: list[float]) -> str:
    return " ".join(f"{v:.0f}" for v in values)


def containers(pid: int) -> list[str]:
    out = subprocess.run(
        [
            "docker", "ps", "-a", "--format", "{{.Names}} {{.Status}}",
            "--filter", "label=playground.managed=1", "--filter", f"label=playground.pid={pid}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    return [line for line in out.stdout.splitlines() if line.strip()]


def slope_mib_per_min(samples: list[tuple[float, int, float]]) -> float:
    """Least-squares slope of RSS over time."""
    if len(samples) < 3:
        return float("nan")
    ts = [s[0] / 60 for s in samples]
    ys = [s[1] / 1048576 for s in samples]
    mt, my = sum(ts) / len(ts), sum(ys) / len(ys)
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / den if den else 0.0


async def main_async(args: argparse.Namespace) -> None:
    reference = reference_typing(args) if args.reference else None
    with tempfile.TemporaryDirectory() as tmp:
        server = start_playground(
            Path(tmp),
            {
                "PLAYGROUND_LIMIT_CONNECTIONS_PER_IP": "0",
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE": "0",
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE_PER_IP": "0",
                "PLAYGROUND_ROOM_IDLE_S": "3",
                "PLAYGROUND_POOL_SIZE": "1",
            },
        )
        assert server.proc is not None
        pid = server.proc.pid
        ws_doc = server.ws_url + "/ws/doc"
        typing_rooms = create_sessions(server.url, args.rooms)
        idle_rooms = create_sessions(server.url, max(1, args.idle // 10), code="x = 1\n" * 50)
        churn_rooms = create_sessions(server.url, args.churn_rooms, code="y = 2\n" * 50)
        run_sessions = create_sessions(server.url, args.run_sessions, code=CODE)
        await asyncio.sleep(3)
        workers: list[Worker] = []
        runs: dict[str, int] = {"submitted": 0}
        churned = {"joins": 0, "not_synced": 0}
        try:
            with Sampler(pid, 5.0) as sampler:
                idle = Worker.start(ws_doc, idle_rooms, 10, nice=args.clients_nice)
                typing = start_typists(ws_doc, typing_rooms, args)
                workers += [idle, typing]
                idle.wait_for("ready", 120)
                typing.wait_for("ready", 120)
                deadline = time.monotonic() + args.minutes * 60
                tasks = [
                    asyncio.to_thread(
                        typing_windows, typing, deadline, args.window, pid, base_url=server.url
                    ),
                    *(run_loop(server.ws_url, s, deadline, runs) for s in run_sessions),
                ]
                if churn_rooms:
                    tasks.append(
                        asyncio.to_thread(
                            churn, ws_doc, churn_rooms, deadline, churned, args.clients_nice
                        )
                    )
                results = await asyncio.gather(*tasks, return_exceptions=True)
                idle.command("stats")
                idle_stats = idle.wait_for("stats", 30)
                for w in workers:
                    w.command("leave")
                    w.wait_for("left", 30)
                await asyncio.sleep(8)  # rooms unload
            m = metrics(server.url)
        finally:
            for w in workers:
                w.close()
            code = stop_playground(server)
        await asyncio.sleep(3)
        left_over = containers(pid)
        problems = log_problems(server)
        log_path = save_log(server, "soak")

    failures = [r for r in results if isinstance(r, BaseException)]
    windows = results[0] if not isinstance(results[0], BaseException) else []
    samples = sampler.samples
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    print(
        f"{args.minutes:g} min: {args.rooms} typing rooms x 5, {args.idle} idle connections,"
        f" churn over {args.churn_rooms} rooms, {args.run_sessions} sessions running;"
        f" typed documents trimmed past {args.max_doc_chars or 'never'} chars;"
        f" clients at nice {args.clients_nice}"
    )
    print(
        "RSS (MiB) every ~30 s: "
        + " ".join(f"{s[1] / 1048576:.0f}" for s in samples[:: max(1, len(samples) // 20)])
    )
    print(
        f"RSS first {mib(samples[0][1])}, max {mib(max(s[1] for s in samples))}, last"
        f" {mib(samples[-1][1])}; slope over the second half {slope_mib_per_min(half):+.2f} MiB/min"
        f" (whole run {slope_mib_per_min(samples):+.2f})"
    )
    if windows:
        for label, window in (("first", windows[0]), ("last", windows[-1])):
            p50, p99 = hist_percentiles(merge_hist([window]), (0.5, 0.99))
            print(
                f"typing, {label} window: p50 {p50:.1f} ms p99 {p99:.1f} ms,"
                f" {window['received']} deliveries, {window['missing']} missing,"
                f" closes {window['closes']}"
            )
        f50, f99 = hist_percentiles(merge_hist(windows[:1]), (0.5, 0.99))
        l50, l99 = hist_percentiles(merge_hist(windows[-1:]), (0.5, 0.99))
        print("typing p50 per window (ms): " + ms_list(window_p50s(windows)))
        for label, key in (("server", "server_cpu"), ("typing clients'", "client_cpu")):
            print(
                f"{label} CPU per window (% of a core): "
                + " ".join(f"{w[key] * 100:.0f}" for w in windows)
            )
        loops = [w["loop"] for w in windows if w.get("loop")]
        if loops:
            print(
                "server loop per window, wake-ups late > 50 ms: "
                + " ".join(f"{f['late_50']:.0f}" for f in loops)
                + f" (> 10 ms: {sum(f['late_10'] for f in loops):.0f} in all)"
            )
            print(
                "full collections per window (ms in all): "
                + " ".join(f"{f['full']:.0f} ({f['full_ms']:.0f})" for f in loops)
            )
        print(
            "socket closes per window: "
            + " ".join(str(sum(w["closes"].values())) for w in windows)
            + " (cumulative per worker)"
        )
        print(
            f"ratio last/first window: p50 {l50 / f50:.2f}x p99 {l99 / f99:.2f}x;"
            f" missing over all {len(windows)} windows: {sum(w['missing'] for w in windows)}"
        )
    if reference is not None and reference[0]:
        ref_windows, ref_rss = reference
        r50 = window_p50s(ref_windows)
        print(
            "reference, the typing load alone, p50 per window (ms): "
            + ms_list(r50)
            + f" (last/first {r50[-1] / r50[0]:.2f}x); its RSS {ref_rss[0]:.0f} ->"
            f" {ref_rss[-1]:.0f} MiB; missing {sum(w['missing'] for w in ref_windows)}"
        )
        if windows:
            pairs = zip(window_p50s(windows), r50, strict=False)
            ratios = " ".join(f"{o / r:.1f}" for o, r in pairs)
            print(f"typing p50 per window, playground / reference: {ratios}")
    print(f"idle connections still connected at the end: {idle_stats['connected']}/{args.idle}")
    print(f"churn: {churned['joins']} joins, {churned['not_synced']} not synced;"
          f" rooms unloaded {m.get('playground_rooms_unloaded_total', 0):.0f}")  # fmt: skip
    print(f"runs: {runs}")
    print(
        "server's garbage collections over the run, by generation: "
        + ", ".join(
            f"{g}: {n:.0f} ({total * 1e3:.0f} ms)"
            for g, (n, total) in enumerate(collections_by_generation(m))
        )
    )
    print(f"task failures: {[repr(f) for f in failures]}")
    print(f"server exit code {code}; containers left behind: {len(left_over)} {left_over[:5]}")
    print_problems(problems, f"server log ({log_path})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--rooms", type=int, default=40, help="typing rooms (x 5 clients)")
    parser.add_argument("--idle", type=int, default=200, help="idle connections")
    parser.add_argument("--churn-rooms", type=int, default=30)
    parser.add_argument("--run-sessions", type=int, default=4)
    parser.add_argument(
        "--max-doc-chars",
        type=int,
        default=4000,
        help="one client per typing room trims the document past this (0: let it grow)",
    )
    parser.add_argument("--window", type=float, default=20.0, help="seconds per typing window")
    parser.add_argument(
        "--typing",
        choices=("forward", "prepend"),
        default="forward",
        help="where each client types: after its own last keystroke, or at the start",
    )
    add_clients_nice(parser)
    parser.add_argument(
        "--reference",
        action="store_true",
        help="first run the typing load alone against the reference server (the baseline)",
    )
    args = parser.parse_args()
    print(f"revision {revision()}; load average at start {load_average()}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
