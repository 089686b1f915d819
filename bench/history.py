"""Replayable history, measured on the real server: snapshot at a past time, cold load,
storage per update.

One session typed one character per update (10,000 by default) by a Python Yjs client
through the server. Then:
- snapshot at random past times: over HTTP, and in-process (nearest snapshot + tail)
  against the baseline of replaying the whole log, in the same run;
- cold load: restart the server, time a WebSocket client's connect → first sync
  (sync step 2 received), against a warm room's first sync;
- storage: on-disk bytes of the update log (table + index, from SQLite's dbstat) and
  of the snapshots, per update, against the raw update sizes.

    .venv/bin/python bench/history.py [--updates 10000] [--samples 200] [--cold 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from crdt_store import Store, build_doc  # noqa: E402
from crdt_store.history import seq_at  # noqa: E402
from tests.conftest import ServerProcess  # noqa: E402
from tests.yjs_client import PyClient  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def type_session(server: ServerProcess, n: int) -> str:
    session = server.create_session(code="")
    client = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(client.synced.wait(), 10)
    started = time.perf_counter()
    for i in range(n):
        client.code.insert(len(client.code), "abcdefghij"[i % 10])
        if i % 100 == 99:
            await asyncio.sleep(0)
    url = f"{server.url}/api/sessions/{session['id']}/snapshot"
    for _ in range(600):
        if httpx.get(url).json()["seq"] >= n + 1:
            break
        await asyncio.sleep(0.1)
    print(f"typed {n} one-character updates in {time.perf_counter() - started:.1f} s")
    await client.close()
    return str(session["id"])


def http_snapshots(
    server: ServerProcess, session_id: str, first: int, last: int, samples: int
) -> None:
    """Snapshot at random past times over HTTP, on one keep-alive client."""
    rng = random.Random(2)
    http, health = [], []
    with httpx.Client(base_url=server.url) as client:
        for _ in range(samples):
            at = rng.randint(first, last)
            started = time.perf_counter()
            r = client.get(f"/api/sessions/{session_id}/snapshot", params={"at": at})
            http.append(time.perf_counter() - started)
            assert r.status_code == 200
            started = time.perf_counter()
            client.get("/healthz")
            health.append(time.perf_counter() - started)
    print(f"snapshot at a past time over HTTP: first {ms(http[0])} (fills missing snapshots)")
    print(f"snapshot at a past time over HTTP: median {ms(statistics.median(http))}")
    print(f"baseline: GET /healthz on the same client: median {ms(statistics.median(health))}")


async def first_sync(server: ServerProcess, session_id: str) -> float:
    started = time.perf_counter()
    client = await PyClient(server.ws_url, session_id).connect()
    await asyncio.wait_for(client.synced.wait(), 30)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def in_process(db: Path, session_id: str, samples: int) -> None:
    async with Store(db) as store:
        updates = await store.updates(session_id)
        first, last = updates[0].t, updates[-1].t
        rng = random.Random(1)
        nearest, full = [], []
        for _ in range(samples):
            at = rng.randint(first, last)
            started = time.perf_counter()
            seq = await seq_at(store, session_id, at)
            await store.document_at(session_id, seq)
            nearest.append(time.perf_counter() - started)
        for _ in range(max(5, samples // 20)):
            started = time.perf_counter()
            build_doc(None, (u.data for u in await store.updates(session_id)))
            full.append(time.perf_counter() - started)
        a, b = statistics.median(nearest), statistics.median(full)
        print(f"snapshot at a past time, in-process (nearest snapshot + tail): median {ms(a)}")
        print(f"baseline: replay the whole log:                              median {ms(b)}")
        print(f"ratio nearest/full-log: {a / b:.3f}")
        raw = sum(len(u.data) for u in updates)
        print(f"raw update bytes: {raw} total, {raw / len(updates):.1f} per update")


def storage(db: Path, n: int) -> None:
    conn = sqlite3.connect(db)
    sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    count = conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    biggest = conn.execute("SELECT MAX(LENGTH(state)) FROM snapshots").fetchone()[0]
    conn.close()
    log = sizes.get("updates", 0) + sizes.get("updates_by_time", 0)
    snaps = sizes.get("snapshots", 0)
    print(
        f"on disk: update log {log} B ({log / n:.1f} B/update: table "
        f"{sizes.get('updates', 0) / n:.1f} + time index {sizes.get('updates_by_time', 0) / n:.1f})"
    )
    print(
        f"on disk: {count} snapshots {snaps} B ({snaps / n:.1f} B/update amortised;"
        f" largest state {biggest} B)"
    )
    print(f"on disk total per update: {(log + snaps) / n:.1f} B")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--cold", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        server = ServerProcess(db, env={"PLAYGROUND_LOG_LEVEL": "warning"})
        server.start()
        try:
            session_id = await type_session(server, args.updates)
            events = httpx.get(
                f"{server.url}/api/sessions/{session_id}/timeline", params={"limit": 5000}
            ).json()["events"]
            first, last = events[1]["t"], events[-1]["t"]
            await asyncio.to_thread(http_snapshots, server, session_id, first, last, args.samples)

            cold, warm = [], []
            for _ in range(args.cold):
                server.stop()
                server.start()
                cold.append(await first_sync(server, session_id))
                warm.append(await first_sync(server, session_id))
            c, w = statistics.median(cold), statistics.median(warm)
            print(f"cold load after restart, connect → first sync: median {ms(c)}")
            print(f"baseline: warm room, connect → first sync:      median {ms(w)}")
            print(f"ratio cold/warm: {c / w:.2f}")
        finally:
            server.stop()
        await in_process(db, session_id, args.samples)
        storage(db, args.updates + 1)


if __name__ == "__main__":
    asyncio.run(main())
