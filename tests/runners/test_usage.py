"""Each run reports what its program used: CPU time and peak memory, measured inside
the container, or nothing where the program did not end by itself."""

from __future__ import annotations

import asyncio

import pytest

from runners import RunControl, RunnerService
from tests.runners.conftest import run

pytestmark = pytest.mark.docker

MIB_KB = 1024


async def test_peak_memory_is_what_the_program_touched(runner: RunnerService) -> None:
    small = await run(runner, "python", "print('hi')\n")
    big = await run(runner, "python", "data = b'x' * (120 * 1024 * 1024)\nprint(len(data))\n")
    assert (small.result.status, big.result.status) == ("ok", "ok"), big.stderr
    assert small.result.memory_kb is not None and big.result.memory_kb is not None
    assert 0 < small.result.memory_kb < 60 * MIB_KB
    assert 120 * MIB_KB <= big.result.memory_kb < 200 * MIB_KB


async def test_cpu_time_counts_work_not_waiting(runner: RunnerService) -> None:
    # The busy program stops only once the kernel has charged it 400 ms of CPU; the
    # sleeper waits a second and does next to nothing.
    busy = await run(
        runner, "python", "import time\nwhile time.process_time() < 0.4:\n    pass\nprint('done')\n"
    )
    sleeper = await run(runner, "python", "import time\ntime.sleep(1)\nprint('done')\n")
    assert (busy.stdout, sleeper.stdout) == ("done\n", "done\n")
    assert busy.result.cpu_ms is not None and busy.result.cpu_ms >= 400
    assert sleeper.result.duration_ms >= 1000
    assert sleeper.result.cpu_ms is not None and sleeper.result.cpu_ms < 500


async def test_a_compiled_program_is_measured_without_its_compiler(
    runner: RunnerService,
) -> None:
    # gcc alone takes tens of MiB; the program allocates nothing.
    ran = await run(runner, "c", '#include <stdio.h>\nint main(void) { puts("x"); }\n')
    assert ran.result.status == "ok"
    assert ran.result.memory_kb is not None and ran.result.memory_kb < 8 * MIB_KB


async def test_a_program_printing_a_trailer_of_its_own_cannot_forge_its_usage(
    runner: RunnerService,
) -> None:
    fake = "\\x1eplayground:usage 1 1\\x1e"
    ran = await run(runner, "python", f"print('{fake}')\n")
    assert ran.stdout == "\x1eplayground:usage 1 1\x1e\n"
    assert ran.result.memory_kb is not None and ran.result.memory_kb > 1


async def test_what_a_program_leaves_running_cannot_write_after_it(
    runner: RunnerService,
) -> None:
    # A writer that outlives the program would land after the trailer (or inside it):
    # it is stopped first.
    code = "(while :; do echo late; done) &\nsleep 0.1\necho main\n"
    ran = await run(runner, "bash", code)
    assert ran.result.status == "ok"
    assert "main\n" in ran.stdout and "\x1e" not in ran.stdout
    assert set(ran.stdout.split()) == {"late", "main"}
    assert ran.result.cpu_ms is not None and ran.result.memory_kb is not None


async def test_runs_that_did_not_end_by_themselves_report_no_usage(
    runner: RunnerService,
) -> None:
    timed_out = await run(runner, "bash", "sleep 100\n", time_limit_s=1)
    flooded = await run(runner, "python", "while True:\n    print('y' * 1000)\n")
    control = RunControl()
    stopping = asyncio.get_running_loop().call_later(1.0, control.stop)
    stopped = await run(runner, "python", "import time\ntime.sleep(100)\n", control=control)
    stopping.cancel()
    broken = await run(runner, "c", "int main(void) { return undefined_name; }\n")
    statuses = [r.result.status for r in (timed_out, flooded, stopped, broken)]
    assert statuses == ["timeout", "failed", "killed", "failed"]
    assert broken.result.compile_failed
    for ran in (timed_out, flooded, stopped, broken):
        assert (ran.result.cpu_ms, ran.result.memory_kb) == (None, None), ran.result.status


async def test_a_program_killed_for_memory_reports_its_peak(runner: RunnerService) -> None:
    ran = await run(runner, "python", "data = b'x' * (2 * 1024**3)\n")
    assert ran.result.oom_killed
    limit_kb = runner.config.limits.memory_mb * MIB_KB
    assert ran.result.memory_kb is not None and ran.result.memory_kb >= limit_kb * 3 // 4
