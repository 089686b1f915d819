"""The timeline: every stored edit with who made it, and every run, in one time order."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import NodeClient, ServerProcess, start_client
from tests.history.helpers import snapshot, timeline
from tests.yjs_client import PyClient

RANK = {"edit": 0, "run_started": 1, "run_finished": 2}


def order_key(event: dict[str, Any]) -> tuple[int, int, int, str]:
    return (event["t"], RANK[event["kind"]], event.get("seq") or 0, event.get("run_id") or "")


async def _type_concurrently(
    server: ServerProcess, node_clients: list[NodeClient]
) -> tuple[str, list[dict[str, Any]], str]:
    """A stock Node client (ada) and a Python client (pia) type one character per
    update at once; returns the session id, its timeline and the final text."""
    session = server.create_session(code="")
    ada = await start_client(node_clients, server, session["id"], "ada")
    await ada.call("wait_synced")
    pia = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(pia.synced.wait(), 10)
    await pia.set_presence(pia.doc.client_id, 1, json.dumps({"user": {"name": "pia"}}))
    await ada.call("wait_presence", count=1)
    for _ in range(25):
        await ada.call("insert", index=0, text="a")
        pia.code.insert(len(pia.code), "p")
        await asyncio.sleep(0.002)
    # Each has seen the other's 25 characters: the server stored them all.
    async with asyncio.timeout(10):
        while Counter(str(pia.code)) != Counter(a=25, p=25):
            pia.changed.clear()
            await pia.changed.wait()
    final = str(pia.code)
    await ada.call("wait_text", text=final)
    await pia.close()
    return session["id"], timeline(server, session["id"]), final


def _added_by_each_edit(
    server: ServerProcess, session_id: str, events: list[dict[str, Any]]
) -> list[Counter[str]]:
    """The characters each edit added (replaying snapshot by snapshot)."""
    previous = snapshot(server, session_id, seq=1)["code"]
    added = []
    for event in events[1:]:
        code = snapshot(server, session_id, seq=event["seq"])["code"]
        assert not Counter(previous) - Counter(code), "no one deleted anything"
        added.append(Counter(code) - Counter(previous))
        previous = code
    return added


async def test_concurrent_editors_give_one_ordered_event_per_stored_edit(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session_id, events, final = await _type_concurrently(server, node_clients)
    assert events == timeline(server, session_id, page=7)
    assert all(e["kind"] == "edit" for e in events)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events == sorted(events, key=order_key)
    assert events[0]["author"] == "api"
    assert all(e["author"] for e in events)
    # Replayed edit by edit, the log adds up to exactly what both typed.
    added = _added_by_each_edit(server, session_id, events)
    assert sum(added, Counter()) == Counter(a=25, p=25)
    assert snapshot(server, session_id, seq=events[-1]["seq"])["code"] == final
    # Python-client edits carry its awareness name.
    assert {e["author"] for e, a in zip(events[1:], added, strict=True) if "p" in a} == {"pia"}

    # since/until select a window of the same order.
    middle = events[len(events) // 2]["t"]
    later = timeline(server, session_id, since=middle)
    assert later == [e for e in events if e["t"] >= middle]
    earlier = timeline(server, session_id, page=5, until=middle)
    assert earlier == [e for e in events if e["t"] <= middle]


async def test_each_edit_names_the_user_who_typed_it(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session_id, events, _ = await _type_concurrently(server, node_clients)
    alphabet = {"ada": {"a"}, "pia": {"p"}}
    added = _added_by_each_edit(server, session_id, events)
    for event, chars in zip(events[1:], added, strict=True):
        assert set(chars) <= alphabet[event["author"]], event
    assert {e["author"] for e in events[1:]} == {"ada", "pia"}


def test_timeline_rejects_bad_queries(server: ServerProcess) -> None:
    session = server.create_session()
    url = f"{server.url}/api/sessions/{session['id']}/timeline"
    for params in ({"limit": 0}, {"limit": 10**6}, {"since": "x"}, {"cursor": "../x"}):
        response = httpx.get(url, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid_query"
    missing = httpx.get(f"{server.url}/api/sessions/nope/timeline")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    both = httpx.get(f"{server.url}/api/sessions/{session['id']}/snapshot?at=1&seq=1")
    assert both.status_code == 400


async def run_once(server: ServerProcess, session_id: str, user: str) -> dict[str, Any]:
    """Starts a run over the run channel and returns its finished RUN."""
    async with websockets.connect(f"{server.ws_url}/ws/run/{session_id}") as ws:
        await ws.send(json.dumps({"type": "run", "user": user}))
        async with asyncio.timeout(60):
            while True:
                message = json.loads(await ws.recv())
                assert message["type"] != "error", message
                if message["type"] == "run_finished":
                    run: dict[str, Any] = message["run"]
                    return run


@pytest.mark.docker
async def test_runs_appear_between_the_edits_they_ran(
    server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    session = server.create_session("python", code='print("one")\n')
    ada = await start_client(node_clients, server, session["id"], "ada")
    await ada.call("wait_synced")
    first = await run_once(server, session["id"], "ada")
    await ada.call("insert", index=10**6, text='print("two")\n')
    witness = await PyClient(server.ws_url, session["id"]).connect()
    await witness.wait_text('print("one")\nprint("two")\n')
    second = await run_once(server, session["id"], "bob")
    assert first["status"] == second["status"] == "ok"

    events = timeline(server, session["id"])
    assert events == sorted(events, key=order_key)
    runs = [(e["kind"], e["run_id"]) for e in events if e["kind"] != "edit"]
    assert runs == [
        ("run_started", first["id"]),
        ("run_finished", first["id"]),
        ("run_started", second["id"]),
        ("run_finished", second["id"]),
    ]
    finished = [e for e in events if e["kind"] == "run_finished"]
    assert [e["status"] for e in finished] == ["ok", "ok"]
    assert [e["author"] for e in finished] == ["ada", "bob"]
    # Each run starts after the edit its code came from, and shows that code.
    position = {(e["kind"], e.get("seq") or e.get("run_id")): i for i, e in enumerate(events)}
    for run, code in ((first, 'print("one")\n'), (second, 'print("one")\nprint("two")\n')):
        detail = httpx.get(f"{server.url}/api/runs/{run['id']}").json()
        assert position[("edit", detail["doc_seq"])] < position[("run_started", run["id"])]
        assert snapshot(server, session["id"], seq=detail["doc_seq"])["code"] == code
    await witness.close()
