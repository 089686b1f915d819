"""The language registry: one declarative entry per language.

Adding a language is one `Language` entry here plus one folder
`container_images/<id>/` (a `packages` list of Debian packages; optionally `files/`,
copied to `/opt/playground/`, with a `setup.sh` that runs at the end of the build).
Every language's image is built by the same Dockerfile (`container_images/base/`).
Commands run inside the image with `/sandbox` (the run's tmpfs work dir) as the
current directory; the program's source is written to `/sandbox/<source>`.
A compile step that fails ends the run with its exit code: compiler errors are
ordinary stderr output and the run's status is `failed`. A `warm` command starts in
the background with the container, so a pooled container can do ahead what the
compile step would (container_images/typescript/files/tsc-warm.js,
container_images/java/files/WarmJavac.java).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from runners.errors import UnknownLanguage


@dataclass(frozen=True)
class Language:
    """How one language is compiled and run inside its image."""

    id: str
    name: str
    source: str
    run: tuple[str, ...]
    version: str
    template: str
    compile: tuple[str, ...] | None = None
    # A warm compiler: started in the background when the container starts, before the
    # program arrives (a pooled container waits with it loaded), it does the compile
    # step's work when asked. The protocol is in runners/sandbox.py; `compile` stays
    # the fallback.
    warm: tuple[str, ...] | None = None
    # `{heap_mb}` in a value stands for HEAP_PERCENT of the run's memory limit.
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def image(self, image_prefix: str) -> str:
        """The Docker image tag this language runs in."""
        return f"{image_prefix}/{self.id}:latest"

    def environment(self, memory_mb: int) -> dict[str, str]:
        """The run's environment for a memory limit of `memory_mb`."""
        heap_mb = str(max(1, memory_mb * HEAP_PERCENT // 100))
        return {key: value.replace("{heap_mb}", heap_mb) for key, value in self.env.items()}


# A managed runtime's heap, as a share of the run's memory limit: high enough for
# what a program means to use, low enough that running out is the runtime's own
# error (OutOfMemoryError, OutOfMemoryException) and not a kill by the kernel.
HEAP_PERCENT = 75

_HOME_ENV = {"HOME": "/sandbox", "TMPDIR": "/tmp"}


def _env(**extra: str) -> Mapping[str, str]:
    return MappingProxyType({**_HOME_ENV, **extra})


# Both JVMs (javac's and the program's): the serial collector (least memory, fewest
# threads under the pids limit, whatever the CPU quota), no hsperfdata file in /tmp,
# and HEAP_PERCENT of the memory limit as heap instead of a quarter.
_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:-UsePerfData", f"-XX:MaxRAMPercentage={HEAP_PERCENT}")
# javac's own classes come from an archive made at image build
# (container_images/java/files/setup.sh); C1 only, since a compile is over before C2
# would pay off.
_JAVAC_FLAGS = (
    *_JVM_FLAGS,
    "-XX:SharedArchiveFile=/opt/playground/javac.jsa",
    "-XX:TieredStopAtLevel=1",
)

_TSC_ARGS = (
    "--strict",
    "--skipLibCheck",
    "--lib",
    "es2020",
    "--target",
    "es2020",
    "--module",
    "commonjs",
    "--outDir",
    "/sandbox/out",
    "main.ts",
    "/opt/playground/node-globals.d.ts",
)

LANGUAGES: tuple[Language, ...] = (
    Language(
        id="python",
        name="Python",
        source="main.py",
        run=("python3", "main.py"),
        version="python3 --version",
        template='name = "world"\nprint(f"Hello, {name}!")\n',
        # Unbuffered, so output streams as it is printed.
        env=_env(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1"),
    ),
    Language(
        id="javascript",
        name="JavaScript (Node.js)",
        source="main.js",
        run=("node", "main.js"),
        version='v=$(node --version) && echo "Node.js $v"',
        template='const name = "world";\nconsole.log(`Hello, ${name}!`);\n',
        env=_env(),
    ),
    Language(
        id="typescript",
        name="TypeScript",
        source="main.ts",
        # A compiler that has loaded itself and the library while the container waited
        # compiles in ~50 ms instead of ~600 (container_images/typescript/files/).
        warm=("node", "/opt/playground/tsc-warm.js", *_TSC_ARGS),
        compile=("tsc", *_TSC_ARGS),
        run=("node", "out/main.js"),
        version="t=$(tsc --version) && n=$(node --version) "
        '&& echo "TypeScript ${t#Version }, Node.js $n"',
        template='const name: string = "world";\nconsole.log(`Hello, ${name}!`);\n',
        env=_env(),
    ),
    Language(
        id="c",
        name="C",
        source="main.c",
        compile=("gcc", "-O2", "-Wall", "-o", "main", "main.c", "-lm"),
        # stdout to a pipe is fully buffered in C: a prompt would not show before the
        # program reads its answer. Unbuffered, output appears as it is printed.
        run=("stdbuf", "-o0", "./main"),
        version="gcc --version",
        template='#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n'
        "    return 0;\n}\n",
        env=_env(),
    ),
    Language(
        id="cpp",
        name="C++",
        source="main.cpp",
        # -I: the precompiled <bits/stdc++.h> and <iostream> made at image build
        # (container_images/cpp/files/setup.sh, with these flags): 0.95 s and 0.2 s of
        # compiling become 0.23 s and 0.08 s.
        compile=(
            "g++",
            "-O2",
            "-Wall",
            "-std=c++17",
            "-I/opt/playground/pch",
            "-o",
            "main",
            "main.cpp",
        ),
        # As for C: std::cout writes through C's stdio, which buffers a pipe.
        run=("stdbuf", "-o0", "./main"),
        version="g++ --version",
        template='#include <iostream>\n\nint main() {\n    std::cout << "Hello, world!" << '
        "std::endl;\n    return 0;\n}\n",
        env=_env(),
    ),
    Language(
        id="rust",
        name="Rust",
        source="main.rs",
        compile=("rustc", "--edition", "2021", "-C", "opt-level=1", "-o", "main", "main.rs"),
        run=("./main",),
        version="rustc --version",
        template='fn main() {\n    let name = "world";\n    println!("Hello, {}!", name);\n}\n',
        env=_env(),
    ),
    Language(
        id="go",
        name="Go",
        source="main.go",
        compile=("go", "build", "-o", "main", "main.go"),
        run=("./main",),
        version="go version",
        template='package main\n\nimport "fmt"\n\nfunc main() {\n'
        '\tfmt.Println("Hello, world!")\n}\n',
        # The Go tool needs a writable cache; the root filesystem is read-only.
        env=_env(GOCACHE="/tmp/go-cache", GOPATH="/tmp/go", CGO_ENABLED="0", GO111MODULE="off"),
    ),
    Language(
        id="java",
        name="Java",
        source="Main.java",
        compile=("javac", *(f"-J{flag}" for flag in _JAVAC_FLAGS), "Main.java"),
        # javac loaded and warmed up by the JIT while the container waits
        # (container_images/java/files/WarmJavac.java).
        warm=(
            "java",
            *_JAVAC_FLAGS,
            "-cp",
            "/opt/playground/warm",
            "WarmJavac",
            "Main.java",
        ),
        # Full tiered compilation: C2 pays off on compute loops. The JVM's own warnings
        # ("Failed to start thread" at the pids limit) go to stderr, not stdout.
        run=("java", *_JVM_FLAGS, "-Xlog:disable", "-Xlog:all=warning:stderr", "-cp", ".", "Main"),
        version="java --version",
        template="public class Main {\n    public static void main(String[] args) {\n"
        '        System.out.println("Hello, world!");\n    }\n}\n',
        # javac reads and java writes in the locale's charset, US-ASCII without one.
        env=_env(LANG="C.UTF-8"),
    ),
    Language(
        id="csharp",
        name="C#",
        source="main.cs",
        # Mono's mcs (C# 7); with debug symbols an uncaught exception's stack trace
        # names the line in main.cs.
        compile=("mcs", "-debug", "-out:main.exe", "main.cs"),
        run=("mono", "--debug", "main.exe"),
        version="mcs --version",
        template="using System;\n\nclass Program\n{\n    static void Main()\n    {\n"
        '        Console.WriteLine("Hello, world!");\n    }\n}\n',
        # Mono's console writes in the locale's charset ('?' for non-ASCII without one).
        # Its heap would grow until the kernel kills the run: capped like the JVM's.
        env=_env(LANG="C.UTF-8", MONO_GC_PARAMS="max-heap-size={heap_mb}m"),
    ),
    Language(
        id="bash",
        name="Bash",
        source="main.sh",
        run=("bash", "main.sh"),
        version="bash --version",
        template='name="world"\necho "Hello, ${name}!"\n',
        env=_env(),
    ),
    Language(
        id="ruby",
        name="Ruby",
        source="main.rb",
        # $stdout to a pipe is buffered: `sync.rb` makes it write as the program prints.
        run=("ruby", "-r/opt/playground/sync.rb", "main.rb"),
        version="ruby --version",
        template='name = "world"\nputs "Hello, #{name}!"\n',
        env=_env(),
    ),
    Language(
        id="php",
        name="PHP",
        source="main.php",
        # The CLI writes unbuffered; Debian's php.ini sends errors and warnings to stderr.
        run=("php", "main.php"),
        version='v=$(php --version) && echo "${v%% (*}"',
        template='<?php\n\n$name = "world";\necho "Hello, $name!\\n";\n',
        env=_env(),
    ),
    Language(
        id="lua",
        name="Lua",
        source="main.lua",
        # print() flushes, but io.write() to a pipe is fully buffered: a program that
        # prompts and then reads stdin would show nothing. Unbuffered, it shows at once.
        run=("lua5.4", "-e", 'io.stdout:setvbuf("no")', "main.lua"),
        version='v=$(lua5.4 -v) && echo "${v%%  *}"',
        template='local name = "world"\nprint("Hello, " .. name .. "!")\n',
        env=_env(),
    ),
    Language(
        id="sqlite",
        name="SQL (SQLite)",
        source="main.sql",
        # A fresh in-memory database per run. The script is read by a dot-command, not
        # from stdin, so stdin stays the program's (`.import /dev/stdin t`); -bail stops
        # at the first error and exits with status 1.
        run=("sqlite3", "-bail", "-box", ":memory:", ".read main.sql"),
        version='v=$(sqlite3 --version) && echo "SQLite ${v%% *}"',
        template="CREATE TABLE fruit (name TEXT, colour TEXT, price REAL);\n\n"
        "INSERT INTO fruit VALUES\n"
        "    ('apple', 'red', 0.50),\n"
        "    ('cherry', 'red', 0.10),\n"
        "    ('banana', 'yellow', 0.25),\n"
        "    ('lemon', 'yellow', 0.30),\n"
        "    ('lime', 'green', 0.35);\n\n"
        "SELECT colour, count(*) AS fruits, round(avg(price), 2) AS avg_price\n"
        "FROM fruit\nGROUP BY colour\nORDER BY fruits DESC, colour;\n",
        env=_env(),
    ),
)

_BY_ID = {lang.id: lang for lang in LANGUAGES}


def get_language(language_id: str) -> Language:
    """The language with this id; `UnknownLanguage` if there is none."""
    try:
        return _BY_ID[language_id]
    except KeyError:
        raise UnknownLanguage(f"unknown language {language_id!r}") from None
