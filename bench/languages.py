"""Every language's starter program, end to end: the playground against a bare `docker run`.

Starts a real server (temporary database, warm pool on, free port), then for each
language alternates `n` times:
- playground: `POST /api/execute` with the language's template, timed until the
  response (compile, run, output and the run's record are done);
- bare: `docker run --rm -i --network none` of the same image, the source piped in,
  compiled and run with the same commands and environment (no limits, no pool).
Prints the medians and their ratio per language. The bare run is what a script that
shells out to Docker would pay; the playground adds its sandbox and limits, and takes
a container from its warm pool instead of creating one.

    .venv/bin/python bench/languages.py [-n 5] [LANG ...]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from benchlib import load_average, revision, start_playground, stop_playground

from runners.languages import LANGUAGES, Language, get_language
from runners.sandbox import Limits

TMPFS = "rw,exec,uid=10001,gid=10001"  # writable by the images' user, as in the sandbox


def playground_run(client: httpx.Client, lang: Language) -> float:
    started = time.perf_counter()
    response = client.post("/api/execute", json={"language": lang.id, "code": lang.template})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    run = response.json()
    if run["status"] != "ok":
        raise RuntimeError(f"{lang.id}: {run['status']}: {run.get('output')}")
    return elapsed


def bare_run(lang: Language, image: str) -> float:
    steps = [f"cat > {shlex.quote(lang.source)}"]
    if lang.compile:
        steps.append(shlex.join(lang.compile))
    steps.append(shlex.join(lang.run))
    environment = lang.environment(Limits().memory_mb).items()  # the default limit
    env = [arg for key, value in environment for arg in ("-e", f"{key}={value}")]
    command = [
        *("docker", "run", "--rm", "-i", "--pull", "never", "--network", "none"),
        *("--tmpfs", f"/sandbox:{TMPFS}", "--tmpfs", f"/tmp:{TMPFS}", *env),
        *(image, "sh", "-c", " && ".join(steps)),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, input=lang.template.encode(), capture_output=True, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{lang.id} bare: exit {done.returncode}: {done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("languages", nargs="*", metavar="LANG", help="default: all")
    parser.add_argument("-n", type=int, default=5, help="runs per side and language")
    args = parser.parse_args()
    langs = [get_language(x) for x in args.languages] or list(LANGUAGES)

    print(f"revision {revision()}; load average at start {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        # Warm pool on (the test harness turns it off); no per-minute run limits.
        server = start_playground(
            Path(tmp),
            {
                "PLAYGROUND_POOL_SIZE": "1",
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE": "0",
                "PLAYGROUND_LIMIT_RUNS_PER_MINUTE_PER_IP": "0",
            },
        )
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                images = {x["id"]: x["image"] for x in client.get("/api/languages").json()}
                print(f"{'language':<11} {'playground':>11} {'bare':>9} {'ratio':>7}   (medians)")
                for lang in langs:
                    playground_run(client, lang)  # warms the pool and the page cache
                    bare_run(lang, images[lang.id])
                    ours: list[float] = []
                    bare: list[float] = []
                    for _ in range(args.n):
                        time.sleep(0.5)  # the pool refills in the background
                        ours.append(playground_run(client, lang))
                        bare.append(bare_run(lang, images[lang.id]))
                    mo, mb = statistics.median(ours), statistics.median(bare)
                    print(
                        f"{lang.id:<11} {mo * 1000:>8.0f} ms {mb * 1000:>6.0f} ms {mo / mb:>6.2f}x"
                    )
        finally:
            stop_playground(server)


if __name__ == "__main__":
    main()
