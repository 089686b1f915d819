"""The update journal: what a room delivered survives the process being killed before
the copy into SQLite, a torn tail loses nothing that was acknowledged, readers never
miss a journaled update, and only one store owns a journal."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from crdt_store import Store, StoredUpdate
from crdt_store import journal as journal_module
from crdt_store import store as store_module
from crdt_store.history import timeline
from crdt_store.journal import decode, encode, journal_path
from tests.crdt_store.test_store import _typing

ROOT = Path(__file__).resolve().parents[2]


async def _new_session(path: Path, sid: str = "s1") -> list[bytes]:
    initial, updates, _ = _typing(20)
    async with Store(path) as store:
        await store.create_session(
            sid, title="t", language="python", code="", initial_update=initial
        )
    return updates


def _stored_seqs(path: Path, sid: str = "s1") -> list[int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT seq FROM updates WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
    return [int(r[0]) for r in rows]


def test_records_round_trip_and_a_torn_or_corrupt_record_ends_the_reading() -> None:
    updates = [
        ("s1", StoredUpdate(2, 1000, "ada", b"\x01\x02")),
        ("s-é", StoredUpdate(3, 1001, None, b"")),
        ("s1", StoredUpdate(4, 1002, "bob ☃", bytes(range(256)) * 40)),
    ]
    data = b"".join(encode(sid, u) for sid, u in updates)
    assert [(j.session_id, j.update) for j in decode(data)] == updates
    for cut in range(len(data)):
        whole = list(decode(data[:cut]))
        assert [(j.session_id, j.update) for j in whole] == updates[: len(whole)]
    flipped = bytearray(data)
    flipped[len(encode(*updates[0])) + 12] ^= 0x40  # inside the second record
    assert [j.update.seq for j in decode(bytes(flipped))] == [2]


def test_random_bytes_never_raise() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
        list(decode(blob))
        list(decode(encode("s1", StoredUpdate(1, 1, None, b"x")) + blob))


async def test_readers_see_journaled_updates_at_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    async with Store(path) as store:
        await store.append_updates("s1", [(updates[0], "ada")], None)  # caches the head
        stored = store.append_now("s1", [(updates[1], "ada"), (updates[2], "bob")])
        assert stored is not None and [u.seq for u in stored] == [3, 4]
        # Not yet in SQLite: the copy runs after the caller (a room delivering).
        assert _stored_seqs(path) == [1, 2]
        assert store.stats.copy_count == 0
        assert [j.update.seq for j in decode(journal_path(path).read_bytes())] == [3, 4]
        assert [u.seq for u in await store.updates("s1", after_seq=0)] == [1, 2, 3, 4]
        assert _stored_seqs(path) == [1, 2, 3, 4]
        # The copy is counted apart from the append, which was the journal's write.
        assert store.stats.copy_count == 1 and store.stats.copy_seconds_sum > 0
        stored = store.append_now("s1", [(updates[3], "ada")])
        assert stored is not None
        page = await timeline(store, "s1")
        assert [e.seq for e in page.events if e.kind == "edit"] == [1, 2, 3, 4, 5]
    # Closed with everything copied: the journal is empty.
    assert journal_path(path).stat().st_size == 0


async def test_updates_journaled_close_together_are_copied_in_one_statement(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    await _new_session(path, "s2")
    async with Store(path) as store:
        for sid in ("s1", "s2"):
            await store.append_updates(sid, [(updates[0], "ada")], None)  # caches heads
        await store.settle()
        copies = store.stats.copy_count
        # Two rooms' keystrokes in separate turns of the loop, well within the delay.
        for data in updates[1:6]:
            for sid in ("s1", "s2"):
                assert store.append_now(sid, [(data, "ada")]) is not None
            await asyncio.sleep(0)
        assert _stored_seqs(path) == [1, 2] and _stored_seqs(path, "s2") == [1, 2]
        # Nothing reads: the copy comes by itself (its timer is due before this
        # sleep's), once, with all ten.
        await asyncio.sleep(store_module._COPY_DELAY_S * 2)
        assert _stored_seqs(path) == _stored_seqs(path, "s2") == [1, 2, 3, 4, 5, 6, 7]
        assert store.stats.copy_count == copies + 1
        assert [u.data for u in await store.updates("s2", after_seq=1)] == updates[:6]


async def test_updates_journaled_by_a_killed_process_are_stored_at_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    await _new_session(path, "gone")
    # A server that journals five updates (so it would deliver them) and dies before
    # its copy into SQLite can run.
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        from crdt_store import Store

        async def main():
            store = Store({str(path)!r})
            await store.__aenter__()
            await store.append_updates("s1", [({updates[0]!r}, "ada")], None)
            await store.append_updates("gone", [({updates[0]!r}, "ada")], None)
            for data in {updates[1:5]!r}:
                assert store.append_now("s1", [(data, "ada")]) is not None
            assert store.append_now("gone", [({updates[1]!r}, None)]) is not None
            os._exit(0)

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT)
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    assert _stored_seqs(path) == [1, 2]
    # The session "gone" is deleted meanwhile: its journaled update must not return.
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM updates WHERE session_id = 'gone'")
        conn.execute("DELETE FROM sessions WHERE id = 'gone'")
    # A torn last record (the write that was cut short was never acknowledged).
    with journal_path(path).open("ab") as f:
        f.write(encode("s1", StoredUpdate(99, 1, "x", b"torn"))[:-3])

    async with Store(path) as store:
        assert _stored_seqs(path) == [1, 2, 3, 4, 5, 6]
        assert _stored_seqs(path, "gone") == []
        assert journal_path(path).stat().st_size == 0
        stored = await store.updates("s1", after_seq=1)
        assert [u.data for u in stored] == updates[:5]
        assert await store.last_seq("s1") == 6
        # Storing it twice (a crash after the copy, before the journal was emptied)
        # changes nothing.
    with journal_path(path).open("ab") as f:
        f.write(encode("s1", StoredUpdate(3, 1, "ada", updates[1])))
    async with Store(path) as store:
        assert [u.data for u in await store.updates("s1", after_seq=1)] == updates[:5]


async def test_a_second_store_on_the_same_database_writes_straight_to_sqlite(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    async with Store(path) as first, Store(path) as second:
        await second.append_updates("s1", [(updates[0], "ada")], None)
        stored = second.append_now("s1", [(updates[1], "ada")])
        assert stored is not None and stored[0].seq == 3
        assert _stored_seqs(path) == [1, 2, 3]
        assert journal_path(path).stat().st_size == 0
        assert await first.last_seq("s1") == 3


async def test_the_journal_is_emptied_once_large_and_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_RESET_BYTES", 200)
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    async with Store(path) as store:
        await store.append_updates("s1", [(updates[0], "ada")], None)
        sizes = []
        for data in updates[1:]:
            assert store.append_now("s1", [(data, "ada")]) is not None
            sizes.append(journal_path(path).stat().st_size)
            await store.settle()
        assert max(sizes) < 400 and min(sizes) > 0
        assert [u.data for u in await store.updates("s1", after_seq=1)] == updates


async def test_a_copy_blocked_by_another_process_completes_once_it_lets_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    async with Store(path) as store:
        await store.append_updates("s1", [(updates[0], "ada")], None)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")

        def let_go() -> None:
            other.execute("ROLLBACK")
            other.close()

        # Journaled (durable) even though SQLite is locked.
        for data in updates[1:4]:
            assert store.append_now("s1", [(data, "ada")]) is not None
        assert [j.update.seq for j in decode(journal_path(path).read_bytes())] == [3, 4, 5]
        # A read meanwhile waits for the copy (WAL would happily show it the old log).
        asyncio.get_running_loop().call_later(0.3, let_go)
        assert [u.seq for u in await store.updates("s1", after_seq=0)] == [1, 2, 3, 4, 5]


async def test_closing_with_the_database_locked_keeps_the_updates_for_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    updates = await _new_session(path)
    other = sqlite3.connect(path, isolation_level=None)
    async with Store(path) as store:
        await store.append_updates("s1", [(updates[0], "ada")], None)
        other.execute("BEGIN IMMEDIATE")
        assert store.append_now("s1", [(updates[1], "ada")]) is not None
    other.execute("ROLLBACK")
    other.close()
    assert _stored_seqs(path) == [1, 2]
    assert journal_path(path).stat().st_size > 0
    async with Store(path) as store:
        assert [u.seq for u in await store.updates("s1", after_seq=0)] == [1, 2, 3]
