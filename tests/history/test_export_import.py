"""Export → import gives a session with the same history; bad files change nothing."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import NodeClient, ServerProcess, start_client
from tests.history.helpers import edit_and_record, redigest, snapshot, timeline
from tests.history.test_timeline import run_once
from tests.run_client import RunSocket
from tests.yjs_client import PyClient


async def _edited_session(server: ServerProcess, node_clients: list[NodeClient]) -> str:
    session = server.create_session(code="base\n", title="exam")
    ada = await start_client(node_clients, server, session["id"], "ada")
    await ada.call("wait_synced")
    witness = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(witness.synced.wait(), 10)
    await edit_and_record(server, ada, witness, session["created_at"], "base\n", "exam", 40)
    await witness.close()
    return str(session["id"])


def export(server: ServerProcess, session_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/sessions/{session_id}/export")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    body: dict[str, Any] = response.json()
    return body


def import_(server: ServerProcess, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/sessions/import",
        content=body,
        headers={"content-type": "application/json"},
    )


def assert_same_history(
    a: ServerProcess, a_id: str, b: ServerProcess, b_id: str, runs: dict[str, str] | None = None
) -> None:
    """Same events (run ids mapped), same document after every edit and at every
    event time and between them."""
    runs = runs or {}
    original = timeline(a, a_id)
    copied = timeline(b, b_id)
    renamed = [{**e, "run_id": runs[e["run_id"]]} if "run_id" in e else e for e in original]
    assert copied == renamed
    times = sorted({e["t"] for e in original})
    rng = random.Random(3)
    moments = times + [rng.randint(times[0] - 5, times[-1] + 5) for _ in range(30)]
    for at in moments:
        mine, theirs = snapshot(a, a_id, at=at), snapshot(b, b_id, at=at)
        assert {**mine, "at": 0} == {**theirs, "at": 0}, at
    for event in original:
        if event["kind"] == "edit":
            assert snapshot(a, a_id, seq=event["seq"]) | {"at": 0} == snapshot(
                b, b_id, seq=event["seq"]
            ) | {"at": 0}


async def test_export_then_import_gives_an_identical_history(
    history_server: ServerProcess, node_clients: list[NodeClient], tmp_path: Path
) -> None:
    server = history_server
    session_id = await _edited_session(server, node_clients)
    document = export(server, session_id)
    assert document["format"] == "playground-session-history" and document["version"] == 1

    response = import_(server, json.dumps(document).encode())
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["id"] != session_id
    assert set(imported) == {"id", "title", "language", "created_at", "updated_at", "links"}
    assert_same_history(server, session_id, server, imported["id"])

    # The same file into a different server (its own database) gives the same again.
    other = ServerProcess(tmp_path / "other.db")
    other.start()
    try:
        again = import_(other, json.dumps(document).encode())
        assert again.status_code == 201, again.text
        assert_same_history(server, session_id, other, again.json()["id"])
    finally:
        other.kill()

    # The imported session is a live one: editors join it and its history goes on.
    copy_id = imported["id"]
    last = timeline(server, copy_id)[-1]["seq"]
    bob = await start_client(node_clients, server, copy_id, "bob")
    synced = await bob.call("wait_synced")
    assert synced["text"] == snapshot(server, session_id)["code"]
    await bob.call("insert", index=0, text="# reviewed\n")
    reader = await PyClient(server.ws_url, copy_id).connect()
    await reader.wait_text("# reviewed\n" + synced["text"])
    await reader.close()
    assert timeline(server, copy_id)[-1]["seq"] > last
    assert timeline(server, session_id) == timeline(server, session_id, until=2**53)


@pytest.mark.docker
async def test_runs_and_their_output_travel_with_the_export(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session("python", code='print("hello")\n')
    run = await run_once(server, session["id"], "ada")
    document = export(server, session["id"])
    assert [r["id"] for r in document["runs"]] == [run["id"]]
    response = import_(server, json.dumps(document).encode())
    assert response.status_code == 201, response.text
    copy_id = response.json()["id"]
    (copied,) = httpx.get(f"{server.url}/api/sessions/{copy_id}/runs").json()
    assert copied["id"] != run["id"]
    assert_same_history(server, session["id"], server, copy_id, {run["id"]: copied["id"]})
    original = httpx.get(f"{server.url}/api/runs/{run['id']}").json()
    detail = httpx.get(f"{server.url}/api/runs/{copied['id']}").json()
    assert detail["output"] == original["output"]
    assert "hello" in "".join(chunk["data"] for chunk in detail["output"])
    drop = {"id", "session_id"}
    assert {k: v for k, v in detail.items() if k not in drop} == {
        k: v for k, v in original.items() if k not in drop
    }


@pytest.mark.docker
async def test_what_was_typed_into_a_run_travels_with_it(server: ServerProcess) -> None:
    session = server.create_session("python", code="print('hi', input('Name: '))\n")
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    await sock.send({"type": "run", "user": "ada"})
    run_id = (await sock.next("run_started"))["run"]["id"]
    await sock.next("output")
    await sock.send({"type": "stdin", "data": "Zed\n"})
    await sock.next("run_finished")
    await sock.close()
    document = export(server, session["id"])
    assert [(i["data"], i["eof"]) for i in document["runs"][0]["input"]] == [("Zed\n", False)]
    copied = _imported_run(server, document)
    original = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    detail = httpx.get(f"{server.url}/api/runs/{copied['id']}").json()
    assert detail["input"] == original["input"] and len(detail["input"]) == 1
    # A file exported before runs kept their input: none.
    older_copy = _imported_run(server, _with_run(document, lambda run: run.pop("input")))
    assert httpx.get(f"{server.url}/api/runs/{older_copy['id']}").json()["input"] == []
    for bad in ("Zed", [{"seq": 0, "t": 1, "data": 5}], [{"seq": 0, "t": 1, "data": "", "eof": 1}]):
        assert _refused(server, _with_run(document, lambda run, bad=bad: run.update(input=bad))), (
            bad
        )


def _imported_run(server: ServerProcess, doc: dict[str, Any]) -> dict[str, Any]:
    """Imports `doc` (one run) and gives the new session's run."""
    response = import_(server, json.dumps(doc).encode())
    assert response.status_code == 201, response.text
    (copied,) = httpx.get(f"{server.url}/api/sessions/{response.json()['id']}/runs").json()
    return dict(copied)


def _with_run(doc: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A copy of `doc` with `change` made to its first run, and its digest redone."""
    changed = copy.deepcopy(doc)
    change(changed["runs"][0])
    return redigest(changed)


def _refused(server: ServerProcess, doc: dict[str, Any]) -> bool:
    return import_(server, json.dumps(doc).encode()).status_code == 422


@pytest.mark.docker
async def test_a_compile_failure_travels_and_older_files_import_without_it(
    server: ServerProcess,
) -> None:
    session = server.create_session("c", code="int main( {\n")
    run = await run_once(server, session["id"], "ada")
    assert (run["status"], run["compile_failed"]) == ("failed", True)
    document = export(server, session["id"])
    assert document["runs"][0]["compile_failed"] is True

    assert _imported_run(server, document)["compile_failed"] is True
    # A file exported before runs recorded it: those runs count as compiled.
    older = _with_run(document, lambda run: run.pop("compile_failed"))
    assert _imported_run(server, older)["compile_failed"] is False
    assert _refused(server, _with_run(document, lambda run: run.update(compile_failed="yes")))


@pytest.mark.docker
async def test_what_a_program_used_travels_and_older_files_import_without_it(
    server: ServerProcess,
) -> None:
    session = server.create_session("python", code="data = b'x' * 50_000_000\nprint(1)\n")
    run = await run_once(server, session["id"], "ada")
    assert run["status"] == "ok"
    assert run["memory_kb"] >= 48_000 and run["cpu_ms"] >= 0
    document = export(server, session["id"])
    assert (document["runs"][0]["cpu_ms"], document["runs"][0]["memory_kb"]) == (
        run["cpu_ms"],
        run["memory_kb"],
    )

    copied = _imported_run(server, document)
    assert (copied["cpu_ms"], copied["memory_kb"]) == (run["cpu_ms"], run["memory_kb"])
    # A file exported before runs recorded it: not measured.
    older = _with_run(document, lambda run: (run.pop("cpu_ms"), run.pop("memory_kb")))
    assert _imported_run(server, older)["memory_kb"] is None
    for bad in ("12", -1, 1.5, True):
        assert _refused(
            server, _with_run(document, lambda run, bad=bad: run.update(memory_kb=bad))
        ), bad


def _corruptions(document: dict[str, Any]) -> list[tuple[str, bytes, int, str]]:
    """(name, file, expected status, expected error code)."""

    def variant(change: Any, fix_digest: bool = True) -> bytes:
        changed = copy.deepcopy(document)
        change(changed)
        return json.dumps(redigest(changed) if fix_digest else changed).encode()

    def flip(d: dict[str, Any]) -> None:
        data = bytearray(base64.b64decode(d["updates"][3]["data"]))
        data[len(data) // 2] ^= 0x5A
        d["updates"][3]["data"] = base64.b64encode(bytes(data)).decode()

    def garbage(d: dict[str, Any]) -> None:
        d["updates"][3]["data"] = base64.b64encode(b"\x05\xff\xff\xff garbage").decode()

    def drop_middle(d: dict[str, Any]) -> None:
        del d["updates"][2]
        for seq, update in enumerate(d["updates"], start=1):
            update["seq"] = seq
        d["final"]["seq"] -= 1

    def gap(d: dict[str, Any]) -> None:
        d["updates"][5]["seq"] = 99

    def back_in_time(d: dict[str, Any]) -> None:
        d["updates"][4]["t"] = 1

    def bad_run(d: dict[str, Any]) -> None:
        d["runs"] = [{"id": "x", "status": ["ok"]}]

    raw = json.dumps(document).encode()
    return [
        ("not json", b"\x00\x01 not json", 400, "invalid_json"),
        ("truncated", raw[: len(raw) // 2], 400, "invalid_json"),
        ("an array", b"[]", 422, "unsupported_export"),
        ("foreign", b'{"type": "yjs-doc", "update": "AAA="}', 422, "unsupported_export"),
        ("newer version", variant(lambda d: d.update(version=2)), 422, "unsupported_export"),
        ("flipped byte", variant(flip, fix_digest=False), 422, "corrupted_export"),
        ("flipped byte, digest redone", variant(flip), 422, "corrupted_export"),
        ("garbage update", variant(garbage), 422, "corrupted_export"),
        ("update missing", variant(drop_middle), 422, "corrupted_export"),
        ("seq gap", variant(gap), 422, "corrupted_export"),
        ("time goes back", variant(back_in_time), 422, "corrupted_export"),
        (
            "no digest",
            variant(lambda d: d.pop("digest"), fix_digest=False),
            422,
            "corrupted_export",
        ),
        ("bad run", variant(bad_run), 422, "corrupted_export"),
        ("no updates", variant(lambda d: d.update(updates=[])), 422, "corrupted_export"),
        ("too large", b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413, "payload_too_large"),
    ]


async def test_corrupted_or_foreign_files_are_refused_and_nothing_is_created(
    history_server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    server = history_server
    session_id = await _edited_session(server, node_clients)
    document = export(server, session_id)
    before = httpx.get(f"{server.url}/api/sessions").json()
    for name, body, status, code in _corruptions(document):
        response = import_(server, body)
        assert response.status_code == status, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == code, name
        assert error["message"], name
    assert httpx.get(f"{server.url}/api/sessions").json() == before
    # The untouched file still imports: the refusals were about the changes.
    assert import_(server, json.dumps(document).encode()).status_code == 201
