"""Every language runs its starter template, reports compile errors, reads stdin."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from runners import LANGUAGES, Limits, RunnerConfig, RunnerService, get_language
from runners.sandbox import INSTANCE_LABEL, WARM_PID
from tests.runners.conftest import TEST_TIME_LIMIT_S, containers_of, converse, run

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

# A prompt without a newline, then the answer: the prompt must be on screen while the
# program waits, as on a terminal (stdout to a pipe is block-buffered in C and Ruby).
PROMPT = {
    "python": 'print("hi " + input("name? "))\n',
    "javascript": 'process.stdout.write("name? ");\n'
    'require("readline").createInterface({ input: process.stdin })\n'
    '  .once("line", (line) => { console.log("hi " + line); process.exit(0); });\n',
    "typescript": 'process.stdout.write("name? ");\n'
    'require("readline").createInterface({ input: process.stdin })\n'
    '  .once("line", (line: string) => { console.log("hi " + line); process.exit(0); });\n',
    "c": '#include <stdio.h>\nint main(void) {\n    char name[64];\n    printf("name? ");\n'
    '    if (fgets(name, sizeof name, stdin)) printf("hi %s", name);\n    return 0;\n}\n',
    # C's stdio from C++, as contest code often does (std::cin would flush std::cout).
    "cpp": '#include <cstdio>\nint main() {\n    char name[64];\n    printf("name? ");\n'
    '    if (scanf("%63s", name) == 1) printf("hi %s\\n", name);\n}\n',
    "rust": 'use std::io::Write;\nfn main() {\n    print!("name? ");\n'
    "    std::io::stdout().flush().unwrap(); // Rust's stdout flushes at a newline only\n"
    "    let mut name = String::new();\n    std::io::stdin().read_line(&mut name).unwrap();\n"
    '    print!("hi {}", name);\n}\n',
    "go": 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
    "\tfmt.Print(\"name? \")\n\tname, _ := bufio.NewReader(os.Stdin).ReadString('\\n')\n"
    '\tfmt.Print("hi " + name)\n}\n',
    "java": "import java.util.Scanner;\n\npublic class Main {\n"
    "    public static void main(String[] args) {\n"
    '        System.out.print("name? ");\n'
    '        System.out.println("hi " + new Scanner(System.in).nextLine());\n    }\n}\n',
    "csharp": "using System;\n\nclass Program\n{\n    static void Main()\n    {\n"
    '        Console.Write("name? ");\n'
    '        Console.WriteLine("hi " + Console.ReadLine());\n    }\n}\n',
    "bash": 'echo -n "name? "\nread -r name\necho "hi $name"\n',
    "ruby": 'print "name? "\nputs "hi #{gets}"\n',
    "php": '<?php\necho "name? ";\necho "hi " . fgets(STDIN);\n',
    "lua": 'io.write("name? ")\nprint("hi " .. io.read())\n',
}

# Non-ASCII text in the source comes out as written (no locale falls back to ASCII).
UNICODE = {
    "python": 'print("héllo ✓ 世界")\n',
    "javascript": 'console.log("héllo ✓ 世界");\n',
    "typescript": 'const s: string = "héllo ✓ 世界";\nconsole.log(s);\n',
    "c": '#include <stdio.h>\nint main(void) { puts("héllo ✓ 世界"); return 0; }\n',
    "cpp": '#include <iostream>\nint main() { std::cout << "héllo ✓ 世界" << std::endl; }\n',
    "rust": 'fn main() { println!("héllo ✓ 世界"); }\n',
    "go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("héllo ✓ 世界") }\n',
    "java": "public class Main {\n    public static void main(String[] args) {\n"
    '        System.out.println("héllo ✓ 世界");\n    }\n}\n',
    "csharp": "using System;\n\nclass Program\n{\n    static void Main()\n    {\n"
    '        Console.WriteLine("héllo ✓ 世界");\n    }\n}\n',
    "bash": 'echo "héllo ✓ 世界"\n',
    "ruby": 'puts "héllo ✓ 世界"\n',
    "php": '<?php\necho "héllo ✓ 世界\\n";\n',
    "lua": 'print("héllo ✓ 世界")\n',
    "sqlite": ".mode list\nSELECT 'héllo ✓ 世界';\n",
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


def test_heap_mb_in_an_environment_is_three_quarters_of_the_memory_limit() -> None:
    env = get_language("csharp").environment(256)
    assert env["MONO_GC_PARAMS"] == "max-heap-size=192m"
    assert get_language("csharp").environment(1024)["MONO_GC_PARAMS"] == "max-heap-size=768m"
    assert all("{" not in value for lang in LANGUAGES for value in lang.environment(64).values())


def test_every_language_has_broken_and_echo_programs() -> None:
    ids = {lang.id for lang in LANGUAGES}
    assert {
        *("python", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "csharp"),
        *("bash", "ruby", "php", "lua", "sqlite"),
    } <= ids
    assert set(BROKEN) == ids == set(ECHO) == set(UNICODE)
    assert set(PROMPT) == ids - {"sqlite"}  # the sqlite3 shell has no prompt to write


@pytest.mark.parametrize("language", [lang.id for lang in LANGUAGES])
async def test_template_says_hello(runner: RunnerService, language: str) -> None:
    lang = next(x for x in LANGUAGES if x.id == language)
    ran = await run(runner, language, lang.template)
    assert ran.result.status == "ok", ran.stderr
    assert ran.result.exit_code == 0
    assert ran.stdout == TEMPLATE_OUTPUT.get(language, "Hello, world!\n")
    assert ran.stderr == ""
    assert ran.result.compile_failed is False
    # Measured in every image: the program ran under GNU time, whatever wraps it.
    assert ran.result.cpu_ms is not None
    assert ran.result.memory_kb is not None and ran.result.memory_kb > 0


@pytest.mark.parametrize("language", sorted(BROKEN))
async def test_compile_or_syntax_error_is_stderr_and_failed(
    runner: RunnerService, language: str
) -> None:
    ran = await run(runner, language, BROKEN[language])
    assert ran.result.status == "failed"
    assert ran.result.exit_code not in (0, None)
    assert ran.stderr.strip(), "the compiler's complaint is shown on stderr"
    assert not ran.result.timed_out
    # Where a compiler runs first, the run says it ended there; a syntax error of an
    # interpreted language is the program's own failure.
    compiled = get_language(language).compile is not None
    assert ran.result.compile_failed == compiled
    if compiled:
        assert ran.stdout == "", "nothing ran, and the mark on stdout was taken off"


# Compiles, prints, then fails on its own: not a compile failure, and its stdout whole.
EXIT_3 = {
    "c": '#include <stdio.h>\nint main(void) { puts("x"); return 3; }\n',
    "cpp": '#include <cstdio>\nint main() { std::puts("x"); return 3; }\n',
    "rust": 'fn main() { println!("x"); std::process::exit(3); }\n',
    "go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\n'
    'func main() { fmt.Println("x"); os.Exit(3) }\n',
    "java": "public class Main {\n    public static void main(String[] args) {\n"
    '        System.out.println("x");\n        System.exit(3);\n    }\n}\n',
    "csharp": 'class P { static int Main() { System.Console.WriteLine("x"); return 3; } }\n',
    "typescript": 'console.log("x");\nprocess.exit(3);\n',
}


def test_every_compiled_language_has_a_failing_program() -> None:
    assert set(EXIT_3) == {lang.id for lang in LANGUAGES if lang.compile is not None}


@pytest.mark.parametrize("language", sorted(EXIT_3))
async def test_a_compiled_program_that_fails_did_not_fail_to_compile(
    runner: RunnerService, language: str
) -> None:
    ran = await run(runner, language, EXIT_3[language])
    assert (ran.result.status, ran.result.exit_code) == ("failed", 3), ran.stderr
    assert ran.result.compile_failed is False
    assert ran.stdout == "x\n"


@pytest.mark.parametrize("language", sorted(ECHO))
async def test_stdin_reaches_the_program(runner: RunnerService, language: str) -> None:
    ran = await run(runner, language, ECHO[language], "shout this\n")
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "SHOUT THIS\n"


@pytest.mark.parametrize("language", sorted(PROMPT))
async def test_a_prompt_shows_before_the_program_waits_for_input(
    runner: RunnerService, language: str
) -> None:
    # The answer is sent only once the prompt has arrived: a prompt held in a buffer
    # runs the program into its time limit.
    ran = await converse(runner, language, PROMPT[language], [("name? ", "ada\n")])
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "name? hi ada\n"


@pytest.mark.parametrize("language", sorted(UNICODE))
async def test_non_ascii_source_and_output_are_utf8(runner: RunnerService, language: str) -> None:
    ran = await run(runner, language, UNICODE[language])
    assert (ran.result.status, ran.stderr) == ("ok", "")
    assert ran.stdout == "héllo ✓ 世界\n"


@pytest.mark.parametrize("language", [lang.id for lang in LANGUAGES if lang.warm])
async def test_a_pooled_container_compiles_with_its_warm_compiler(
    runner: RunnerService, language: str
) -> None:
    """A pooled container of a language with a warm compiler has it running before its
    program comes; the compile step hands the work over, and the runs come out as
    they do in a container started for the run, which compiles as usual."""
    config = RunnerConfig(
        limits=Limits(time_limit_s=TEST_TIME_LIMIT_S),
        pool_size=1,
        languages=(get_language(language),),
    )
    async with RunnerService(config) as service:
        label = f"{INSTANCE_LABEL}={service.instance}"
        for code, stdin in ((BROKEN[language], ""), (ECHO[language], "shout this\n")):
            async with asyncio.timeout(60):  # the pool refills after each run
                while True:
                    if service.pool_idle()[language] == 1:
                        break
                    await asyncio.sleep(0.1)
            (pooled,) = containers_of(label)
            probe = await asyncio.to_thread(
                subprocess.run,
                ["docker", "exec", pooled, "sh", "-c", f"cat /proc/$(cat {WARM_PID})/cmdline"],
                capture_output=True,
                check=True,
            )
            warm = get_language(language).warm
            assert warm is not None and probe.stdout.split(b"\0")[0] == warm[0].encode()
            pooled_run = await run(service, language, code, stdin=stdin)
            cold_run = await run(runner, language, code, stdin=stdin)
            for ran in (pooled_run, cold_run):
                assert not ran.result.timed_out
            assert pooled_run.result.status == cold_run.result.status
            assert pooled_run.result.exit_code == cold_run.result.exit_code
            assert (pooled_run.stdout, pooled_run.stderr) == (cold_run.stdout, cold_run.stderr)
        assert pooled_run.stdout == "SHOUT THIS\n"
