"""Export and import of a session's whole history as one versioned JSON file.

Schema (`format` = "playground-session-history", `version` = 1); bytes are base64:

    {
      "format": "playground-session-history", "version": 1, "exported_at": ms,
      "session": {"id", "title", "language", "created_at", "updated_at"},
      "base": null | {"seq", "t", "state"},   # full state after `seq`, only when
                                              # retention pruned the updates before it
      "updates": [{"seq", "t", "author", "data"}],   # the log, seq contiguous
      "runs": [{"id", "language", "user", "status", "exit_code", "started_at",
                "finished_at", "duration_ms", "timed_out", "oom_killed",
                "output_truncated", "compile_failed", "cpu_ms", "memory_kb", "doc_seq",
                "code", "created_at",
                "output": [{"seq", "t", "stream", "data"}],
                "input": [{"seq", "t", "data", "eof"}]}],   # typed while it ran;
                                                             # absent in older files
      "final": {"seq", "code", "language", "title"},
      "digest": "sha256:HEX"   # of the canonical JSON of every other key
    }

Import replays every update with pycrdt (so each must decode), checks that the replay
ends at `final`, writes fresh snapshots along the way, and stores everything in one
transaction under a new session id and new run ids: nothing is half-imported.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from playground.errors import BadRequest, StoreError

from .records import SessionRecord
from .replay import DocumentState, build_doc
from .store import Store, insert_session, now_ms

FORMAT = "playground-session-history"
VERSION = 1
RUN_STATUSES = {"queued", "running", "ok", "failed", "timeout", "killed", "error"}
_RUN_INTS = ("exit_code", "started_at", "finished_at", "duration_ms", "doc_seq")
_RUN_BOOLS = ("timed_out", "oom_killed", "output_truncated")
# What the program used; null where not measured, absent from files made before runs
# recorded it.
_RUN_USAGE = ("cpu_ms", "memory_kb")


class ImportRefused(BadRequest):
    """The file is not an export this server can import; nothing was stored."""

    code = "invalid_export"
    status = 422


def digest(document: dict[str, Any]) -> str:
    """The integrity digest of an export: sha256 of its canonical JSON, sans `digest`."""
    body = {k: v for k, v in document.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def export_session(store: Store, session_id: str) -> dict[str, Any] | None:
    """The session's history as an export document (None: no such session).

    Read on a connection of its own inside one read transaction, so the file is one
    consistent moment even while editors type or retention prunes."""
    try:
        async with aiosqlite.connect(store.path) as conn:
            await conn.execute("BEGIN")
            return await _export(conn, session_id)
    except sqlite3.Error as exc:
        raise StoreError(f"database read failed: {exc}") from exc


async def _export(conn: aiosqlite.Connection, session_id: str) -> dict[str, Any] | None:
    async def rows(sql: str, *args: Any) -> list[Any]:
        async with conn.execute(sql, args) as cur:
            return list(await cur.fetchall())

    found = await rows(
        "SELECT id, title, language, created_at, updated_at, last_seq FROM sessions WHERE id = ?",
        session_id,
    )
    if not found:
        return None
    sid, title, language, created_at, updated_at, last_seq = found[0]
    updates = await rows(
        "SELECT seq, t, author, data FROM updates WHERE session_id = ? AND seq <= ? ORDER BY seq",
        session_id,
        last_seq,
    )
    first = int(updates[0][0]) if updates else int(last_seq) + 1
    base: dict[str, Any] | None = None
    base_state: bytes | None = None
    if first > 1:
        snap = await rows(
            "SELECT seq, t, state FROM snapshots WHERE session_id = ? AND seq = ?",
            session_id,
            first - 1,
        )
        if not snap:
            raise StoreError(f"session {session_id}: the history before seq {first} is lost")
        base_state = bytes(snap[0][2])
        base = {"seq": int(snap[0][0]), "t": int(snap[0][1]), "state": _b64(base_state)}
    runs = []
    for run in await rows(
        "SELECT id, language, user, status, exit_code, started_at, finished_at, duration_ms,"
        " timed_out, oom_killed, output_truncated, doc_seq, code, created_at, compile_failed,"
        " cpu_ms, memory_kb FROM runs"
        " WHERE session_id = ? ORDER BY created_at, rowid",
        session_id,
    ):
        output = await rows(
            "SELECT seq, t, stream, data FROM run_output WHERE run_id = ? ORDER BY seq", run[0]
        )
        typed = await rows(
            "SELECT seq, t, data, eof FROM run_input WHERE run_id = ? ORDER BY seq", run[0]
        )
        runs.append(
            {
                "id": run[0],
                "language": run[1],
                "user": run[2],
                "status": run[3],
                **dict(zip(_RUN_INTS[:4], run[4:8], strict=True)),
                **{k: bool(v) for k, v in zip(_RUN_BOOLS, run[8:11], strict=True)},
                "doc_seq": run[11],
                "code": run[12],
                "created_at": run[13],
                "compile_failed": bool(run[14]),
                **dict(zip(_RUN_USAGE, run[15:17], strict=True)),
                "output": [{"seq": o[0], "t": o[1], "stream": o[2], "data": o[3]} for o in output],
                "input": [{"seq": i[0], "t": i[1], "data": i[2], "eof": bool(i[3])} for i in typed],
            }
        )
    doc = build_doc(base_state, (bytes(u[3]) for u in updates))
    state = DocumentState.of(doc)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now_ms(),
        "session": {
            "id": sid,
            "title": title,
            "language": language,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        "base": base,
        "updates": [
            {"seq": int(u[0]), "t": int(u[1]), "author": u[2], "data": _b64(bytes(u[3]))}
            for u in updates
        ],
        "runs": runs,
        "final": {
            "seq": int(last_seq),
            "code": state.code,
            "language": state.language,
            "title": state.title,
        },
    }
    document["digest"] = digest(document)
    return document


# -- import ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """A validated export, ready to be stored in one transaction."""

    session: dict[str, Any]
    updates: list[tuple[int, int, str | None, bytes]]
    snapshots: list[tuple[int, int, bytes]]
    runs: list[dict[str, Any]]
    final: DocumentState
    last_seq: int
    last_t: int


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise ImportRefused(f"corrupted export: {what}", code="corrupted_export")


def _int(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    _need(isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62, what)
    return int(value)


def _str(value: Any, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    _need(isinstance(value, str), what)
    return str(value)


def _bytes(value: Any, what: str) -> bytes:
    _need(isinstance(value, str), what)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ImportRefused(
            f"corrupted export: {what} is not base64", code="corrupted_export"
        ) from None


def plan_import(raw: bytes, *, snapshot_every: int) -> ImportPlan:
    """Parses and fully validates an export file. Pure CPU: run it off the event loop.

    Raises ImportRefused (422) for a file that is not an export of this version, or
    whose digest, structure, sequence numbers or updates do not hold together."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the file is not valid JSON", code="invalid_json") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(
            f"not a playground history export (expected format '{FORMAT}')",
            code="unsupported_export",
        )
    if document.get("version") != VERSION:
        raise ImportRefused(
            f"export version {document.get('version')!r} is not supported (this server"
            f" reads version {VERSION})",
            code="unsupported_export",
        )
    _need(document.get("digest") == digest(document), "the digest does not match the content")

    session: Any = document.get("session")
    _need(isinstance(session, dict), "'session' must be an object")
    title = _str(session.get("title"), "session title")
    language = _str(session.get("language"), "session language")
    created_at = _int(session.get("created_at"), "session created_at")
    updated_at = _int(session.get("updated_at"), "session updated_at")

    base: Any = document.get("base")
    base_seq, base_state, last_t = 0, None, 0
    snapshots: list[tuple[int, int, bytes]] = []
    if base is not None:
        _need(isinstance(base, dict), "'base' must be an object or null")
        base_seq = _int(base.get("seq"), "base seq") or 0
        last_t = _int(base.get("t"), "base t") or 0
        base_state = _bytes(base.get("state"), "base state")
        _need(base_seq >= 1, "base seq must be at least 1")
        snapshots.append((base_seq, last_t, base_state))
    try:
        doc = build_doc(base_state, [])
    except ValueError:
        raise ImportRefused(
            "corrupted export: the base state does not decode", code="corrupted_export"
        ) from None

    entries: Any = document.get("updates")
    _need(isinstance(entries, list), "'updates' must be a list")
    updates: list[tuple[int, int, str | None, bytes]] = []
    for i, entry in enumerate(entries):
        _need(isinstance(entry, dict), f"update #{i} must be an object")
        seq = _int(entry.get("seq"), f"update #{i} seq")
        t = _int(entry.get("t"), f"update #{i} t") or 0
        _need(seq == base_seq + i + 1, f"update #{i} has seq {seq}, expected {base_seq + i + 1}")
        _need(t >= last_t, f"update seq {seq} goes back in time")
        data = _bytes(entry.get("data"), f"update seq {seq} data")
        author = _str(entry.get("author"), f"update seq {seq} author", optional=True)
        try:
            doc.apply_update(data)
        except ValueError:
            raise ImportRefused(
                f"corrupted export: update seq {seq} does not decode", code="corrupted_export"
            ) from None
        updates.append((base_seq + i + 1, t, author, data))
        last_t = t
        if (base_seq + i + 1) % snapshot_every == 0 or i == len(entries) - 1:
            snapshots.append((base_seq + i + 1, t, doc.get_update()))
    last_seq = base_seq + len(updates)
    _need(last_seq >= 1, "the export holds no document")

    final_doc: Any = document.get("final")
    _need(isinstance(final_doc, dict), "'final' must be an object")
    state = DocumentState.of(doc)
    _need(
        final_doc.get("seq") == last_seq
        and final_doc.get("code") == state.code
        and final_doc.get("language") == state.language
        and final_doc.get("title") == state.title,
        "replaying the updates does not give the final document",
    )
    runs = _check_runs(document.get("runs"), last_seq)
    return ImportPlan(
        session={
            "title": title,
            "language": language,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        updates=updates,
        snapshots=snapshots,
        runs=runs,
        final=state,
        last_seq=last_seq,
        last_t=last_t,
    )


def _check_runs(runs: Any, last_seq: int) -> list[dict[str, Any]]:
    _need(isinstance(runs, list), "'runs' must be a list")
    checked = []
    for i, run in enumerate(runs):
        _need(isinstance(run, dict), f"run #{i} must be an object")
        status = run.get("status")
        _need(isinstance(status, str) and status in RUN_STATUSES, f"run #{i} status")
        out: dict[str, Any] = {
            "language": _str(run.get("language"), f"run #{i} language"),
            "user": _str(run.get("user"), f"run #{i} user", optional=True),
            "status": run["status"],
            "code": _str(run.get("code"), f"run #{i} code"),
            "created_at": _int(run.get("created_at"), f"run #{i} created_at"),
        }
        for key in _RUN_INTS:
            out[key] = _int(run.get(key), f"run #{i} {key}", optional=True)
        for key in _RUN_BOOLS:
            _need(isinstance(run.get(key), bool), f"run #{i} {key} must be a boolean")
            out[key] = run[key]
        # Files exported before runs recorded it have none: those runs count as compiled.
        compile_failed = run.get("compile_failed", False)
        _need(isinstance(compile_failed, bool), f"run #{i} compile_failed must be a boolean")
        out["compile_failed"] = compile_failed
        for key in _RUN_USAGE:
            out[key] = _int(run.get(key), f"run #{i} {key}", optional=True)
        _need(out["doc_seq"] is None or out["doc_seq"] <= last_seq, f"run #{i} doc_seq")
        output = run.get("output")
        _need(isinstance(output, list), f"run #{i} output must be a list")
        chunks = []
        for j, chunk in enumerate(output):
            _need(isinstance(chunk, dict), f"run #{i} output #{j} must be an object")
            _need(chunk.get("stream") in ("stdout", "stderr"), f"run #{i} output #{j} stream")
            chunks.append(
                (
                    _int(chunk.get("seq"), f"run #{i} output #{j} seq"),
                    _int(chunk.get("t"), f"run #{i} output #{j} t"),
                    chunk["stream"],
                    _str(chunk.get("data"), f"run #{i} output #{j} data"),
                )
            )
        _need(len({c[0] for c in chunks}) == len(chunks), f"run #{i} output seqs repeat")
        out["output"] = chunks
        out["input"] = _check_input(run.get("input", []), f"run #{i}")
        checked.append(out)
    return checked


def _check_input(typed: Any, what: str) -> list[tuple[int | None, int | None, str | None, int]]:
    """A run's `input` list (absent from files exported before runs kept it)."""
    _need(isinstance(typed, list), f"{what} input must be a list")
    chunks = []
    for j, chunk in enumerate(typed):
        _need(isinstance(chunk, dict), f"{what} input #{j} must be an object")
        eof = chunk.get("eof", False)
        _need(isinstance(eof, bool), f"{what} input #{j} eof must be a boolean")
        chunks.append(
            (
                _int(chunk.get("seq"), f"{what} input #{j} seq"),
                _int(chunk.get("t"), f"{what} input #{j} t"),
                _str(chunk.get("data"), f"{what} input #{j} data"),
                int(eof),
            )
        )
    _need(len({c[0] for c in chunks}) == len(chunks), f"{what} input seqs repeat")
    return chunks


async def import_session(store: Store, plan: ImportPlan, session_id: str) -> SessionRecord:
    """Stores a validated export as session `session_id`, in one transaction.

    Times are kept as they were, so the timeline and the snapshot at any time match
    the original; run ids are new (they are unique across the server)."""
    s = plan.session
    async with store.transaction() as conn:
        # An imported session is a new session: new share links.
        await insert_session(
            conn,
            session_id,
            plan.final.title or s["title"],
            plan.final.language or s["language"],
            plan.final.code,
            created_at=s["created_at"],
            updated_at=s["updated_at"],
            last_seq=plan.last_seq,
            last_t=plan.last_t,
        )
        await conn.executemany(
            "INSERT INTO updates (session_id, seq, t, author, data) VALUES (?, ?, ?, ?, ?)",
            [(session_id, *u) for u in plan.updates],
        )
        await conn.executemany(
            "INSERT INTO snapshots (session_id, seq, t, state) VALUES (?, ?, ?, ?)",
            [(session_id, *snap) for snap in plan.snapshots],
        )
        for run in plan.runs:
            run_id = secrets.token_hex(16)
            await conn.execute(
                "INSERT INTO runs (id, session_id, language, user, status, exit_code,"
                " started_at, finished_at, duration_ms, timed_out, oom_killed,"
                " output_truncated, doc_seq, code, created_at, compile_failed, cpu_ms,"
                " memory_kb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    session_id,
                    run["language"],
                    run["user"],
                    run["status"],
                    *(run[k] for k in ("exit_code", "started_at", "finished_at")),
                    run["duration_ms"],
                    *(int(run[k]) for k in _RUN_BOOLS),
                    run["doc_seq"],
                    run["code"],
                    run["created_at"],
                    int(run["compile_failed"]),
                    *(run[k] for k in _RUN_USAGE),
                ),
            )
            await conn.executemany(
                "INSERT INTO run_output (run_id, seq, t, stream, data) VALUES (?, ?, ?, ?, ?)",
                [(run_id, *chunk) for chunk in run["output"]],
            )
            await conn.executemany(
                "INSERT INTO run_input (run_id, seq, t, data, eof) VALUES (?, ?, ?, ?, ?)",
                [(run_id, *chunk) for chunk in run["input"]],
            )
    return SessionRecord(
        session_id,
        plan.final.title or s["title"],
        plan.final.language or s["language"],
        s["created_at"],
        s["updated_at"],
    )
