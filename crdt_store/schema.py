"""Schema and forward migrations. Never rename or drop a user's database: migrate it."""

from __future__ import annotations

import aiosqlite

# Each entry migrates from version i to i + 1. Append only; never edit a shipped step.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        language TEXT NOT NULL,
        code TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_t INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX sessions_by_activity ON sessions (updated_at DESC);

    CREATE TABLE updates (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        t INTEGER NOT NULL,
        author TEXT,
        data BLOB NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX updates_by_time ON updates (session_id, t);

    CREATE TABLE snapshots (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        t INTEGER NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) WITHOUT ROWID;

    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        session_id TEXT,
        language TEXT NOT NULL,
        user TEXT,
        status TEXT NOT NULL,
        exit_code INTEGER,
        started_at INTEGER,
        finished_at INTEGER,
        duration_ms INTEGER,
        timed_out INTEGER NOT NULL DEFAULT 0,
        oom_killed INTEGER NOT NULL DEFAULT 0,
        output_truncated INTEGER NOT NULL DEFAULT 0,
        doc_seq INTEGER,
        code TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE INDEX runs_by_session ON runs (session_id, created_at DESC);

    CREATE TABLE run_output (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        t INTEGER NOT NULL,
        stream TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    """,
    # 2: share-link tokens (edit and view-only) for every session.
    """
    ALTER TABLE sessions ADD COLUMN edit_token TEXT;
    ALTER TABLE sessions ADD COLUMN view_token TEXT;
    UPDATE sessions SET edit_token = lower(hex(randomblob(16))),
                        view_token = lower(hex(randomblob(16)));
    """,
    # 3: a session's head (last seq and time, activity) follows its update log inside
    # SQLite, so appending updates is one statement: every statement of a transaction
    # sent from Python gives the event loop's thread the GIL back and waits to get it
    # again (bench/rooms.py: 4 ms per transaction under load, against 0.8 ms alone).
    """
    CREATE TRIGGER updates_advance_session AFTER INSERT ON updates BEGIN
        UPDATE sessions SET last_seq = max(last_seq, NEW.seq),
                            last_t = max(last_t, NEW.t),
                            updated_at = max(updated_at, NEW.t)
        WHERE id = NEW.session_id;
    END;
    """,
    # 4: a session's code (its searchable summary, up to 256 KiB) moves to a table of
    # its own. The trigger of step 3 rewrites the session's row on every update, and
    # with the code in that row each rewrite cost its whole length (a 48-row INSERT
    # over 200 sessions: 8.4 µs a row without the trigger, 10.9 with it and no code,
    # 33.4 with 50 KB of code). `session_summary` keeps the summary one statement to
    # write (title, language and code, atomically, through its trigger).
    """
    CREATE TABLE session_code (
        session_id TEXT PRIMARY KEY,
        code TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO session_code (session_id, code) SELECT id, code FROM sessions;
    ALTER TABLE sessions DROP COLUMN code;
    CREATE VIEW session_summary AS
        SELECT s.id AS id, s.title AS title, s.language AS language, c.code AS code
        FROM sessions AS s JOIN session_code AS c ON c.session_id = s.id;
    CREATE TRIGGER session_summary_update INSTEAD OF UPDATE ON session_summary BEGIN
        UPDATE sessions SET title = NEW.title, language = NEW.language WHERE id = OLD.id;
        UPDATE session_code SET code = NEW.code WHERE session_id = OLD.id;
    END;
    """,
    # 5: whether a run ended in its compile step (the program never started). Runs
    # stored before this step count as not, which is what the history knew of them.
    """
    ALTER TABLE runs ADD COLUMN compile_failed INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: what a run's program used, CPU time and peak memory; NULL where it was not
    # measured (runs stored before this step, and programs that never ended by
    # themselves).
    """
    ALTER TABLE runs ADD COLUMN cpu_ms INTEGER;
    ALTER TABLE runs ADD COLUMN memory_kb INTEGER;
    """,
    # 7: what people typed into a run's stdin while it ran, so that everyone, the run's
    # stored transcript and the replay show it between the output it answered.
    """
    CREATE TABLE run_input (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        t INTEGER NOT NULL,
        data TEXT NOT NULL,
        eof INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring the database to `SCHEMA_VERSION`; returns the version it was at."""
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    async with conn.execute("SELECT version FROM schema_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {current} is newer than this playground "
            f"({SCHEMA_VERSION}); upgrade the playground"
        )
    for version in range(current, SCHEMA_VERSION):
        # One transaction per step: the schema and its version number change together.
        await conn.executescript(
            "BEGIN;\n"
            + MIGRATIONS[version]
            + f"\nDELETE FROM schema_version;\nINSERT INTO schema_version VALUES ({version + 1});"
            + "\nCOMMIT;"
        )
    return current
