"""Retention pruning (off by default) deletes old history but the document still loads."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pycrdt import Doc, Text

from crdt_store import Store
from crdt_store.history import Retention, history_floor, prune_history
from tests.conftest import ServerProcess
from tests.history.helpers import now_ms, snapshot, timeline
from tests.yjs_client import PyClient


async def _type(client: PyClient, text: str) -> None:
    for char in text:
        client.code.insert(len(client.code), char)
        await asyncio.sleep(0.002)


async def test_pruned_history_keeps_the_document_and_refuses_older_moments(
    server: ServerProcess,
) -> None:
    session = server.create_session(code="")
    sid = session["id"]
    typist = await PyClient(server.ws_url, sid).connect()
    await asyncio.wait_for(typist.synced.wait(), 10)
    await _type(typist, "old ")
    await typist.wait_text("old ")
    reader = await PyClient(server.ws_url, sid).connect()
    await reader.wait_text("old ")
    await asyncio.sleep(0.01)
    cutoff = now_ms()
    await asyncio.sleep(0.01)
    await _type(typist, "new")
    await reader.wait_text("old new")
    events = timeline(server, sid)
    at_cutoff = snapshot(server, sid, at=cutoff)
    later = [e for e in events if e["t"] >= cutoff]
    await typist.close()
    await reader.close()
    server.stop()

    async with Store(server.db) as store:
        report = await prune_history(store, cutoff)
        assert report.updates == len(events) - len(later)
        assert await history_floor(store, sid) == at_cutoff["seq"]
    server.start()

    assert timeline(server, sid) == later
    assert snapshot(server, sid)["code"] == "old new"
    assert snapshot(server, sid, at=cutoff) == at_cutoff
    for event in later:
        assert snapshot(server, sid, seq=event["seq"])["seq"] == event["seq"]
    gone = httpx.get(f"{server.url}/api/sessions/{sid}/snapshot", params={"seq": 1})
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "history_pruned"
    loaded = await PyClient(server.ws_url, sid).connect()
    await loaded.wait_text("old new")
    await loaded.close()
    # A pruned history still exports and imports: the file carries the base snapshot.
    document = httpx.get(f"{server.url}/api/sessions/{sid}/export").json()
    assert document["base"]["seq"] == at_cutoff["seq"]
    response = httpx.post(f"{server.url}/api/sessions/import", json=document)
    assert response.status_code == 201, response.text
    assert timeline(server, response.json()["id"]) == later
    assert snapshot(server, response.json()["id"], at=cutoff)["code"] == at_cutoff["code"]


async def test_retention_is_off_by_default_and_prunes_when_on(tmp_path: Any) -> None:
    async with Store(tmp_path / "r.db") as store:
        doc: Doc[Any] = Doc()
        text = doc.get("code", type=Text)
        text += "x"
        await store.create_session(
            "s1", title="t", language="python", code="x", initial_update=doc.get_update()
        )
        async with Retention(store, 0) as off:
            await asyncio.sleep(0.05)
            assert off.passes == 0
        assert len(await store.updates("s1")) == 1
        # Everything is older than "in a day's time": a one-day retention starting
        # tomorrow is the same as `days=-1`, so prune with an explicit future cutoff.
        report = await prune_history(store, now_ms() + 1)
        assert report.updates == 1 and await store.updates("s1") == []
        loaded = await store.load("s1")
        assert loaded is not None and loaded.snapshot is not None
        assert (await store.document_at("s1", 1)).code == "x"
