"""The store on a real SQLite file: the log, snapshots, migrations, runs."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from crdt_store import DocumentState, OutputChunk, RunRecord, Store, build_doc
from crdt_store.schema import SCHEMA_VERSION
from playground.errors import StoreError


def _typing(n: int) -> tuple[bytes, list[bytes], list[str]]:
    """An initial update, then n one-character updates, and the text after each."""
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    meta = doc.get("meta", type=Map)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        meta["language"] = "python"
        meta["title"] = "t"
    initial = updates.pop()
    shadow = []
    for i in range(n):
        text.insert(len(text) if i % 3 else 0, chr(ord("a") + i % 26))
        shadow.append(str(text))
    return initial, updates, shadow


async def test_log_snapshots_and_replay_agree(tmp_path: Path) -> None:
    initial, updates, shadow = _typing(450)
    async with Store(tmp_path / "db.sqlite") as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        for i, update in enumerate(updates):
            stored = await store.append_updates(
                "s1", [(update, "ada")], DocumentState(shadow[i], "python", "t", None)
            )
            assert stored[0].seq == i + 2
            if stored[0].seq % 100 == 0:
                doc = build_doc(None, [initial, *updates[: i + 1]])
                await store.save_snapshot("s1", stored[0].seq, doc.get_update())

        loaded = await store.load("s1")
        assert loaded is not None and loaded.snapshot is not None
        assert loaded.snapshot.seq == 400 and [u.seq for u in loaded.tail] == list(range(401, 452))
        doc = build_doc(loaded.snapshot.state, [u.data for u in loaded.tail])
        assert str(doc.get("code", type=Text)) == shadow[-1]

        # Every past state, rebuilt from the nearest snapshot, equals the shadow copy.
        assert (await store.document_at("s1", 0)).code == ""
        assert (await store.document_at("s1", 1)).code == ""
        for seq in (2, 99, 100, 101, 250, 400, 451):
            assert (await store.document_at("s1", seq)).code == shadow[seq - 2]

        stored_updates = await store.updates("s1")
        times = [u.t for u in stored_updates]
        assert times == sorted(times)
        assert {u.author for u in stored_updates[1:]} == {"ada"}


async def test_reopening_keeps_everything_and_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    initial, updates, shadow = _typing(5)
    async with Store(path) as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        await store.append_updates(
            "s1", [(u, None) for u in updates], DocumentState(shadow[-1], "python", "t", None)
        )
    async with Store(path) as store:
        assert await store.last_seq("s1") == 6
        assert (await store.document_at("s1", 6)).code == shadow[-1]
        # The cached head is rebuilt from the database after a restart.
        more = await store.append_updates(
            "s1", [(updates[0], None)], DocumentState(shadow[-1], "python", "t", None)
        )
        assert more[0].seq == 7
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_newer_schema_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with Store(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 999")
    with pytest.raises(RuntimeError, match="newer"):
        async with Store(path):
            pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (999,)


async def test_store_refuses_to_start_twice(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    async with store:
        with pytest.raises(RuntimeError):
            await store.__aenter__()


async def test_append_to_missing_or_deleted_session_fails(tmp_path: Path) -> None:
    initial, updates, _ = _typing(2)
    empty = DocumentState("", "python", "t", None)
    async with Store(tmp_path / "db.sqlite") as store:
        with pytest.raises(StoreError):
            await store.append_updates("nope", [(updates[0], None)], empty)
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        run = RunRecord(
            id="r1", session_id="s1", language="python", user="ada", status="ok", exit_code=0
        )
        await store.save_run(run)
        await store.append_output("r1", [OutputChunk(0, 1, "stdout", "hi\n")])
        assert await store.delete_session("s1")
        assert not await store.delete_session("s1")
        assert await store.get_run("r1") is None
        assert await store.get_output("r1") == []
        with pytest.raises(StoreError):
            await store.append_updates("s1", [(updates[0], None)], empty)


async def test_search_treats_wildcards_literally(tmp_path: Path) -> None:
    initial, _, _ = _typing(0)
    async with Store(tmp_path / "db.sqlite") as store:
        await store.create_session(
            "a", title="100% done", language="python", code="x_y", initial_update=initial
        )
        await store.create_session(
            "b", title="other", language="go", code="xay", initial_update=initial
        )
        assert [s.id for s in (await store.list_sessions(q="%"))[0]] == ["a"]
        assert [s.id for s in (await store.list_sessions(q="x_y"))[0]] == ["a"]
        assert [s.id for s in (await store.list_sessions(q="' OR 1=1 --"))[0]] == []
        items, total = await store.list_sessions(language="go")
        assert total == 1 and items[0].id == "b"


async def test_runs_round_trip(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite") as store:
        run = RunRecord(
            id="r1",
            session_id=None,
            language="python",
            user=None,
            status="running",
            started_at=5,
            doc_seq=3,
            code="print(1)",
        )
        await store.save_run(run)
        run.status, run.exit_code, run.finished_at, run.duration_ms = "ok", 0, 9, 4
        await store.save_run(run)
        await store.append_output(
            "r1", [OutputChunk(0, 6, "stdout", "1\n"), OutputChunk(1, 7, "stderr", "warn\n")]
        )
        again = await store.get_run("r1")
        assert again == run
        assert [c.data for c in await store.get_output("r1")] == ["1\n", "warn\n"]
        assert again is not None and again.to_json()["status"] == "ok"
        assert "code" not in again.to_json()
        # A chunk written twice is kept once; many chunks at once take one transaction.
        many = [OutputChunk(seq, 8, "stdout", f"{seq}\n") for seq in range(1, 1502)]
        await store.append_output("r1", many)
        assert [c.data for c in await store.get_output("r1")] == ["1\n"] + [
            f"{seq}\n" if seq > 1 else "warn\n" for seq in range(1, 1502)
        ]


async def test_a_cancelled_writer_leaves_no_transaction_open(tmp_path: Path) -> None:
    initial, updates, shadow = _typing(50)
    summary = DocumentState(shadow[-1], "python", "t", None)
    async with Store(tmp_path / "db.sqlite") as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        # Cancel writers at every point of their transaction: BEGIN, the body, COMMIT.
        for delay_steps in range(6):
            task = asyncio.create_task(store.append_updates("s1", [(updates[0], None)], summary))
            for _ in range(delay_steps):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Later writes still work and the log has no gaps.
        await store.append_updates("s1", [(u, None) for u in updates[1:]], summary)
        seqs = [u.seq for u in await store.updates("s1")]
        assert seqs == list(range(1, len(seqs) + 1))


async def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    from crdt_store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute(
            "INSERT INTO sessions (id, title, language, code, created_at, updated_at) "
            "VALUES ('old', 'kept', 'python', 'print(\"needle\")', 1, 1)"
        )
        conn.execute(
            "INSERT INTO runs (id, session_id, language, status, exit_code, created_at) "
            "VALUES ('old-run', 'old', 'c', 'failed', 1, 1)"
        )
    async with Store(path) as store:
        # Runs from before step 5 did not record a compile failure: none is claimed.
        old_run = await store.get_run("old-run")
        assert old_run is not None and old_run.compile_failed is False
        # Nor was what the program used measured before step 6.
        assert (old_run.cpu_ms, old_run.memory_kb) == (None, None)
        session = await store.get_session("old")
        assert session is not None and session.title == "kept"
        # The code moved to its own table (step 4), still searchable.
        found, total = await store.list_sessions(q="needle")
        assert [s.id for s in found] == ["old"] and total == 1
        tokens = await store.session_tokens("old")
        assert tokens is not None and all(len(t) >= 16 for t in tokens)
        assert tokens[0] != tokens[1]
        # Appends to a migrated database advance the session's head, as new ones do.
        initial, updates, _ = _typing(3)
        stored = await store.append_updates(
            "old", [(initial, None)] + [(u, None) for u in updates], None
        )
        assert await store.last_seq("old") == stored[-1].seq == 4
        await store.update_summary("old", DocumentState("x = 1", "lua", "renamed", None))
        assert (await store.list_sessions(q="needle"))[1] == 0
        found, _ = await store.list_sessions(q="x = 1")
        assert [(s.id, s.title, s.language) for s in found] == [("old", "renamed", "lua")]
        assert await store.delete_session("old")
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert "code" not in columns and "last_seq" in columns
        assert conn.execute("SELECT COUNT(*) FROM session_code").fetchone() == (0,)


async def test_the_head_follows_the_log_across_a_restart(tmp_path: Path) -> None:
    initial, updates, shadow = _typing(5)
    path = tmp_path / "db.sqlite"
    async with Store(path) as store:
        await store.create_session(
            "s", title="t", language="python", code="", initial_update=initial
        )
        stored = await store.append_updates("s", [(u, "ada") for u in updates], None)
    async with Store(path) as store:  # nothing cached: the head is what the database says
        assert await store.last_seq("s") == stored[-1].seq == 6
        session = await store.get_session("s")
        assert session is not None and session.updated_at == stored[-1].t
        loaded = await store.load("s")
        assert loaded is not None and [u.seq for u in loaded.tail][-1] == 6
        doc: Doc[Any] = Doc()
        for update in ([loaded.snapshot.state] if loaded.snapshot else []) + [
            u.data for u in loaded.tail
        ]:
            doc.apply_update(update)
        assert str(doc.get("code", type=Text)) == shadow[-1]


@pytest.mark.parametrize("with_summary", [False, True], ids=["updates", "with-summary"])
async def test_concurrent_appends_share_transactions_and_keep_order(
    tmp_path: Path, with_summary: bool
) -> None:
    initial, updates, shadow = _typing(40)
    summary = DocumentState(shadow[-1], "python", "t", None) if with_summary else None
    async with Store(tmp_path / "db.sqlite") as store:
        for i in range(10):
            await store.create_session(
                f"s{i}", title="t", language="python", code="", initial_update=initial
            )
        before = store.stats.append_batches

        # 10 rooms, 40 single-update appends each, all at once.
        async def room(i: int) -> None:
            for update in updates:
                await store.append_updates(f"s{i}", [(update, f"u{i}")], summary)

        results = await asyncio.gather(
            *(room(i) for i in range(10)),
            store.append_updates("missing", [(updates[0], None)], summary),
            return_exceptions=True,
        )
        assert results[:10] == [None] * 10
        assert isinstance(results[10], StoreError)  # only the missing session's append fails
        assert store.stats.append_batches - before < 400  # commits were shared
        for i in range(10):
            stored = await store.updates(f"s{i}")
            assert [u.seq for u in stored] == list(range(1, 42))
            assert [u.data for u in stored[1:]] == updates
            assert (await store.document_at(f"s{i}", 41)).code == shadow[-1]
        assert await store.updates("missing") == []


@pytest.mark.parametrize(
    ("n", "with_summary"),
    [(500, False), (5000, False), (5000, True)],
    ids=["one-statement", "script", "script-with-summary"],
)
async def test_appends_store_any_bytes_and_any_text_exactly(
    tmp_path: Path, n: int, with_summary: bool
) -> None:
    """Appends are written as one parametrized statement, or as one script with every
    value hex-encoded (many rows, or a summary): what a client sends (update bytes,
    author names, code) must arrive byte for byte, however it looks."""
    initial, updates, shadow = _typing(n)
    nasty = "x'); DROP TABLE updates; --\x00\u2603\U0001f600 \\ ' \" \n"
    summary = DocumentState(nasty + shadow[-1], nasty, nasty, None) if with_summary else None
    async with Store(tmp_path / "db.sqlite") as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        stored = await store.append_updates("s1", [(u, nasty) for u in updates], summary)
        assert [u.seq for u in stored] == list(range(2, n + 2))
        back = await store.updates("s1", after_seq=1)
        assert [u.data for u in back] == updates
        assert {u.author for u in back} == {nasty}
        assert (await store.document_at("s1", n + 1)).code == shadow[-1]
        if with_summary:
            session = await store.get_session("s1")
            assert session is not None and session.title == nasty and session.language == nasty
            items, _ = await store.list_sessions(q="DROP TABLE")
            assert [s.id for s in items] == ["s1"]


async def test_a_lock_held_by_another_process_is_waited_out_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """Small writes run on the event loop, but never wait there: while another program
    (a maintenance script, the sqlite3 shell) holds the write lock, the write goes to
    the writer's thread, which waits, and the loop keeps serving everyone else."""
    initial, updates, shadow = _typing(2)
    path = tmp_path / "db.sqlite"
    async with Store(path) as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        append = asyncio.create_task(store.append_updates("s1", [(updates[0], "ada")], None))
        snapshot = asyncio.create_task(store.save_snapshot("s1", 1, initial))
        await asyncio.sleep(0.3)
        assert not append.done() and not snapshot.done()
        assert ticks >= 3  # the loop was not blocked by the wait
        other.execute("COMMIT")
        other.close()
        stored = await append
        await snapshot
        ticking.cancel()
        assert [u.seq for u in stored] == [2]
        stored = await store.append_updates("s1", [(updates[1], "ada")], None)
        assert [u.seq for u in stored] == [3]
        assert (await store.document_at("s1", 3)).code == shadow[-1]
        snap = await store.latest_snapshot("s1")
        assert snap is not None and snap.seq == 1 and snap.state == initial


async def test_the_wal_is_checkpointed_while_small_writes_run_inline(tmp_path: Path) -> None:
    """Inline writes never checkpoint (that would fsync on the loop); the checkpointer
    does, on its own thread, so the WAL starts over instead of growing with the log.

    How far the WAL gets between two checkpoints depends on how fast that thread runs
    beside the writes, so the test does not bound its size: it checks that the WAL
    started over (SQLite gives it new salts in its header each time) once the first
    checkpoint, due after 250 inline writes, has finished and a write followed."""
    initial, updates, shadow = _typing(300)
    path = tmp_path / "db.sqlite"
    wal = path.with_name(path.name + "-wal")
    async with Store(path, snapshot_every=10**6) as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
        await store.append_updates("s1", [(updates[0], None)], None)
        first_salts = wal.read_bytes()[16:24]
        for update in updates[1:-1]:
            await store.append_updates("s1", [(update, None)], None)
        for _ in range(1000):  # 10 s at most
            if store._checkpoint is not None and store._checkpoint.done():
                break
            await asyncio.sleep(0.01)
        assert store._checkpoint is not None, "no checkpoint started after 250 writes"
        await store.append_updates("s1", [(updates[-1], None)], None)
        assert wal.read_bytes()[16:24] != first_salts, "the WAL never started over"
        assert (await store.document_at("s1", 301)).code == shadow[-1]


async def test_a_large_update_is_written_on_the_thread_exactly(tmp_path: Path) -> None:
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text.insert(0, "x" * 300_000)  # one update larger than an inline write may be
    async with Store(tmp_path / "db.sqlite") as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=updates[0]
        )
        text.insert(0, "y" * 300_000)
        stored = await store.append_updates("s1", [(updates[1], "ada")], None)
        assert [u.seq for u in stored] == [2]
        assert (await store.updates("s1", after_seq=1))[0].data == updates[1]
        await store.save_snapshot("s1", 2, doc.get_update())
        snapshot = await store.latest_snapshot("s1")
        assert snapshot is not None and snapshot.state == doc.get_update()


async def test_append_now_writes_at_once_or_not_at_all(tmp_path: Path) -> None:
    """Without the update journal, `append_now` either stores the updates in SQLite
    before returning, or writes nothing and says so (None), leaving the caller to
    queue them; it never raises."""
    initial, updates, shadow = _typing(4)
    path = tmp_path / "db.sqlite"
    async with Store(path) as store:
        await store.create_session(
            "s1", title="t", language="python", code="", initial_update=initial
        )
    async with Store(path, journal=False) as store:
        assert store.append_now("s1", [(updates[0], "ada")]) is None  # head not known yet
        await store.append_updates("s1", [(updates[0], "ada")], None)
        stored = store.append_now("s1", [(updates[1], "ada")])
        assert stored is not None and [u.seq for u in stored] == [3]
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        assert store.append_now("s1", [(updates[2], "ada")]) is None
        other.execute("ROLLBACK")
        other.close()
        assert store.append_now("missing", [(updates[2], "ada")]) is None
        stored = store.append_now("s1", [(updates[2], "ada"), (updates[3], "bob")])
        assert stored is not None and [u.seq for u in stored] == [4, 5]
        assert [u.author for u in await store.updates("s1", after_seq=1)] == ["ada"] * 3 + ["bob"]
        assert (await store.document_at("s1", 5)).code == shadow[-1]
    assert store.append_now("s1", [(updates[3], "ada")]) is None  # closed
