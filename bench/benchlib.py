"""Helpers shared by the load benchmarks: servers, Node workers, /proc sampling.

Not a test helper: nothing here asserts timings. Every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "tests" / "node"
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
from tests.conftest import ServerProcess, free_port  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

__all__ = ["ServerProcess", "free_port"]


# -- /proc ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (children not included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def revision() -> str:
    """The commit benchmarked, and whether the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "playground",
                "crdt_store",
                "runners",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" + uncommitted server changes" if dirty else "")


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_times() -> tuple[int, int]:
    """(stolen, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return ticks[7], sum(ticks)


def stolen_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the CPU time between two `cpu_times()` that the hypervisor gave to
    other guests. On a virtual machine, a latency tail timed while it was more than a
    percent or two is the host's as much as the server's."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


class Sampler:
    """Samples RSS (and CPU) of one pid every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int, float]] = []  # (t, rss, cpu_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            try:
                self.samples.append(
                    (time.monotonic() - t0, rss_bytes(self.pid), cpu_seconds(self.pid))
                )
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# -- figures --------------------------------------------------------------------------


def mib(n: float) -> str:
    return f"{n / 1048576:.1f} MiB"


def pct(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def hist_percentiles(hist: dict[float, int], ps: Iterable[float]) -> list[float]:
    """Percentiles of a histogram {value: count}."""
    total = sum(hist.values())
    keys = sorted(hist)
    out = []
    for p in ps:
        if total == 0:
            out.append(float("nan"))
            continue
        target = min(total - 1, int(p * total))
        seen = 0
        for k in keys:
            seen += hist[k]
            if seen > target:
                out.append(k)
                break
    return out


def median(values: Iterable[float]) -> float:
    v = list(values)
    return statistics.median(v) if v else float("nan")


# -- servers --------------------------------------------------------------------------


def start_playground(tmp: Path, env: dict[str, str], name: str = "bench") -> ServerProcess:
    server = ServerProcess(tmp / f"{name}.db", env={"PLAYGROUND_LOG_LEVEL": "warning", **env})
    server.start(timeout=60)
    return server


def server_pid(server: ServerProcess) -> int:
    assert server.proc is not None
    return server.proc.pid


def stop_playground(server: ServerProcess) -> int | None:
    if server.proc is None or server.proc.poll() is not None:
        return server.proc.returncode if server.proc else None
    try:
        return server.stop(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        return None


def log_problems(server: ServerProcess) -> list[str]:
    """Warning-or-worse lines of the server log (JSON lines), grouped: "N x level: msg | last
    line of the traceback"."""
    groups: dict[str, int] = {}
    for line in server.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"level": "error", "msg": line} if "Traceback" in line else None
        if not isinstance(entry, dict) or entry.get("level") not in (
            "warning",
            "error",
            "critical",
        ):
            continue
        exc = str(entry.get("exc") or "").strip().splitlines()
        key = f"{entry['level']}: {str(entry.get('msg', '')).strip()[:120]}"
        if exc:
            key += f" | {exc[-1][:160]}"
        groups[key] = groups.get(key, 0) + 1
    return [f"{n} x {key}" for key, n in sorted(groups.items(), key=lambda kv: -kv[1])]


def save_log(server: ServerProcess, name: str) -> Path:
    """Copies the server log out of the temporary directory, for a look afterwards."""
    target = Path(tempfile.gettempdir()) / f"playground-bench-{name}.log"
    target.write_text(server.log())
    return target


def print_problems(problems: list[str], where: str) -> None:
    """The closing lines every bench prints about its server log."""
    print(f"{where}: {len(problems)} kinds of warning/error")
    for line in problems[:10]:
        print("  " + line)


def start_reference(
    script: Path = NODE / "node_modules" / "y-websocket" / "bin" / "server.js",
) -> tuple[subprocess.Popen[bytes], str]:
    """The reference y-websocket 1.5.4 server (documents in memory only), or another
    Node server `script` that takes HOST and PORT the same way."""
    port = free_port()
    proc = subprocess.Popen(
        ["node", str(script)],
        env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc, f"ws://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{script.name} did not start")


def create_sessions(base_url: str, n: int, code: str = "", language: str = "python") -> list[str]:
    ids = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(n):
            r = client.post("/api/sessions", json={"language": language, "code": code})
            r.raise_for_status()
            ids.append(r.json()["id"])
    return ids


def metrics(base_url: str) -> dict[str, float]:
    """/metrics as {"name{labels}": value}."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def metric(base_url: str, name: str) -> float | None:
    return metrics(base_url).get(name)


LAG = "playground_event_loop_lag_seconds"
GC = "playground_gc_pause_seconds"
FULL = 'generation="2"'


def loop_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, Any] | None:
    """What the server's event loop went through between two scrapes of /metrics: its
    timer's wake-ups (`wakeups`) and those late by more than 10 and 50 ms (`late_10`,
    `late_50`), the smallest histogram bound holding them all (`worst`), and the full
    garbage collections (`full`), their total pause in ms (`full_ms`) and the bound
    holding the longest (`longest`). None when /metrics has no loop figures."""

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    def worst(name: str, labels: str) -> tuple[float, dict[float, float], str]:
        """The count, the count at or under each bound, and the smallest bound that
        holds every one, of histogram `name` between the scrapes."""
        count = delta(f"{name}_count{{{labels}}}" if labels else f"{name}_count")
        head = f"{name}_bucket{{{labels + ',' if labels else ''}le="
        within = {
            float(key[len(head) :].strip('"}')): delta(key)
            for key in after
            if key.startswith(head) and "+Inf" not in key
        }
        bound = next((b for b, n in sorted(within.items()) if n == count), None)
        shown = "none" if not count else f"<= {bound * 1e3:g} ms" if bound else "> 2.5 s"
        return count, within, shown

    wakeups, within, lag = worst(LAG, "")
    if not within:
        return None
    full, _, longest = worst(GC, FULL)
    return {
        "wakeups": wakeups,
        "late_10": wakeups - within[0.01],
        "late_50": wakeups - within[0.05],
        "worst": lag,
        "full": full,
        "full_ms": delta(f"{GC}_sum{{{FULL}}}") * 1e3,
        "longest": longest,
    }


def collections_by_generation(m: dict[str, float]) -> list[tuple[float, float]]:
    """The server's garbage collections so far, (count, seconds in all) per generation."""
    return [
        (m.get(f'{GC}_count{{generation="{g}"}}', 0.0), m.get(f'{GC}_sum{{generation="{g}"}}', 0.0))
        for g in range(3)
    ]


def add_clients_nice(parser: argparse.ArgumentParser) -> None:
    """`--clients-nice` (default 10): the Node clients share this machine's cores with
    the server under test; lowered below it, they no longer keep its loop waiting for
    a core, as clients on other machines would not."""
    parser.add_argument(
        "--clients-nice",
        type=int,
        default=10,
        help="the Node clients' niceness: above 0 the server under test runs first when "
        "both want a core, as when its clients are on other machines (0: equal shares)",
    )


def loop_pauses(before: dict[str, float], after: dict[str, float]) -> str:
    """`loop_figures` in one line."""
    f = loop_figures(before, after)
    if f is None:
        return "no loop figures in /metrics"
    return (
        f"late > 10 ms {f['late_10']:.0f}, > 50 ms {f['late_50']:.0f}"
        f" of {f['wakeups']:.0f} wake-ups (worst {f['worst']}); full collections"
        f" {f['full']:.0f}, {f['full_ms']:.0f} ms in all (longest {f['longest']})"
    )


# -- Node workers (bench/clients.mjs) -------------------------------------------------


@dataclass
class Worker:
    """One Node process holding many stock y-websocket clients (bench/clients.mjs)."""

    proc: subprocess.Popen[str]
    rooms: list[str]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        ws_base: str,
        rooms: list[str],
        per_room: int,
        *,
        rate: float = 0.0,
        duration_s: float = 0.0,
        join_gap_ms: float = 2.0,
        max_chars: int = 0,
        typing: str = "prepend",
        nice: int = 0,
    ) -> Worker:
        """`nice` above 0 lowers the workers' CPU priority below the servers' (see
        bench/rooms.py's `--clients-nice`)."""
        config = {
            "ws": ws_base,
            "rooms": rooms,
            "perRoom": per_room,
            "rate": rate,
            "durationS": duration_s,
            "joinGapMs": join_gap_ms,
            "maxChars": max_chars,
            "typing": typing,
        }
        proc = subprocess.Popen(
            [
                *(["nice", "-n", str(nice)] if nice else []),
                "node",
                str(BENCH / "clients.mjs"),
                json.dumps(config),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=NODE,
        )
        return cls(proc, rooms)

    def read(self, timeout: float) -> dict[str, Any]:
        """The next JSON line (blocking, bounded by `timeout`)."""
        assert self.proc.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.daemon = True
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            raise RuntimeError(f"node worker gave no answer within {timeout} s")
        message: dict[str, Any] = json.loads(result[0])
        return message

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.read(max(0.1, deadline - time.monotonic()))
            if message.get("event") == event:
                return message
            self.messages.append(message)

    def command(self, cmd: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def cpu(self) -> float:
        try:
            return cpu_seconds(self.proc.pid)
        except OSError:
            return 0.0

    def rss(self) -> int:
        try:
            return rss_bytes(self.proc.pid)
        except OSError:
            return 0

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)


def split(items: list[str], parts: int) -> list[list[str]]:
    parts = max(1, min(parts, len(items)))
    return [items[i::parts] for i in range(parts)]


def merge_hist(results: Iterable[dict[str, Any]]) -> dict[float, int]:
    hist: dict[float, int] = {}
    for r in results:
        for k, v in r["hist"].items():
            key = float(k) / 10  # 0.1 ms buckets
            hist[key] = hist.get(key, 0) + v
    return hist
