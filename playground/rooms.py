"""One session's live document: a pycrdt-websocket `YRoom` made durable and strict.

What this adds to `YRoom` (each closes a gap measured in pycrdt-websocket 0.16):
- the document is loaded from the store before any client is served a sync message;
- every update is captured without a bounded queue (nothing is dropped) and is durable
  (in the store's update journal, or in the database) before it is broadcast to other
  clients or sent in a sync reply; in a room with nothing queued, an update is
  journaled and delivered in the same turn its frame arrived, with no task switch;
- malformed frames close only the connection that sent them, and are logged;
- a client's awareness states are removed the moment its connection ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anyio import TASK_STATUS_IGNORED
from anyio.abc import TaskStatus
from pycrdt import Doc, Map, Text, TransactionEvent
from pycrdt import get_update as missing_from
from pycrdt.websocket import YRoom

from crdt_store import DocumentState, Store
from crdt_store.replay import build_doc

from .errors import CLOSE_BAD_MESSAGE, CLOSE_TOO_LARGE, NotFound, PayloadTooLarge, StoreError
from .peers import Peer
from .presence import Presence
from .protocol import (
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    AwarenessMessage,
    ProtocolError,
    QueryAwareness,
    awareness_message,
    decode_message,
    encode_awareness,
    sync_message,
)
from .stats import RoomStats

log = logging.getLogger("playground.rooms")

# The session's searchable summary (title, language, the whole code) is rewritten once
# its room has been quiet for SUMMARY_QUIET_S, and at least every SUMMARY_EVERY_S under
# continuous typing. Readers of one session get the live document; only listing and
# search read the summary. (Rewriting it every second cost ~45% of the store's time in
# bench/rooms.py: the whole code, per room, as SQL text.)
SUMMARY_QUIET_S = 2.0
SUMMARY_EVERY_S = 30.0


class _Stopped(Exception):
    """The room stopped while its writer was retrying a failed write."""


@dataclass
class _Pending:
    """An update waiting for its write, or a sync reply waiting for the writes ahead of it."""

    data: bytes
    author: str | None = None
    origin: Peer | None = None
    reply_to: Peer | None = None


class _NoAwareness:
    """Stands in for `YRoom`'s pycrdt `Awareness`, which this room never uses (presence
    is `Presence`): it kept a task in every room, waking every 3 s."""

    async def start(self, *, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        task_status.started()

    async def stop(self) -> None:
        pass


class DocRoom(YRoom):
    """The room of one session. Started by `RoomRegistry`, never by hand."""

    def __init__(
        self,
        session_id: str,
        store: Store,
        *,
        max_code_bytes: int,
        snapshot_every: int,
        on_empty: Callable[[DocRoom], None],
        stats: RoomStats,
    ) -> None:
        super().__init__(ready=False, log=log)
        self.awareness = _NoAwareness()  # type: ignore[assignment]
        self.session_id = session_id
        self.store = store
        self.max_code_bytes = max_code_bytes
        self.snapshot_every = snapshot_every
        self._on_empty = on_empty
        self.stats = stats
        self.peers: set[Peer] = set()
        self.loaded = asyncio.Event()
        self.load_error: Exception | None = None
        self.closed = False
        self.last_seq = 0
        self.snapshot_seq = 0
        self.presence = Presence()
        self._code_bytes: int | None = None
        # An upper bound on the code's UTF-8 bytes, kept without reading the document:
        # each client update adds at most its own length. None: unknown (a fresh room,
        # a server-side edit, an update that failed half-way).
        self._code_bound: int | None = None
        # The stored summary is current when the room loads: the first summary rides a
        # batch SUMMARY_EVERY_S later (or is written once the room is quiet). Counting
        # from 0 made every room's first update take the slow path at once when a whole
        # class started typing together.
        self._summary_at = time.monotonic()
        self._summary_stale = False
        self._changed_at = 0.0
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._author: str | None = None
        self._origin: Peer | None = None
        # The update of the last transaction the document emitted.
        self._emitted: bytes | None = None
        # Client updates applied but held by the CRDT: they depend on changes the server
        # does not have, stay invisible, and join the document when those arrive. The
        # size check counts them.
        self._held: list[bytes] = []
        self.code = self.ydoc.get("code", type=Text)
        self.meta = self.ydoc.get("meta", type=Map)

    # -- YRoom hooks -----------------------------------------------------------------

    async def _watch_ready(self) -> None:
        """Loads the document, then starts capturing updates. Clients wait for this."""
        if self.loaded.is_set():
            # YRoom restarts its tasks after an error: the document is loaded already.
            return
        try:
            loaded = await self.store.load(self.session_id)
            if loaded is None:
                raise NotFound(f"session {self.session_id} does not exist")
            if loaded.snapshot is not None:
                self.ydoc.apply_update(loaded.snapshot.state)
                self.snapshot_seq = loaded.snapshot.seq
            for update in loaded.tail:
                self.ydoc.apply_update(update.data)
            self.last_seq = loaded.last_seq
            self._subscription = self.ydoc.observe(self._capture)
            self.ready = True
        except Exception as exc:
            if not isinstance(exc, NotFound):
                log.exception("loading session %s failed", self.session_id)
            self.load_error = exc
        finally:
            self.loaded.set()

    async def _broadcast_updates(self) -> None:
        """The writer: persist each batch, then deliver it, in arrival order; store the
        summary once the room goes quiet. Returns once the room stops."""
        while not self._stopping:
            if self._summary_stale:
                quiet = time.monotonic() - self._changed_at
                if quiet >= SUMMARY_QUIET_S and not self._wake.is_set():
                    await self._store_summary()
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SUMMARY_QUIET_S - quiet):
                        await self._wake.wait()
                if not self._wake.is_set():
                    continue
            else:
                await self._wake.wait()
            if self._stopping:
                return
            self._wake.clear()
            while True:
                while self._pending:
                    batch, self._pending = self._pending, []
                    try:
                        await self._persist(batch)
                    except (NotFound, _Stopped):
                        return
                    for item in batch:
                        self._deliver(item)
                    # Not held while the writer waits: the items name their peers.
                    del batch, item
                # Due after a batch, or after updates stored at once; updates that
                # queue while it is written are stored before the room counts as idle.
                await self._maybe_snapshot()
                if not self._pending:
                    break
            self._idle.set()

    # -- capture and delivery --------------------------------------------------------

    def _capture(self, event: TransactionEvent) -> None:
        self._code_bytes = None
        self._changed_at = time.monotonic()
        self._emitted = event.update
        item = _Pending(event.update, self._author, self._origin)
        if not self._store_now(item):
            self._enqueue(item)
        if not self._summary_stale:
            self._summary_stale = True
            self._wake.set()  # the writer starts waiting for the room to go quiet

    def _store_now(self, item: _Pending) -> bool:
        """Stores (in the update journal) and delivers `item` at once when nothing is
        queued ahead of it and the store can write right now; False (nothing done)
        otherwise. Runs inside the document's transaction callback: it must not touch
        the document."""
        if (
            self._pending
            or not self._idle.is_set()
            or time.monotonic() - self._summary_at >= SUMMARY_EVERY_S  # rides a batch
        ):
            return False
        stored = self.store.append_now(self.session_id, [(item.data, item.author)])
        if stored is None:
            return False
        self.last_seq = stored[-1].seq
        self._deliver(item)
        if self.last_seq - self.snapshot_seq >= self.snapshot_every:
            self._wake.set()
        return True

    def _enqueue(self, item: _Pending) -> None:
        self._pending.append(item)
        self._idle.clear()
        self._wake.set()

    async def _persist(self, batch: list[_Pending]) -> None:
        updates = [(item.data, item.author) for item in batch if item.reply_to is None]
        if not updates:
            return
        # Under continuous typing the summary rides along every SUMMARY_EVERY_S; a quiet
        # room, unloading and shutdown write the final one.
        summary = None
        if time.monotonic() - self._summary_at >= SUMMARY_EVERY_S:
            summary = DocumentState.of(self.ydoc)
            self._summary_at = time.monotonic()
            self._summary_stale = False
        delay = 0.1
        while True:
            try:
                stored = await self.store.append_updates(self.session_id, updates, summary)
                self.last_seq = stored[-1].seq
                return
            except StoreError as exc:
                if exc.code == "not_found":
                    raise NotFound(str(exc)) from exc
                if self._stopping:  # as a cancellation would have: nothing delivered
                    raise _Stopped from exc
                # Never broadcast what is not stored: hold the batch and retry.
                log.error(
                    "session %s: storing %d updates failed: %s", self.session_id, len(updates), exc
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _deliver(self, item: _Pending) -> None:
        if item.reply_to is not None:
            item.reply_to.send(item.data)
            return
        message = sync_message(SYNC_UPDATE, item.data)
        for peer in self.peers:
            if peer is not item.origin:
                peer.send(message)

    async def _maybe_snapshot(self, force: bool = False) -> None:
        # The document equals the stored log only while nothing is pending.
        due = self.last_seq - self.snapshot_seq >= (1 if force else self.snapshot_every)
        if not due or self._pending or self.last_seq == 0:
            return
        seq, state = self.last_seq, self.ydoc.get_update()
        try:
            await self.store.save_snapshot(self.session_id, seq, state)
            self.snapshot_seq = seq
        except StoreError as exc:
            log.warning("session %s: snapshot at seq %d failed: %s", self.session_id, seq, exc)

    async def stop(self) -> None:
        """Stops the room as `YRoom.stop` does, but lets its tasks return instead of
        cancelling them: the writer when it next wakes (at once when idle, as it is
        when a room unloads; after the write in hand otherwise), the others have
        returned or return as `_stopped` is set. A cancellation left each unloaded room
        as ~90 objects of cyclic garbage (its frames, their tracebacks and the room),
        freed only by the collector, whose pauses stop every room."""
        if self._task_group is None:
            raise RuntimeError("YRoom not running")
        self._stopping = True
        self._wake.set()
        self._stopped.set()
        await self.awareness.stop()
        self._task_group = None
        if self._subscription is not None:
            self.ydoc.unobserve(self._subscription)
        # YRoom's own update streams, unused here: closed, or each warns when freed.
        for stream in ("_update_send_stream", "_update_receive_stream"):
            if (opened := getattr(self, stream, None)) is not None:
                opened.close()

    async def flush(self) -> None:
        """Returns once every update applied so far is stored and delivered."""
        await self._idle.wait()

    async def flush_and_snapshot(self) -> None:
        await self.flush()
        await self._maybe_snapshot(force=True)
        if self._summary_stale:
            await self._store_summary()

    async def _store_summary(self) -> None:
        changed_at = self._changed_at
        try:
            await self.store.update_summary(self.session_id, DocumentState.of(self.ydoc))
            # Still stale if the document changed while the summary was being written.
            self._summary_stale = self._changed_at != changed_at
            self._summary_at = time.monotonic()
        except StoreError as exc:
            log.warning("session %s: storing its summary failed: %s", self.session_id, exc)
            self._changed_at = time.monotonic()  # try again after another quiet spell

    # -- server-side edits -----------------------------------------------------------

    def edit(self, change: Callable[[Doc[Any]], None], author: str) -> None:
        """Applies a server-side change as an ordinary update (stored, then broadcast).
        The session's summary is refreshed with it: an API caller reads it back."""
        self._summary_at = 0.0
        self._author = author
        self._code_bound = None
        try:
            with self.ydoc.transaction():
                change(self.ydoc)
        finally:
            self._author = None

    def _exact_code_bytes(self) -> int:
        if self._code_bytes is None:
            self._code_bytes = len(str(self.code).encode("utf-8"))
        return self._code_bytes

    def document(self) -> DocumentState:
        return DocumentState.of(self.ydoc)

    # -- clients ---------------------------------------------------------------------

    def join(self, peer: Peer) -> None:
        """Adds a client and sends it the server's sync step 1 and current presence."""
        self.peers.add(peer)
        peer.send(sync_message(SYNC_STEP1, self.ydoc.get_state()))
        if self.presence.states:
            peer.send(awareness_message(encode_awareness(self.presence.all())))

    def leave(self, peer: Peer) -> None:
        self.peers.discard(peer)
        gone = self.presence.remove(peer)
        if gone:
            message = awareness_message(encode_awareness(gone))
            for other in self.peers:
                other.send(message)
        if not self.peers:
            self._on_empty(self)

    async def serve(self, channel: Any) -> None:
        """Serves one client until it goes; its frames are handled as they arrive."""
        peer: Peer = channel
        self.join(peer)
        try:
            await peer.run(self._on_frame)
        finally:
            self.leave(peer)

    def _on_frame(self, peer: Peer, frame: bytes) -> None:
        """`handle`, closing only this client when its frame is bad or too large."""
        try:
            self.handle(peer, frame)
        except ProtocolError as exc:
            self.stats.bad_frames += 1
            log.warning(
                "session %s: %s sent a bad frame (%s); closing it", self.session_id, peer.id, exc
            )
            peer.close_soon(CLOSE_BAD_MESSAGE, f"bad message: {exc}"[:120])
        except PayloadTooLarge as exc:
            self.stats.too_large += 1
            log.warning("session %s: %s: %s", self.session_id, peer.id, exc)
            peer.close_soon(CLOSE_TOO_LARGE, exc.message[:120])

    def handle(self, peer: Peer, frame: bytes) -> None:
        """Applies one client frame. Raises ProtocolError for a frame that does not decode."""
        message = decode_message(frame)
        if isinstance(message, AwarenessMessage):
            self._handle_awareness(peer, message)
        elif isinstance(message, QueryAwareness):
            if self.presence.states:
                peer.send(awareness_message(encode_awareness(self.presence.all())))
        elif message.subtype == SYNC_STEP1:
            try:
                missing = self.ydoc.get_update(message.payload)
            except Exception as exc:
                raise ProtocolError("sync step 1 carries no valid state vector") from exc
            # Computed now (so it holds only what is applied now), sent once those
            # updates are stored.
            self._enqueue(_Pending(sync_message(SYNC_STEP2, missing), reply_to=peer))
        elif message.subtype in (SYNC_STEP2, SYNC_UPDATE):
            if peer.read_only:
                self.stats.read_only_dropped += 1
                return
            self._apply_client_update(peer, message.payload)

    def _apply_client_update(self, peer: Peer, update: bytes) -> None:
        # An update adds at most its own length to the code, plus whatever held updates
        # it lets in: only near the limit is the exact size needed, and only at the very
        # limit a trial on a copy.
        held = sum(map(len, self._held))
        if held and held + len(update) > self.max_code_bytes:
            raise PayloadTooLarge(
                f"{held + len(update)} bytes of changes would wait for changes this server "
                f"never received; the limit is {self.max_code_bytes}"
            )
        # The bound, not the document, on the way of every keystroke: reading the
        # text's length opens a pycrdt transaction before the update's own.
        bound = self._code_bound
        if bound is None:
            bound = len(self.code) * 4
        if bound + len(update) + held > self.max_code_bytes:
            bound = self._exact_code_bytes()
            if bound + len(update) + held > self.max_code_bytes:
                trial = build_doc(self.ydoc.get_update(), [*self._held, update])
                size = len(str(trial.get("code", type=Text)).encode("utf-8"))
                if size > self.max_code_bytes:
                    raise PayloadTooLarge(
                        f"the code would be {size} bytes; the limit is {self.max_code_bytes}"
                    )
        self._author, self._origin = peer.author, peer
        self._code_bound = None
        self._emitted = None
        try:
            self.ydoc.apply_update(update)
        except Exception as exc:
            raise ProtocolError("update does not decode") from exc
        finally:
            self._author = self._origin = None
        # The held updates are counted too: this one may have let them in. (They count
        # again with every update while they wait; an overestimate only costs an exact
        # measurement.)
        self._code_bound = bound + len(update) + held
        # What the transaction emitted is exactly what it integrated: when that is the
        # client's update byte for byte, none of it is held (491 of 501 updates from a
        # Yjs client in a mixed trace), and `_track_held`'s state vector and decoding
        # (~6 µs a keystroke, against ~10 µs to apply it) can be skipped.
        if self._held or self._emitted != update:
            self._track_held(update)
        self._emitted = None

    def _track_held(self, update: bytes) -> None:
        """Notes whether `update`, just applied, is held, and forgets the held updates
        that have joined the document since. An update is held while some of its
        structs are missing from the document: what it has that the document's state
        vector does not cover starts with a non-zero count of clients."""
        state = self.ydoc.get_state()
        try:
            still_missing = missing_from(update, state)[:1] != b"\x00"
        except Exception as exc:
            raise ProtocolError("update does not decode") from exc
        if self._held:
            self._held = [u for u in self._held if missing_from(u, state)[:1] != b"\x00"]
        if still_missing:
            self._held.append(update)

    def _handle_awareness(self, peer: Peer, message: AwarenessMessage) -> None:
        changed = self.presence.apply(peer, message.entries)
        if changed:
            relay = awareness_message(encode_awareness(changed))
            for other in self.peers:
                if other is not peer:
                    other.send(relay)

    async def close_peers(self, code: int, reason: str) -> None:
        await asyncio.gather(*(peer.close(code, reason) for peer in list(self.peers)))
