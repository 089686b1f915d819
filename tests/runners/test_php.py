"""PHP in the sandbox: the CLI's output and its diagnostics."""

from __future__ import annotations

import pytest

from runners import RunnerService
from tests.runners.conftest import run

pytestmark = pytest.mark.docker


async def test_a_warning_is_on_stderr_and_the_program_goes_on(runner: RunnerService) -> None:
    ran = await run(runner, "php", '<?php\necho "a" . $undefined . "\\n";\necho "after\\n";\n')
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "a\nafter\n"
    assert "Warning:  Undefined variable $undefined in /sandbox/main.php on line 2" in ran.stderr


async def test_an_uncaught_exception_is_stderr_and_failed(runner: RunnerService) -> None:
    ran = await run(runner, "php", '<?php\necho "before\\n";\nthrow new Exception("boom");\n')
    assert ran.result.status == "failed"
    assert ran.result.exit_code == 255
    assert ran.stdout == "before\n"
    assert "Uncaught Exception: boom in /sandbox/main.php:3" in ran.stderr


async def test_non_ascii_text_with_the_mb_functions(runner: RunnerService) -> None:
    code = (
        '<?php\n$s = "héllo ✓ 世界";\necho $s, " ", mb_strlen($s), " ", mb_strtoupper($s), "\\n";\n'
    )
    ran = await run(runner, "php", code)
    assert (ran.result.status, ran.stderr) == ("ok", "")
    assert ran.stdout == "héllo ✓ 世界 10 HÉLLO ✓ 世界\n"
