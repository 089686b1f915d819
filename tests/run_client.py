"""A run-channel client for the tests (`/ws/run/{session_id}`, JSON frames)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import ServerProcess


class RunSocket:
    """A run-channel client collecting every frame it receives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, server: ServerProcess, session_id: str, query: str = "") -> RunSocket:
        url = f"{server.ws_url}/ws/run/{session_id}{query}"
        ws = await websockets.connect(url, max_size=None)
        return cls(ws)

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, kind: str, timeout: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                self.frames.append(frame)
                if frame["type"] == kind:
                    return frame

    def output(self, run_id: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == "output" and f["run_id"] == run_id]

    async def close(self) -> None:
        await self.ws.close()


def joined(frames: list[dict[str, Any]], stream: str = "stdout") -> str:
    return "".join(f["data"] for f in frames if f["stream"] == stream)
