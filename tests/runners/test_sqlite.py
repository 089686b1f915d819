"""SQL in the sandbox: a script run by the sqlite3 shell against a fresh in-memory database."""

from __future__ import annotations

import pytest

from runners import RunnerService
from tests.runners.conftest import converse, run

pytestmark = pytest.mark.docker


@pytest.mark.parametrize(
    ("script", "complaint"),
    [
        ("SELECT 'before';\nSELEC 1;\nSELECT 'after';\n", 'near line 3: near "SELEC"'),
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n"
            "SELECT 'before';\nINSERT INTO t VALUES (1);\nSELECT 'after';\n",
            "near line 5: UNIQUE constraint failed: t.id",
        ),
        ("SELECT 'before';\n.no-such-command\nSELECT 'after';\n", '"no-such-command"'),
    ],
    ids=["syntax", "constraint", "dot-command"],
)
async def test_the_first_error_ends_the_script_with_a_failure(
    runner: RunnerService, script: str, complaint: str
) -> None:
    # Line numbers count the `.mode` line in front.
    ran = await run(runner, "sqlite", ".mode list\n" + script)
    assert ran.result.status == "failed"
    assert ran.result.exit_code == 1
    assert ran.stdout == "before\n", "nothing after the error runs"
    assert complaint in ran.stderr


async def test_each_result_arrives_while_the_script_still_runs(runner: RunnerService) -> None:
    # `.import` blocks on stdin, which is fed only once the first result has arrived.
    code = (
        ".mode list\nSELECT 'ready';\nCREATE TABLE input (line TEXT);\n"
        ".import /dev/stdin input\nSELECT 'got ' || line FROM input;\n"
    )
    ran = await converse(runner, "sqlite", code, [("ready\n", "first\n")])
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "ready\ngot first\n"


async def test_results_are_tables_with_headers(runner: RunnerService) -> None:
    ran = await run(runner, "sqlite", "SELECT 1 AS n, 'héllo' AS word;\n")
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == (
        "┌───┬───────┐\n│ n │ word  │\n├───┼───────┤\n│ 1 │ héllo │\n└───┴───────┘\n"
    )
