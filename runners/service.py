"""`RunnerService`: the execution engine as one long-lived service.

    async with RunnerService(RunnerConfig(...)) as runner:
        ticket = runner.reserve(session_id)          # RateLimited if the queue is full
        result = await runner.execute(ticket, "python", code, control=RunControl(),
                                      on_output=print)

It owns its background tasks (warm-pool refill, reaper), refuses to start twice,
and on exit removes every container it created. The Docker engine may be missing
or vanish at any time: that never raises out of the service's loops; runs then
end with status `error` and a `RuntimeUnavailable` error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from runners.docker_api import DockerAPI
from runners.errors import RunnerError, RuntimeUnavailable, SandboxError
from runners.languages import LANGUAGES, Language, get_language
from runners.output import OutputCallback, OutputCollector, now_ms
from runners.pool import WarmPool
from runners.reaper import reap, reap_forever
from runners.run_control import RunControl
from runners.sandbox import MIN_MEMORY_MB, Limits, Outcome, instance_labels
from runners.scheduler import Scheduler, Ticket

log = logging.getLogger(__name__)

VERSION_LABEL = "playground.version"


@dataclass(frozen=True)
class RunnerConfig:
    """Everything the runner needs from the server's settings."""

    limits: Limits = field(default_factory=Limits)
    concurrency: int = 2
    queue_size: int = 64
    pool_size: int = 1
    image_prefix: str = "playground"
    reap_interval_s: float = 30.0
    languages: tuple[Language, ...] = LANGUAGES


@dataclass(frozen=True)
class LanguageInfo:
    """One entry of `/api/languages`."""

    id: str
    name: str
    version: str
    image: str
    available: bool
    template: str

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "image": self.image,
            "available": self.available,
            "template": self.template,
        }


@dataclass(frozen=True)
class RunResult:
    """How a run ended. `status`: ok, failed, timeout, killed or error."""

    status: str
    exit_code: int | None
    timed_out: bool
    oom_killed: bool
    output_truncated: bool
    started_at: int
    finished_at: int
    duration_ms: int
    error: RunnerError | None = None
    # It ended in its compile step: the compiler refused the program, which never ran.
    compile_failed: bool = False
    # What the program used: CPU time and peak resident memory (None: not measured,
    # as when it never ran or was killed before it ended).
    cpu_ms: int | None = None
    memory_kb: int | None = None


@dataclass
class RunnerStats:
    """Counters for /metrics."""

    runs_by_status: Counter[str] = field(default_factory=Counter)
    # Time from a slot being granted to a started container (a warm one: ~0).
    start_seconds_sum: float = 0.0
    start_count: int = 0


class RunnerService:
    """The execution engine; see the module docstring."""

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self.instance = uuid.uuid4().hex
        self.scheduler = Scheduler(config.concurrency, config.queue_size)
        self.stats = RunnerStats()
        self.started = asyncio.Event()
        self._api = DockerAPI()
        self._tracked: set[str] = set()
        self._labels = instance_labels(self.instance)
        self._pool = WarmPool(
            self._api,
            list(config.languages),
            config.image_prefix,
            config.limits,
            self._labels,
            config.pool_size,
            self._tracked,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._entered = False
        self._docker_ok: tuple[float, bool] = (0.0, False)

    async def __aenter__(self) -> RunnerService:
        if self._entered:
            raise RuntimeError("RunnerService already started")
        self._entered = True
        # The reaper's first sweep (right away) removes what a crashed server left.
        self._tasks = [
            asyncio.create_task(self._pool.run(), name="runner-pool"),
            asyncio.create_task(
                reap_forever(self._api, self.instance, self._tracked, self.config.reap_interval_s),
                name="runner-reaper",
            ),
        ]
        self.started.set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pool.close()
        # Runs still in flight lose their containers here; their `execute` then ends.
        with contextlib.suppress(RunnerError):
            await reap(self._api, self.instance, self._tracked, everything_of_mine=True)
        await self._api.close()

    async def docker_available(self) -> bool:
        """True if the engine answers (cached for one second)."""
        checked_at, ok = self._docker_ok
        if time.monotonic() - checked_at < 1.0:
            return ok
        ok = await self._api.ping()
        if ok and not self._docker_ok[1]:
            self._pool.retry_now()
        self._docker_ok = (time.monotonic(), ok)
        return ok

    async def languages(self) -> list[LanguageInfo]:
        """Every language, `available` when its image is present."""
        docker_ok = await self.docker_available()
        infos = []
        for lang in self.config.languages:
            image = lang.image(self.config.image_prefix)
            labels: dict[str, str] | None = None
            if docker_ok:
                with contextlib.suppress(RunnerError):
                    labels = await self._api.image_labels(image)
            infos.append(
                LanguageInfo(
                    id=lang.id,
                    name=lang.name,
                    image=image,
                    template=lang.template,
                    available=labels is not None,
                    version=(labels or {}).get(VERSION_LABEL, ""),
                )
            )
        return infos

    def pool_idle(self) -> dict[str, int]:
        """Warm sandboxes ready now, per language."""
        return {lang.id: self._pool.idle(lang.id) for lang in self.config.languages}

    async def image_info(self) -> dict[str, LanguageInfo]:
        """The languages whose image is present, by id."""
        return {info.id: info for info in await self.languages() if info.available}

    def reserve(self, session_key: str) -> Ticket:
        """A place for one run of `session_key`; raises `RateLimited` when full."""
        return self.scheduler.admit(session_key)

    async def execute(
        self,
        ticket: Ticket,
        language_id: str,
        code: str,
        *,
        control: RunControl,
        on_output: OutputCallback,
        on_running: Callable[[int], None] | None = None,
        time_limit_s: float | None = None,
        memory_mb: int | None = None,
        output_bytes: int | None = None,
    ) -> RunResult:
        """Run `code` once and return how it ended; output goes to `on_output`.

        Waits for the ticket's slot first (a stop while waiting ends the run as
        `killed`), then calls `on_running(started_at_ms)`. The wall-clock limit
        (the server's, or `time_limit_s` when lower) covers compile and run;
        `memory_mb` and `output_bytes` likewise lower the server's limits, never
        raise them (a lower memory limit takes a fresh container, not a pooled one).
        Raises `UnknownLanguage`; engine failures come back as status `error`.
        """
        try:
            lang = get_language(language_id)
            if not await self._wait_for_slot(ticket, control):
                t = now_ms()
                return RunResult("killed", None, False, False, False, t, t, 0)
            started_at = now_ms()
            if on_running is not None:
                on_running(started_at)
            limits = self.config.limits
            run_limits = replace(
                limits,
                time_limit_s=_lower(limits.time_limit_s, time_limit_s),
                memory_mb=int(_lower(limits.memory_mb, memory_mb, floor=MIN_MEMORY_MB)),
                output_bytes=int(_lower(limits.output_bytes, output_bytes)),
            )
            result = await self._run(lang, code, control, on_output, run_limits, started_at)
            self.stats.runs_by_status[result.status] += 1
            return result
        finally:
            ticket.release()

    async def _wait_for_slot(self, ticket: Ticket, control: RunControl) -> bool:
        if not ticket.queued:
            return True
        slot = asyncio.create_task(ticket.wait())
        stop = asyncio.create_task(control.stopped.wait())
        try:
            await asyncio.wait({slot, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not slot.done():
                slot.cancel()
            await asyncio.gather(slot, stop, return_exceptions=True)
        return slot.done() and not slot.cancelled() and not control.stopped.is_set()

    async def _run(
        self,
        lang: Language,
        code: str,
        control: RunControl,
        on_output: OutputCallback,
        limits: Limits,
        started_at: int,
    ) -> RunResult:
        t0 = time.monotonic()

        def failed(error: RunnerError) -> RunResult:
            elapsed = int((time.monotonic() - t0) * 1000)
            return RunResult(
                "error", None, False, False, False, started_at, started_at + elapsed, elapsed, error
            )

        try:
            sandbox = await self._pool.acquire(lang, limits.memory_mb)
        except RunnerError as exc:
            return failed(exc)
        self.stats.start_seconds_sum += time.monotonic() - t0
        self.stats.start_count += 1
        collector = OutputCollector(limits.output_bytes, on_output)
        control.flush_output = collector.flush
        try:
            outcome = await sandbox.execute(code, control, collector, limits.time_limit_s)
        except (RuntimeUnavailable, SandboxError) as exc:
            return failed(exc)
        finally:
            await asyncio.shield(self._pool.discard(sandbox))
        return _result(outcome, started_at)


def _lower(limit: float, wanted: float | None, *, floor: float = 0) -> float:
    """`wanted` where it is above 0, at least `floor` and under `limit`, else `limit`."""
    return wanted if wanted is not None and 0 < wanted < limit and wanted >= floor else limit


def _result(outcome: Outcome, started_at: int) -> RunResult:
    if outcome.stopped:
        status = "killed"
    elif outcome.timed_out:
        status = "timeout"
    elif outcome.exit_code is None:
        status = "error"
    elif outcome.exit_code == 0 and not outcome.output_truncated:
        status = "ok"
    else:
        status = "failed"
    # Only a failure says anything of the compiler: a run stopped, timed out, out of
    # memory or over the output limit while compiling was cut short, not refused.
    compile_failed = (
        status == "failed"
        and outcome.compiled is False
        and not (outcome.oom_killed or outcome.output_truncated)
    )
    error = None
    if status == "error":
        error = RuntimeUnavailable("the run's container vanished before reporting its exit")
    return RunResult(
        status=status,
        exit_code=outcome.exit_code,
        timed_out=outcome.timed_out,
        oom_killed=outcome.oom_killed,
        output_truncated=outcome.output_truncated,
        started_at=started_at,
        # Not started_at + duration: the wall clock started before the container was
        # ready, and the output's times are read off it; the finish comes after them all.
        finished_at=max(started_at + outcome.duration_ms, now_ms()),
        duration_ms=outcome.duration_ms,
        error=error,
        compile_failed=compile_failed,
        cpu_ms=outcome.usage.cpu_ms if outcome.usage else None,
        memory_kb=outcome.usage.memory_kb if outcome.usage else None,
    )
