"""Fixtures for the execution engine: a real `RunnerService` on the real Docker engine."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest

from runners import Limits, OutputEvent, RunControl, RunnerConfig, RunnerService, RunResult
from runners.sandbox import INSTANCE_LABEL

# Short enough to keep the suite quick, long enough for any compiler here.
TEST_TIME_LIMIT_S = 8.0


@dataclass
class Ran:
    """A finished run as a user sees it."""

    result: RunResult
    events: list[OutputEvent]

    @property
    def stdout(self) -> str:
        return "".join(e.data for e in self.events if e.stream == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(e.data for e in self.events if e.stream == "stderr")


def containers_of(label: str) -> list[str]:
    """Ids of all containers (running or not) carrying `label`."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={label}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


async def run(
    runner: RunnerService,
    language: str,
    code: str,
    stdin: str = "",
    *,
    eof: bool = True,
    time_limit_s: float | None = None,
    control: RunControl | None = None,
    on_output: Callable[[list[OutputEvent]], None] | None = None,
) -> Ran:
    """Run `code` through the service and collect its output; `on_output` sees the
    events so far after each one."""
    events: list[OutputEvent] = []

    def collect(event: OutputEvent) -> None:
        events.append(event)
        if on_output is not None:
            on_output(events)

    control = control or RunControl(stdin.encode(), eof=eof)
    result = await runner.execute(
        runner.reserve("test"),
        language,
        code,
        control=control,
        on_output=collect,
        time_limit_s=time_limit_s,
    )
    seqs = [e.seq for e in events]
    assert seqs == list(range(len(events))), "seq must count from 0 without gaps"
    return Ran(result, events)


async def converse(
    runner: RunnerService, language: str, code: str, replies: Sequence[tuple[str, str]]
) -> Ran:
    """Run `code` and answer it: whenever its stdout so far ends with the next
    reply's prompt, that reply's text is fed to stdin; stdin closes after the last.

    A program whose output waits in a buffer never gets its input: it runs into the
    time limit instead.
    """
    control = RunControl()
    pending = list(replies)

    def answer(events: list[OutputEvent]) -> None:
        stdout = "".join(e.data for e in events if e.stream == "stdout")
        if pending and stdout.endswith(pending[0][0]):
            control.feed(pending.pop(0)[1].encode())
            if not pending:
                control.close_stdin()

    return await run(runner, language, code, control=control, on_output=answer)


@pytest.fixture
async def runner() -> AsyncIterator[RunnerService]:
    """A runner with no warm pool: every run gets a fresh container."""
    config = RunnerConfig(limits=Limits(time_limit_s=TEST_TIME_LIMIT_S), pool_size=0)
    async with RunnerService(config) as service:
        if not await service.docker_available():
            pytest.fail("no Docker engine answers: run scripts/ensure-docker.sh")
        missing = [i.id for i in await service.languages() if not i.available]
        assert not missing, f"images missing for {missing}: run `playground images build`"
        yield service
        # Every run's container is gone as soon as the run has ended.
        assert containers_of(f"{INSTANCE_LABEL}={service.instance}") == []
    assert containers_of(f"{INSTANCE_LABEL}={service.instance}") == []
