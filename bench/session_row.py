"""What copying updates into SQLite costs per row, by the size of the sessions' code.

Every inserted update fires the trigger that advances its session's head. Up to schema
step 3 the session's row held its code, so each trigger rewrote the code too; step 4
moved the code to `session_code`. This builds both schemas side by side, in the same
run, with 200 sessions whose code is `--code-kb` long, and times the journal's copy as
the store makes it: one INSERT of `--rows` updates of random sessions.

    .venv/bin/python bench/session_row.py
    .venv/bin/python bench/session_row.py --code-kb 0 5 50 200 --rows 48
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crdt_store.schema import MIGRATIONS

SESSIONS = 200


def database(path: Path, steps: int, code: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for step in MIGRATIONS[:steps]:
        conn.executescript(step)
    for i in range(SESSIONS):
        conn.execute(
            "INSERT INTO sessions (id, title, language, created_at, updated_at)"
            " VALUES (?, 't', 'python', 0, 0)",
            (f"s{i}",),
        )
    if steps >= 4:
        conn.executemany(
            "INSERT INTO session_code (session_id, code) VALUES (?, ?)",
            [(f"s{i}", code) for i in range(SESSIONS)],
        )
    else:
        conn.execute("UPDATE sessions SET code = ?", (code,))
    return conn


def copy_times(
    conn: sqlite3.Connection, rows: int, copies: int, rng: random.Random
) -> tuple[list[float], int]:
    """Each INSERT's time, and the WAL frames (pages) they wrote in all."""
    sql = "INSERT INTO updates (session_id, seq, t, author, data) VALUES " + ",".join(
        ["(?, ?, ?, ?, ?)"] * rows
    )
    seqs = [0] * SESSIONS
    t = 0
    times = []
    frames = 0
    for n in range(copies):
        args: list[object] = []
        for _ in range(rows):
            s = rng.randrange(SESSIONS)
            seqs[s] += 1
            t += 1
            args += [f"s{s}", seqs[s], t, "ada", rng.randbytes(30)]
        started = time.perf_counter()
        conn.execute(sql, args)
        times.append(time.perf_counter() - started)
        if n % 250 == 249 or n == copies - 1:  # as the store's checkpointer does
            frames += conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    return times, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code-kb", type=int, nargs="+", default=[0, 5, 50])
    parser.add_argument("--rows", type=int, default=48, help="updates per copy")
    parser.add_argument("--copies", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{SESSIONS} sessions, {args.rows} updates per INSERT, {args.copies} INSERTs;")
    print(f"medians of {args.repeats} repeats, alternating the schemas")
    print(
        f"{'code':>8} {'step 3 µs/row':>14} {'now µs/row':>11} {'ratio':>7}"
        f" {'WAL KiB/row, step 3':>20} {'now':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for kb in args.code_kb:
            code = "x" * (kb * 1024)
            per_row: dict[int, list[float]] = {3: [], 4: []}
            wal: dict[int, list[float]] = {3: [], 4: []}
            for repeat in range(args.repeats):
                for steps in (3, len(MIGRATIONS)) if repeat % 2 == 0 else (len(MIGRATIONS), 3):
                    path = Path(tmp) / f"{kb}-{steps}-{repeat}.db"
                    conn = database(path, steps, code)
                    rng = random.Random(repeat)
                    times, frames = copy_times(conn, args.rows, args.copies, rng)
                    page = conn.execute("PRAGMA page_size").fetchone()[0]
                    conn.close()
                    per_row[min(steps, 4)].append(statistics.median(times) / args.rows * 1e6)
                    wal[min(steps, 4)].append(frames * page / 1024 / (args.rows * args.copies))
                    for suffix in ("", "-wal", "-shm"):
                        with_suffix = Path(str(path) + suffix)
                        if with_suffix.exists():
                            os.remove(with_suffix)
            before, now = statistics.median(per_row[3]), statistics.median(per_row[4])
            print(
                f"{kb:>5} KB {before:>14.1f} {now:>11.1f} {now / before:>6.2f}x"
                f" {statistics.median(wal[3]):>20.2f} {statistics.median(wal[4]):>6.2f}"
            )


if __name__ == "__main__":
    main()
