"""The boundary to the Docker Engine API.

Every call has a timeout, and every aiodocker/aiohttp error is converted here into
the runner's own exceptions (`RuntimeUnavailable`, `SandboxError`). Containers are
only ever created, never `run` (which pulls a missing image: there is no registry).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiodocker
import aiohttp
from aiodocker.containers import DockerContainer

from runners.errors import RuntimeUnavailable, SandboxError

T = TypeVar("T")

# Seconds per Engine API call; creating and starting are slowest under load.
CALL_TIMEOUT_S = 15.0
KILL_TIMEOUT_S = 3.0


class AttachStream:
    """A container's attached stdin/stdout/stderr, established before it starts."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._stdin_closed = False

    async def read(self) -> tuple[int, bytes] | None:
        """The next (fd, bytes) frame as produced (1 stdout, 2 stderr); None at EOF."""
        try:
            msg = await self._stream.read_out()
        except (aiohttp.ClientError, OSError, RuntimeError):
            return None
        if msg is None:
            return None
        return int(msg.stream), bytes(msg.data)

    async def write(self, data: bytes) -> None:
        """Write to the program's stdin (ignored once stdin is closed)."""
        if self._stdin_closed or not data:
            return
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                await self._stream.write_in(data)
        except (aiohttp.ClientError, OSError, RuntimeError, TimeoutError) as exc:
            raise SandboxError(f"writing to the program's stdin failed: {exc}") from exc

    def close_stdin(self) -> None:
        """Half-close: the program reads EOF (the container has StdinOnce), output flows on."""
        if self._stdin_closed:
            return
        self._stdin_closed = True
        transport = self._transport()
        if transport is not None and transport.can_write_eof():
            transport.write_eof()

    def alive(self) -> bool:
        """False once the engine has closed the connection (container gone)."""
        transport = self._transport()
        return transport is not None and not transport.is_closing()

    async def close(self) -> None:
        """Drop the connection; the engine stops copying output to us."""
        self._stdin_closed = True
        with contextlib.suppress(aiohttp.ClientError, OSError, RuntimeError):
            await self._stream.close()

    def _transport(self) -> asyncio.WriteTransport | None:
        # aiodocker exposes no half-close, so reach the hijacked connection directly.
        resp = getattr(self._stream, "_resp", None)
        conn = getattr(resp, "connection", None)
        transport = getattr(conn, "transport", None)
        return transport


class DockerAPI:
    """An aiodocker client that converts errors and times out every call."""

    def __init__(self) -> None:
        self._docker: aiodocker.Docker | None = None

    async def close(self) -> None:
        """Close the HTTP session to the engine."""
        if self._docker is not None:
            docker, self._docker = self._docker, None
            await docker.close()

    def _client(self) -> aiodocker.Docker:
        if self._docker is None:
            try:
                self._docker = aiodocker.Docker()
            # aiodocker 0.27 asserts (before its ValueError) when no DOCKER_HOST, docker
            # context or socket exists: a container started without the socket mounted.
            except (ValueError, OSError, AssertionError) as exc:
                raise RuntimeUnavailable(f"no Docker engine found: {exc}") from exc
        return self._docker

    def _container(self, container_id: str) -> DockerContainer:
        return _untangled(self._client().containers.container(container_id))

    async def _call(
        self, what: str, make: Callable[[], Awaitable[T]], limit_s: float = CALL_TIMEOUT_S
    ) -> T:
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # when the call fails at the same moment (an engine that is gone fails fast).
            async with asyncio.timeout(limit_s):
                return await make()
        except aiodocker.DockerError as exc:
            if exc.status == 900:  # aiodocker's code for "cannot connect"
                raise RuntimeUnavailable(f"Docker engine unreachable: {exc.message}") from exc
            raise SandboxError(f"Docker {what} failed: {exc.message}") from exc
        except TimeoutError as exc:
            raise RuntimeUnavailable(f"Docker {what} timed out after {limit_s:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RuntimeUnavailable(f"Docker engine unreachable ({what}): {exc}") from exc

    async def ping(self) -> bool:
        """True if the engine answers within 2 s."""
        try:
            await self._call("ping", lambda: self._client().version(), limit_s=2.0)
        except (RuntimeUnavailable, SandboxError):
            return False
        return True

    async def image_labels(self, tag: str) -> dict[str, str] | None:
        """The labels of a local image, or None if it is not present."""
        try:
            info = await self._call("image inspect", lambda: self._client().images.inspect(tag))
        except SandboxError as exc:
            if isinstance(exc.__cause__, aiodocker.DockerError) and exc.__cause__.status == 404:
                return None
            raise
        labels = (info.get("Config") or {}).get("Labels") or {}
        return {str(k): str(v) for k, v in labels.items()}

    async def create(self, config: dict[str, Any], name: str) -> str:
        """Create (never pull) a container; returns its id."""
        try:
            container = _untangled(
                await self._call(
                    "create", lambda: self._client().containers.create(config, name=name)
                )
            )
        except SandboxError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiodocker.DockerError) and cause.status == 404:
                raise RuntimeUnavailable(
                    f"image {config.get('Image')} is not built: run `playground images build`"
                ) from cause
            raise
        return str(container.id)

    async def attach(self, container_id: str) -> AttachStream:
        """Attach stdin/stdout/stderr and wait until the attach is established."""
        container = self._container(container_id)
        stream = container.attach(stdin=True, stdout=True, stderr=True, logs=False)
        # The attach is lazy: establish it now, before start, or early output is lost.
        await self._call("attach", stream._init)
        return AttachStream(stream)

    async def start(self, container_id: str) -> None:
        """Start a created container."""
        container = self._container(container_id)
        await self._call("start", container.start)

    async def kill(self, container_id: str) -> None:
        """SIGKILL the container; an already stopped container is fine."""
        container = self._container(container_id)
        try:
            await self._call("kill", container.kill, limit_s=KILL_TIMEOUT_S)
        except SandboxError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiodocker.DockerError) and cause.status in (404, 409):
                return
            raise

    async def wait(self, container_id: str, limit_s: float) -> None:
        """Until the container has exited, at most `limit_s` seconds."""
        container = self._container(container_id)
        await self._call("wait", container.wait, limit_s=limit_s)

    async def inspect(self, container_id: str) -> dict[str, Any]:
        """The container's inspect document."""
        container = self._container(container_id)
        info = await self._call("inspect", container.show)
        return dict(info)

    async def remove(self, container_id: str) -> None:
        """Force-remove the container (kills it if running); a missing one is fine."""
        container = self._container(container_id)
        try:
            await self._call(
                "remove", lambda: container.delete(force=True, v=True), limit_s=CALL_TIMEOUT_S
            )
        except SandboxError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiodocker.DockerError) and cause.status in (404, 409):
                # 409: removal already in progress.
                return
            raise

    async def list_labelled(self, label: str) -> list[dict[str, Any]]:
        """All containers (running or not) carrying `label` (`key` or `key=value`)."""
        containers = await self._call(
            "list",
            lambda: self._client().containers.list(all=True, filters={"label": [label]}),
        )
        return [dict(_untangled(c)._container) for c in containers]


def _untangled(container: DockerContainer) -> DockerContainer:
    """`container` without its `logs` (nothing here reads logs: output comes through
    the attach stream). aiodocker's handle and its `logs` refer to each other, so every
    handle (six or more a run, one per container listed) outlived its use as cyclic
    garbage, promoted to the oldest generation by the young collections its run went
    through. Under a steady load of runs that was most of what each full collection
    freed, in one pause of the event loop (see bench/README.md, "Soak"); without the
    link, reference counting frees a handle once it is used."""
    container.__dict__.pop("logs", None)
    return container


@asynccontextmanager
async def docker_api() -> AsyncIterator[DockerAPI]:
    """A `DockerAPI` closed on exit."""
    api = DockerAPI()
    try:
        yield api
    finally:
        await api.close()
