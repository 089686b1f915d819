"""SQLite persistence: the append-only update log, snapshots, sessions, runs and output.

Writes happen one at a time. A small write of one statement (an append, a snapshot, a
run's record or output) runs right on the event loop: with WAL and synchronous=NORMAL
it is a few dozen microseconds of work, far less than handing it to a thread and
waiting for that thread to win the GIL back from a busy loop. Transactions, large
writes, and any write that meets a lock held by another process run on the writer
connection's thread. One reader connection serves reads; WAL lets them run while a
write is in flight. The inline connection never checkpoints: a checkpointer
connection does, on its own thread, so no loop turn waits for the disk's fsync.

An update a room is about to deliver goes first to the update journal (`journal.py`):
one write(2) makes it as durable against a killed process as a commit would, for a
tenth of the time, so the room delivers at once and the store copies the journaled
updates into SQLite a little later, what every room journaled meanwhile in one
statement. Every read and every other write first makes that copy, so no reader ever
misses what a room has delivered.

The update log is never rewritten: snapshots are added beside it, so any past moment
can be rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from playground.errors import StoreError

from .journal import Journal, journal_path
from .records import InputChunk, OutputChunk, RunRecord, SessionRecord, Snapshot, StoredUpdate
from .replay import DocumentState, build_doc
from .schema import migrate

log = logging.getLogger("playground.store")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class LoadedDocument:
    """What loading a room needs: the newest snapshot and every update after it."""

    snapshot: Snapshot | None
    tail: list[StoredUpdate]
    last_seq: int


@dataclass
class _Append:
    session_id: str
    updates: list[tuple[bytes, str | None]]
    summary: DocumentState | None
    future: asyncio.Future[list[StoredUpdate]]


@dataclass
class StoreStats:
    updates_stored: int = 0
    append_batches: int = 0
    write_seconds_sum: float = 0.0
    write_count: int = 0
    # The journal's copies into SQLite, made after the updates were delivered.
    copy_seconds_sum: float = 0.0
    copy_count: int = 0


# Inline writes carry at most this many bytes of values; larger ones go to the thread.
_INLINE_MAX_BYTES = 256 * 1024
# The journal's copy into SQLite waits this long for more updates to join it. Durability
# does not wait for it (the journal has them), nor does any read (each copies first).
# At 2,000 updates/s from 200 rooms, copies made right after each delivery ran 500-850
# times a second, 12 % of the event loop's busy time; grouped, ~45 (bench/README.md).
_COPY_DELAY_S = 0.02
# A passive checkpoint is started after this many inline writes (each adds a few pages
# to the WAL; SQLite's own default is every 1,000 pages).
_CHECKPOINT_EVERY = 250

_SESSION_COLUMNS = "id, title, language, created_at, updated_at"
_RUN_COLUMNS = (
    "id, session_id, language, user, status, exit_code, started_at, finished_at, "
    "duration_ms, timed_out, oom_killed, output_truncated, doc_seq, code, compile_failed, "
    "cpu_ms, memory_kb"
)


class Store:
    """The playground's database. Use as `async with Store(path) as store:`."""

    def __init__(
        self, path: Path | str, *, snapshot_every: int = 200, journal: bool = True
    ) -> None:
        self.path = Path(path)
        self.snapshot_every = snapshot_every
        self.use_journal = journal
        self.stats = StoreStats()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._inline: sqlite3.Connection | None = None
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._inline_writes = 0
        self._write_lock = asyncio.Lock()
        self._started = False
        # (last_seq, last_t) per session. This Store is the only writer, so the cache
        # is exact; it saves a read inside every append transaction.
        self._heads: dict[str, tuple[int, int]] = {}
        self._appends: list[_Append] = []
        self._appender: asyncio.Task[None] | None = None
        # Updates in the journal (and delivered) but not yet in SQLite, in order.
        self._journal: Journal | None = None
        self._journaled: list[tuple[str, StoredUpdate]] = []
        self._copy_scheduled = False
        self._copier: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Store:
        if self._started:
            raise RuntimeError("Store already started")
        self._started = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            # NORMAL in WAL mode: a committed transaction survives the process being
            # killed; only a power cut may lose the last few.
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "busy_timeout=5000",
                "foreign_keys=ON",
            ):
                await self._writer.execute(f"PRAGMA {pragma}")
            await migrate(self._writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader.execute("PRAGMA busy_timeout=5000")
            await self._reader.execute("PRAGMA query_only=ON")
            self._checkpointer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._checkpointer.execute("PRAGMA busy_timeout=5000")
            self._inline = sqlite3.connect(self.path, isolation_level=None)
            # Never wait on the loop: a lock held elsewhere sends the write to the thread.
            for pragma in ("synchronous=NORMAL", "busy_timeout=0", "wal_autocheckpoint=0"):
                self._inline.execute(f"PRAGMA {pragma}")
            if self.use_journal:
                self._journal = Journal.open(journal_path(self.path))
                if self._journal is not None:
                    await self._recover()
        except (sqlite3.Error, OSError) as exc:
            await self._close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        self._closing = True
        if self._copier is not None and not self._copier.done():
            self._copier.cancel()
            await asyncio.gather(self._copier, return_exceptions=True)
        if self._journal is not None:
            # What cannot be copied now stays in the journal for the next start.
            if self._inline is not None and not self._write_lock.locked():
                self._copy_inline()
            if not self._journaled:
                with contextlib.suppress(OSError):
                    self._journal.reset()
            self._journal.close()
            self._journal = None
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        if self._inline is not None:
            self._inline.close()
        for conn in (self._checkpointer, self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._inline = self._checkpointer = self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("Store is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("Store is not open")
        return self._reader

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time (aiosqlite would otherwise interleave two
        coroutines' statements inside one transaction).

        Safe against cancellation: a statement sent to the database thread runs even if
        its caller is cancelled, so a ROLLBACK is queued right behind it; the thread
        runs statements in order, so no later transaction can start inside it."""
        async with self._write_lock:
            await self._copy_journaled()
            conn = self.writer
            started = time.perf_counter()
            try:
                try:
                    await conn.execute("BEGIN IMMEDIATE")
                except BaseException:
                    await self._rollback(conn)
                    raise
                try:
                    yield conn
                    await conn.execute("COMMIT")
                except BaseException:
                    await self._rollback(conn)
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"database write failed: {exc}") from exc
            finally:
                self.stats.write_seconds_sum += time.perf_counter() - started
                self.stats.write_count += 1

    @staticmethod
    async def _rollback(conn: aiosqlite.Connection) -> None:
        async def rollback() -> None:
            # Nothing to roll back when BEGIN itself failed, or COMMIT went through.
            with contextlib.suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")

        # The task queues its ROLLBACK before any writer waiting for the lock can queue
        # a BEGIN (it was scheduled first), and still runs if we are cancelled here.
        task = asyncio.get_running_loop().create_task(rollback())
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)

    async def _write_one(self, sql: str, args: Sequence[Any]) -> None:
        """One statement, atomic on its own: SQLite wraps it in its own transaction (no
        BEGIN, no COMMIT)."""
        async with self._write_lock:
            await self._copy_journaled()
            started = time.perf_counter()
            try:
                await self._execute_write(sql, args)
            finally:
                self.stats.write_seconds_sum += time.perf_counter() - started
                self.stats.write_count += 1

    async def _execute_write(self, sql: str, args: Sequence[Any]) -> None:
        """Runs one statement under the write lock: inline when it is small and the
        database is free, else on the writer's thread (which waits out other processes'
        locks with busy_timeout)."""
        if self._try_inline(sql, args):
            return
        try:
            await self.writer.execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(f"database write failed: {exc}") from exc

    def _try_inline(self, sql: str, args: Sequence[Any]) -> bool:
        """Runs the statement on the event loop; False when it must go to the thread
        instead (too large, or another process holds the write lock)."""
        conn = self._inline
        if conn is None:
            raise RuntimeError("Store is not open")
        size = sum(len(a) for a in args if isinstance(a, bytes | str))
        if size > _INLINE_MAX_BYTES:
            return False
        try:
            conn.execute(sql, args)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return False
            raise StoreError(f"database write failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"database write failed: {exc}") from exc
        self._inline_writes += 1
        if self._inline_writes % _CHECKPOINT_EVERY == 0 and (
            self._checkpoint is None or self._checkpoint.done()
        ):
            self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())
        return True

    async def _run_checkpoint(self) -> None:
        """Copies the WAL back into the database so that it can start over instead of
        growing. SQLite starts the WAL over only when a write begins with everything
        copied. The first pass copies while writes go on; when writes came in
        meanwhile, a second pass copies those few pages under the write lock (writes
        queue, the loop runs), so the next write starts the WAL over."""
        conn = self._checkpointer
        if conn is None:
            return
        try:
            writes = self._inline_writes
            async with conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cur:
                row = await cur.fetchone()
            # (busy, frames in the WAL, frames copied) as of the pass's start.
            if row is not None and row[1] == row[2] and writes == self._inline_writes:
                return  # nothing was written meanwhile: all copied
            async with self._write_lock:
                await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed: %s", exc)

    async def _fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        await self.settle()
        try:
            async with self.reader.execute(sql, args) as cur:
                return list(await cur.fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"database read failed: {exc}") from exc

    async def _fetchone(self, sql: str, args: Sequence[Any] = ()) -> Any:
        rows = await self._fetchall(sql, args)
        return rows[0] if rows else None

    async def healthy(self) -> bool:
        try:
            await self._fetchone("SELECT 1")
        except (StoreError, RuntimeError):
            return False
        return True

    # -- sessions --------------------------------------------------------------------

    async def create_session(
        self,
        session_id: str,
        *,
        title: str,
        language: str,
        code: str,
        initial_update: bytes,
        author: str | None = None,
    ) -> SessionRecord:
        """A new session whose log starts with `initial_update` (seq 1), with fresh
        share-link tokens."""
        t = now_ms()
        async with self.transaction() as conn:
            await insert_session(
                conn, session_id, title, language, code, created_at=t, last_seq=1, last_t=t
            )
            await conn.execute(
                "INSERT INTO updates (session_id, seq, t, author, data) VALUES (?, 1, ?, ?, ?)",
                (session_id, t, author, initial_update),
            )
        self._heads[session_id] = (1, t)
        self.stats.updates_stored += 1
        return SessionRecord(session_id, title, language, t, t)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        row = await self._fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        )
        return SessionRecord(*row) if row else None

    async def session_tokens(self, session_id: str) -> tuple[str, str] | None:
        """The session's (edit, view) share-link tokens."""
        row = await self._fetchone(
            "SELECT edit_token, view_token FROM sessions WHERE id = ?", (session_id,)
        )
        return (str(row[0]), str(row[1])) if row else None

    async def session_exists(self, session_id: str) -> bool:
        return (
            await self._fetchone("SELECT 1 FROM sessions WHERE id = ?", (session_id,)) is not None
        )

    async def list_sessions(
        self, *, q: str = "", language: str = "", limit: int = 50, offset: int = 0
    ) -> tuple[list[SessionRecord], int]:
        """Sessions, newest activity first; `q` matches titles and code (substring)."""
        where, args = [], []
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(title LIKE ? ESCAPE '\\' OR id IN"
                " (SELECT session_id FROM session_code WHERE code LIKE ? ESCAPE '\\'))"
            )
            args += [pattern, pattern]
        if language:
            where.append("language = ?")
            args.append(language)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = (await self._fetchone(f"SELECT COUNT(*) FROM sessions {clause}", args))[0]
        rows = await self._fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM sessions {clause} "
            "ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [SessionRecord(*row) for row in rows], int(total)

    async def delete_session(self, session_id: str) -> bool:
        """Removes the session and its whole history. Returns whether it existed."""
        async with self.transaction() as conn:
            # Under the write lock: no append can read the cached head after this.
            self._heads.pop(session_id, None)
            cur = await conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            existed = cur.rowcount > 0
            await conn.execute("DELETE FROM session_code WHERE session_id = ?", (session_id,))
            await conn.execute("DELETE FROM updates WHERE session_id = ?", (session_id,))
            await conn.execute("DELETE FROM snapshots WHERE session_id = ?", (session_id,))
            for table in ("run_output", "run_input"):
                await conn.execute(
                    f"DELETE FROM {table} WHERE run_id IN "
                    "(SELECT id FROM runs WHERE session_id = ?)",
                    (session_id,),
                )
            await conn.execute("DELETE FROM runs WHERE session_id = ?", (session_id,))
        return existed

    # -- the update log --------------------------------------------------------------

    async def append_updates(
        self,
        session_id: str,
        updates: Sequence[tuple[bytes, str | None]],
        summary: DocumentState | None,
    ) -> list[StoredUpdate]:
        """Appends `(data, author)` updates in order and, when given, refreshes the
        session's searchable summary; returns them once committed. Times never go
        backwards within a session.

        Group commit: appends from every room that arrive while a write is in flight
        share the next transaction, so many busy rooms cost one commit, not one each."""
        if not updates:
            return []
        item = _Append(
            session_id, list(updates), summary, asyncio.get_running_loop().create_future()
        )
        self._appends.append(item)
        if self._appender is None or self._appender.done():
            self._appender = asyncio.get_running_loop().create_task(self._run_appends())
        return await item.future

    async def _run_appends(self) -> None:
        while self._appends:
            batch, self._appends = self._appends, []
            try:
                results = await self._write_appends(batch)
            except BaseException as exc:
                failure = exc if isinstance(exc, StoreError) else StoreError(str(exc))
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(failure)
                if not isinstance(exc, Exception):
                    raise
                continue
            for item, result in zip(batch, results, strict=True):
                if item.future.done():
                    continue
                if isinstance(result, StoreError):
                    item.future.set_exception(result)
                else:
                    item.future.set_result(result)

    def append_now(
        self, session_id: str, updates: Sequence[tuple[bytes, str | None]]
    ) -> list[StoredUpdate] | None:
        """Appends at once, on the event loop, and returns the stored updates; or None,
        having written nothing, when that cannot be done right now (another write is in
        flight or queued, the session's head is not cached, the updates are too large,
        the write failed, or the store is closed; without a journal, also when another
        process holds the lock): then `append_updates`. Never raises: a room calls it
        inside a document callback.

        With the journal, the updates are in its file when this returns, and in SQLite
        once the caller's callback is done (or, when SQLite is busy, as soon as it lets
        the store in; every read waits for them).

        A room that stores and delivers an update in the same turn its frame arrived
        saves three loop turns per update: waking its writer task, the appender task,
        and resuming the writer."""
        head = self._heads.get(session_id)
        if (
            head is None
            or not updates
            or self._appends
            or self._write_lock.locked()
            or self._inline is None  # closed: append_updates reports it
        ):
            return None
        stored = _stored(head, updates, now_ms())
        started = time.perf_counter()
        if self._journal is not None:
            if sum(len(data) for data, _ in updates) > _INLINE_MAX_BYTES:
                return None
            try:
                self._journal.append(session_id, stored)
            except (OSError, ValueError) as exc:
                log.warning("update journal: %s; writing to SQLite instead", exc)
                return None
            self._journaled += [(session_id, u) for u in stored]
            self._schedule_copy()
        else:
            try:
                written = self._try_inline(
                    _insert_sql(_UPDATE_COLUMNS, len(stored)),
                    _row_values(stored, [session_id] * len(stored)),
                )
            except StoreError:
                return None  # append_updates tries again, reports it, and retries
            if not written:
                return None
        self.stats.write_seconds_sum += time.perf_counter() - started
        self.stats.write_count += 1
        self._heads[session_id] = (stored[-1].seq, stored[-1].t)
        self.stats.updates_stored += len(stored)
        self.stats.append_batches += 1
        return stored

    # -- the journal's copy into SQLite -------------------------------------------------

    async def _recover(self) -> None:
        """Copies into SQLite what a killed process left in the journal: the updates
        of sessions that still exist and are not stored yet. Then empties it."""
        assert self._journal is not None
        left = self._journal.read()
        if left:
            async with self.transaction() as conn:
                ids = sorted({j.session_id for j in left})
                marks = ",".join("?" * len(ids))
                async with conn.execute(
                    f"SELECT id FROM sessions WHERE id IN ({marks})", ids
                ) as cur:
                    existing = {row[0] for row in await cur.fetchall()}
                kept = [j for j in left if j.session_id in existing]
                for at in range(0, len(kept), _ROWS_PER_INSERT):
                    chunk = kept[at : at + _ROWS_PER_INSERT]
                    await conn.execute(
                        _insert_sql(_UPDATE_COLUMNS, len(chunk), "OR IGNORE"),
                        _row_values([j.update for j in chunk], [j.session_id for j in chunk]),
                    )
            log.info(
                "update journal: %d updates of %d sessions checked into the database",
                len(kept),
                len(existing),
            )
        self._journal.reset()

    def _schedule_copy(self) -> None:
        """The copy runs `_COPY_DELAY_S` from the first update journaled since the
        last one, with every update journaled by then."""
        if not self._copy_scheduled:
            self._copy_scheduled = True
            asyncio.get_running_loop().call_later(_COPY_DELAY_S, self._copy_soon)

    def _copy_soon(self) -> None:
        self._copy_scheduled = False
        if not self._journaled or self._closing:
            return
        if not self._write_lock.locked() and self._copy_inline():
            return
        if self._copier is None or self._copier.done():
            self._copier = asyncio.get_running_loop().create_task(self._copy_until_done())

    async def _copy_until_done(self) -> None:
        """The copy that could not run on the loop (a lock held elsewhere, an error):
        on the writer's thread, retried until it succeeds or the store closes."""
        delay = 0.05
        while self._journaled and not self._closing:
            try:
                async with self._write_lock:
                    await self._copy_journaled()
            except StoreError as exc:
                log.error("update journal: copying into the database failed: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _copy_inline(self) -> bool:
        """Copies the journaled updates on the event loop; True once all are in SQLite."""
        started = time.perf_counter() if self._journaled else None
        try:
            while self._journaled:
                chunk = self._journaled[:_ROWS_PER_INSERT]
                try:
                    written = self._try_inline(*_journaled_insert(chunk))
                except StoreError as exc:
                    log.warning("update journal: %s", exc)
                    return False
                if not written:
                    return False
                del self._journaled[: len(chunk)]
            self._journal_written()
            return True
        finally:
            if started is not None:  # an empty copy (at closing) is not counted
                self.stats.copy_seconds_sum += time.perf_counter() - started
                self.stats.copy_count += 1

    async def _copy_journaled(self) -> None:
        """Copies every journaled update into SQLite. The caller holds the write lock,
        so no update is journaled meanwhile (`append_now` waits for it)."""
        if not self._journaled or self._copy_inline():
            return
        while self._journaled:
            chunk = self._journaled[:_ROWS_PER_INSERT]
            try:
                await self.writer.execute(*_journaled_insert(chunk))
            except sqlite3.Error as exc:
                raise StoreError(f"database write failed: {exc}") from exc
            del self._journaled[: len(chunk)]
        self._journal_written()

    def _journal_written(self) -> None:
        if self._journal is not None:
            try:
                self._journal.reset_if_large()
            except OSError as exc:
                log.warning("update journal: cannot empty it: %s", exc)

    async def settle(self) -> None:
        """Returns once every update delivered so far is in SQLite, where the reader
        connection sees it."""
        if not self._journaled:
            return
        if not self._write_lock.locked() and self._copy_inline():
            return
        async with self._write_lock:
            await self._copy_journaled()

    async def _write_appends(self, batch: list[_Append]) -> list[list[StoredUpdate] | StoreError]:
        now = now_ms()
        results: list[list[StoredUpdate] | StoreError] = []
        heads: dict[str, tuple[int, int]] = {}
        rows: list[StoredUpdate] = []
        row_sessions: list[str] = []
        summaries: dict[str, DocumentState] = {}
        async with self._write_lock:
            await self._copy_journaled()
            started = time.perf_counter()
            for item in batch:
                sid = item.session_id
                head = heads.get(sid) or self._heads.get(sid) or await self._read_head(sid)
                if head is None:
                    results.append(StoreError(f"session {sid} does not exist", code="not_found"))
                    continue
                stored = _stored(head, item.updates, now)
                rows += stored
                row_sessions += [sid] * len(stored)
                heads[sid] = (stored[-1].seq, stored[-1].t)
                if item.summary is not None:
                    summaries[sid] = item.summary
                results.append(stored)
            if rows and (summaries or len(rows) > _ROWS_PER_INSERT):
                await self._run_script(_append_script(rows, row_sessions, summaries))
            elif rows:
                await self._insert_rows(rows, row_sessions)
            self.stats.write_seconds_sum += time.perf_counter() - started
            self.stats.write_count += 1
        self._heads.update(heads)
        self.stats.updates_stored += len(rows)
        self.stats.append_batches += 1
        return results

    async def _read_head(self, session_id: str) -> tuple[int, int] | None:
        """(last_seq, last_t) from the database, read under the write lock (one indexed
        row: inline)."""
        sql = "SELECT last_seq, last_t FROM sessions WHERE id = ?"
        if self._inline is None:
            raise RuntimeError("Store is not open")
        try:
            row = self._inline.execute(sql, (session_id,)).fetchone()
        except sqlite3.OperationalError:
            async with self.writer.execute(sql, (session_id,)) as cur:
                row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row else None

    async def _insert_rows(self, rows: list[StoredUpdate], sessions: list[str]) -> None:
        """One statement, atomic on its own (no BEGIN, no COMMIT), whose text depends
        only on the number of rows: SQLite parses it once and reuses it. Each parse was
        one more time the database thread had to win the GIL back from a busy event
        loop."""
        await self._execute_write(
            _insert_sql(_UPDATE_COLUMNS, len(rows)),
            _row_values(rows, sessions),
        )

    async def _run_script(self, script: str) -> None:
        """One whole transaction in one call to the database thread. Under a busy event
        loop every call waits for a loop turn, so a transaction of five statements
        took five turns; a script takes one."""
        try:
            await self.writer.executescript(script)
        except sqlite3.Error as exc:
            await self._rollback(self.writer)
            raise StoreError(f"database write failed: {exc}") from exc
        except BaseException:
            await self._rollback(self.writer)
            raise

    async def update_summary(self, session_id: str, summary: DocumentState) -> None:
        """The session's searchable title, language and code, as the document says."""
        await self._write_one(
            "UPDATE session_summary SET title = ?, language = ?, code = ? WHERE id = ?",
            (summary.title, summary.language, summary.code, session_id),
        )

    async def save_snapshot(self, session_id: str, seq: int, state: bytes) -> None:
        """Stores the full state after update `seq` (which must be stored already)."""
        await self._write_one(
            "INSERT OR IGNORE INTO snapshots (session_id, seq, t, state) "
            "SELECT session_id, seq, t, ? FROM updates WHERE session_id = ? AND seq = ?",
            (state, session_id, seq),
        )

    async def latest_snapshot(
        self, session_id: str, upto_seq: int | None = None
    ) -> Snapshot | None:
        if upto_seq is None:
            upto_seq = 2**62
        row = await self._fetchone(
            "SELECT seq, t, state FROM snapshots WHERE session_id = ? AND seq <= ? "
            "ORDER BY seq DESC LIMIT 1",
            (session_id, upto_seq),
        )
        return Snapshot(int(row[0]), int(row[1]), bytes(row[2])) if row else None

    async def updates(
        self, session_id: str, *, after_seq: int = 0, upto_seq: int | None = None
    ) -> list[StoredUpdate]:
        """Stored updates with `after_seq < seq <= upto_seq`, in order."""
        if upto_seq is None:
            upto_seq = 2**62
        rows = await self._fetchall(
            "SELECT seq, t, author, data FROM updates WHERE session_id = ? AND seq > ? "
            "AND seq <= ? ORDER BY seq",
            (session_id, after_seq, upto_seq),
        )
        return [StoredUpdate(int(r[0]), int(r[1]), r[2], bytes(r[3])) for r in rows]

    async def last_seq(self, session_id: str) -> int:
        row = await self._fetchone("SELECT last_seq FROM sessions WHERE id = ?", (session_id,))
        return int(row[0]) if row else 0

    async def load(self, session_id: str) -> LoadedDocument | None:
        """Newest snapshot plus the tail after it: never the whole log."""
        row = await self._fetchone("SELECT last_seq FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        snapshot = await self.latest_snapshot(session_id)
        tail = await self.updates(session_id, after_seq=snapshot.seq if snapshot else 0)
        return LoadedDocument(snapshot, tail, int(row[0]))

    async def document_at(self, session_id: str, seq: int) -> DocumentState:
        """The document exactly as it stood after update `seq` (0: the empty document):
        nearest stored snapshot + tail.

        A room skips its periodic snapshot while updates are still pending (a burst of
        typing), which leaves long tails. A replay that walks more than `snapshot_every`
        updates therefore stores snapshots along the way, so the next one is short."""
        every = max(1, self.snapshot_every)
        base = await self.latest_snapshot(session_id, seq) if seq > 0 else None
        after = base.seq if base else 0
        tail = await self.updates(session_id, after_seq=after, upto_seq=seq)
        doc = build_doc(base.state if base else None, [])
        fill: list[tuple[int, bytes]] = []
        for update in tail:
            doc.apply_update(update.data)
            if len(tail) > every and (update.seq - after) % every == 0:
                fill.append((update.seq, doc.get_update()))
        for fill_seq, state in fill:
            await self.save_snapshot(session_id, fill_seq, state)
        return DocumentState.of(doc)

    # -- runs ------------------------------------------------------------------------

    async def save_run(self, run: RunRecord) -> None:
        """Inserts the run, or updates it when it exists."""
        values = (
            run.id,
            run.session_id,
            run.language,
            run.user,
            run.status,
            run.exit_code,
            run.started_at,
            run.finished_at,
            run.duration_ms,
            int(run.timed_out),
            int(run.oom_killed),
            int(run.output_truncated),
            run.doc_seq,
            run.code,
            int(run.compile_failed),
            run.cpu_ms,
            run.memory_kb,
            now_ms(),
        )
        await self._write_one(
            f"INSERT INTO runs ({_RUN_COLUMNS}, created_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "status = excluded.status, exit_code = excluded.exit_code, "
            "started_at = excluded.started_at, finished_at = excluded.finished_at, "
            "duration_ms = excluded.duration_ms, timed_out = excluded.timed_out, "
            "oom_killed = excluded.oom_killed, output_truncated = excluded.output_truncated, "
            "compile_failed = excluded.compile_failed, cpu_ms = excluded.cpu_ms, "
            "memory_kb = excluded.memory_kb",
            values,
        )

    async def append_output(self, run_id: str, chunks: Sequence[OutputChunk]) -> None:
        if not chunks:
            return
        if len(chunks) > _ROWS_PER_INSERT:
            async with self.transaction() as conn:
                await conn.executemany(
                    "INSERT OR IGNORE INTO run_output (run_id, seq, t, stream, data) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(run_id, c.seq, c.t, c.stream, c.data) for c in chunks],
                )
            return
        await self._write_one(
            _insert_sql("run_output (run_id, seq, t, stream, data)", len(chunks), "OR IGNORE"),
            [value for c in chunks for value in (run_id, c.seq, c.t, c.stream, c.data)],
        )

    async def append_input(self, run_id: str, chunks: Sequence[InputChunk]) -> None:
        """Stores what was typed into a run (a chunk stored before is kept)."""
        if not chunks:
            return
        await self._write_one(
            _insert_sql("run_input (run_id, seq, t, data, eof)", len(chunks), "OR IGNORE"),
            [value for c in chunks for value in (run_id, c.seq, c.t, c.data, int(c.eof))],
        )

    async def get_input(self, run_id: str) -> list[InputChunk]:
        rows = await self._fetchall(
            "SELECT seq, t, data, eof FROM run_input WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [InputChunk(int(r[0]), int(r[1]), r[2], bool(r[3])) for r in rows]

    async def get_run(self, run_id: str) -> RunRecord | None:
        row = await self._fetchone(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return _run(row) if row else None

    async def list_runs(self, session_id: str, limit: int = 100) -> list[RunRecord]:
        rows = await self._fetchall(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE session_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (session_id, limit),
        )
        return [_run(row) for row in rows]

    async def latest_runs(self, session_ids: Sequence[str]) -> dict[str, RunRecord]:
        """The newest run of each of these sessions (sessions without runs are absent)."""
        if not session_ids:
            return {}
        marks = ", ".join("?" for _ in session_ids)
        rows = await self._fetchall(
            f"SELECT {_RUN_COLUMNS} FROM runs AS r WHERE session_id IN ({marks}) AND rowid = "
            "(SELECT rowid FROM runs WHERE session_id = r.session_id "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1)",
            list(session_ids),
        )
        return {row[1]: _run(row) for row in rows}

    async def get_output(self, run_id: str) -> list[OutputChunk]:
        rows = await self._fetchall(
            "SELECT seq, t, stream, data FROM run_output WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [OutputChunk(int(r[0]), int(r[1]), r[2], r[3]) for r in rows]


def _sql_text(value: str | None) -> str:
    """A SQL literal for any text: hex-encoded, so no byte of it is ever read as SQL."""
    if value is None:
        return "NULL"
    return f"CAST(X'{value.encode('utf-8', 'surrogatepass').hex()}' AS TEXT)"


_UPDATE_COLUMNS = "updates (session_id, seq, t, author, data)"
# Rows per INSERT statement: 5 parameters each, well under SQLite's 32,766.
_ROWS_PER_INSERT = 1000


@functools.lru_cache(maxsize=128)
def _insert_sql(table: str, n_rows: int, verb: str = "") -> str:
    """`INSERT [verb] INTO table (columns) VALUES (?, ...), ...` for `n_rows` rows of
    five columns: the same text for the same row count, so SQLite parses it once."""
    return f"INSERT {verb} INTO {table} VALUES " + ",".join(["(?,?,?,?,?)"] * n_rows)


def _stored(
    head: tuple[int, int], updates: Sequence[tuple[bytes, str | None]], now: int
) -> list[StoredUpdate]:
    """`updates` as stored after `head` (last seq, last time): times never go back."""
    last_seq, last_t = head
    t = max(now, last_t)
    return [
        StoredUpdate(last_seq + i + 1, t, author, data) for i, (data, author) in enumerate(updates)
    ]


def _row_values(rows: list[StoredUpdate], sessions: list[str]) -> list[Any]:
    """The parameters of `_insert_sql("updates ...", len(rows))`."""
    return [
        value
        for sid, u in zip(sessions, rows, strict=True)
        for value in (sid, u.seq, u.t, u.author, u.data)
    ]


async def insert_session(
    conn: aiosqlite.Connection,
    session_id: str,
    title: str,
    language: str,
    code: str,
    *,
    created_at: int,
    last_seq: int,
    last_t: int,
    updated_at: int | None = None,
) -> None:
    """A session's rows (the code has a table of its own), with fresh share-link
    tokens, inside the caller's transaction; its updates are the caller's to insert."""
    await conn.execute(
        "INSERT INTO sessions (id, title, language, created_at, updated_at,"
        " last_seq, last_t, edit_token, view_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session_id,
            title,
            language,
            created_at,
            created_at if updated_at is None else updated_at,
            last_seq,
            last_t,
            secrets.token_urlsafe(18),
            secrets.token_urlsafe(18),
        ),
    )
    await conn.execute(
        "INSERT INTO session_code (session_id, code) VALUES (?, ?)", (session_id, code)
    )


def _journaled_insert(chunk: list[tuple[str, StoredUpdate]]) -> tuple[str, list[Any]]:
    """The statement and values that copy journaled (session, update) pairs."""
    return _insert_sql(_UPDATE_COLUMNS, len(chunk)), _row_values(
        [u for _, u in chunk], [sid for sid, _ in chunk]
    )


def _append_script(
    rows: list[StoredUpdate], sessions: list[str], summaries: dict[str, DocumentState]
) -> str:
    """The transaction appending `rows` (row i belongs to `sessions[i]`) and storing
    the sessions' summaries, as one script: one call to the database thread. The
    sessions' heads follow by trigger. Every value is an integer or a hex literal
    (`_sql_text`, `X'..'`): nothing from a client reaches the SQL text except as hex
    digits."""
    values = ",".join(
        f"({_sql_text(sid)},{u.seq},{u.t},{_sql_text(u.author)},X'{u.data.hex()}')"
        for sid, u in zip(sessions, rows, strict=True)
    )
    insert = f"INSERT INTO updates (session_id, seq, t, author, data) VALUES {values};"
    if not summaries:
        return insert
    parts = ["BEGIN IMMEDIATE;", insert]
    for sid, summary in summaries.items():
        parts.append(
            f"UPDATE session_summary SET title = {_sql_text(summary.title)}, "
            f"language = {_sql_text(summary.language)}, code = {_sql_text(summary.code)} "
            f"WHERE id = {_sql_text(sid)};"
        )
    parts.append("COMMIT;")
    return "\n".join(parts)


def _run(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=row[0],
        session_id=row[1],
        language=row[2],
        user=row[3],
        status=row[4],
        exit_code=row[5],
        started_at=row[6],
        finished_at=row[7],
        duration_ms=row[8],
        timed_out=bool(row[9]),
        oom_killed=bool(row[10]),
        output_truncated=bool(row[11]),
        doc_seq=row[12],
        code=row[13],
        compile_failed=bool(row[14]),
        cpu_ms=row[15],
        memory_kb=row[16],
    )
