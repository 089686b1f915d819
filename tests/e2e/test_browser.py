"""End-to-end tests of the web client in Debian's headless Chromium.

Each test runs one scenario of `web/e2e/collab.mjs` or `web/e2e/access.mjs`
(playwright-core) against the real server. The script asks for server outages on stdout
(`{"cmd": "stop_server"}`) and waits for "ok" on stdin, so the outage is a real stop and
restart of the same server, port and database. Screenshots land in `test-artifacts/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.conftest import ROOT, ServerProcess

WEB = ROOT / "web"
SCRIPT = WEB / "e2e" / "collab.mjs"
ACCESS_SCRIPT = WEB / "e2e" / "access.mjs"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium"))
SCENARIO_TIMEOUT_S = 200

pytestmark = [pytest.mark.browser, pytest.mark.timeout(SCENARIO_TIMEOUT_S + 40)]


def _require_browser_stack() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (run `make chromium`)")
    if not (WEB / "dist" / "index.html").exists():
        missing.append("web/dist (run `make install`)")
    if not (WEB / "node_modules" / "playwright-core").exists():
        missing.append("web/node_modules (run `make install`)")
    if shutil.which("node") is None:
        missing.append("node")
    if missing:
        pytest.skip("browser tests need " + ", ".join(missing))


def _drain(stream: IO[str], sink: list[str]) -> None:
    for line in stream:
        sink.append(line)


def run_scenario(server: ServerProcess, scenario: str, script: Path = SCRIPT) -> None:
    """Runs one scenario to completion, serving its stop/start requests; fails with its log."""
    _require_browser_stack()
    ARTIFACTS.mkdir(exist_ok=True)
    with subprocess.Popen(
        [
            "node",
            str(script),
            "--base",
            server.url,
            "--scenario",
            scenario,
            "--artifacts",
            str(ARTIFACTS),
            "--chromium",
            str(CHROMIUM),
        ],
        cwd=WEB,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        code, log = _serve(proc, server)
    tail = server.log()[-4000:]
    assert code == 0, f"browser scenario {scenario!r} failed:\n{log}\n--- server log ---\n{tail}"
    assert f"scenario {scenario}: passed" in log, log


def _serve(proc: subprocess.Popen[str], server: ServerProcess) -> tuple[int, str]:
    """Answers the script's stop/start requests until it exits; its exit code and log."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors: list[str] = []
    reader = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
    reader.start()
    deadline = time.monotonic() + SCENARIO_TIMEOUT_S
    try:
        for line in proc.stdout:
            request = json.loads(line)
            if request["cmd"] == "stop_server":
                server.stop()
            elif request["cmd"] == "start_server":
                server.start()
            else:
                raise AssertionError(f"unknown request from the browser script: {line!r}")
            proc.stdin.write("ok\n")
            proc.stdin.flush()
            if time.monotonic() > deadline:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        reader.join(5)
    return code, "".join(errors)


def test_two_people_edit_together(server: ServerProcess) -> None:
    """Typing in one browser appears in the other, with the remote caret and both in presence."""
    run_scenario(server, "collab")


def test_run_output_reaches_everyone(server: ServerProcess) -> None:
    """Ctrl+Enter in one browser: output, stdin and stop seen in the other; history opens."""
    languages = httpx.get(server.url + "/api/languages").json()
    python = next((lang for lang in languages if lang["id"] == "python"), None)
    if python is None or not python["available"]:
        pytest.skip("no Docker image for python: build the language images (`make images`)")
    run_scenario(server, "run")


def test_offline_edits_and_reload_converge(server: ServerProcess) -> None:
    """Server down while both edit, one reloads offline, server back: one merged text."""
    run_scenario(server, "offline")


def test_changes_past_the_size_limit_are_refused_clearly(server: ServerProcess) -> None:
    """A paste past the limit is refused in the editor; offline pastes too large together:
    the one refused by the server is told why, undoes, and everyone converges."""
    run_scenario(server, "limit")


def test_home_and_first_visit(server: ServerProcess) -> None:
    """Session list search, create, delete with confirmation; name prompt and guided tour."""
    run_scenario(server, "home")


def test_the_light_theme_is_accessible(server: ServerProcess) -> None:
    run_scenario(server, "light")


def test_history_downloads_and_imports_as_a_new_session(server: ServerProcess) -> None:
    """The download button on a session page saves its history; the home page's Import
    opens that file as a new session with the same code and every edit."""
    run_scenario(server, "archive")


def test_view_link_is_read_only(server: ServerProcess) -> None:
    """Edit link and view link side by side: the viewer sees edits and presence live, but
    typing and Run change nothing anywhere; each can share what it holds; a wrong token is
    refused once, not retried."""
    run_scenario(server, "viewonly", ACCESS_SCRIPT)


def test_protected_instance_asks_for_admin_token(tmp_path: Path) -> None:
    """A server with PLAYGROUND_ADMIN_TOKEN: the home page asks for the token, then lists
    and opens sessions; a session address without its link is refused with a clear page."""
    protected = ServerProcess(tmp_path / "protected.db", env={"PLAYGROUND_ADMIN_TOKEN": "x"})
    protected.start()
    try:
        run_scenario(protected, "protected", ACCESS_SCRIPT)
    finally:
        try:
            protected.stop(timeout=15)
        except subprocess.TimeoutExpired:
            protected.kill()
