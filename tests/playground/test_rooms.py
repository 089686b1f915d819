"""A room on a real store, with clients on transports the test drives by hand: nothing
is delivered before it is durable (in the update journal or in SQLite), on the fast
path or the queued one, and order holds across both."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text

from crdt_store import Store
from crdt_store.journal import decode, journal_path
from playground import rooms
from playground.errors import StoreError
from playground.peers import Peer
from playground.protocol import SYNC_UPDATE, decode_message, sync_message
from playground.room_registry import RoomRegistry
from tests.hand_transport import HandTransport


class CheckingTransport(HandTransport):
    """Notes every update it is handed that would not survive the server being killed
    right then: neither the database nor the update journal's file holds it."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = sqlite3.connect(db)
        self.journal = journal_path(db)
        self.updates: list[bytes] = []
        self.unstored: list[bytes] = []
        self.journaled: list[bytes] = []

    def send_now(self, message: bytes) -> bool:
        decoded = decode_message(message)
        if getattr(decoded, "subtype", None) == SYNC_UPDATE:
            update = decoded.payload  # type: ignore[union-attr]
            rows = self.db.execute("SELECT data FROM updates WHERE session_id = 's1'")
            journaled = {
                j.update.data
                for j in decode(self.journal.read_bytes() if self.journal.exists() else b"")
                if j.session_id == "s1"
            }
            if update in journaled:
                self.journaled.append(update)
            elif update not in {bytes(row[0]) for row in rows}:
                self.unstored.append(update)
            self.updates.append(update)
        return super().send_now(message)


class Typist:
    def __init__(self, initial: bytes) -> None:
        self.doc: Doc[Any] = Doc()
        self.doc.apply_update(initial)
        self.text = self.doc.get("code", type=Text)
        self.sent: list[bytes] = []
        self.doc.observe(lambda event: self.sent.append(event.update))

    def type(self, transport: HandTransport, chars: str) -> None:
        self.text += chars
        transport.push(sync_message(SYNC_UPDATE, self.sent[-1]))


async def until(condition: Any, timeout: float = 10.0) -> None:
    """Polls `condition`: what it looks at (the room, a transport) has no event to wait on."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


@asynccontextmanager
async def session_s1(
    path: Path, *, snapshot_every: int, journal: bool = True
) -> AsyncIterator[tuple[Store, RoomRegistry, bytes]]:
    """A store and a room registry over it, with session "s1" created (its first update
    is yielded too), but no room loaded yet."""
    async with (
        Store(path, journal=journal) as store,
        RoomRegistry(
            store,
            idle_seconds=60,
            keepalive_seconds=60,
            max_code_bytes=1 << 16,
            snapshot_every=snapshot_every,
        ) as registry,
    ):
        initial = registry.new_document("python", "t", "")
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        yield store, registry, initial


async def one_client(
    registry: RoomRegistry,
) -> tuple[HandTransport, Peer, asyncio.Task[None], rooms.DocRoom]:
    """One client on a hand-driven transport, served in session "s1" and joined: its
    transport, its peer, the task serving it, and the room."""
    wire = HandTransport()
    peer = Peer(wire, path="s1", queue_size=64)
    serving = asyncio.create_task(registry.serve(peer))
    await until(lambda: "s1" in registry.rooms and registry.rooms["s1"].peers)
    return wire, peer, serving, registry.rooms["s1"]


@pytest.mark.parametrize("journal", [True, False], ids=["journal", "sqlite-only"])
async def test_updates_are_stored_before_delivery_at_once_or_queued_and_stay_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal: bool
) -> None:
    monkeypatch.setattr(rooms, "SUMMARY_QUIET_S", 0.2)
    path = tmp_path / "db.sqlite"
    async with session_s1(path, snapshot_every=3, journal=journal) as (store, registry, initial):
        ada_wire, bob_wire = HandTransport(), CheckingTransport(path)
        ada, bob = (
            Peer(ada_wire, path="s1", queue_size=64),
            Peer(bob_wire, path="s1", queue_size=64),
        )
        serving = [asyncio.create_task(registry.serve(p)) for p in (ada, bob)]
        await until(lambda: "s1" in registry.rooms and len(registry.rooms["s1"].peers) == 2)
        room = registry.rooms["s1"]
        typist = Typist(initial)

        typist.type(ada_wire, "a")  # the first one carries the summary: queued
        await until(lambda: len(bob_wire.updates) == 1)
        typist.type(ada_wire, "b")  # a quiet room: stored and delivered in this turn
        assert len(bob_wire.updates) == 2

        # Another program holds the database's write lock. With the journal, updates
        # are journaled and delivered at once, and reach SQLite once the lock is
        # free; without it they queue, and none is delivered until it is stored.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        for chars in "cde":
            typist.type(ada_wire, chars)
        if journal:
            assert bob_wire.updates == typist.sent
            assert bob_wire.journaled[-3:] == typist.sent[2:]
        else:
            await asyncio.sleep(0.3)
            assert len(bob_wire.updates) == 2
        other.execute("COMMIT")
        other.close()
        await until(lambda: len(bob_wire.updates) == 5)
        for chars in "fgh":  # quiet again: at once, and a snapshot falls due among them
            typist.type(ada_wire, chars)
        await room.flush()

        assert bob_wire.unstored == []
        if not journal:
            assert bob_wire.journaled == []
        assert bob_wire.updates == typist.sent
        stored = await store.updates("s1", after_seq=1)
        assert [u.data for u in stored] == typist.sent
        assert (await store.document_at("s1", 9)).code == "abcdefgh"
        await until(lambda: room.snapshot_seq == 9)
        snapshot = await store.latest_snapshot("s1")
        assert snapshot is not None and snapshot.seq == 9
        # The summary follows once the room is quiet, updates stored at once included.
        await until(lambda: not room._summary_stale)
        listed, _ = await store.list_sessions(q="abcdefgh")
        assert [s.id for s in listed] == ["s1"]

        for wire in (ada_wire, bob_wire):
            wire.push(None)
        await asyncio.gather(*serving)


async def test_a_failing_summary_write_is_retried_after_a_quiet_spell_not_in_a_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rooms, "SUMMARY_QUIET_S", 0.1)
    async with session_s1(tmp_path / "db.sqlite", snapshot_every=50) as (store, registry, initial):
        wire, _, serving, room = await one_client(registry)
        typist = Typist(initial)
        typist.type(wire, "a")
        await room.flush()
        await until(lambda: not room._summary_stale)

        attempts = 0
        store_summary = store.update_summary

        async def failing(session_id: str, summary: Any) -> None:
            nonlocal attempts
            attempts += 1
            raise StoreError("disk I/O error")

        monkeypatch.setattr(store, "update_summary", failing)
        typist.type(wire, "b")
        await asyncio.sleep(0.5)  # the loop runs: no retry without a pause
        assert 1 <= attempts <= 6
        monkeypatch.setattr(store, "update_summary", store_summary)
        await until(lambda: not room._summary_stale)
        listed, _ = await store.list_sessions(q="ab")
        assert [s.id for s in listed] == ["s1"]

        wire.push(None)
        await serving


async def test_flush_waits_for_updates_that_arrive_while_a_snapshot_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot made due by updates stored at once is written by the room's writer;
    updates that queue meanwhile are stored before `flush` (unload, shutdown, API reads)
    returns."""
    async with session_s1(tmp_path / "db.sqlite", snapshot_every=3) as (store, registry, initial):
        wire, _, serving, room = await one_client(registry)
        typist = Typist(initial)
        typist.type(wire, "a")  # queued (it carries the summary): seq 2
        await room.flush()

        writing, gate = asyncio.Event(), asyncio.Event()
        save_snapshot = store.save_snapshot

        async def slow_snapshot(session_id: str, seq: int, state: bytes) -> None:
            async with store._write_lock:  # as a large snapshot written on the thread does
                writing.set()
                await gate.wait()
            await save_snapshot(session_id, seq, state)

        monkeypatch.setattr(store, "save_snapshot", slow_snapshot)
        typist.type(wire, "b")  # stored at once (seq 3): the snapshot falls due
        await asyncio.wait_for(writing.wait(), 5)
        typist.type(wire, "c")  # the store is busy: queued
        flushed = asyncio.create_task(room.flush())
        await asyncio.sleep(0.05)
        gate.set()
        await flushed
        assert room.last_seq == 4  # read before any other task runs: flush meant it
        assert [u.seq for u in await store.updates("s1", after_seq=1)] == [2, 3, 4]

        wire.push(None)
        await serving


async def test_the_size_limit_holds_across_many_small_updates_and_server_side_edits(
    tmp_path: Path,
) -> None:
    """The room checks each update against a running upper bound of the code's size,
    not the document: the bound must add up every update and start over after a
    change the server makes itself. (The registry's limit is 64 KiB.)"""
    async with session_s1(tmp_path / "db.sqlite", snapshot_every=50) as (store, registry, initial):
        wire, peer, serving, room = await one_client(registry)
        typist = Typist(initial)
        for _ in range(60):  # 60 KiB, each update well under the limit on its own
            typist.type(wire, "x" * 1024)
        assert not peer.closed
        code = room.ydoc.get("code", type=Text)
        await registry.edit("s1", lambda _: code.insert(0, "y" * 4000), "api")
        typist.doc.apply_update(room.ydoc.get_update(typist.doc.get_state()))
        assert len(str(room.code)) == 60 * 1024 + 4000

        typist.type(wire, "z" * 1024)  # 61 KiB + 4,000 bytes: over 64 KiB
        assert peer.closed and peer.close_code[0] == 4413
        assert len(str(room.code)) == 60 * 1024 + 4000
        await room.flush()
        assert (await store.document_at("s1", room.last_seq)).code == str(room.code)
        await serving


async def test_the_size_limit_counts_held_updates_once_they_join(tmp_path: Path) -> None:
    """An update that waits for a change the server lacks is invisible until that
    change arrives; once it joins, its size must still count against the limit."""
    async with session_s1(tmp_path / "db.sqlite", snapshot_every=50) as (_, registry, initial):
        wire, peer, serving, room = await one_client(registry)
        client = Typist(initial)
        client.text += "# start\n"
        client.text += "h" * 40_000
        first, held = client.sent
        wire.push(sync_message(SYNC_UPDATE, held))  # waits for `first`
        wire.push(sync_message(SYNC_UPDATE, first))
        assert len(str(room.code)) == 40_008

        client.text += "b" * 40_000  # 80,008 bytes: over 64 KiB
        wire.push(sync_message(SYNC_UPDATE, client.sent[-1]))
        assert peer.closed and peer.close_code[0] == 4413
        assert len(str(room.code)) == 40_008
        await serving
