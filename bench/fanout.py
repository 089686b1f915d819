"""Fan-out latency of the playground against the reference y-websocket server.

One typist and N stock `y-websocket` clients in one room, the same Node load driver
against both servers in the same run, alternating. Prints, per server, the p50 and p99
of all samples pooled over the repeats and the median of the per-run p99s, then the
ratios playground / reference and each repeat's own p99 ratio (the spread).

A p99 over N clients is set by the slowest one update in a hundred (one slow update
delays all N samples), so it takes a few hundred updates per run to steady it. Each run
first types `--warmup` updates timed apart: the load driver is a new Node process each
run, and its JIT and first collections slow its first ~100 updates against either
server, the same updates by index whichever server sent them (up to ~140 in a trace of
its slowest updates). With 50 of warm-up those set the p99 by the clients; 300 leave
the measured updates past them. The figures with them included are printed too.

The reference server is a Node process whose JIT warms over its first few thousand
messages: left cold, it is slower in the first repeats than in the last. Before timing,
`--server-warmup` updates are typed to `max(--sizes)` clients in a throwaway room of
each server, so that the repeats compare both in steady state, as a server that has
been up for a while is (0 compares them from a cold start). After 1,000 (5 ms apart),
the reference still got faster through twenty repeats at N = 60 (our p99 ratio on the
wire: median 0.88x over the first ten, 1.05x over the last ten); after 6,000 the
repeats showed no trend. Hence the default, ~30 s per server.

The load driver runs on the same machine as the servers, and on two cores where it
runs decides what is measured: when the scheduler wakes the server on the driver's
core, the server's sends and the driver's reading of them take turns on one core. By
default (`--pin`), with two or more CPUs, both servers run on the first CPU and the
driver on the others, as a server and its remote clients would; `--no-pin` leaves the
placement to the scheduler.

The driver's own garbage collections delay every client of an update at once, whichever
server sent it: by default (`--driver-heap`) its heap is sized so that a run needs no
full collection (see `DRIVER_HEAP`); `--no-driver-heap` keeps V8's defaults.

Each size ends with the share of CPU time the host stole from this virtual machine in
each repeat (`/proc/stat`): a repeat that lost more than a percent or two ran on a
disturbed machine, whichever server it favoured.

`--floor` times a third server in the same rotation: `bench/relay.mjs`, which keeps no
document and forwards each client's bytes to the others. A server can hardly do less for these
clients, so its ratio to the reference is how far under the reference this driver, on
this machine, can show any server to be.

    .venv/bin/python bench/fanout.py [--sizes 20 60] [--repeats 5] [--updates 300]
        [--warmup 300] [--server-warmup 6000] [--pin | --no-pin] [--no-driver-heap] [--floor]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "tests" / "node"
sys.path.insert(0, str(ROOT))
from benchlib import cpu_times, loop_pauses, metrics, start_reference, stolen_share  # noqa: E402
from wire import Tap, turnaround  # noqa: E402

from tests.conftest import ServerProcess  # noqa: E402

# The driver's heap, sized so that a run needs no full collection and few young ones.
# With V8's defaults, one full collection (an incremental marking step of ~12 ms) fell
# around the 200th update of every run, whichever server it ran against, and the
# slowest updates of all three servers clustered there: the driver, not a server, set
# the p99. ~10 MB reach the old space in a run; a young space of 16 MB cuts ~100
# scavenges a run to ~30.
DRIVER_HEAP = (
    "--initial-old-space-size=256",
    "--min-semi-space-size=16",
    "--max-semi-space-size=16",
)


def drive(
    ws_base: str,
    room: str,
    n: int,
    updates: int,
    interval_ms: int,
    warmup: int,
    node_flags: tuple[str, ...],
    wire: bool = False,
) -> dict[str, Any]:
    """One run of the driver; with `wire`, the server's own times read off `lo` too."""
    if wire:
        with Tap(urlsplit(ws_base).port or 80) as tap:
            result = drive(ws_base, room, n, updates, interval_ms, warmup, node_flags)
        return {**result, **turnaround(tap.packets, tap.port, warmup)}
    out = subprocess.run(
        [
            "node",
            *node_flags,
            str(ROOT / "bench" / "fanout.mjs"),
            ws_base,
            room,
            str(n),
            str(updates),
            str(interval_ms),
            str(warmup),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


WHOLE = ("warmup_latencies_ms", "latencies_ms")
WIRE_ENDS = ("wire_first_ms", "wire_last_ms")
# The servers' warm-up is typed faster than the measured updates: it only has to run.
WARMUP_INTERVAL_MS = 5


def percentile(samples: list[float], p: float) -> float:
    """The same rank rule as the driver's: sorted[floor(p * n)]."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def bootstrap_p99_ratio(
    ours: list[dict[str, Any]],
    reference: list[dict[str, Any]],
    key: str = "latencies_ms",
    rounds: int = 1000,
) -> tuple[float, float]:
    """A 95 % interval for the pooled p99 ratio: repeats drawn with replacement, in
    pairs (each repeat ran both servers back to back, on the same machine state)."""
    rng = random.Random(0)
    pairs = len(ours)
    ratios = []
    for _ in range(rounds):
        picks = [rng.randrange(pairs) for _ in range(pairs)]
        mine = [x for i in picks for x in ours[i][key]]
        theirs = [x for i in picks for x in reference[i][key]]
        ratios.append(percentile(mine, 0.99) / max(percentile(theirs, 0.99), 1e-9))
    ratios.sort()
    return ratios[int(0.025 * rounds)], ratios[int(0.975 * rounds) - 1]


def report(n: int, results: dict[str, list[dict[str, Any]]], key: str, label: str) -> None:
    """Each server's p50 and p99 of the samples `key` (all repeats pooled) and the
    median of the repeats' p99s, then each one's ratios to the reference."""
    print(
        f"{'N':>4} {'server':<11} {'p50 ms':>8} {'p99 ms':>8} {'p99/run':>8} {'missing':>8}"
        f"   ({label}p50, p99: all repeats pooled)"
    )
    figures = {}
    for name, runs in results.items():
        pooled = [x for r in runs for x in r[key]]
        p99s = [percentile(r[key], 0.99) for r in runs]
        figures[name] = (percentile(pooled, 0.5), percentile(pooled, 0.99), statistics.median(p99s))
        missing = sum(r["missing"] for r in runs)
        p50, p99, p99_run = figures[name]
        print(f"{n:>4} {name:<11} {p50:>8.2f} {p99:>8.2f} {p99_run:>8.2f} {missing:>8}")
    for name in (name for name in results if name != "reference"):
        mine, ref_f = figures[name], figures["reference"]
        ratios = [o / max(r, 1e-9) for o, r in zip(mine, ref_f, strict=True)]
        shown = " ".join(f"{x:>7.2f}x" for x in ratios)
        print(f"{n:>4} ratio       {shown}           ({name}/reference)")
        per_run = [
            percentile(o[key], 0.99) / max(percentile(r[key], 0.99), 1e-9)
            for o, r in zip(results[name], results["reference"], strict=True)
        ]
        print(
            f"{n:>4} {name}/reference p99 of each repeat: " + " ".join(f"{x:.2f}x" for x in per_run)
        )
        low, high = bootstrap_p99_ratio(results[name], results["reference"], key)
        print(
            f"{n:>4} {name}/reference pooled p99, 95% bootstrap interval: {low:.2f}x .. {high:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 60])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--interval-ms", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=300, help="updates typed before timing")
    parser.add_argument(
        "--server-warmup",
        type=int,
        default=6000,
        help="updates typed to each server before the first repeat, in a throwaway room",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time bench/relay.mjs, a relay that keeps no document: the floor any "
        "server can reach with this driver on this machine",
    )
    parser.add_argument(
        "--wire",
        action="store_true",
        help="also time each server's own fan-out off the loopback interface "
        "(bench/wire.py; needs root)",
    )
    parser.add_argument(
        "--driver-heap",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a driver heap that needs no full collection during a run (V8's defaults: no)",
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="servers on the first CPU, the load driver on the others",
    )
    args = parser.parse_args()

    flags = DRIVER_HEAP if args.driver_heap else ()
    cpus = sorted(os.sched_getaffinity(0))
    pinned = args.pin and len(cpus) >= 2
    if pinned:
        # Both servers inherit this; the driver, started later, the rest.
        os.sched_setaffinity(0, cpus[:1])
        print(f"servers on CPU {cpus[0]}, load driver on CPU {', '.join(map(str, cpus[1:]))}")
    else:
        print(f"no pinning: servers and load driver share CPUs {', '.join(map(str, cpus))}")
    with tempfile.TemporaryDirectory() as tmp:
        ours = ServerProcess(Path(tmp) / "bench.db", env={"PLAYGROUND_LOG_LEVEL": "warning"})
        ours.start()
        reference, reference_ws = start_reference()
        relay, relay_ws = None, ""
        names: tuple[str, ...] = ("playground", "reference")
        if args.floor:
            relay, relay_ws = start_reference(ROOT / "bench" / "relay.mjs")
            names += ("relay",)
        if pinned:
            os.sched_setaffinity(0, cpus[1:])

        def new_room(name: str) -> tuple[str, str]:
            """A fresh room of one server: its WebSocket base and the room's name."""
            if name == "playground":
                return ours.ws_url + "/ws/doc", ours.create_session(code="")["id"]
            return reference_ws if name == "reference" else relay_ws, f"bench-{time.monotonic_ns()}"

        try:
            if args.server_warmup:
                n = max(args.sizes)
                for name in names:
                    drive(*new_room(name), n, args.server_warmup, WARMUP_INTERVAL_MS, 0, flags)
                print(f"servers warmed: {args.server_warmup} updates to {n} clients each")
            for n in args.sizes:
                results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
                stolen, loops = [], []
                for repeat in range(args.repeats):
                    # Rotate the order so no server always runs on a warmer machine.
                    shift = repeat % len(names)
                    before = cpu_times()
                    for name in names[shift:] + names[:shift]:
                        room = new_room(name)
                        scraped = metrics(ours.url) if name == "playground" else {}
                        results[name].append(
                            drive(
                                *room,
                                n,
                                args.updates,
                                args.interval_ms,
                                args.warmup,
                                flags,
                                args.wire,
                            )
                        )
                        if name == "playground":
                            loops.append(loop_pauses(scraped, metrics(ours.url)))
                    stolen.append(stolen_share(before, cpu_times()))
                report(n, results, "latencies_ms", "")
                if args.wire:
                    report(n, results, "wire_ms", "server's own, on the wire: ")
                    further: dict[str, float] = {}
                    for name, runs in results.items():
                        first, last = ([x for r in runs for x in r[k]] for k in WIRE_ENDS)
                        updates = sum(r["wire_updates"] for r in runs)
                        compressed = sum(r["wire_compressed"] for r in runs)
                        print(
                            f"{n:>4} {name}: to the first receiver p50 "
                            f"{percentile(first, 0.5):.2f} ms, p99 {percentile(first, 0.99):.2f}"
                            f" ms; to the last p50 {percentile(last, 0.5):.2f} ms, p99 "
                            f"{percentile(last, 0.99):.2f} ms; {updates} updates seen on the "
                            f"wire, {compressed} compressed"
                        )
                        further[name] = (
                            (percentile(last, 0.5) - percentile(first, 0.5)) / max(n - 1, 1) * 1e3
                        )
                    print(
                        f"{n:>4} each further receiver (last - first, p50, / {n - 1}): "
                        + ", ".join(f"{name} {us:.1f} us" for name, us in further.items())
                        + "".join(
                            f"; {name}/reference {us / max(further['reference'], 1e-9):.2f}x"
                            for name, us in further.items()
                            if name != "reference"
                        )
                    )
                for repeat, summary in enumerate(loops, 1):
                    print(f"{n:>4} playground's event loop, repeat {repeat}: {summary}")
                print(
                    f"{n:>4} CPU stolen by the host in each repeat: "
                    + " ".join(f"{x:.1%}" for x in stolen)
                    + f" (median {statistics.median(stolen):.1%})"
                )
                if args.warmup:
                    whole = {
                        name: percentile([x for r in runs for key in WHOLE for x in r[key]], 0.99)
                        for name, runs in results.items()
                    }
                    ours_p99, ref_p99 = whole["playground"], whole["reference"]
                    print(
                        f"{n:>4} p99 with the warm-up included: {ours_p99:.2f} vs {ref_p99:.2f} ms"
                        f" ({ours_p99 / max(ref_p99, 1e-9):.2f}x)"
                    )
        finally:
            reference.kill()
            if relay is not None:
                relay.kill()
            ours.kill()


if __name__ == "__main__":
    main()
