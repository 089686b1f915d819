"""C++: the precompiled headers made at image build are used by the compile step."""

from __future__ import annotations

import pytest

from runners import RunnerService, get_language
from tests.runners.conftest import run

pytestmark = pytest.mark.docker

CONTEST = (
    "#include <bits/stdc++.h>\nusing namespace std;\n\n"
    "int main() {\n    vector<int> v{3, 1, 2};\n    sort(v.begin(), v.end());\n"
    '    cout << v[0] << v[1] << v[2] << "\\n";\n}\n'
)


async def test_a_contest_style_program_compiles_and_runs(runner: RunnerService) -> None:
    ran = await run(runner, "cpp", CONTEST)
    assert ran.result.status == "ok", ran.stderr
    assert (ran.stdout, ran.stderr) == ("123\n", "")


async def test_the_compile_flags_find_the_precompiled_headers(runner: RunnerService) -> None:
    """g++ passes over a precompiled header built with other flags without a word;
    `-H` marks one it uses with `!`. The program compiles with exactly the compile
    step's flags, inside the sandbox and its memory limit."""
    compile_cmd = get_language("cpp").compile
    assert compile_cmd is not None
    flags = " ".join(compile_cmd[1 : compile_cmd.index("-o")])
    code = (
        "#include <cstdio>\n#include <cstdlib>\n\n"
        "int main() {\n"
        '    std::FILE* f = std::fopen("/tmp/a.cpp", "w");\n'
        '    std::fputs("#include <bits/stdc++.h>\\nint main() {}\\n", f);\n'
        "    std::fclose(f);\n"
        '    f = std::fopen("/tmp/b.cpp", "w");\n'
        '    std::fputs("#include <iostream>\\nint main() {}\\n", f);\n'
        "    std::fclose(f);\n"
        f'    return std::system("g++ {flags} -H -fsyntax-only /tmp/a.cpp /tmp/b.cpp 2>&1'
        " | grep '^!'\");\n"
        "}\n"
    )
    ran = await run(runner, "cpp", code)
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout.splitlines() == [
        "! /opt/playground/pch/bits/stdc++.h.gch",
        "! /opt/playground/pch/iostream.gch",
    ]
