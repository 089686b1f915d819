"""Lua in the sandbox: output that streams, and a run command the program cannot see."""

from __future__ import annotations

import pytest

from runners import RunnerService
from tests.runners.conftest import converse, run

pytestmark = pytest.mark.docker

# Standard output to a pipe is fully buffered in C; print() flushes, io.write() does not.
PROMPTS = {
    "print": 'print("ready")\nfor line in io.lines() do print("got " .. line) end\n',
    "io.write": 'io.write("ready\\n")\n'
    'for line in io.lines() do io.write("got ", line, "\\n") end\n',
}


@pytest.mark.parametrize("writer", sorted(PROMPTS))
async def test_each_line_arrives_while_the_program_still_runs(
    runner: RunnerService, writer: str
) -> None:
    replies = [("ready\n", "first\n"), ("got first\n", "second\n")]
    ran = await converse(runner, "lua", PROMPTS[writer], replies)
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "ready\ngot first\ngot second\n"


async def test_the_program_sees_only_its_own_file_in_arg(runner: RunnerService) -> None:
    ran = await run(runner, "lua", "print(arg[0], #arg, ...)\n")
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "main.lua\t0\n"


async def test_an_error_names_its_line_and_fails(runner: RunnerService) -> None:
    ran = await run(runner, "lua", 'print("before")\nerror("boom")\n')
    assert ran.result.status == "failed"
    assert ran.result.exit_code == 1
    assert ran.stdout == "before\n"
    assert ran.stderr.startswith("lua5.4: main.lua:2: boom\n")
