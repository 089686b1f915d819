"""Every language runs its starter template, reports compile errors, reads stdin."""

from __future__ import annotations

import pytest

from runners import LANGUAGES, RunnerService
from tests.runners.conftest import run

pytestmark = pytest.mark.docker

BROKEN = {
    "python": "print('unclosed'\n",
    "javascript": "console.log('unclosed'\n",
    "typescript": "const n: number = 'not a number';\nconsole.log(n);\n",
    "c": "int main(void) { return undefined_name; }\n",
    "cpp": "int main() { return undefined_name; }\n",
    "rust": 'fn main() { let x: i32 = "no"; }\n',
    "go": "package main\n\nfunc main() { undefinedName() }\n",
    "bash": "echo before\nif then fi\n",
    "ruby": "puts 'unclosed\n",
    "java": 'public class Main {\n    public static void main(String[] a) { int n = "no"; }\n}\n',
    "csharp": 'class Program { static void Main() { int n = "no"; } }\n',
    "php": "<?php\necho 'unclosed;\n",
    "lua": "print('unclosed)\n",
    "sqlite": "SELECT 1;\nSELEC 2;\n",
}

ECHO = {
    "python": "print(input().upper())\n",
    "javascript": "process.stdin.on('data', d => "
    "process.stdout.write(d.toString().toUpperCase()));\n",
    "typescript": "process.stdin.on('data', (d: any) => "
    "process.stdout.write(d.toString().toUpperCase()));\n",
    "c": "#include <stdio.h>\n#include <ctype.h>\nint main(void){int c;"
    "while((c=getchar())!=EOF)putchar(toupper(c));return 0;}\n",
    "cpp": "#include <iostream>\n#include <string>\n#include <cctype>\nint main(){std::string s;"
    "std::getline(std::cin,s);for(auto&c:s)c=std::toupper(c);std::cout<<s<<std::endl;}\n",
    "rust": "use std::io::Read;\nfn main(){let mut s=String::new();"
    'std::io::stdin().read_to_string(&mut s).unwrap();print!("{}", s.to_uppercase());}\n',
    "go": 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\n'
    "func main() {\n\ts, _ := bufio.NewReader(os.Stdin).ReadString('\\n')\n"
    "\tfmt.Print(strings.ToUpper(s))\n}\n",
    "bash": 'read -r line\necho "${line^^}"\n',
    "ruby": "puts gets.upcase\n",
    "java": "import java.io.*;\n\npublic class Main {\n"
    "    public static void main(String[] args) throws IOException {\n"
    "        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n"
    "        System.out.println(in.readLine().toUpperCase());\n    }\n}\n",
    "csharp": "using System;\n\nclass Program\n{\n    static void Main()\n    {\n"
    "        Console.WriteLine(Console.ReadLine().ToUpper());\n    }\n}\n",
    "php": "<?php\necho strtoupper(fgets(STDIN));\n",
    "lua": 'io.write(io.read("L"):upper())\n',
    "sqlite": "CREATE TABLE input (line TEXT);\n.import /dev/stdin input\n"
    ".mode list\nSELECT upper(line) FROM input;\n",
}

# What a template prints, where it is not "Hello, world!".
TEMPLATE_OUTPUT = {
    "sqlite": "┌────────┬────────┬───────────┐\n"
    "│ colour │ fruits │ avg_price │\n"
    "├────────┼────────┼───────────┤\n"
    "│ red    │ 2      │ 0.3       │\n"
    "│ yellow │ 2      │ 0.28      │\n"
    "│ green  │ 1      │ 0.35      │\n"
    "└────────┴────────┴───────────┘\n",
}


def test_every_language_has_broken_and_echo_programs() -> None:
    ids = {lang.id for lang in LANGUAGES}
    assert {
        *("python", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "csharp"),
        *("bash", "ruby", "php", "lua", "sqlite"),
    } <= ids
    assert set(BROKEN) == ids == set(ECHO)


@pytest.mark.parametrize("language", [lang.id for lang in LANGUAGES])
async def test_template_says_hello(runner: RunnerService, language: str) -> None:
    lang = next(x for x in LANGUAGES if x.id == language)
    ran = await run(runner, language, lang.template)
    assert ran.result.status == "ok", ran.stderr
    assert ran.result.exit_code == 0
    assert ran.stdout == TEMPLATE_OUTPUT.get(language, "Hello, world!\n")
    assert ran.stderr == ""


@pytest.mark.parametrize("language", sorted(BROKEN))
async def test_compile_or_syntax_error_is_stderr_and_failed(
    runner: RunnerService, language: str
) -> None:
    ran = await run(runner, language, BROKEN[language])
    assert ran.result.status == "failed"
    assert ran.result.exit_code not in (0, None)
    assert ran.stderr.strip(), "the compiler's complaint is shown on stderr"
    assert not ran.result.timed_out


@pytest.mark.parametrize("language", sorted(ECHO))
async def test_stdin_reaches_the_program(runner: RunnerService, language: str) -> None:
    ran = await run(runner, language, ECHO[language], "shout this\n")
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "SHOUT THIS\n"
