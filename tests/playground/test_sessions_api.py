"""The session HTTP API and the room lifecycle behind it."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, metric
from tests.yjs_client import PyClient


def test_create_list_search_patch(server: ServerProcess) -> None:
    first = server.create_session("python", title="Sorting", code="def sort(): pass\n")
    time.sleep(0.01)
    second = server.create_session("javascript", title="Fetch demo")
    assert first["language"] == "python" and first["title"] == "Sorting"
    assert set(first) == {"id", "title", "language", "created_at", "updated_at", "links"}
    assert first["links"]["edit"].startswith(f"/s/{first['id']}?t=")

    listed = httpx.get(f"{server.url}/api/sessions").json()
    assert listed["total"] == 2
    assert [s["id"] for s in listed["items"]] == [second["id"], first["id"]]
    assert all(s["last_run"] is None for s in listed["items"])

    by_code = httpx.get(f"{server.url}/api/sessions", params={"q": "def sort"}).json()
    assert [s["id"] for s in by_code["items"]] == [first["id"]]
    by_title = httpx.get(f"{server.url}/api/sessions", params={"q": "fetch"}).json()
    assert [s["id"] for s in by_title["items"]] == [second["id"]]
    page = httpx.get(f"{server.url}/api/sessions", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and [s["id"] for s in page["items"]] == [first["id"]]

    renamed = httpx.patch(f"{server.url}/api/sessions/{first['id']}", json={"title": "Sorted"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Sorted"
    detail = httpx.get(f"{server.url}/api/sessions/{first['id']}").json()
    assert detail["title"] == "Sorted"
    assert detail["code"] == "def sort(): pass\n"
    assert detail["runs"] == []
    # Renaming is an edit like any other: the newest activity comes first.
    listed = httpx.get(f"{server.url}/api/sessions").json()
    assert listed["items"][0]["id"] == first["id"]


def test_new_session_starts_from_the_language_template(server: ServerProcess) -> None:
    languages = {lang["id"]: lang for lang in httpx.get(f"{server.url}/api/languages").json()}
    session = server.create_session("go")
    detail = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()
    assert detail["code"] == languages["go"]["template"]
    snap = httpx.get(f"{server.url}/api/sessions/{session['id']}/snapshot").json()
    assert snap["code"] == detail["code"] and snap["language"] == "go"


async def test_rename_reaches_connected_clients(server: ServerProcess) -> None:
    session = server.create_session(title="before")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    assert py.meta["title"] == "before"
    httpx.patch(f"{server.url}/api/sessions/{session['id']}", json={"title": "after"})
    async with asyncio.timeout(5):
        while py.meta.get("title") != "after":
            py.changed.clear()
            await py.changed.wait()
    await py.close()


async def test_idle_rooms_are_unloaded(tmp_path: object) -> None:
    from pathlib import Path

    proc = ServerProcess(Path(str(tmp_path)) / "idle.db", env={"PLAYGROUND_ROOM_IDLE_S": "0.3"})
    proc.start()
    try:
        sessions = [proc.create_session() for _ in range(5)]
        for session in sessions:
            py = await PyClient(proc.ws_url, session["id"]).connect()
            await asyncio.wait_for(py.synced.wait(), 10)
            await py.close()
        for _ in range(50):
            if httpx.get(proc.url + "/healthz").json()["rooms"] == 0:
                break
            await asyncio.sleep(0.1)
        assert httpx.get(proc.url + "/healthz").json()["rooms"] == 0
        assert "playground_rooms_unloaded_total 5" in httpx.get(proc.url + "/metrics").text
        # An unloaded room loads again with its content intact.
        py = await PyClient(proc.ws_url, sessions[0]["id"]).connect()
        await asyncio.wait_for(py.synced.wait(), 10)
        assert (
            str(py.code) == httpx.get(f"{proc.url}/api/sessions/{sessions[0]['id']}").json()["code"]
        )
        await py.close()
    finally:
        proc.kill()


@pytest.mark.server_env({"PLAYGROUND_ROOM_IDLE_S": "4"})
async def test_a_room_stays_loaded_through_its_grace_period(server: ServerProcess) -> None:
    # A client reloading the page finds the room still loaded within the grace.
    session = server.create_session()
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    await py.close()
    await asyncio.sleep(2)
    assert metric(server, "playground_rooms") == 1
    for _ in range(100):
        if metric(server, "playground_rooms") == 0:
            break
        await asyncio.sleep(0.1)
    assert metric(server, "playground_rooms") == 0


def test_healthz_and_metrics(server: ServerProcess) -> None:
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["status"] == "ok" and health["db"] is True
    assert isinstance(health["docker"], bool)
    text = httpx.get(f"{server.url}/metrics").text
    for name in (
        "playground_rooms",
        "playground_clients",
        "playground_updates_stored_total",
        "playground_store_write_seconds_count",
        "playground_store_journal_copy_seconds_count",
    ):
        assert f"\n{name}" in "\n" + text


def test_process_metrics_are_the_server_process(server: ServerProcess) -> None:
    """`process_*` read the serving process itself, with every digit (a Unix time
    printed with six would be off by more than an hour)."""
    assert server.proc is not None
    proc = Path(f"/proc/{server.proc.pid}")
    started = time.time()
    rss = metric(server, "process_resident_memory_bytes")
    status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines())
    vm_rss = int(status["VmRSS"].split()[0]) * 1024
    assert abs(rss - vm_rss) < max(0.1 * vm_rss, 4 * 2**20)
    open_fds = metric(server, "process_open_fds")
    assert 3 < open_fds <= metric(server, "process_max_fds")
    stat = (proc / "stat").read_text().rpartition(")")[2].split()
    cpu_ticks = int(stat[11]) + int(stat[12])  # utime, stime
    cpu = metric(server, "process_cpu_seconds_total")
    assert cpu > 0 and cpu >= cpu_ticks / os.sysconf("SC_CLK_TCK") - 0.02
    start = metric(server, "process_start_time_seconds")
    assert started - 120 < start < started


def test_limits_are_published(server: ServerProcess) -> None:
    limits = httpx.get(f"{server.url}/api/limits").json()
    assert limits["time_limit_s"] == 10
    assert limits["memory_mb"] == 256
    assert limits["pids"] == 128
    assert limits["output_bytes"] == 1024 * 1024
    assert limits["code_bytes"] == 256 * 1024
    assert limits["network"] is False


async def test_search_finds_what_was_typed_once_the_room_is_quiet(server: ServerProcess) -> None:
    session = server.create_session(code="")
    py = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(py.synced.wait(), 10)
    py.code.insert(0, "x = 1\n")  # the room's first edit stores the summary at once
    await asyncio.sleep(0.5)
    started = time.monotonic()
    py.code.insert(0, "def quiet_marker():\n    pass\n")
    found: list[str] = []
    async with asyncio.timeout(10):  # the summary is stored ~2 s after the last edit
        while not found:
            await asyncio.sleep(0.2)
            items = httpx.get(f"{server.url}/api/sessions", params={"q": "quiet_marker"})
            found = [item["id"] for item in items.json()["items"]]
    assert found == [session["id"]]
    assert time.monotonic() - started >= 1.5  # not with the keystroke: once quiet
    await py.close()
