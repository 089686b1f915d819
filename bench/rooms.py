"""Many rooms: R rooms x C stock clients typing, playground vs the reference server.

Every client appends a marker `rate` times a second for `duration` seconds; every other
client of its room records when it arrives (one Node process holds whole rooms, so one
clock times each update). The same load runs against the playground and against the
reference Node server (`y-websocket@1.5.4` `bin/server.js`, documents in memory only)
in the same run. Prints p50/p99 update latency, missing updates, socket closes, server
CPU (from /proc/PID/stat) and RSS (/proc/PID/status), the CPU the Node clients took,
and the playground's memory per idle room: with every client gone but the rooms still
loaded, and after they unload (`PLAYGROUND_ROOM_IDLE_S`).

The clients share this machine's cores with the server under test. At equal
priority, a burst of their work kept the server's event loop waiting for a core for up
to ~0.5 s at a time, and that set both servers' p99; so they run at nice 10 by default
(`--clients-nice`), and the server takes a core first, as it would if its clients were
elsewhere. Both servers are measured the same way.

All clients come from 127.0.0.1, so the bench turns the per-address connection limit
off (`PLAYGROUND_LIMIT_CONNECTIONS_PER_IP=0`); the default 256 would refuse the rest.

    .venv/bin/python bench/rooms.py                  # 200 rooms x 5, 20 s (~2.5 min)
    .venv/bin/python bench/rooms.py --duration 60    # the issue's figure
    .venv/bin/python bench/rooms.py --rooms 50 --duration 10 --no-reference
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    Sampler,
    Worker,
    add_clients_nice,
    cpu_seconds,
    create_sessions,
    hist_percentiles,
    load_average,
    log_problems,
    loop_pauses,
    merge_hist,
    metric,
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


def drive(
    ws_base: str,
    rooms: list[str],
    per_room: int,
    rate: float,
    duration: float,
    server_pid: int,
    clients_per_worker: int,
    base_url: str | None = None,
    nice: int = 0,
) -> dict[str, Any]:
    """Connects every client, types for `duration`, then leaves. Returns the figures."""
    n_workers = max(1, math.ceil(len(rooms) * per_room / clients_per_worker))
    rss_idle = rss_bytes(server_pid)
    t_connect = time.monotonic()
    workers = [
        Worker.start(ws_base, part, per_room, rate=rate, duration_s=duration, nice=nice)
        for part in split(rooms, n_workers)
    ]
    try:
        ready = [w.wait_for("ready", 150) for w in workers]
        connect_s = time.monotonic() - t_connect
        not_synced = sum(r["not_synced"] for r in ready)
        time.sleep(2)  # let the joins' awareness traffic settle
        rss_connected = rss_bytes(server_pid)
        m0 = metrics(base_url) if base_url else {}
        cpu0 = cpu_seconds(server_pid)
        wcpu0 = [w.cpu() for w in workers]
        t0 = time.monotonic()
        with Sampler(server_pid, 1.0) as sampler:
            for w in workers:
                w.command("start")
            done = [w.wait_for("done", duration + 60) for w in workers]
        wall = time.monotonic() - t0
        typing_cpu = cpu_seconds(server_pid) - cpu0
        client_cpu = sum(w.cpu() - c for w, c in zip(workers, wcpu0, strict=True))
        rss_peak = max(s[1] for s in sampler.samples)
        m1 = metrics(base_url) if base_url else {}
        for w in workers:
            w.command("leave")
        for w in workers:
            w.wait_for("left", 30)
    finally:
        for w in workers:
            w.close()
    hist = merge_hist(done)
    p50, p99, p999 = hist_percentiles(hist, (0.5, 0.99, 0.999))
    closes: dict[str, int] = {}
    for d in done:
        for code, n in d["closes"].items():
            closes[code] = closes.get(code, 0) + n
    return {
        "clients": len(rooms) * per_room,
        "workers": n_workers,
        "connect_s": connect_s,
        "not_synced": not_synced,
        "sent": sum(d["sent"] for d in done),
        "expected": sum(d["expected"] for d in done),
        "missing": sum(d["missing"] for d in done),
        "closes": closes,
        "p50": p50,
        "p99": p99,
        "p999": p999,
        "max": max(hist) if hist else float("nan"),
        "wall": wall,
        "server_cpu": typing_cpu / wall,
        "client_cpu": client_cpu / wall,
        "rss_idle": rss_idle,
        "rss_connected": rss_connected,
        "rss_peak": rss_peak,
        "loop": loop_pauses(m0, m1) if base_url else "",
        "store": {
            k: m1[k] - m0.get(k, 0)
            for k in m1
            if k.startswith("playground_store") or k.startswith("playground_updates")
        },
    }


def per_room_after_restart(ours: Any, sessions: list[str], idle_s: float) -> None:
    """A fresh server process on the same database: loads every typed room once (one
    client joins and leaves), then measures RSS with them loaded and after they unload."""
    stop_playground(ours)
    ours.start(timeout=60)
    pid = ours.proc.pid
    time.sleep(1)
    fresh = rss_bytes(pid)
    worker = Worker.start(ours.ws_url + "/ws/doc", sessions, 1)
    try:
        worker.wait_for("ready", 120)
        worker.command("leave")
        worker.wait_for("left", 30)
    finally:
        worker.close()
    time.sleep(1)
    loaded = metric(ours.url, "playground_rooms") or 0
    rss_loaded = rss_bytes(pid)
    t = time.monotonic()
    while time.monotonic() < t + idle_s + 60 and (metric(ours.url, "playground_rooms") or 0) > 0:
        time.sleep(1)
    time.sleep(2)
    rss_unloaded = rss_bytes(pid)
    if loaded:
        print(
            f"fresh server, same database: {mib(fresh)}; {loaded:.0f} typed rooms loaded, no"
            f" clients: {mib(rss_loaded)} = {(rss_loaded - fresh) / loaded / 1024:.1f} KiB per"
            f" idle room; after they unload: {mib(rss_unloaded)}"
            f" ({(rss_loaded - rss_unloaded) / 1048576:.1f} MiB given back)"
        )


def report(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:<11} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['p999']:>8.1f} {r['max']:>8.0f}"
        f" {r['sent']:>7} {r['missing']:>7} {r['not_synced']:>5}"
        f" {r['server_cpu'] * 100:>6.0f}% {r['client_cpu'] * 100:>6.0f}%"
        f" {mib(r['rss_idle']):>10} {mib(r['rss_connected']):>10} {mib(r['rss_peak']):>10}"
        f"  {r['closes'] or ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--rate", type=float, default=2.0, help="updates/s per client")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of typing")
    parser.add_argument("--clients-per-worker", type=int, default=200)
    parser.add_argument("--idle-s", type=float, default=15.0, help="PLAYGROUND_ROOM_IDLE_S")
    parser.add_argument("--no-reference", action="store_true")
    add_clients_nice(parser)
    args = parser.parse_args()

    print(f"revision {revision()}")
    print(
        f"{args.rooms} rooms x {args.per_room} clients, {args.rate:g} updates/s each,"
        f" {args.duration:g} s; clients at nice {args.clients_nice};"
        f" load average at start {load_average()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ours = start_playground(
            Path(tmp),
            {
                "PLAYGROUND_LIMIT_CONNECTIONS_PER_IP": "0",
                "PLAYGROUND_ROOM_IDLE_S": str(args.idle_s),
            },
        )
        reference = None
        try:
            assert ours.proc is not None
            pid = ours.proc.pid
            sessions = create_sessions(ours.url, args.rooms)
            results: dict[str, dict[str, Any]] = {}
            if not args.no_reference:
                reference, ref_ws = start_reference()
                results["reference"] = drive(
                    ref_ws,
                    [f"bench-{i}-{time.monotonic_ns()}" for i in range(args.rooms)],
                    args.per_room,
                    args.rate,
                    args.duration,
                    reference.pid,
                    args.clients_per_worker,
                    nice=args.clients_nice,
                )
                time.sleep(1)
                results["reference"]["rss_after_leave"] = rss_bytes(reference.pid)
            results["playground"] = drive(
                ours.ws_url + "/ws/doc",
                sessions,
                args.per_room,
                args.rate,
                args.duration,
                pid,
                args.clients_per_worker,
                ours.url,
                nice=args.clients_nice,
            )
            t_left = time.monotonic()
            time.sleep(2)
            loaded = metric(ours.url, "playground_rooms") or 0
            rss_loaded = rss_bytes(pid)
            # Wait for the idle rooms to unload.
            deadline = t_left + args.idle_s + 60
            while time.monotonic() < deadline and (metric(ours.url, "playground_rooms") or 0) > 0:
                time.sleep(1)
            time.sleep(2)
            unloaded_after = time.monotonic() - t_left
            rooms_left = metric(ours.url, "playground_rooms") or 0
            rss_unloaded = rss_bytes(pid)

            print(
                f"{'server':<11} {'p50 ms':>8} {'p99 ms':>8} {'p99.9':>8} {'max':>8}"
                f" {'sent':>7} {'missing':>7} {'unsync':>5} {'srv CPU':>7} {'cli CPU':>7}"
                f" {'RSS idle':>10} {'RSS conn':>10} {'RSS peak':>10}  closes"
            )
            for name, r in results.items():
                report(name, r)
            clients = results["playground"]["clients"]
            print(
                f"clients: {clients} in {results['playground']['workers']} Node processes;"
                f" connect+sync took {results['playground']['connect_s']:.1f} s (playground)"
                + (
                    f", {results['reference']['connect_s']:.1f} s (reference)"
                    if "reference" in results
                    else ""
                )
            )
            if "reference" in results:
                ours_r, ref_r = results["playground"], results["reference"]
                print(
                    f"ratio playground/reference: p50 {ours_r['p50'] / ref_r['p50']:.2f}x"
                    f"  p99 {ours_r['p99'] / ref_r['p99']:.2f}x"
                    f"  server CPU {ours_r['server_cpu'] / max(ref_r['server_cpu'], 1e-9):.2f}x"
                    f"  RSS connected {ours_r['rss_connected'] / ref_r['rss_connected']:.2f}x"
                )
            idle = results["playground"]["rss_idle"]
            print(
                f"playground memory: idle server {mib(idle)}; {loaded:.0f} rooms loaded,"
                f" no clients: {mib(rss_loaded)}; after unload ({rooms_left:.0f} rooms left,"
                f" {unloaded_after:.0f} s after the clients left): {mib(rss_unloaded)}"
            )
            if loaded:
                print(
                    f"  per idle loaded room: {(rss_loaded - rss_unloaded) / loaded / 1024:.1f} KiB"
                    f" (loaded - unloaded), {(rss_loaded - idle) / loaded / 1024:.1f} KiB"
                    f" (loaded - idle server); RSS kept after unload:"
                    f" {(rss_unloaded - idle) / 1024 / 1024:.1f} MiB over the idle server"
                )
            store = results["playground"]["store"]
            writes = store.get("playground_store_write_seconds_count", 0)
            if writes:
                stored = store.get("playground_updates_stored_total", 0)
                busy = store["playground_store_write_seconds_sum"]
                wall = results["playground"]["wall"]
                copies = store.get("playground_store_journal_copy_seconds_count", 0)
                copying = store.get("playground_store_journal_copy_seconds_sum", 0.0)
                print(
                    f"store while typing: {stored:.0f} updates in {writes:.0f} writes"
                    f" ({writes / wall:.0f}/s), mean {busy / writes * 1000:.2f} ms each;"
                    f" journal copies into SQLite: {copies:.0f} ({copies / wall:.0f}/s),"
                    f" mean {copying / max(copies, 1) * 1000:.2f} ms each; the store busy"
                    f" {(busy + copying) / wall * 100:.0f}% of the time"
                )
            print(f"playground's event loop while typing: {results['playground']['loop']}")
            per_room_after_restart(ours, sessions, args.idle_s)
            print_problems(log_problems(ours), f"server log ({save_log(ours, 'rooms')})")
        finally:
            if reference is not None:
                reference.kill()
            stop_playground(ours)


if __name__ == "__main__":
    main()
