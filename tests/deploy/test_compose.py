"""The Docker deployment end to end: the image from the real Dockerfile, run the way
docker-compose.yml runs it (the host's Docker socket, a volume on /data, the compose
file's environment and stop grace period), driven over HTTP and WebSockets.

The images are built offline (tests/deploy/images.py); the first run builds the
stand-ins and inputs, later runs reuse them, and the server image build is cached.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from runners.build_tools import docker_client
from runners.sandbox import HOST_LABEL
from tests.conftest import free_port
from tests.deploy import images
from tests.deploy.compose import ComposeError, duration_s, parse_yaml, run_flags

ROOT = images.ROOT
COMPOSE = ROOT / "docker-compose.yml"

pytestmark = [pytest.mark.docker]

PROGRAM = "import sys\nprint(sum(range(10)))\nprint('to stderr', file=sys.stderr)\n"


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([docker_client(), *args], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


class ServerContainer:
    """One `docker run -d` of the server image; `stop()` is `docker stop`."""

    def __init__(self, image: str, flags: list[str], port: int) -> None:
        self.name = f"playground-deploy-test-{uuid.uuid4().hex[:8]}"
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        # A 1 s health interval (the Dockerfile's is 30 s) lets the test see the image's
        # own HEALTHCHECK pass; only its timing differs from a compose deployment.
        cmd = ["run", "-d", "--name", self.name, "--health-interval", "1s", *flags, image]
        _docker(*cmd)

    def inspect(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(_docker("inspect", self.name).stdout)[0]
        return state

    def logs(self) -> str:
        proc = _docker("logs", "--tail", "60", self.name, check=False)
        return (proc.stdout + proc.stderr)[-6000:]

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """The body of the first 200 from /healthz."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.inspect()["State"]["Running"]:
                raise AssertionError(f"the server container exited:\n{self.logs()}")
            try:
                response = httpx.get(self.url + "/healthz", timeout=2)
                if response.status_code == 200:
                    body: dict[str, Any] = response.json()
                    return body
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"/healthz did not answer within {timeout} s:\n{self.logs()}")

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Docker itself reports the image's HEALTHCHECK as passing."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.inspect()["State"]["Health"]["Status"] == "healthy":
                return
            time.sleep(0.5)
        health = self.inspect()["State"]["Health"]
        raise AssertionError(f"HEALTHCHECK never passed: {json.dumps(health)[-2000:]}")

    def run_host_label(self) -> str:
        """The `playground.host` label of this server's run containers: the host name
        (host networking shares it) and the PID namespace of the container's process."""
        pid = self.inspect()["State"]["Pid"]
        return f"{socket.gethostname()}/pidns:{os.stat(f'/proc/{pid}/ns/pid').st_ino}"

    def stop(self) -> float:
        """`docker stop` (SIGTERM, SIGKILL after the stop timeout); returns seconds."""
        started = time.monotonic()
        _docker("stop", self.name)
        return time.monotonic() - started

    def remove(self) -> None:
        _docker("rm", "-f", self.name, check=False)


@pytest.fixture(scope="module")
def server_image() -> str:
    if _docker("info", check=False).returncode != 0:
        pytest.fail("no Docker engine answers: run scripts/ensure-docker.sh")
    python_image = "playground/python:latest"
    assert images.image_id(python_image), f"{python_image} is missing: run `make images`"
    return images.server()


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"playground-deploy-test-{uuid.uuid4().hex[:8]}"
    _docker("volume", "create", name)
    yield name
    _docker("volume", "rm", "-f", name, check=False)


@pytest.fixture
def containers() -> Iterator[list[ServerContainer]]:
    started: list[ServerContainer] = []
    yield started
    for container in started:
        container.remove()


def run_in_session(ws_url: str, session_id: str) -> tuple[dict[str, Any], str, str]:
    """Press Run on the session's run channel; returns the finished RUN, stdout, stderr."""
    with connect(f"{ws_url}/ws/run/{session_id}", open_timeout=10) as ws:
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "state", first
        ws.send(json.dumps({"type": "run", "user": "deploy-test"}))
        chunks: dict[str, list[str]] = {"stdout": [], "stderr": []}
        while True:
            frame = json.loads(ws.recv(timeout=30))
            assert frame["type"] != "error", frame
            if frame["type"] == "output":
                chunks[frame["stream"]].append(frame["data"])
            elif frame["type"] == "run_finished":
                return frame["run"], "".join(chunks["stdout"]), "".join(chunks["stderr"])


def check_web_client(url: str, session_id: str) -> None:
    """`/` and a share link serve the built index.html, and every asset it names loads."""
    page = httpx.get(url + "/")
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="root"></div>' in page.text, page.text[:500]
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text)
    # Built, not the source index.html (which names /src/main.tsx).
    assert any(a.endswith(".js") for a in assets), page.text
    assert any(a.endswith(".css") for a in assets), page.text
    for asset in assets:
        response = httpx.get(url + asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset
        kind = "javascript" if asset.endswith(".js") else "css"
        assert kind in response.headers["content-type"], (asset, response.headers)
    share = httpx.get(f"{url}/s/{session_id}")
    assert share.status_code == 200
    assert share.text == page.text


@pytest.mark.timeout(600)  # a cold first run builds every image (measured: ~45 s)
def test_compose_deployment_serves_runs_stops_and_keeps_data(
    server_image: str, volume: str, containers: list[ServerContainer]
) -> None:
    port = free_port()
    plan = run_flags(COMPOSE.read_text(), volume=volume, port=port)
    # compose builds `build:` with the Dockerfile in it: the one images.server() built.
    assert (ROOT / plan.build_context / "Dockerfile").resolve() == ROOT / "Dockerfile"

    first = ServerContainer(server_image, plan.flags, port)
    containers.append(first)
    health = first.wait_ready()
    assert health["status"] == "ok" and health["db"] is True, health
    assert health["docker"] is True, f"the server does not reach the host daemon: {health}"

    languages = {x["id"]: x for x in httpx.get(first.url + "/api/languages").json()}
    assert languages["python"]["available"], languages["python"]

    created = httpx.post(
        first.url + "/api/sessions",
        json={"language": "python", "title": "deployed", "code": PROGRAM},
    )
    assert created.status_code == 201, created.text
    session = created.json()
    check_web_client(first.url, session["id"])

    run, stdout, stderr = run_in_session(first.ws_url, session["id"])
    assert (run["status"], run["exit_code"]) == ("ok", 0), (run, stdout, stderr)
    assert stdout == "45\n"
    assert stderr == "to stderr\n"

    executed = httpx.post(
        first.url + "/api/execute",
        json={
            "language": "python",
            "code": "print(input().upper())",
            "stdin": "from the container\n",
        },
        timeout=30,
    )
    assert executed.status_code == 200, executed.text
    one_shot = executed.json()
    assert one_shot["status"] == "ok", one_shot
    out = "".join(c["data"] for c in one_shot["output"] if c["stream"] == "stdout")
    assert out == "FROM THE CONTAINER\n"

    first.wait_healthy()
    run_label = first.run_host_label()
    seconds = first.stop()
    state = first.inspect()["State"]
    # Exit 0 means the server exited on SIGTERM by itself: past the grace period
    # docker sends SIGKILL, which shows as 137.
    assert (state["ExitCode"], state["OOMKilled"]) == (0, False), (state, first.logs())
    assert seconds < plan.grace_s, seconds
    assert first.inspect()["RestartCount"] == 0, first.logs()
    # Its warm and run containers went with it.
    leftovers = _docker("ps", "-aq", "--filter", f"label={HOST_LABEL}={run_label}").stdout
    assert leftovers.split() == [], leftovers

    second = ServerContainer(server_image, plan.flags, port)
    containers.append(second)
    second.wait_ready()
    kept = httpx.get(f"{second.url}/api/sessions/{session['id']}")
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert (body["title"], body["code"], body["language"]) == ("deployed", PROGRAM, "python")
    assert [r["id"] for r in body["runs"]] == [run["id"]]
    stored = httpx.get(f"{second.url}/api/runs/{run['id']}").json()
    assert stored["status"] == "ok"
    assert "".join(c["data"] for c in stored["output"] if c["stream"] == "stdout") == "45\n"
    assert second.stop() < plan.grace_s
    assert second.inspect()["State"]["ExitCode"] == 0, second.logs()


def test_compose_file_reads_as_the_run_flags_it_means() -> None:
    """The reader the deployment test relies on sees the compose file as written."""
    text = COMPOSE.read_text()
    compose = parse_yaml(text)
    service = compose["services"]["playground"]
    plan = run_flags(text, volume="VOLUME", port=1234)
    flags = plan.flags
    assert ["--restart", service["restart"]] == flags[:2]
    for spec in service["volumes"]:
        source, _, target = spec.partition(":")
        mounted = f"VOLUME:{target}" if source in compose["volumes"] else spec
        assert mounted in flags, (spec, flags)
    for name in service["environment"]:
        assert any(f.startswith(f"{name}=") for f in flags), (name, flags)
    grace = duration_s(service["stop_grace_period"])
    assert ["--stop-timeout", str(round(grace))] == flags[-2:]
    assert "PLAYGROUND_PORT=1234" in flags
    # A key the reader does not know how to run fails instead of being dropped.
    with pytest.raises(ComposeError, match="teach"):
        run_flags(
            text.replace("    restart:", "    privileged: true\n    restart:"), volume="v", port=1
        )
