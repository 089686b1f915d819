"""Fixtures shared by every test: the real server in a subprocess, stock Node clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "node"


@contextlib.asynccontextmanager
async def in_process_server(settings: Any) -> AsyncIterator[Any]:
    """The server (`playground.cli.make_server(settings)`, a uvicorn.Server) on this
    test's event loop, started; stopped as SIGTERM would."""
    from playground.cli import make_server

    server = make_server(settings)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event to wait on
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`playground serve` in a subprocess on a free port, with its own SQLite file.

    `stop()` sends SIGTERM, `kill()` SIGKILL; `start()` again reuses port and database,
    as a restarted server would."""

    def __init__(self, db: Path, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        # No warm pool unless a test asks for one: filling it costs CPU at every start,
        # and most tests never run code.
        self.env = {**os.environ, "PLAYGROUND_POOL_SIZE": "0", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = db.with_suffix(".log")
        self.exit_code: int | None = None

    def start(self, timeout: float = 20.0) -> None:
        with self.log_path.open("ab") as log:
            self.proc = self._spawn(log)
        deadline = time.monotonic() + timeout
        self._wait_ready(deadline, timeout)

    def _spawn(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "playground",
                "serve",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.exit_code = self.proc.wait(timeout)
        return self.exit_code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def create_session(self, language: str = "python", **fields: Any) -> dict[str, Any]:
        response = httpx.post(self.url + "/api/sessions", json={"language": language, **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """The real server. `@pytest.mark.pool` gives it a warm container pool, and
    `@pytest.mark.server_env({...})` other settings."""
    env = {"PLAYGROUND_POOL_SIZE": "1"} if request.node.get_closest_marker("pool") else {}
    settings = request.node.get_closest_marker("server_env")
    if settings is not None:
        env.update(settings.args[0])
    proc = ServerProcess(tmp_path / "playground.db", env)
    proc.start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        # A clean stop removes the server's containers (a kill leaves them to the reaper).
        try:
            proc.stop(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    # Whatever a test did to it, the server never let an exception escape to uvicorn.
    assert "Exception in ASGI application" not in proc.log(), proc.log()[-3000:]


class NodeClient:
    """A stock `WebsocketProvider` in a Node process (tests/node/yclient.mjs)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, ws_base: str, session_id: str, name: str = "node") -> NodeClient:
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / "yclient.mjs"),
            ws_base + "/ws/doc",
            session_id,
            name,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=NODE_DIR,
        )
        client = cls(proc)
        ready = await client._read()
        assert ready.get("event") == "ready", ready
        return client

    async def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("node client exited")
        message: dict[str, Any] = json.loads(line)
        return message

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self._ids += 1
        request_id = self._ids
        self.proc.stdin.write((json.dumps({"cmd": cmd, "id": request_id, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        while True:
            message = await self._read()
            if message.get("id") == request_id:
                if not message.get("ok"):
                    raise AssertionError(f"{cmd} failed: {message.get('error')}")
                return message
            self.events.append(message)

    async def text(self) -> str:
        return str((await self.call("text"))["text"])

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.kill()
            await self.proc.wait()


@pytest.fixture
async def node_clients() -> AsyncIterator[list[NodeClient]]:
    """Collects clients started by a test and kills them afterwards."""
    clients: list[NodeClient] = []
    yield clients
    for client in clients:
        await client.close()


async def start_client(
    clients: list[NodeClient], server: ServerProcess, session_id: str, name: str = "node"
) -> NodeClient:
    client = await NodeClient.start(server.ws_url, session_id, name)
    clients.append(client)
    return client


def metric(server: ServerProcess, name: str) -> float:
    """One sample of /metrics (`name` includes its labels); fails when it is absent."""
    for line in httpx.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} is not in /metrics")
