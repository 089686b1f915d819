"""C# in the sandbox: Mono's mcs and runtime, and what the run command's flags promise."""

from __future__ import annotations

import pytest

from runners import RunnerService
from tests.runners.conftest import run

pytestmark = pytest.mark.docker


def program(body: str, usings: str = "using System;\n") -> str:
    """A `main.cs` whose `Main` holds `body`."""
    return f"{usings}\nclass Program\n{{\n    static void Main()\n    {{\n{body}\n    }}\n}}\n"


async def test_linq_generics_and_dynamic_compile_without_a_word(runner: RunnerService) -> None:
    # System.Core (LINQ) and Microsoft.CSharp (dynamic) are referenced by default.
    code = program(
        '        var counts = new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 };\n'
        "        var squares = new List<int> { 3, 1, 2 }.OrderBy(x => x).Select(x => x * x);\n"
        "        dynamic d = 40;\n"
        '        Console.WriteLine(string.Join(",", squares) + " " + counts.Values.Sum() '
        '+ " " + (d + 2));',
        usings="using System;\nusing System.Collections.Generic;\nusing System.Linq;\n",
    )
    ran = await run(runner, "csharp", code)
    assert ran.result.status == "ok", ran.stderr
    assert (ran.stdout, ran.stderr) == ("1,4,9 3 42\n", "")


async def test_an_uncaught_exception_names_its_line(runner: RunnerService) -> None:
    code = program(
        '        Console.WriteLine("before");\n        throw new InvalidOperationException("boom");'
    )
    ran = await run(runner, "csharp", code)
    assert ran.result.status == "failed"
    assert ran.result.exit_code == 1
    assert ran.stdout == "before\n"
    assert "System.InvalidOperationException: boom" in ran.stderr
    throw_line = next(i for i, line in enumerate(code.splitlines(), 1) if "throw" in line)
    assert f"/sandbox/main.cs:{throw_line}" in ran.stderr


async def test_a_hundred_threads_fit_and_the_pids_limit_is_an_exception(
    runner: RunnerService,
) -> None:
    code = program(
        "        int n = 0;\n"
        "        try {\n"
        "            while (true) {\n"
        "                var t = new Thread(() => Thread.Sleep(60000));\n"
        "                t.IsBackground = true;\n"
        "                t.Start();\n"
        "                n++;\n"
        "            }\n"
        "        } catch (Exception) {\n"
        '            Console.WriteLine(n >= 100 ? "at least 100 threads" : n + " threads");\n'
        "        }",
        usings="using System;\nusing System.Threading;\n",
    )
    ran = await run(runner, "csharp", code)
    assert ran.result.status == "ok", ran.stderr
    assert (ran.stdout, ran.stderr) == ("at least 100 threads\n", "")


async def test_endless_allocation_is_an_out_of_memory_exception(runner: RunnerService) -> None:
    code = program(
        "        var keep = new List<long[]>();\n"
        "        try {\n"
        "            while (true) keep.Add(new long[1 << 17]);\n"
        "        } catch (OutOfMemoryException) {\n"
        '            Console.WriteLine(keep.Count >= 150 ? "caught" : keep.Count + " MiB");\n'
        "        }",
        usings="using System;\nusing System.Collections.Generic;\n",
    )
    ran = await run(runner, "csharp", code)
    assert not ran.result.oom_killed, "the heap limit comes before the container's"
    assert (ran.result.status, ran.stdout) == ("ok", "caught\n"), ran.stderr
