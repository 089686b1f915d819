"""Share links with roles, the admin token, WebSocket origins, run limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess, metric
from tests.run_client import RunSocket
from tests.yjs_client import PyClient

ADMIN = "s3cret-admin-token"


def token(link: str) -> str:
    return link.split("?t=", 1)[1]


@pytest.fixture
def protected(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "protected.db", env={"PLAYGROUND_ADMIN_TOKEN": ADMIN})
    proc.start()
    yield proc
    proc.kill()


async def test_view_link_reads_and_shows_presence_but_cannot_edit(server: ServerProcess) -> None:
    session = server.create_session(code="original\n")
    view = token(session["links"]["view"])
    editor = await PyClient(server.ws_url, session["id"]).connect()
    viewer = await PyClient(server.ws_url, f"{session['id']}?t={view}").connect()
    await asyncio.wait_for(editor.synced.wait(), 10)
    await asyncio.wait_for(viewer.synced.wait(), 10)
    assert str(viewer.code) == "original\n"

    viewer.code.insert(0, "VANDALISM ")
    editor.code.insert(len(editor.code), "more\n")
    await viewer.wait_text("VANDALISM original\nmore\n")  # its own copy; others never see it
    await asyncio.sleep(0.5)
    assert str(editor.code) == "original\nmore\n"
    detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
    assert detail["code"] == "original\nmore\n"
    assert metric(server, 'playground_doc_frames_total{outcome="read_only_dropped"}') > 0

    as_viewer = httpx.get(f"{server.url}/api/sessions/{session['id']}", params={"t": view})
    assert as_viewer.status_code == 200
    assert as_viewer.json()["role"] == "view" and "links" not in as_viewer.json()
    for method in ("PATCH", "DELETE"):
        refused = httpx.request(
            method,
            f"{server.url}/api/sessions/{session['id']}",
            headers={"X-Playground-Token": view},
            json={"title": "x"},
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    wrong = httpx.get(f"{server.url}/api/sessions/{session['id']}", params={"t": "guess"})
    assert wrong.status_code == 403
    await editor.close()
    await viewer.close()


async def test_view_link_sees_runs_but_cannot_start_stop_or_type(server: ServerProcess) -> None:
    session = server.create_session(code="print(1)\n")
    view = token(session["links"]["view"])
    sock = await RunSocket.open(server, session["id"], f"?t={view}")
    await sock.next("state")
    for frame in ({"type": "run"}, {"type": "stop"}, {"type": "stdin", "data": "x"}):
        await sock.send(frame)
        error = await sock.next("error")
        assert error["code"] == "forbidden"
    await sock.close()


async def test_protected_instance_needs_tokens(protected: ServerProcess) -> None:
    server = protected
    body = {"language": "python", "code": "print(2)\n"}
    assert httpx.post(f"{server.url}/api/sessions", json=body).status_code == 403
    assert httpx.get(f"{server.url}/api/sessions").status_code == 403
    admin = {"Authorization": f"Bearer {ADMIN}"}
    bad_admin = {"Authorization": "Bearer nope"}
    assert httpx.post(f"{server.url}/api/sessions", json=body, headers=bad_admin).status_code == 403
    created = httpx.post(f"{server.url}/api/sessions", json=body, headers=admin)
    assert created.status_code == 201
    session: dict[str, Any] = created.json()
    assert httpx.get(f"{server.url}/api/sessions", headers=admin).json()["total"] == 1

    url = f"{server.url}/api/sessions/{session['id']}"
    assert httpx.get(url).status_code == 403
    assert httpx.get(f"{url}/timeline").status_code == 403
    assert httpx.get(f"{url}/export").status_code == 403
    view, edit = token(session["links"]["view"]), token(session["links"]["edit"])
    assert httpx.get(url, params={"t": view}).json()["role"] == "view"
    assert httpx.get(url, params={"t": edit}).json()["role"] == "edit"
    assert httpx.get(f"{url}/snapshot", params={"t": view}).json()["code"] == "print(2)\n"
    execute = {"language": "python", "code": "print(1)"}
    assert httpx.post(f"{server.url}/api/execute", json=execute).status_code == 403

    anonymous = await PyClient(server.ws_url, session["id"]).connect()
    assert await anonymous.wait_closed() == 4403
    guessing = await PyClient(server.ws_url, f"{session['id']}?t=guess").connect()
    assert await guessing.wait_closed() == 4403
    member = await PyClient(server.ws_url, f"{session['id']}?t={edit}").connect()
    await asyncio.wait_for(member.synced.wait(), 10)
    assert str(member.code) == "print(2)\n"
    await member.close()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with websockets.connect(f"{server.ws_url}/ws/run/{session['id']}") as ws:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_websockets_from_foreign_origins_are_refused(server: ServerProcess) -> None:
    session = server.create_session()
    for path in (f"/ws/doc/{session['id']}", f"/ws/run/{session['id']}"):
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with websockets.connect(
                server.ws_url + path, origin=websockets.Origin("http://elsewhere.invalid")
            ) as ws:
                await asyncio.wait_for(ws.recv(), 5)
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    own = websockets.Origin(server.url)
    async with websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}", origin=own) as ws:
        assert isinstance(await asyncio.wait_for(ws.recv(), 5), bytes)


@pytest.mark.docker
async def test_runs_per_minute_are_limited_per_session(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "runs.db", env={"PLAYGROUND_LIMIT_RUNS_PER_MINUTE": "2"})
    server.start()
    try:
        session = server.create_session(code="print(1)\n")
        sock = await RunSocket.open(server, session["id"])
        await sock.next("state")
        for _ in range(2):
            await sock.send({"type": "run"})
            await sock.next("run_finished")
        await sock.send({"type": "run"})
        assert (await sock.next("error"))["code"] == "rate_limited"
        # Another session is not affected.
        other = server.create_session(code="print(2)\n")
        sock2 = await RunSocket.open(server, other["id"])
        await sock2.next("state")
        await sock2.send({"type": "run"})
        assert (await sock2.next("run_finished"))["run"]["status"] == "ok"
        await sock.close()
        await sock2.close()
    finally:
        server.stop()
