"""permessage-deflate: bytes on the wire and latency, typing and large syncs.

Three playground servers in the same run: the default (compression on for messages
from `PLAYGROUND_WS_COMPRESSION_MIN_BYTES`, 1 KiB), `..._MIN_BYTES=0` (every message
compressed) and `PLAYGROUND_WS_COMPRESSION=false` (the baseline). Clients reach each
through a byte-counting TCP proxy on 127.0.0.1 in the driver, so the bytes are what
crosses the wire (HTTP upgrade, WebSocket framing and all). Two workloads, alternated
between the servers `--repeats` times:
- typing: one typist types real source code one character per update (plus a cursor
  move in awareness, as y-codemirror does) every `--interval-ms`; N receivers time it.
  Twice: with stock Node clients (`ws` inflates on libuv's thread pool, ten messages
  at a time per process) and with Python clients that inflate in line, as browsers do
  (`bench/pyclients.py`);
- sync: a session holding `--doc-kib` KiB of real Python source; stock clients join one
  after the other, each timed until synced.
Prints medians per server and the ratios against compression off. The typing workload
also runs against the reference Node server (`y-websocket@1.5.4`, no compression).

    .venv/bin/python bench/compression.py
    .venv/bin/python bench/compression.py --receivers 60 --updates 400 --repeats 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path
from typing import Any

from benchlib import (
    BENCH,
    NODE,
    free_port,
    load_average,
    log_problems,
    print_problems,
    revision,
    start_playground,
    start_reference,
    stop_playground,
)


class CountingProxy:
    """127.0.0.1:port -> 127.0.0.1:target, counting bytes each way (its own thread)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.up = 0  # client -> server
        self.down = 0  # server -> client
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, upward: bool) -> None:
            try:
                while data := await src.read(65536):
                    if upward:
                        self.up += len(data)
                    else:
                        self.down += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    def reset(self) -> None:
        self.up = self.down = 0

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def source_text(kib: int) -> str:
    """Real Python source from the standard library, cut to `kib` KiB."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts, size = [], 0
    for path in sorted(stdlib.glob("*.py")):
        text = path.read_text(errors="replace")
        parts.append(text)
        size += len(text.encode())
        if size >= kib * 1024:
            break
    data = "".join(parts).encode()[: kib * 1024]
    return data.decode(errors="ignore")


def run_json(cmd: list[str], cwd: Path) -> dict[str, Any]:
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=300, cwd=cwd)
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def node(*args: str) -> dict[str, Any]:
    return run_json(["node", str(BENCH / "compression.mjs"), *args], NODE)


def python_clients(*args: str) -> dict[str, Any]:
    return run_json([sys.executable, str(BENCH / "pyclients.py"), *args], BENCH)


SERVERS = {
    "default": {},
    "all": {"PLAYGROUND_WS_COMPRESSION_MIN_BYTES": "0"},
    "off": {"PLAYGROUND_WS_COMPRESSION": "false"},
}
KEYS = ("t_up", "t_down", "t50", "t99", "p50", "p99", "s_down", "s50", "miss")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receivers", type=int, default=20)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--interval-ms", type=int, default=50)
    parser.add_argument("--doc-kib", type=int, default=200)
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"revision {revision()}; load average at start {load_average()}")

    with tempfile.TemporaryDirectory() as tmp:
        typed_file = Path(tmp) / "typed.py"
        typed_file.write_text(source_text(16))
        big = source_text(args.doc_kib)
        servers = {name: start_playground(Path(tmp), env, name) for name, env in SERVERS.items()}
        reference, reference_ws = start_reference()
        proxies = {name: CountingProxy(s.port) for name, s in servers.items()}
        proxies["reference"] = CountingProxy(int(reference_ws.rsplit(":", 1)[1]))
        results: dict[str, dict[str, list[float]]] = {
            name: {k: [] for k in KEYS} for name in proxies
        }
        typing_args = [str(args.receivers), str(args.updates), str(args.interval_ms)]
        try:
            for repeat in range(args.repeats):
                for name in proxies:
                    proxy, r = proxies[name], results[name]
                    server = servers.get(name)
                    if server is None:  # the reference: any room name, no preloaded document
                        ws, rooms = f"ws://127.0.0.1:{proxy.port}", [f"t{repeat}", f"p{repeat}"]
                    else:
                        ws = f"ws://127.0.0.1:{proxy.port}/ws/doc"
                        rooms = [server.create_session(code="")["id"] for _ in range(2)]
                    proxy.reset()
                    typing = node("typing", ws, rooms[0], *typing_args, str(typed_file))
                    r["t_up"].append(proxy.up)
                    r["t_down"].append(proxy.down)
                    r["t50"].append(typing["p50_ms"])
                    r["t99"].append(typing["p99_ms"])
                    inline = python_clients(ws, rooms[1], *typing_args, str(typed_file))
                    r["p50"].append(inline["p50_ms"])
                    r["p99"].append(inline["p99_ms"])
                    r["miss"].append(typing["missing"] + inline["missing"])
                    if server is None:
                        continue
                    room = server.create_session(code=big)["id"]
                    proxy.reset()
                    sync = node("sync", ws, room, str(args.joins))
                    if sync["length"] != len(big):
                        raise RuntimeError(f"synced {sync['length']} chars of {len(big)}")
                    r["s_down"].append(proxy.down / args.joins)
                    r["s50"].append(sync["p50_ms"])
        finally:
            for proxy in proxies.values():
                proxy.close()
            reference.kill()
            for server in servers.values():
                stop_playground(server)
            problems = {name: log_problems(s) for name, s in servers.items()}

    med = {
        name: {k: statistics.median(v) if v else float("nan") for k, v in r.items()}
        for name, r in results.items()
    }
    n_msgs = args.updates * (args.receivers + 1)
    print(
        f"typing: 1 typist + {args.receivers} receivers, {args.updates} one-character updates"
        f" every {args.interval_ms} ms (+ a cursor move each); medians of {args.repeats};"
        " bytes of the stock-client run"
    )
    print(
        f"{'server':<10} {'bytes down':>11} {'bytes up':>9} {'B/recv/upd':>10}"
        f" {'Node p50':>9} {'Node p99':>9} {'inline p50':>10} {'inline p99':>10} {'missing':>7}"
    )
    for name, m in med.items():
        per = m["t_down"] / n_msgs
        print(
            f"{name:<10} {m['t_down']:>11.0f} {m['t_up']:>9.0f} {per:>10.1f}"
            f" {m['t50']:>9.2f} {m['t99']:>9.2f} {m['p50']:>10.2f} {m['p99']:>10.2f}"
            f" {sum(results[name]['miss']):>7.0f}"
        )
    off = med["off"]
    for name in ("default", "all"):
        m = med[name]
        print(
            f"ratio {name}/off: bytes down {m['t_down'] / off['t_down']:.2f}x,"
            f" up {m['t_up'] / off['t_up']:.2f}x; Node clients p50 {m['t50'] / off['t50']:.2f}x"
            f" p99 {m['t99'] / off['t99']:.2f}x; inline clients p50 {m['p50'] / off['p50']:.2f}x"
            f" p99 {m['p99'] / off['p99']:.2f}x"
        )
    ref = med["reference"]
    print(
        f"ratio default/reference: bytes down {med['default']['t_down'] / ref['t_down']:.2f}x;"
        f" Node clients p50 {med['default']['t50'] / ref['t50']:.2f}x"
        f" p99 {med['default']['t99'] / ref['t99']:.2f}x;"
        f" inline clients p50 {med['default']['p50'] / ref['p50']:.2f}x"
        f" p99 {med['default']['p99'] / ref['p99']:.2f}x"
    )
    print(
        f"initial sync of a {len(big.encode()) / 1024:.0f} KiB document"
        f" ({args.joins} stock clients joining one after the other):"
    )
    for name in servers:
        m = med[name]
        print(f"{name:<10} {m['s_down'] / 1024:>8.1f} KiB per join  sync p50 {m['s50']:>7.1f} ms")
    for name in ("default", "all"):
        m = med[name]
        print(
            f"ratio {name}/off: bytes {m['s_down'] / off['s_down']:.2f}x,"
            f" sync time {m['s50'] / off['s50']:.2f}x"
        )
    for name, lines in problems.items():
        print_problems(lines, f"server '{name}' log")


if __name__ == "__main__":
    main()
