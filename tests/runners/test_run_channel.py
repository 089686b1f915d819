"""The run channel and run endpoints through the real server (uvicorn subprocess)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.run_client import RunSocket, joined
from tests.runners.conftest import containers_of
from tests.yjs_client import PyClient

pytestmark = pytest.mark.docker


@pytest.mark.pool
async def test_every_client_sees_the_run_and_late_joiners_catch_up(
    server: ServerProcess,
) -> None:
    code = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.2)\n"
    session = server.create_session(language="python", code=code)
    a = await RunSocket.open(server, session["id"])
    b = await RunSocket.open(server, session["id"])
    assert (await a.next("state"))["active_run"] is None
    await b.next("state")
    await a.send({"type": "run", "user": "ada"})
    started = await b.next("run_started")
    run_id = started["run"]["id"]
    assert started["run"]["user"] == "ada"
    # A third client joins mid-run and gets the run so far.
    c = await RunSocket.open(server, session["id"])
    state = await c.next("state")
    assert state["active_run"]["id"] == run_id
    for sock in (a, b, c):
        finished = await sock.next("run_finished")
        assert finished["run"]["status"] == "ok"
        assert finished["run"]["exit_code"] == 0
    for sock in (a, b):
        out = sock.output(run_id)
        assert [f["seq"] for f in out] == list(range(len(out)))
        assert joined(out) == "line 0\nline 1\nline 2\n"
    seen_by_c = state["output"] + c.output(run_id)
    assert sorted(f["seq"] for f in seen_by_c) == list(range(len(a.output(run_id))))
    late = await RunSocket.open(server, session["id"])
    after = await late.next("state")
    assert after["active_run"]["status"] == "ok"
    assert joined(after["output"]) == "line 0\nline 1\nline 2\n"

    runs = httpx.get(f"{server.url}/api/sessions/{session['id']}/runs").json()
    assert [r["id"] for r in runs] == [run_id]
    assert runs[0]["doc_seq"] >= 1
    stored = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    assert stored["status"] == "ok"
    assert joined(stored["output"]) == "line 0\nline 1\nline 2\n"
    for sock in (a, b, c, late):
        await sock.close()


async def test_bad_frames_and_a_second_run_get_errors_and_the_socket_stays(
    server: ServerProcess,
) -> None:
    session = server.create_session(language="bash", code="sleep 1\necho done\n")
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    await sock.send("{not json")
    assert (await sock.next("error"))["code"] == "bad_message"
    await sock.send({"type": "launch"})
    assert (await sock.next("error"))["code"] == "bad_message"
    await sock.send({"type": "run"})
    await sock.send({"type": "run"})
    assert (await sock.next("error"))["code"] == "run_in_progress"
    assert (await sock.next("run_finished"))["run"]["status"] == "ok"
    await sock.send({"type": "run"})
    assert (await sock.next("run_finished"))["run"]["status"] == "ok"
    await sock.close()


async def test_stdin_frames_and_stop(server: ServerProcess) -> None:
    code = "name = input()\nprint('hello', name)\nimport time\ntime.sleep(100)\n"
    session = server.create_session(language="python", code=code)
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    await sock.send({"type": "run", "stdin": "ada"})
    run_id = (await sock.next("run_started"))["run"]["id"]
    await sock.send({"type": "stdin", "data": "\n"})
    await sock.next("output")
    assert joined(sock.output(run_id)) == "hello ada\n"
    await sock.send({"type": "stop"})
    finished = await sock.next("run_finished", timeout=5)
    assert finished["run"]["status"] == "killed"
    await sock.close()


async def test_what_one_person_types_everyone_sees_in_its_place(server: ServerProcess) -> None:
    """A prompt, the answer typed by one person, then the program's reply: every client
    gets them in that order, and the stored run and a late joiner have the input too."""
    code = (
        "name = input('Name: ')\nprint('hi', name)\n"
        "import sys\nrest = sys.stdin.read()\nprint('rest', len(rest))\n"
    )
    session = server.create_session(language="python", code=code)
    typist = await RunSocket.open(server, session["id"])
    watcher = await RunSocket.open(server, session["id"])
    for sock in (typist, watcher):
        await sock.next("state")
    await typist.send({"type": "run"})
    run_id = (await watcher.next("run_started"))["run"]["id"]
    await watcher.next("output")  # the prompt
    await typist.send({"type": "stdin", "data": "Zed\n"})
    await typist.send({"type": "stdin", "data": ""})  # nothing typed: nothing shown
    await watcher.next("output")  # the reply
    big = "x" * (70 * 1024)  # a paste past what is shown: still the program's
    await typist.send({"type": "stdin", "data": big})
    await typist.send({"type": "stdin", "eof": True})
    await typist.send({"type": "stdin", "eof": True})  # EOF once is enough
    await watcher.next("run_finished")
    await typist.next("run_finished")

    for sock in (typist, watcher):
        seen = [
            (f["type"], f.get("data"), f.get("eof"))
            for f in sock.frames
            if f["type"] in ("output", "input") and f["run_id"] == run_id
        ]
        assert seen == [
            ("output", "Name: ", None),
            ("input", "Zed\n", False),
            ("output", "hi Zed\n", None),
            ("input", "", True),
            ("output", f"rest {len(big)}\n", None),
        ], seen
    stored = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    assert [(i["seq"], i["data"], i["eof"]) for i in stored["input"]] == [
        (0, "Zed\n", False),
        (1, "", True),
    ]
    prompt, reply = stored["output"][0], stored["output"][1]
    assert prompt["t"] <= stored["input"][0]["t"] <= reply["t"]
    late = await RunSocket.open(server, session["id"])
    state = await late.next("state")
    assert [i["data"] for i in state["input"]] == ["Zed\n", ""]
    for sock in (typist, watcher, late):
        await sock.close()


async def test_the_code_comes_from_the_document_at_run_time(server: ServerProcess) -> None:
    session = server.create_session(language="python", code="print('old')\n")
    editor = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(editor.synced.wait(), 10)
    with editor.doc.transaction():
        editor.code.clear()
        editor.code += "print('new')\n"
        editor.meta["language"] = "bash"
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    # The edit reaches the server asynchronously: run until it has.
    for _ in range(20):
        await sock.send({"type": "run", "code": "print('from the client')"})
        finished = await sock.next("run_finished")
        if finished["run"]["language"] == "bash":
            break
        await asyncio.sleep(0.2)
    run_id = finished["run"]["id"]
    out = joined(sock.output(run_id)) + joined(sock.output(run_id), "stderr")
    assert finished["run"]["status"] == "failed"  # bash cannot run print('new')
    assert "from the client" not in out
    # The run's detail shows the code it ran, and its seq places it in the history.
    detail = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    assert detail["code"] == "print('new')\n"
    seq = detail["doc_seq"]
    snapshot = httpx.get(f"{server.url}/api/sessions/{session['id']}/snapshot?seq={seq}").json()
    assert snapshot["code"] == detail["code"] and snapshot["language"] == "bash"
    await editor.close()
    await sock.close()


async def test_a_session_can_lower_its_memory_limit(server: ServerProcess) -> None:
    """meta.memory_mb, shared like the time limit: 64 MiB kills what 256 MiB runs; a value
    under the floor is ignored, as a client could set anything."""
    code = "data = b'x' * (96 * 1024 * 1024)\nprint(len(data))\n"
    session = server.create_session(language="python", code=code)
    editor = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(editor.synced.wait(), 10)
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")

    async def run_with(memory_mb: object) -> dict[str, Any]:
        editor.meta["memory_mb"] = memory_mb
        # The edit reaches the server asynchronously: wait until the session says so.
        for _ in range(50):
            detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
            if detail["memory_mb"] == memory_mb:
                break
            await asyncio.sleep(0.1)
        await sock.send({"type": "run"})
        finished = await sock.next("run_finished")
        return dict(finished["run"])

    small = await run_with(64)
    assert (small["status"], small["oom_killed"]) == ("failed", True)
    assert (await run_with(4))["status"] == "ok"
    await editor.close()
    await sock.close()


async def test_hostile_run_while_another_session_is_edited(server: ServerProcess) -> None:
    bomb = server.create_session(language="python", code="while True:\n    print('y' * 10000)\n")
    calm = server.create_session(language="python", code="")
    sock = await RunSocket.open(server, bomb["id"])
    await sock.next("state")
    await sock.send({"type": "run"})
    editor = await PyClient(server.ws_url, calm["id"]).connect()
    watcher = await PyClient(server.ws_url, calm["id"]).connect()
    await asyncio.wait_for(editor.synced.wait(), 10)
    await asyncio.wait_for(watcher.synced.wait(), 10)
    editor.code += "print('typed while the other session floods')\n"
    await watcher.wait_text("print('typed while the other session floods')\n")
    finished = await sock.next("run_finished")
    assert finished["run"]["output_truncated"] is True
    assert finished["run"]["status"] == "failed"
    assert httpx.get(f"{server.url}/healthz").json()["docker"] is True
    await editor.close()
    await watcher.close()
    await sock.close()


async def test_execute_endpoint(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        ok = await http.post(
            "/api/execute",
            json={"language": "python", "code": "print(input()[::-1])", "stdin": "olleh\n"},
        )
        assert ok.status_code == 200
        body = ok.json()
        assert (body["status"], body["exit_code"], body["session_id"]) == ("ok", 0, None)
        assert joined(body["output"]) == "hello\n"
        stored = (await http.get(f"/api/runs/{body['id']}")).json()
        assert stored["output"] == body["output"]
        metrics = (await http.get("/metrics")).text
        assert 'playground_runs_total{status="ok"} 1' in metrics
        assert "playground_container_start_seconds_count 1" in metrics
        assert "playground_runs_active 0" in metrics
        bad = await http.post("/api/execute", json={"language": "cobol", "code": "x"})
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "unknown_language"
        missing = await http.post("/api/execute", json={"language": "python"})
        assert missing.status_code == 400
        assert (await http.get("/api/runs/nope")).status_code == 404
        assert (await http.get("/api/sessions/nope/runs")).status_code == 404


async def test_execute_can_lower_the_limits_for_one_run(server: ServerProcess) -> None:
    """Judge0-style per-submission limits: each lowers the server's, never raises it."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        ceiling = (await http.get("/api/limits")).json()

        async def execute(code: str, **limits: object) -> dict[str, Any]:
            response = await http.post(
                "/api/execute", json={"language": "python", "code": code, **limits}
            )
            assert response.status_code == 200, response.text
            return dict(response.json())

        # 96 MiB fits the server's limit, not a 64 MiB one; the run after it, with no
        # limit of its own, has the server's again.
        hungry = "data = b'x' * (96 * 1024 * 1024)\nprint(len(data))\n"
        small = await execute(hungry, memory_mb=64)
        assert (small["status"], small["oom_killed"]) == ("failed", True)
        assert (await execute(hungry))["status"] == "ok"
        # A program that would finish within the server's time limit, not within 1 s.
        slow = await execute("import time\ntime.sleep(3)\nprint('late')\n", time_limit_s=1)
        assert (slow["status"], slow["timed_out"], slow["output"]) == ("timeout", True, [])
        capped = await execute("print('y' * 1000)\n", output_bytes=100)
        assert (capped["status"], capped["output_truncated"]) == ("failed", True)
        assert 0 < len(joined(capped["output"]).encode()) <= 100

        # More than the server allows, or nonsense: a clear 400, and nothing runs.
        async def runs_so_far() -> float:
            lines = (await http.get("/metrics")).text.splitlines()
            return sum(
                float(x.split()[-1]) for x in lines if x.startswith("playground_runs_total{")
            )

        runs_before = await runs_so_far()
        assert runs_before == 4
        for name, value in (
            ("memory_mb", ceiling["memory_mb"] + 1),
            ("memory_mb", 8),
            ("memory_mb", 64.5),
            ("time_limit_s", ceiling["time_limit_s"] * 2),
            ("time_limit_s", 0),
            ("time_limit_s", "2"),
            ("output_bytes", True),
            ("output_bytes", ceiling["output_bytes"] + 1),
        ):
            refused = await http.post(
                "/api/execute", json={"language": "python", "code": "print(1)", name: value}
            )
            assert refused.status_code == 400, (name, value)
            error = refused.json()["error"]
            assert error["code"] == "invalid_field" and name in error["message"], error
        assert await runs_so_far() == runs_before


async def test_deleting_a_session_closes_its_run_sockets_with_4404(
    server: ServerProcess,
) -> None:
    session = server.create_session(language="bash", code="sleep 100\n")
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    await sock.send({"type": "run"})
    await sock.next("run_started")
    assert httpx.delete(f"{server.url}/api/sessions/{session['id']}").status_code == 204
    with pytest.raises(websockets.ConnectionClosed) as info:
        await sock.next("never")
    assert info.value.rcvd is not None and info.value.rcvd.code == 4404
    unknown = await RunSocket.open(server, "no-such-session")
    with pytest.raises(websockets.ConnectionClosed) as info:
        await unknown.next("state")
    assert info.value.rcvd is not None and info.value.rcvd.code == 4404
    await sock.close()
    await unknown.close()


@pytest.mark.pool
async def test_server_stop_removes_every_container(server: ServerProcess) -> None:
    session = server.create_session(language="bash", code="sleep 100\n")
    sock = await RunSocket.open(server, session["id"])
    await sock.next("state")
    await sock.send({"type": "run"})
    await sock.next("run_started")
    assert server.proc is not None
    label = f"playground.pid={server.proc.pid}"
    assert containers_of(label), "the run (and the warm pool) have containers"
    assert await asyncio.to_thread(server.stop) == 0
    assert containers_of(label) == []
    await sock.close()


async def test_without_docker_health_says_so_and_runs_fail_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "nodocker.db", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    )
    server.start()
    try:
        health = httpx.get(f"{server.url}/healthz").json()
        assert health["status"] == "ok" and health["docker"] is False
        session = server.create_session(language="python", code="print(1)\n")
        sock = await RunSocket.open(server, session["id"])
        await sock.next("state")
        await sock.send({"type": "run"})
        assert (await sock.next("error"))["code"] == "runtime_unavailable"
        await sock.close()
        res = httpx.post(f"{server.url}/api/execute", json={"language": "python", "code": "1"})
        assert res.status_code == 503
        assert res.json()["error"]["code"] == "runtime_unavailable"
        languages = httpx.get(f"{server.url}/api/languages").json()
        assert languages and not any(lang["available"] for lang in languages)
    finally:
        assert server.stop() == 0
