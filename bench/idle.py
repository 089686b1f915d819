"""Idle connections: N stock y-websocket clients that connect, sync and then sit still.

The clients (spread over R rooms, several Node processes) connect to the playground
and, in the same run, to the reference Node server (`y-websocket@1.5.4`). Prints each
server's RSS before and after, the bytes per connection, and the CPU the server spends
on connections doing nothing (the playground pings every peer every
`--ws-ping-interval-s`, 1 s by default; stock clients also renew their awareness every
15 s). The per-address connection limit is turned off
(`PLAYGROUND_LIMIT_CONNECTIONS_PER_IP=0`): every client comes from 127.0.0.1.

    .venv/bin/python bench/idle.py                   # 1,000 connections over 100 rooms
    .venv/bin/python bench/idle.py --connections 2000 --hold 60
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    Worker,
    cpu_seconds,
    create_sessions,
    load_average,
    log_problems,
    metric,
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


def hold(
    ws_base: str, rooms: list[str], per_room: int, pid: int, hold_s: float, per_worker: int
) -> dict[str, Any]:
    time.sleep(1)
    before = rss_bytes(pid)
    n_workers = max(1, math.ceil(len(rooms) * per_room / per_worker))
    t0 = time.monotonic()
    workers = [Worker.start(ws_base, part, per_room) for part in split(rooms, n_workers)]
    try:
        ready = [w.wait_for("ready", 150) for w in workers]
        connect_s = time.monotonic() - t0
        time.sleep(3)  # the joins' awareness traffic settles
        after = rss_bytes(pid)
        cpu0, wcpu0, t1 = cpu_seconds(pid), sum(w.cpu() for w in workers), time.monotonic()
        time.sleep(hold_s)
        wall = time.monotonic() - t1
        idle_cpu = (cpu_seconds(pid) - cpu0) / wall
        client_cpu = (sum(w.cpu() for w in workers) - wcpu0) / wall
        held = rss_bytes(pid)
        for w in workers:
            w.command("stats")
        stats = [w.wait_for("stats", 30) for w in workers]
        for w in workers:
            w.command("leave")
        for w in workers:
            w.wait_for("left", 30)
    finally:
        for w in workers:
            w.close()
    time.sleep(2)
    closes: dict[str, int] = {}
    for s in stats:
        for code, n in s["closes"].items():
            closes[code] = closes.get(code, 0) + n
    n = len(rooms) * per_room
    return {
        "n": n,
        "workers": n_workers,
        "synced": n - sum(r["not_synced"] for r in ready),
        "connected": sum(s["connected"] for s in stats),
        "closes": closes,
        "connect_s": connect_s,
        "before": before,
        "after": after,
        "held": held,
        "left": rss_bytes(pid),
        "per_conn": (after - before) / n,
        "idle_cpu": idle_cpu,
        "client_cpu": client_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--hold", type=float, default=20.0, help="seconds held idle")
    parser.add_argument("--clients-per-worker", type=int, default=250)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra server setting"
    )
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    per_room = max(1, args.connections // args.rooms)

    print(f"revision {revision()}; load average at start {load_average()}")
    if extra:
        print(f"server settings: {extra}")
    print(f"{args.rooms * per_room} idle connections over {args.rooms} rooms, held {args.hold:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        ours = start_playground(
            Path(tmp),
            {"PLAYGROUND_LIMIT_CONNECTIONS_PER_IP": "0", "PLAYGROUND_ROOM_IDLE_S": "5", **extra},
        )
        reference = None
        results: dict[str, dict[str, Any]] = {}
        try:
            assert ours.proc is not None
            sessions = create_sessions(ours.url, args.rooms, code="print('hello')\n" * 20)
            if not args.no_reference:
                reference, ref_ws = start_reference()
                results["reference"] = hold(
                    ref_ws,
                    [f"idle-{i}-{time.monotonic_ns()}" for i in range(args.rooms)],
                    per_room,
                    reference.pid,
                    args.hold,
                    args.clients_per_worker,
                )
            results["playground"] = hold(
                ours.ws_url + "/ws/doc",
                sessions,
                per_room,
                ours.proc.pid,
                args.hold,
                args.clients_per_worker,
            )
            clients_left = metric(ours.url, "playground_clients")
            print(
                f"{'server':<11} {'synced':>6} {'conn':>5} {'RSS before':>11} {'RSS conn':>10}"
                f" {'RSS held':>10} {'RSS left':>10} {'per conn':>10} {'idle CPU':>8}"
                f" {'cli CPU':>7}  closes"
            )
            for name, r in results.items():
                print(
                    f"{name:<11} {r['synced']:>6} {r['connected']:>5} {mib(r['before']):>11}"
                    f" {mib(r['after']):>10} {mib(r['held']):>10} {mib(r['left']):>10}"
                    f" {r['per_conn'] / 1024:>6.1f} KiB {r['idle_cpu'] * 100:>7.1f}%"
                    f" {r['client_cpu'] * 100:>6.1f}%  {r['closes'] or ''}"
                )
            if "reference" in results:
                o, f = results["playground"], results["reference"]
                cpu_ratio = (
                    f"{o['idle_cpu'] / f['idle_cpu']:.2f}x"
                    if f["idle_cpu"] >= 0.005
                    else f"n/a (reference {f['idle_cpu'] * 100:.1f}%)"
                )
                print(
                    f"ratio playground/reference: per connection"
                    f" {o['per_conn'] / max(f['per_conn'], 1):.2f}x, idle CPU {cpu_ratio}"
                )
            print(f"playground clients after they left: {clients_left:.0f}")
            print_problems(log_problems(ours), f"server log ({save_log(ours, 'idle')})")
        finally:
            if reference is not None:
                reference.kill()
            stop_playground(ours)


if __name__ == "__main__":
    main()
