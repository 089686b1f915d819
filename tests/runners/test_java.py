"""Java in the sandbox: what the JVM needs from it, and what its flags promise."""

from __future__ import annotations

import pytest

from runners import RunnerService, get_language
from tests.runners.conftest import run

pytestmark = pytest.mark.docker


def main(body: str, imports: str = "") -> str:
    """A `Main.java` whose `main` holds `body`."""
    return (
        f"{imports}public class Main {{\n"
        f"    public static void main(String[] args) throws Exception {{\n{body}\n    }}\n}}\n"
    )


async def test_150_mib_of_arrays_fit_in_the_heap(runner: RunnerService) -> None:
    code = main(
        "        byte[][] chunks = new byte[150][];\n"
        "        for (int i = 0; i < chunks.length; i++) chunks[i] = new byte[1 << 20];\n"
        '        System.out.println("allocated " + chunks.length + " MiB");'
    )
    ran = await run(runner, "java", code)
    assert ran.result.status == "ok", ran.stderr
    assert ran.stdout == "allocated 150 MiB\n"


async def test_endless_allocation_ends_with_out_of_memory_error(runner: RunnerService) -> None:
    code = main(
        "        var keep = new java.util.ArrayList<long[]>();\n"
        "        while (true) keep.add(new long[1 << 17]);"
    )
    ran = await run(runner, "java", code)
    assert ran.result.status == "failed"
    assert not ran.result.timed_out
    assert not ran.result.oom_killed, "the heap limit comes before the container's"
    assert "java.lang.OutOfMemoryError: Java heap space" in ran.stderr


async def test_a_hundred_threads_fit_and_the_pids_limit_is_an_exception(
    runner: RunnerService,
) -> None:
    code = main(
        "        int n = 0;\n"
        "        try {\n"
        "            while (true) {\n"
        "                Thread t = new Thread(() -> {\n"
        "                    try { Thread.sleep(60_000); } catch (InterruptedException e) { }\n"
        "                });\n"
        "                t.setDaemon(true);\n"
        "                t.start();\n"
        "                n++;\n"
        "            }\n"
        "        } catch (OutOfMemoryError e) {\n"
        '            System.out.println(n >= 100 ? "at least 100 threads" : n + " threads");\n'
        "        }"
    )
    ran = await run(runner, "java", code)
    assert ran.result.status == "ok", ran.stderr
    # The JVM's own complaint is on stderr, never mixed into the program's stdout.
    assert ran.stdout == "at least 100 threads\n"
    assert "Failed to start thread" in ran.stderr


async def test_javac_loads_its_classes_from_the_image_archive(runner: RunnerService) -> None:
    # -Xshare:on turns the silent fallback (no archive, or an unusable one) into an
    # error, with exactly the flags the compile step uses.
    compile_cmd = get_language("java").compile
    assert compile_cmd is not None
    flags = [arg for arg in compile_cmd[1:] if arg.startswith("-J")]
    argv = ", ".join(f'"{arg}"' for arg in ["javac", *flags, "-J-Xshare:on", "-d", "/tmp"])
    code = main(
        '        Files.writeString(Path.of("/tmp/Hello.java"), "class Hello {}");\n'
        f"        var javac = new ProcessBuilder({argv}, "
        '"/tmp/Hello.java").inheritIO().start();\n'
        '        System.out.println("javac exit " + javac.waitFor());',
        imports="import java.nio.file.*;\n\n",
    )
    ran = await run(runner, "java", code)
    assert ran.result.status == "ok", ran.stderr
    assert (ran.stdout, ran.stderr) == ("javac exit 0\n", "")
