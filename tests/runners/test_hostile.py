"""Hostile programs: each ends with the right status, the host and engine unharmed."""

from __future__ import annotations

import asyncio

import pytest

from runners import RunControl, RunnerService
from runners.output import MAX_EVENT_BYTES
from tests.runners.conftest import run

pytestmark = pytest.mark.docker


async def still_healthy(runner: RunnerService) -> None:
    """The engine answers and a fresh run works normally."""
    assert await runner.docker_available()
    ran = await run(runner, "python", "print('still here')")
    assert (ran.result.status, ran.stdout) == ("ok", "still here\n")


async def test_fork_bomb_is_contained(runner: RunnerService) -> None:
    # The shell itself exits at once; its descendants hit the pids limit and die
    # with the container.
    ran = await run(runner, "bash", ":(){ :|:& };:\nsleep 2\n", time_limit_s=4)
    assert ran.result.status != "error"
    assert "Resource temporarily unavailable" in ran.stderr
    await still_healthy(runner)


async def test_2_gib_allocation_is_oom_killed(runner: RunnerService) -> None:
    code = "data = b'x' * (2 * 1024**3)\nprint('allocated', len(data))\n"
    ran = await run(runner, "python", code)
    assert ran.result.oom_killed
    assert ran.result.status == "failed"
    assert ran.result.exit_code == 137
    assert "allocated" not in ran.stdout
    await still_healthy(runner)


async def test_infinite_output_is_truncated_at_the_cap(runner: RunnerService) -> None:
    ran = await run(runner, "python", "while True:\n    print('y' * 1000)\n")
    assert ran.result.output_truncated
    assert ran.result.status == "failed"
    total = sum(len(e.data.encode()) for e in ran.events)
    assert 0 < total <= runner.config.limits.output_bytes
    assert all(len(e.data.encode()) <= MAX_EVENT_BYTES for e in ran.events)
    await still_healthy(runner)


@pytest.mark.parametrize("directory", ["/tmp", "/sandbox"])
async def test_filling_the_disk_stops_at_the_tmpfs_size(
    runner: RunnerService, directory: str
) -> None:
    # 4 GiB in 32 MiB files (one file stays under the fsize ulimit).
    code = f"""
import os
chunk = b"\\0" * (32 * 1024 * 1024)
written = 0
try:
    for i in range(128):
        with open(os.path.join({directory!r}, f"fill{{i}}"), "wb") as f:
            f.write(chunk)
        written += len(chunk)
except OSError as exc:
    print("stopped:", exc.strerror, "after", written // 2**20, "MiB")
    raise SystemExit(1)
print("wrote everything")
"""
    ran = await run(runner, "python", code)
    assert ran.result.status == "failed"
    assert "stopped: No space left on device" in ran.stdout
    assert "wrote everything" not in ran.stdout
    await still_healthy(runner)


async def test_one_huge_file_hits_the_file_size_limit(runner: RunnerService) -> None:
    ran = await run(runner, "bash", "head -c 4G /dev/zero > /sandbox/big\necho done $?\n")
    assert "done 0" not in ran.stdout
    await still_healthy(runner)


async def test_sleeping_forever_times_out(runner: RunnerService) -> None:
    ran = await run(runner, "bash", "echo going to sleep\nsleep 100000\n", time_limit_s=2)
    assert ran.result.status == "timeout"
    assert ran.result.timed_out
    assert ran.stdout == "going to sleep\n"
    await still_healthy(runner)


async def test_background_processes_do_not_outlive_the_run(runner: RunnerService) -> None:
    code = "(sleep 100000 &)\nnohup sleep 100000 >/dev/null 2>&1 &\necho main done\n"
    ran = await run(runner, "bash", code)
    assert ran.result.status == "ok"
    assert ran.stdout == "main done\n"
    assert not ran.result.timed_out
    await still_healthy(runner)


async def test_no_network(runner: RunnerService) -> None:
    code = """
import socket
for target in [("1.1.1.1", 53), ("127.0.0.1", 1)]:
    try:
        socket.create_connection(target, timeout=2).close()
        print("connected", target[0])
    except OSError as exc:
        print("blocked", target[0])
try:
    socket.getaddrinfo("example.com", 80)
    print("resolved")
except OSError:
    print("no dns")
interfaces = open("/proc/net/dev").read().split("\\n")[2:]
print("interfaces", sorted(line.split(":")[0].strip() for line in interfaces if line.strip()))
"""
    ran = await run(runner, "python", code)
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout.splitlines() == [
        "blocked 1.1.1.1",
        "blocked 127.0.0.1",
        "no dns",
        "interfaces ['lo']",
    ]


async def test_root_filesystem_secrets_and_privileges_are_out_of_reach(
    runner: RunnerService,
) -> None:
    code = """
try_() { if "$@" 2>/dev/null; then echo "ALLOWED: $*"; else echo "denied: $1"; fi; }
try_ touch /etc/evil
try_ touch /usr/bin/evil
try_ cat /etc/shadow
try_ mount -t tmpfs none /mnt
try_ chown root /sandbox
echo "uid $(id -u)"
echo "setuid files: $(find / -xdev -perm /6000 -type f 2>/dev/null | wc -l)"
grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
"""
    ran = await run(runner, "bash", code)
    assert ran.result.status == "ok"
    assert "ALLOWED" not in ran.stdout
    assert ran.stdout.count("denied:") == 5
    assert "uid 10001" in ran.stdout
    assert "setuid files: 0" in ran.stdout
    assert "CapEff:\t0000000000000000" in ran.stdout
    assert "NoNewPrivs:\t1" in ran.stdout


async def test_invalid_utf8_is_replaced(runner: RunnerService) -> None:
    code = "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe end \\xe2\\x82\\xac\\n')\n"
    ran = await run(runner, "python", code)
    assert ran.result.status == "ok"
    assert ran.stdout == "ok \ufffd\ufffd end \u20ac\n"


async def test_a_600_kb_line_arrives_whole(runner: RunnerService) -> None:
    ran = await run(runner, "python", "print('x' * 600_000)\n")
    assert ran.result.status == "ok"
    assert not ran.result.output_truncated
    assert ran.stdout == "x" * 600_000 + "\n"
    assert all(len(e.data.encode()) <= MAX_EVENT_BYTES for e in ran.events)


async def test_stop_kills_the_run(runner: RunnerService) -> None:
    control = RunControl()
    started = asyncio.Event()

    async def stop_when_running() -> None:
        await started.wait()
        control.stop()

    events: list[str] = []

    def on_output(event: object) -> None:
        events.append(str(event))
        started.set()

    stopper = asyncio.create_task(stop_when_running())
    result = await runner.execute(
        runner.reserve("test"),
        "python",
        "import time\nprint('tick', flush=True)\ntime.sleep(1000)\n",
        control=control,
        on_output=on_output,
    )
    await stopper
    assert result.status == "killed"
    assert not result.timed_out
    await still_healthy(runner)


async def test_stdin_fed_while_running(runner: RunnerService) -> None:
    control = RunControl()
    lines: list[str] = []

    def on_output(event: object) -> None:
        data = event.data  # type: ignore[attr-defined]
        lines.append(data)
        if data.startswith("ready"):
            control.feed(b"first\n")
        elif data.startswith("got first"):
            control.feed(b"second\n")
            control.close_stdin()

    code = "print('ready')\nimport sys\nfor line in sys.stdin:\n    print('got', line.strip())\n"
    result = await runner.execute(
        runner.reserve("test"), "python", code, control=control, on_output=on_output
    )
    assert result.status == "ok"
    assert "".join(lines) == "ready\ngot first\ngot second\n"
