"""Lua in the sandbox: a run command the program cannot see, and errors with lines."""

from __future__ import annotations

import pytest

from runners import RunnerService
from tests.runners.conftest import run

pytestmark = pytest.mark.docker


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
