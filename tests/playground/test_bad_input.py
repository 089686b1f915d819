"""Untrusted bytes and JSON: refused clearly, nothing else harmed."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import websockets
from pycrdt import Doc, Text

from playground.protocol import SYNC_UPDATE, sync_message
from tests.conftest import NodeClient, ServerProcess, metric, start_client
from tests.yjs_client import PyClient

BAD_FRAMES = [
    pytest.param(b"\x00", id="sync-without-subtype"),
    pytest.param(b"\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", id="truncated-varint"),
    pytest.param(b"\x00\x02\x7f" + b"\x01" * 10, id="length-past-end"),
    pytest.param(b"\x00\x02\x05\x01\x02\x03\x04\x05", id="garbage-update"),
    pytest.param(b"\x00\x07\x00", id="unknown-sync-type"),
    pytest.param(b"\x09", id="unknown-message-type"),
    pytest.param(b"\x01\x05\x01\x01\x01\x01{", id="awareness-not-json"),
    pytest.param(bytes(range(256)) * 4, id="random-bytes"),
]


@pytest.mark.parametrize("frame", BAD_FRAMES)
async def test_bad_frame_closes_only_that_connection(
    server: ServerProcess, node_clients: list[NodeClient], frame: bytes
) -> None:
    session = server.create_session(code="safe\n")
    good = await start_client(node_clients, server, session["id"], "good")
    await good.call("wait_synced")

    async with websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}") as ws:
        await ws.send(frame)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400

    # The document and the other client are unharmed and editing goes on.
    await good.call("insert", index=0, text="still ")
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await watcher.wait_text("still safe\n")
    await watcher.close()
    assert "sent a bad frame" in server.log()
    assert metric(server, 'playground_doc_frames_total{outcome="bad_frame"}') == 1


async def test_text_frame_and_oversized_frame_are_refused(server: ServerProcess) -> None:
    session = server.create_session(code="x")
    async with websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}") as ws:
        await ws.send("hello")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400

    big = b"\x00\x02" + b"\x80\x80\xc0\x01" + b"\x00" * (3 * 1024 * 1024)
    async with websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}", max_size=None) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.send(big)
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert httpx.get(f"{server.url}/healthz").status_code == 200


async def test_code_over_the_size_limit_is_refused(server: ServerProcess) -> None:
    session = server.create_session(code="")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    py.code.insert(0, "x" * (300 * 1024))
    assert await py.wait_closed() == 4413
    assert metric(server, 'playground_doc_frames_total{outcome="too_large"}') == 1
    detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
    assert detail["code"] == ""


def held_then_released(count: int) -> list[bytes]:
    """`count` updates of 100 KB that each depend on a small first one, sent before it."""
    doc: Doc[Text] = Doc()
    text = doc.get("code", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text.insert(0, "# start\n")
    for i in range(count):
        text.insert(len(text), f"{i}" * 100_000)
    return [*updates[1:], updates[0]]


@pytest.mark.parametrize(
    ("existing", "held"),
    [
        pytest.param(0, 3, id="held-bytes-alone-over-the-limit"),
        pytest.param(100_000, 2, id="released-into-a-document-over-the-limit"),
    ],
)
async def test_updates_waiting_for_missing_changes_count_toward_the_size_limit(
    server: ServerProcess, existing: int, held: int
) -> None:
    """An update whose dependencies the server lacks is held, invisible, until they
    arrive; a client must not use that to slip content past the size check."""
    session = server.create_session(code="y" * existing)
    ws = await websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}")
    for update in held_then_released(held):
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(sync_message(SYNC_UPDATE, update))
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        async with asyncio.timeout(3):
            while True:
                await ws.recv()
    await ws.close()

    # The document stayed within the limit, and the session is still editable.
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    assert len(str(py.code).encode()) <= 256 * 1024
    assert ws.close_code == 4413
    py.code.insert(0, "ok\n")
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await watcher.wait_text("ok\n" + str(py.code)[3:])
    await py.close()
    await watcher.close()


async def test_held_updates_within_the_limit_join_when_released(server: ServerProcess) -> None:
    session = server.create_session(code="")
    ws = await websockets.connect(f"{server.ws_url}/ws/doc/{session['id']}")
    for update in held_then_released(2):
        await ws.send(sync_message(SYNC_UPDATE, update))
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await watcher.wait_text("# start\n" + "0" * 100_000 + "1" * 100_000)
    await ws.close()
    await watcher.close()


async def test_unknown_and_deleted_sessions_close_with_4404(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    for path in ("nope", "..%2F..%2Fetc", "a" * 100):
        py = await PyClient(server.ws_url, path).connect()
        assert await py.wait_closed() == 4404

    session = server.create_session()
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    assert httpx.delete(f"{server.url}/api/sessions/{session['id']}").status_code == 204
    assert await py.wait_closed() == 4404
    assert httpx.get(f"{server.url}/api/sessions/{session['id']}").status_code == 404
    again = await PyClient(server.ws_url, session["id"]).connect()
    assert await again.wait_closed() == 4404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/api/sessions", b"{not json", 400, "invalid_json"),
        ("POST", "/api/sessions", b"[1, 2]", 400, "bad_request"),
        ("POST", "/api/sessions", b'{"language": 5}', 400, "invalid_field"),
        ("POST", "/api/sessions", b'{"language": "cobol"}', 400, "unknown_language"),
        ("POST", "/api/sessions", b'{"language": "python", "title": ["x"]}', 400, "invalid_field"),
        (
            "POST",
            "/api/sessions",
            b'{"language": "python", "code": "' + b"x" * 300_000 + b'"}',
            413,
            "code_too_large",
        ),
        ("GET", "/api/sessions?limit=abc", None, 400, "invalid_query"),
        ("GET", "/api/sessions?limit=100000", None, 400, "invalid_query"),
        ("GET", "/api/sessions/..%2F..%2Fetc%2Fpasswd", None, 404, "not_found"),
        ("GET", "/api/sessions/x' OR '1'='1", None, 404, "not_found"),
        ("PATCH", "/api/sessions/nope", b'{"title": "x"}', 404, "not_found"),
        ("DELETE", "/api/sessions/nope", None, 404, "not_found"),
        ("GET", "/api/nothing-here", None, 404, "not_found"),
        ("PUT", "/api/sessions", b"{}", 405, "method_not_allowed"),
    ],
)
def test_bad_http_gets_a_json_error(
    server: ServerProcess, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    response = httpx.request(method, server.url + path, content=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_sql_looking_search_is_just_text(server: ServerProcess) -> None:
    server.create_session(title="100% _real_ title", code="print(1)")
    for q in ("' OR 1=1 --", "%", "_"):
        items = httpx.get(f"{server.url}/api/sessions", params={"q": q}).json()["items"]
        assert items == [] or (q == "%" and len(items) == 1) or (q == "_" and len(items) == 1)


async def test_a_document_sockets_log_lines_carry_its_request_and_session(
    server: ServerProcess,
) -> None:
    session = server.create_session(code="")
    headers = {"X-Request-Id": "req-doc-socket-1"}
    url = f"{server.ws_url}/ws/doc/{session['id']}"
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(b"\x09")
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    bad = [line for line in lines if "sent a bad frame" in line["msg"]]
    assert len(bad) == 1, lines
    assert bad[0]["request_id"] == "req-doc-socket-1"
    assert bad[0]["session_id"] == session["id"]
