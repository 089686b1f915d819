"""The warm pool: started containers per language, waiting for a program.

Each sandbox is used for one run and then destroyed, never reused. A background
loop refills the pool after every take, one container at a time (the machine's
cores belong to the runs first); when the pool is empty a run prepares its own.
A language whose image is missing or whose engine is unreachable is retried later.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque

from runners.docker_api import DockerAPI
from runners.errors import RuntimeUnavailable, SandboxError
from runners.languages import Language
from runners.sandbox import Limits, Sandbox

log = logging.getLogger(__name__)

# A sandbox idle this long is replaced (its attach connection may have gone stale).
MAX_IDLE_S = 600.0
RETRY_S = 30.0


class WarmPool:
    """Keeps `size` prepared sandboxes per language; `run()` is its refill loop."""

    def __init__(
        self,
        api: DockerAPI,
        languages: list[Language],
        image_prefix: str,
        limits: Limits,
        labels: dict[str, str],
        size: int,
        tracked: set[str],
    ) -> None:
        self._api = api
        self._languages = languages
        self._prefix = image_prefix
        self._limits = limits
        self._labels = labels
        self.size = max(0, size)
        self._tracked = tracked
        self._idle: dict[str, deque[Sandbox]] = {lang.id: deque() for lang in languages}
        self._retry_at: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._closed = False

    def idle(self, language_id: str) -> int:
        """Sandboxes ready for `language_id` right now."""
        return len(self._idle.get(language_id, ()))

    async def acquire(self, lang: Language, memory_mb: int | None = None) -> Sandbox:
        """A sandbox for one run of `lang`: a warm one if ready, else a fresh one. With
        a `memory_mb` other than the pool's, always a fresh one made with it (a pooled
        container's limit, and the runtime heap sizes set from it, are fixed)."""
        if memory_mb is not None and memory_mb != self._limits.memory_mb:
            return await self.prepare(lang, memory_mb=memory_mb)
        idle = self._idle.setdefault(lang.id, deque())
        while idle:
            sandbox = idle.popleft()
            self._wake.set()
            if sandbox.usable():
                return sandbox
            await self._discard(sandbox)
        return await self.prepare(lang)

    async def prepare(
        self, lang: Language, *, warm: bool = False, memory_mb: int | None = None
    ) -> Sandbox:
        """A fresh sandbox for `lang`, tracked until it is discarded. `warm`: with the
        language's warm compiler, which needs the time a sandbox waits in the pool to
        pay off (a run that cannot wait compiles as usual). `memory_mb`: instead of
        the pool's memory limit."""
        limits = self._limits
        if memory_mb is not None:
            limits = dataclasses.replace(limits, memory_mb=memory_mb)
        sandbox = await Sandbox.prepare(
            self._api,
            lang,
            lang.image(self._prefix),
            limits,
            self._labels,
            self._tracked,
            warm=warm,
        )
        return sandbox

    async def discard(self, sandbox: Sandbox) -> None:
        """Remove a used (or broken) sandbox's container."""
        await self._discard(sandbox)

    async def _discard(self, sandbox: Sandbox) -> None:
        await sandbox.remove()

    async def run(self) -> None:
        """Refill forever; cancel to stop (then call `close`)."""
        if self.size == 0:
            return
        while not self._closed:
            self._wake.clear()
            await self._fill_once()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await self._wake.wait()

    async def _fill_once(self) -> None:
        now = time.monotonic()
        for lang in self._languages:
            idle = self._idle[lang.id]
            for sandbox in list(idle):
                if not sandbox.usable() or now - sandbox.prepared_at > MAX_IDLE_S:
                    idle.remove(sandbox)
                    await self._discard(sandbox)
        # Emptiest language first, so a burst on one language is refilled first.
        for lang in sorted(self._languages, key=lambda lang: len(self._idle[lang.id])):
            while len(self._idle[lang.id]) < self.size and not self._closed:
                if self._retry_at.get(lang.id, 0.0) > time.monotonic():
                    break
                try:
                    sandbox = await self.prepare(lang, warm=True)
                except (RuntimeUnavailable, SandboxError) as exc:
                    log.info(
                        "warm pool: %s unavailable, retrying in %gs: %s", lang.id, RETRY_S, exc
                    )
                    self._retry_at[lang.id] = time.monotonic() + RETRY_S
                    break
                if self._closed:
                    await self._discard(sandbox)
                    return
                self._idle[lang.id].append(sandbox)

    def retry_now(self) -> None:
        """Forget failures (e.g. after images were built) and refill."""
        self._retry_at.clear()
        self._wake.set()

    async def close(self) -> None:
        """Remove every idle sandbox."""
        self._closed = True
        idle = [s for queue in self._idle.values() for s in queue]
        for queue in self._idle.values():
            queue.clear()
        await asyncio.gather(*(self._discard(s) for s in idle), return_exceptions=True)
