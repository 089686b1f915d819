"""Run → first output byte: the playground's warm pool vs a bare `docker run --rm`.

Starts a real server (temporary database, free port), creates a Python session
holding `print(1)`, then alternates, N times each:
- pool: send `{"type": "run"}` on `/ws/run/{id}` and time the first `output` frame;
- bare: `docker run --rm IMAGE python3 -c 'print(1)'` and time its first stdout byte.
Prints both medians and their ratio (target: pool at most 0.3 times bare).

    .venv/bin/python bench/run_latency.py [-n 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "playground/python:latest"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def pool_run(ws: websockets.ClientConnection) -> float:
    t0 = time.perf_counter()
    await ws.send(json.dumps({"type": "run", "user": "bench"}))
    first: float | None = None
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "output" and first is None:
            first = time.perf_counter() - t0
        if frame["type"] == "error":
            raise RuntimeError(f"run failed: {frame}")
        if frame["type"] == "run_finished":
            if first is None:
                raise RuntimeError(f"no output: {frame}")
            return first


async def bare_run() -> float:
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "docker",
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        "none",
        IMAGE,
        "python3",
        "-c",
        "print(1)",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    await proc.stdout.read(1)
    first = time.perf_counter() - t0
    await proc.stdout.read()
    await proc.wait()
    return first


async def measure(port: int, session_id: str, n: int) -> tuple[list[float], list[float]]:
    """Alternate pool runs and bare runs, `n` of each."""
    pool: list[float] = []
    bare: list[float] = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/run/{session_id}") as ws:
        await ws.recv()  # the state frame
        await bare_run()  # warm the CLI's page cache once
        await asyncio.sleep(3)  # let the warm pool fill
        for _ in range(n):
            pool.append(await pool_run(ws))
            bare.append(await bare_run())
            await asyncio.sleep(0.5)  # the pool refills in the background
    return pool, bare


def main(n: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "playground",
                    "serve",
                    "--port",
                    str(port),
                    "--db",
                    str(Path(tmp) / "bench.db"),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            for _ in range(200):
                try:
                    if httpx.get(url + "/healthz").json().get("docker"):
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            session = httpx.post(
                url + "/api/sessions", json={"language": "python", "code": "print(1)\n"}
            ).json()
            pool, bare = asyncio.run(measure(port, session["id"], n))
        except Exception:
            print(log_path.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(15)
    mp, mb = statistics.median(pool), statistics.median(bare)
    print(f"runs per side: {n}")
    print(
        f"pool  (ws run -> first output frame): median {mp * 1000:7.1f} ms  "
        f"min {min(pool) * 1000:.1f}  max {max(pool) * 1000:.1f}"
    )
    print(
        f"bare  (docker run --rm, first byte):  median {mb * 1000:7.1f} ms  "
        f"min {min(bare) * 1000:.1f}  max {max(bare) * 1000:.1f}"
    )
    print(f"ratio pool/bare: {mp / mb:.3f}  (target <= 0.3)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20, help="runs per side")
    main(parser.parse_args().n)
