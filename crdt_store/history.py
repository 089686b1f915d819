"""Replayable history: the merged timeline of a session, and retention pruning.

The timeline merges two stored streams into one total order: every stored document
update (an `edit`) and the start and end of every run. Events are ordered by
`(t, kind, seq, run_id)` with `edit < run_started < run_finished` at equal times, so
the order is deterministic and a page cursor can name an exact position in it.

Export and import of whole histories live in `crdt_store.archive`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from playground.errors import BadRequest, StoreError

from .replay import build_doc
from .store import Store, now_ms

log = logging.getLogger("playground.history")

KIND_RANK = {"edit": 0, "run_started": 1, "run_finished": 2}
_KINDS = {rank: kind for kind, rank in KIND_RANK.items()}
_CURSOR = re.compile(r"^(\d{1,16})\.([012])\.(\d{1,16})\.([A-Za-z0-9_-]{0,64})$")
FOREVER = 2**62
DAY_MS = 86_400_000


@dataclass(frozen=True)
class TimelineEvent:
    """One moment of a session: an edit (`seq`) or a run starting or finishing."""

    t: int
    kind: str
    seq: int | None = None
    run_id: str | None = None
    author: str | None = None
    status: str | None = None

    @property
    def cursor(self) -> str:
        """Names this event's position; the next page starts strictly after it."""
        return f"{self.t}.{KIND_RANK[self.kind]}.{self.seq or 0}.{self.run_id or ''}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "kind": self.kind}
        if self.kind == "edit":
            out["seq"] = self.seq
        else:
            out["run_id"] = self.run_id
        out["author"] = self.author
        if self.kind == "run_finished":
            out["status"] = self.status
        return out


@dataclass(frozen=True)
class TimelinePage:
    """Up to `limit` events, and the cursor of the next page (None: nothing more)."""

    events: list[TimelineEvent]
    next_cursor: str | None


def parse_cursor(raw: str) -> tuple[int, int, int, str]:
    """The position a cursor names; BadRequest for anything this module did not make."""
    match = _CURSOR.match(raw)
    if match is None:
        raise BadRequest("'cursor' is not a cursor this server returned", code="invalid_query")
    return int(match[1]), int(match[2]), int(match[3]), match[4]


_TIMELINE_SQL = """
SELECT t, rank, seq, run_id, author, status FROM (
    SELECT * FROM (
        SELECT t, 0 AS rank, seq, '' AS run_id, author, NULL AS status FROM updates
        WHERE session_id = :sid AND t >= :lo AND t <= :hi
          AND (t, 0, seq, '') > (:ct, :cr, :cs, :ci)
        ORDER BY t, seq LIMIT :n)
    UNION ALL
    SELECT * FROM (
        SELECT started_at AS t, 1 AS rank, 0 AS seq, id AS run_id, user AS author,
               NULL AS status FROM runs
        WHERE session_id = :sid AND started_at >= :lo AND started_at <= :hi
          AND (started_at, 1, 0, id) > (:ct, :cr, :cs, :ci)
        ORDER BY started_at, id LIMIT :n)
    UNION ALL
    SELECT * FROM (
        SELECT finished_at AS t, 2 AS rank, 0 AS seq, id AS run_id, user AS author,
               status FROM runs
        WHERE session_id = :sid AND finished_at >= :lo AND finished_at <= :hi
          AND (finished_at, 2, 0, id) > (:ct, :cr, :cs, :ci)
        ORDER BY finished_at, id LIMIT :n)
)
ORDER BY t, rank, seq, run_id LIMIT :n
"""


async def timeline(
    store: Store,
    session_id: str,
    *,
    since: int = 0,
    until: int = FOREVER,
    limit: int = 1000,
    cursor: str | None = None,
) -> TimelinePage:
    """Events with `since <= t <= until` in time order, at most `limit` of them,
    starting strictly after `cursor` when given. Each branch is limited before the
    merge, so a page costs O(limit) rows however long the session is."""
    ct, cr, cs, ci = parse_cursor(cursor) if cursor else (-1, 0, 0, "")
    params = {
        "sid": session_id,
        "lo": max(since, ct),
        "hi": until,
        "ct": ct,
        "cr": cr,
        "cs": cs,
        "ci": ci,
        "n": limit + 1,
    }
    await store.settle()
    try:
        async with store.reader.execute(_TIMELINE_SQL, params) as cur:
            rows = list(await cur.fetchall())
    except sqlite3.Error as exc:
        raise StoreError(f"database read failed: {exc}") from exc
    events = [
        TimelineEvent(
            t=int(r[0]),
            kind=_KINDS[int(r[1])],
            seq=int(r[2]) if int(r[1]) == 0 else None,
            run_id=str(r[3]) if int(r[1]) != 0 else None,
            author=r[4],
            status=r[5],
        )
        for r in rows
    ]
    more = len(events) > limit
    events = events[:limit]
    return TimelinePage(events, events[-1].cursor if more else None)


async def history_floor(store: Store, session_id: str) -> int:
    """The oldest seq the document can still be rebuilt at: 0 unless retention pruned
    the log, else the seq of the snapshot the remaining log starts from."""
    await store.settle()
    try:
        async with store.reader.execute(
            "SELECT (SELECT MIN(seq) FROM updates WHERE session_id = ?),"
            " (SELECT last_seq FROM sessions WHERE id = ?)",
            (session_id, session_id),
        ) as cur:
            row = await cur.fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"database read failed: {exc}") from exc
    if row is None or row[1] is None:
        return 0
    if row[0] is None:
        return int(row[1])
    return int(row[0]) - 1


async def seq_at(store: Store, session_id: str, at_ms: int) -> int:
    """The seq the document stood at at time `at_ms` (0: before the first edit).

    It also counts snapshots, whose `t` is that of their seq,
    so a moment whose updates retention deleted still resolves to the kept snapshot."""
    row = await _one(
        store,
        "SELECT MAX(seq) FROM (SELECT MAX(seq) AS seq FROM updates WHERE session_id = ?"
        " AND t <= ? UNION ALL SELECT MAX(seq) FROM snapshots WHERE session_id = ? AND t <= ?)",
        (session_id, at_ms, session_id, at_ms),
    )
    return int(row[0]) if row and row[0] is not None else 0


# -- retention ---------------------------------------------------------------------


@dataclass(frozen=True)
class PruneReport:
    """What one pruning pass removed."""

    sessions: int = 0
    updates: int = 0
    runs: int = 0


async def prune_session(store: Store, session_id: str, before_ms: int) -> tuple[int, int]:
    """DESTRUCTIVE: drops the updates stored before `before_ms` and the runs finished
    before it. A snapshot at the last dropped seq is kept (written first when missing),
    so the document still loads and replays from there on. Returns (updates, runs)."""
    row = await _one(
        store,
        "SELECT MAX(seq) FROM updates WHERE session_id = ? AND t < ?",
        (session_id, before_ms),
    )
    cut = int(row[0]) if row and row[0] is not None else 0
    base = await store.latest_snapshot(session_id, cut) if cut else None
    state: bytes | None = None
    if cut and (base is None or base.seq != cut):
        tail = await store.updates(session_id, after_seq=base.seq if base else 0, upto_seq=cut)
        state = build_doc(base.state if base else None, (u.data for u in tail)).get_update()
    async with store.transaction() as conn:
        if state is not None:
            await conn.execute(
                "INSERT OR IGNORE INTO snapshots (session_id, seq, t, state) "
                "SELECT session_id, seq, t, ? FROM updates WHERE session_id = ? AND seq = ?",
                (state, session_id, cut),
            )
        updates = 0
        if cut:
            cur = await conn.execute(
                "DELETE FROM updates WHERE session_id = ? AND seq <= ?", (session_id, cut)
            )
            updates = cur.rowcount
            await conn.execute(
                "DELETE FROM snapshots WHERE session_id = ? AND seq < ?", (session_id, cut)
            )
        old_runs = (
            "SELECT id FROM runs WHERE session_id = ? AND finished_at IS NOT NULL"
            " AND finished_at < ?"
        )
        for table in ("run_output", "run_input"):
            await conn.execute(
                f"DELETE FROM {table} WHERE run_id IN ({old_runs})", (session_id, before_ms)
            )
        cur = await conn.execute(
            f"DELETE FROM runs WHERE id IN ({old_runs})", (session_id, before_ms)
        )
        runs = cur.rowcount
    return updates, runs


async def prune_history(store: Store, before_ms: int) -> PruneReport:
    """DESTRUCTIVE: `prune_session` for every session with history older than
    `before_ms`."""
    rows = await _all(
        store,
        "SELECT DISTINCT session_id FROM updates WHERE t < ? "
        "UNION SELECT DISTINCT session_id FROM runs WHERE finished_at < ?",
        (before_ms, before_ms),
    )
    sessions = updates = runs = 0
    for (session_id,) in rows:
        if session_id is None:
            continue
        u, r = await prune_session(store, str(session_id), before_ms)
        sessions += 1
        updates += u
        runs += r
    return PruneReport(sessions, updates, runs)


class Retention:
    """Prunes history older than `days` days, at start and then every `interval_s`.

    Off (does nothing) when `days <= 0`, the default. Use as `async with Retention(...)`.
    """

    def __init__(self, store: Store, days: int, *, interval_s: float = 3600.0) -> None:
        self.store = store
        self.days = days
        self.interval_s = interval_s
        self.started = asyncio.Event()
        self.passes = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Retention:
        if self.started.is_set():
            raise RuntimeError("Retention already started")
        if self.days > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop())
            log.warning("history retention is on: history older than %d days is DELETED", self.days)
        self.started.set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                report = await prune_history(self.store, now_ms() - self.days * DAY_MS)
                self.passes += 1
                if report.sessions:
                    log.info("retention pruned %s", report)
            except StoreError as exc:
                log.error("retention pass failed: %s", exc)
            await asyncio.sleep(self.interval_s)


async def _all(store: Store, sql: str, args: tuple[Any, ...]) -> list[Any]:
    await store.settle()
    try:
        async with store.reader.execute(sql, args) as cur:
            return list(await cur.fetchall())
    except sqlite3.Error as exc:
        raise StoreError(f"database read failed: {exc}") from exc


async def _one(store: Store, sql: str, args: tuple[Any, ...]) -> Any:
    rows = await _all(store, sql, args)
    return rows[0] if rows else None
