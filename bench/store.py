"""Append latency of the store while the event loop is busy, by how a write is made.

Many rooms append one update each, 10 times a second, while a burner keeps the event
loop busy (`--busy`, the share of time it spends computing in 0.2 ms slices, as
handling frames does). An append's latency is the time until it is durable, when a
room may deliver it. Four ways, alternating, in the same run:
- journal: what a room does now: `append_now` writes the update journal (one write(2)
  in the caller's turn; the copy into SQLite follows after it), falling back to
  `append_updates` when another write is queued;
- at once: `append_now` without the journal (`Store(journal=False)`): an INSERT on
  the event loop, right in the caller's turn;
- queued: `append_updates` alone (the appender task groups what arrives in one turn
  into one INSERT), still written on the loop;
- thread (the baseline): `append_updates` with every write sent to aiosqlite's
  database thread, which needs the GIL back after each call into SQLite, as before
  small writes ran inline.

`ms/append` is the time spent writing, per append: on the loop for the first three
(the journal's copies into SQLite included), waiting for the thread for the last.

    .venv/bin/python bench/store.py [--rooms 100] [--rate 10] [--seconds 10]
                                    [--busy 0.5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchlib import median, pct, revision  # noqa: E402

from crdt_store import Store  # noqa: E402
from crdt_store import store as store_module  # noqa: E402

INLINE_MAX_BYTES = store_module._INLINE_MAX_BYTES


def typing_updates(n: int) -> list[bytes]:
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for _ in range(n):
        text.insert(0, "x")
    return updates


FORMS = ("journal", "at once", "queued", "thread")


async def one_run(args: argparse.Namespace, form: str) -> dict[str, float]:
    """Appends for `args.seconds`, written the `form` way."""
    store_module._INLINE_MAX_BYTES = -1 if form == "thread" else INLINE_MAX_BYTES
    updates = typing_updates(200)
    with tempfile.TemporaryDirectory() as tmp:
        async with Store(Path(tmp) / "bench.db", journal=form == "journal") as store:
            for r in range(args.rooms):
                await store.create_session(
                    f"s{r}", title="t", language="python", code="", initial_update=updates[0]
                )
            latencies: list[float] = []
            stop = time.monotonic() + args.seconds

            async def room(r: int) -> None:
                await asyncio.sleep(random.random() / args.rate)
                i = 0
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    update = [(updates[i % 200], "a")]
                    if (
                        form not in ("journal", "at once")
                        or store.append_now(f"s{r}", update) is None
                    ):
                        await store.append_updates(f"s{r}", update, None)
                    took = time.perf_counter() - started
                    latencies.append(took)
                    i += 1
                    await asyncio.sleep(max(0.0, 1 / args.rate - took))

            async def burner() -> None:
                slice_s = 0.0002
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    while time.perf_counter() - started < slice_s:
                        pass
                    await asyncio.sleep(slice_s * (1 - args.busy) / args.busy)

            writes_before = store.stats.write_count
            seconds_before = store.stats.write_seconds_sum + store.stats.copy_seconds_sum
            await asyncio.gather(*(room(r) for r in range(args.rooms)), burner())
            await store.settle()
            writes = store.stats.write_count - writes_before
            seconds = store.stats.write_seconds_sum + store.stats.copy_seconds_sum
            latencies.sort()
            return {
                "p50": pct(latencies, 0.5) * 1000,
                "p99": pct(latencies, 0.99) * 1000,
                "appends": len(latencies),
                "writes": writes,
                # Every write's time, the journal's copies into SQLite included.
                "append_ms": (seconds - seconds_before) / len(latencies) * 1000,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="appends/s per room")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--busy", type=float, default=0.5, help="share of loop time burnt")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not 0 < args.busy < 1:
        parser.error("--busy must be between 0 and 1")

    print(f"revision {revision()}")
    print(
        f"{args.rooms} rooms x {args.rate:g} appends/s, {args.seconds:g} s, event loop busy"
        f" {args.busy:.0%}; medians of {args.repeats} runs"
    )
    results: dict[str, list[dict[str, float]]] = {form: [] for form in FORMS}
    for _ in range(args.repeats):
        for form in FORMS:
            results[form].append(asyncio.run(one_run(args, form)))
    print(f"{'form':10} {'p50 ms':>8} {'p99 ms':>8} {'writes':>7} {'ms/append':>10}")
    med = {
        name: {key: median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    for name, m in med.items():
        print(
            f"{name:10} {m['p50']:8.2f} {m['p99']:8.2f} {m['writes']:7.0f} {m['append_ms']:10.3f}"
        )
    base = med["thread"]
    for form in FORMS[:-1]:
        ours = med[form]
        print(
            f"{'ratio':10} {ours['p50'] / base['p50']:7.2f}x {ours['p99'] / base['p99']:7.2f}x"
            f" {'':7} {ours['append_ms'] / base['append_ms']:9.2f}x  ({form}/thread)"
        )


if __name__ == "__main__":
    main()
