"""What the history tests share: reading the timeline and snapshots over HTTP, and an
editing session recorded into a shadow copy with the times each state surely held."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import NodeClient, ServerProcess
from tests.yjs_client import PyClient


def now_ms() -> int:
    return int(time.time() * 1000)


def timeline(server: ServerProcess, session_id: str, page: int = 1000, **query: Any) -> list[Any]:
    """Every event, following `next` cursors page by page."""
    events: list[Any] = []
    params: dict[str, Any] = {"limit": page, **query}
    while True:
        response = httpx.get(f"{server.url}/api/sessions/{session_id}/timeline", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["events"]) <= page
        events += body["events"]
        if body["next"] is None:
            return events
        params["cursor"] = body["next"]


def snapshot(server: ServerProcess, session_id: str, **query: Any) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/sessions/{session_id}/snapshot", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def redigest(document: dict[str, Any]) -> dict[str, Any]:
    """The documented digest: sha256 of the canonical JSON of every key but `digest`."""
    body = {k: v for k, v in document.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return document


@dataclass
class Shadow:
    """(first, last, code, title): the document surely was (code, title) at every ms
    from `first` to `last` inclusive."""

    spans: list[tuple[int, int, str, str]] = field(default_factory=list)

    def pick(self, rng: random.Random) -> tuple[int, str, str]:
        first, last, code, title = rng.choice(self.spans)
        return rng.randint(first, last), code, title


async def edit_and_record(
    server: ServerProcess,
    writer: NodeClient,
    witness: PyClient,
    created_at: int,
    initial: str,
    title: str,
    edits: int,
    seed: int = 7,
) -> Shadow:
    """Random inserts, deletes and renames by `writer`. After each one the `witness`
    has seen it, so it is stored (the server stores before it broadcasts): the state
    held from then until just before the next edit was sent."""
    rng = random.Random(seed)
    shadow = Shadow()
    text = initial
    start = created_at
    for i in range(edits):
        await asyncio.sleep(0.003)
        sent = now_ms()
        if start < sent:
            shadow.spans.append((start, sent - 1, text, title))
        roll = rng.random()
        if roll < 0.1:
            title = f"title {i}"
            await writer.call("set_meta", key="title", value=title)
        elif roll < 0.35 and text:
            at = rng.randrange(len(text))
            length = rng.randint(1, min(4, len(text) - at))
            await writer.call("delete", index=at, length=length)
            text = text[:at] + text[at + length :]
        else:
            at = rng.randint(0, len(text))
            piece = "".join(rng.choice("abcxyz \n") for _ in range(rng.randint(1, 3)))
            await writer.call("insert", index=at, text=piece)
            text = text[:at] + piece + text[at:]
        await witness.wait_text(text)
        async with asyncio.timeout(10):
            while witness.meta.get("title") != title:
                witness.changed.clear()
                await witness.changed.wait()
        start = now_ms()
    await asyncio.sleep(0.003)
    shadow.spans.append((start, now_ms(), text, title))
    return shadow
