"""The engine's own failure modes: no Docker, missing images, leftovers, the pool."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import aiodocker.docker
import pytest
from aiodocker.containers import DockerContainer

from runners import (
    LANGUAGES,
    Limits,
    OutputEvent,
    RunControl,
    RunnerConfig,
    RunnerService,
    Ticket,
)
from runners.docker_api import DockerAPI
from runners.errors import RuntimeUnavailable
from runners.reaper import reap
from runners.sandbox import INSTANCE_LABEL, Sandbox, instance_labels
from tests.runners.conftest import containers_of, run


async def test_without_docker_runs_fail_with_runtime_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    async with RunnerService(RunnerConfig(pool_size=1)) as runner:
        assert await runner.docker_available() is False
        assert all(not info.available for info in await runner.languages())
        ran = await run(runner, "python", "print(1)")
    assert ran.result.status == "error"
    assert isinstance(ran.result.error, RuntimeUnavailable)
    assert ran.result.error.code == "runtime_unavailable"


async def test_without_any_docker_socket_the_engine_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No DOCKER_HOST, no docker context, no socket file (a server container started
    without the socket mounted): unavailable, not an exception out of /healthz."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setattr(aiodocker.docker, "_sock_search_paths", [tmp_path / "docker.sock"])
    async with RunnerService(RunnerConfig(pool_size=0)) as runner:
        assert await runner.docker_available() is False
        ran = await run(runner, "python", "print(1)")
    assert isinstance(ran.result.error, RuntimeUnavailable)


@pytest.mark.docker
async def test_a_missing_image_is_a_clear_error_not_a_pull() -> None:
    config = RunnerConfig(image_prefix="playground-not-built", pool_size=0)
    async with RunnerService(config) as runner:
        infos = await runner.languages()
        assert not any(info.available for info in infos)
        ran = await run(runner, "python", "print(1)")
    assert ran.result.status == "error"
    assert ran.result.error is not None
    assert "playground images build" in ran.result.error.message


@pytest.mark.docker
async def test_the_reaper_removes_containers_of_dead_servers() -> None:
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()
    labels = {**instance_labels("crashed-server"), "playground.pid": str(proc.pid)}
    api = DockerAPI()
    python = next(lang for lang in LANGUAGES if lang.id == "python")
    leftover = await Sandbox.prepare(
        api, python, python.image("playground"), Limits(), labels, tracked=set()
    )
    try:
        assert containers_of(f"{INSTANCE_LABEL}=crashed-server") == [leftover.id[:12]]
        removed = await reap(api, "some-live-server", set())
        assert removed >= 1
        assert containers_of(f"{INSTANCE_LABEL}=crashed-server") == []
    finally:
        await leftover.remove()
        await api.close()


@pytest.mark.docker
async def test_warm_pool_containers_are_used_once_and_removed_on_exit() -> None:
    config = RunnerConfig(
        limits=Limits(time_limit_s=8),
        pool_size=1,
        languages=tuple(lang for lang in LANGUAGES if lang.id in ("python", "bash")),
    )
    async with RunnerService(config) as runner:
        label = f"{INSTANCE_LABEL}={runner.instance}"
        # A file left behind by one run is not there for the next: no reuse.
        first = await run(runner, "bash", "echo secret > /sandbox/left; ls /sandbox")
        second = await run(runner, "bash", "ls /sandbox; cat /sandbox/left 2>&1 || true")
        assert first.result.status == "ok" and "left" in first.stdout
        assert "secret" not in second.stdout
        assert containers_of(label), "the pool keeps warm containers"
    assert containers_of(label) == []


@pytest.mark.docker
async def test_a_run_finishes_after_its_last_output() -> None:
    """The replay shows a run's output up to a moment by the output's times, and the run
    as ended from its `finished_at`: the last words printed just before exiting must fall
    inside the run. With no pool the container is made after `started_at`."""
    config = RunnerConfig(limits=Limits(time_limit_s=8), pool_size=0)
    async with RunnerService(config) as runner:
        for _ in range(2):
            ran = await run(runner, "python", "print('last words')")
            result = ran.result
            assert result.status == "ok" and ran.stdout == "last words\n"
            assert all(result.started_at <= e.t <= result.finished_at for e in ran.events)


@pytest.mark.docker
async def test_a_compile_cut_short_by_the_output_limit_is_not_called_refused() -> None:
    """compile_failed says the compiler refused the program; a compile stopped for its
    torrent of messages did not finish, so it says nothing of the kind."""
    config = RunnerConfig(limits=Limits(time_limit_s=8, output_bytes=300), pool_size=0)
    async with RunnerService(config) as runner:
        undeclared = "".join(f"  x{i};\n" for i in range(200))
        noisy = await run(runner, "c", "int main(void) {\n" + undeclared + "}\n")
        quiet = await run(runner, "c", "int main( {\n")
    assert (noisy.result.status, noisy.result.output_truncated) == ("failed", True)
    assert noisy.result.compile_failed is False
    assert (quiet.result.status, quiet.result.compile_failed) == ("failed", True)


@pytest.mark.docker
async def test_runs_beyond_the_concurrency_limit_wait_queued_then_run() -> None:
    config = RunnerConfig(limits=Limits(time_limit_s=8), pool_size=0, concurrency=1)
    async with RunnerService(config) as runner:
        first_ticket = runner.reserve("a")
        second_ticket = runner.reserve("b")
        assert not first_ticket.queued and second_ticket.queued
        started: list[str] = []
        events: list[OutputEvent] = []

        async def go(ticket: Ticket, name: str) -> str:
            result = await runner.execute(
                ticket,
                "bash",
                f"sleep 0.5; echo {name}",
                control=RunControl(eof=True),
                on_output=events.append,
                on_running=lambda _t: started.append(name),
            )
            return result.status

        statuses = await asyncio.gather(go(first_ticket, "one"), go(second_ticket, "two"))
        assert statuses == ["ok", "ok"]
        assert started == ["one", "two"]
        assert [e.data for e in events] == ["one\n", "two\n"]


@pytest.mark.docker
async def test_a_run_leaves_no_container_handle_to_the_cyclic_collector(
    runner: RunnerService,
) -> None:
    """aiodocker's container handle and its `logs` refer to each other: each handle a
    run made outlived it until a full collection, and under a steady load of runs they
    were most of what each full collection of the server had to free."""
    await run(runner, "bash", "echo warm")  # first-use imports and caches
    gc.collect()
    gc.disable()
    try:
        ran = await run(runner, "bash", "echo hi")
        handles = [o for o in gc.get_objects() if isinstance(o, DockerContainer)]
    finally:
        gc.enable()
    assert ran.result.status == "ok" and ran.stdout == "hi\n"
    assert handles == []
