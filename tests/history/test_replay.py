"""The document at any past moment equals what the editors saw then, before and after
a server restart."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from tests.conftest import NodeClient, ServerProcess, start_client
from tests.history.helpers import Shadow, edit_and_record, snapshot, timeline
from tests.yjs_client import PyClient


async def _recorded_session(
    server: ServerProcess, node_clients: list[NodeClient], edits: int
) -> tuple[str, dict[str, Any], Shadow]:
    session = server.create_session(code="start\n", title="first")
    writer = await start_client(node_clients, server, session["id"], "ada")
    await writer.call("wait_synced")
    witness = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(witness.synced.wait(), 10)
    shadow = await edit_and_record(
        server, writer, witness, session["created_at"], "start\n", "first", edits
    )
    await witness.close()
    return session["id"], session, shadow


async def test_snapshot_at_random_past_times_equals_the_shadow_copy(
    history_server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    server = history_server
    session_id, session, shadow = await _recorded_session(server, node_clients, edits=120)
    rng = random.Random(11)
    for _ in range(80):
        at, code, title = shadow.pick(rng)
        snap = snapshot(server, session_id, at=at)
        assert (snap["code"], snap["title"]) == (code, title), f"at={at}"
        assert snap["at"] == at
    # Before the session existed: the empty document.
    empty = snapshot(server, session_id, at=session["created_at"] - 1)
    assert (empty["seq"], empty["code"], empty["title"], empty["language"]) == (0, "", "", "")
    # No `at`: now, which is the last recorded state.
    _, _, last_code, last_title = shadow.spans[-1]
    now = snapshot(server, session_id)
    assert (now["code"], now["title"], now["language"]) == (last_code, last_title, "python")
    # `seq=N` agrees with `at=` the time of edit N.
    for event in rng.sample(timeline(server, session_id), 20):
        by_seq = snapshot(server, session_id, seq=event["seq"])
        by_time = snapshot(server, session_id, at=event["t"])
        assert by_time["seq"] >= event["seq"]
        if by_time["seq"] == event["seq"]:
            assert by_seq["code"] == by_time["code"]


async def test_history_replays_identically_after_a_kill_and_restart(
    history_server: ServerProcess, node_clients: list[NodeClient]
) -> None:
    server = history_server
    session_id, _, shadow = await _recorded_session(server, node_clients, edits=60)
    before = timeline(server, session_id)
    rng = random.Random(5)
    moments = [shadow.pick(rng) for _ in range(40)]
    for client in node_clients:
        await client.close()
    server.kill()

    server.start()
    assert timeline(server, session_id) == before
    assert timeline(server, session_id, page=9) == before
    for at, code, title in moments:
        snap = snapshot(server, session_id, at=at)
        assert (snap["code"], snap["title"]) == (code, title), f"at={at}"
    # A cold room after the restart serves the same document on first sync.
    _, _, last_code, _ = shadow.spans[-1]
    reader = await PyClient(server.ws_url, session_id).connect()
    await asyncio.wait_for(reader.synced.wait(), 10)
    assert str(reader.code) == last_code
    await reader.close()
