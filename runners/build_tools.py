"""Small helpers of the image build: running commands, hashing recipes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import IO


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def docker_client() -> str:
    """A `docker` CLI whose `build` supports BuildKit (`RUN --mount`).

    Clients from 23.0 on need the buildx plugin for that; older ones have BuildKit
    built in. Debian's docker.io client is preferred when the one on PATH lacks both.
    """
    candidates = [c for c in (shutil.which("docker"), "/usr/bin/docker") if c]
    for client in dict.fromkeys(candidates):
        proc = subprocess.run(
            [client, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            check=False,
        )
        version = proc.stdout.strip()
        if not version:
            continue
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        if major < 23:
            return client
        buildx = subprocess.run([client, "buildx", "version"], capture_output=True, check=False)
        if buildx.returncode == 0:
            return client
    raise BuildError(
        "no docker client with BuildKit found (need docker < 23 or buildx), "
        "or no Docker engine answers: run scripts/ensure-docker.sh"
    )


def run(
    cmd: list[str],
    what: str,
    *,
    env: dict[str, str] | None = None,
    stdin: IO[bytes] | None = None,
    capture: bool = False,
) -> str:
    """Run `cmd`; raise `BuildError` with the output's tail if it fails."""
    proc = subprocess.run(
        cmd,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout if capture else ""


def packages_in(path: Path) -> list[str]:
    """The package names in a `packages` file (comments and blanks skipped)."""
    lines = (line.strip() for line in read_text(path).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_text(path: Path) -> str:
    """The file's text, or "" if it does not exist."""
    return path.read_text() if path.exists() else ""


def file_hash(parts: list[str]) -> str:
    """A short stable hash of `parts`."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]
