"""Typing latency seen by receivers that inflate in line, as browsers do.

The stock Node clients (`ws`) inflate each compressed message on libuv's thread pool,
ten at a time per process: with many receivers in one process, that queue is most of
what compression seems to cost. Browsers inflate in the network stack before the
message event, and so does Python's `websockets`. One process, one clock: a pycrdt
typist types one character per update (plus a cursor move in awareness, as
y-codemirror does) and N receivers count the updates they get; the k-th update a
receiver sees is keystroke k.

    .venv/bin/python bench/pyclients.py WS_BASE ROOM N UPDATES INTERVAL_MS SOURCE_FILE

Prints one JSON line (p50_ms, p99_ms, missing), like `compression.mjs typing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import websockets
from benchlib import pct
from pycrdt import Doc, Text

from playground.protocol import (
    MSG_SYNC,
    SYNC_STEP1,
    SYNC_UPDATE,
    AwarenessEntry,
    Decoder,
    awareness_message,
    encode_awareness,
    sync_message,
)


async def connect(url: str) -> Any:
    ws = await websockets.connect(url, max_size=None, ping_interval=None)
    await ws.send(sync_message(SYNC_STEP1, Doc().get_state()))
    return ws


async def receive(
    ws: Any, sent_at: list[float], latencies: list[float], expected: int, done: asyncio.Event
) -> None:
    k = 0
    async for message in ws:
        dec = Decoder(message)
        if dec.var_uint() == MSG_SYNC and dec.var_uint() == SYNC_UPDATE:
            if k < len(sent_at):
                latencies.append(time.perf_counter() - sent_at[k])
                if len(latencies) == expected:
                    done.set()
            k += 1


async def main(ws_base: str, room: str, n: int, updates: int, interval_ms: int, chars: str) -> None:
    url = f"{ws_base}/{room}"
    doc: Doc[Text] = Doc()
    text = doc.get("code", type=Text)
    typist = await connect(url)
    pending: list[bytes] = []
    doc.observe(lambda event: pending.append(event.update))
    receivers = [await connect(url) for _ in range(n)]
    await asyncio.sleep(0.5)  # the initial syncs are not keystrokes
    sent_at: list[float] = []
    latencies: list[float] = []
    done = asyncio.Event()
    tasks = [
        asyncio.create_task(receive(ws, sent_at, latencies, updates * n, done)) for ws in receivers
    ]
    await asyncio.sleep(0.3)
    for i in range(updates):
        sent_at.append(time.perf_counter())
        text.insert(len(text), chars[i % len(chars)])
        await typist.send(sync_message(SYNC_UPDATE, pending.pop()))
        state = {
            "user": {"name": "typist", "color": "#3366ff"},
            "cursor": {"anchor": i + 1, "head": i + 1},
        }
        await typist.send(
            awareness_message(
                encode_awareness([AwarenessEntry(doc.client_id, i + 1, json.dumps(state))])
            )
        )
        await asyncio.sleep(interval_ms / 1000)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 10)
    for task in tasks:
        task.cancel()
    for ws in [typist, *receivers]:
        await ws.close()
    ms = sorted(latency * 1000 for latency in latencies)
    print(
        json.dumps(
            {
                "samples": len(latencies),
                "missing": updates * n - len(latencies),
                "p50_ms": pct(ms, 0.5),
                "p99_ms": pct(ms, 0.99),
            }
        )
    )


if __name__ == "__main__":
    ws_base, room, n, updates, interval, src = sys.argv[1:7]
    asyncio.run(main(ws_base, room, int(n), int(updates), int(interval), Path(src).read_text()))
