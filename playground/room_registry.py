"""All live rooms: race-free loading, unloading when idle, flushing on shutdown.

A `pycrdt-websocket` `WebsocketServer` whose `get_room` attaches the store and loads
the document before anyone is served, and whose rooms leave memory a short grace
period after their last client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Text
from pycrdt.websocket import WebsocketServer

from crdt_store import DocumentState, Store

from .errors import CLOSE_GOING_AWAY, CLOSE_NOT_FOUND, NotFound
from .peers import Peer
from .protocol import KEEPALIVE
from .rooms import DocRoom
from .stats import RoomStats

log = logging.getLogger("playground.rooms")


def _log_exception(exception: Exception, logger: logging.Logger) -> bool:
    logger.error("room failure", exc_info=exception)
    return True


@dataclass(frozen=True)
class DocumentView:
    """A document's content plus the seq of the last stored update it includes."""

    code: str
    language: str
    title: str
    time_limit_s: float | None
    seq: int
    memory_mb: int | None = None


class RoomRegistry(WebsocketServer):
    """Owns every `DocRoom`. Use as `async with RoomRegistry(store, ...)`."""

    rooms: dict[str, DocRoom]  # type: ignore[assignment]

    def __init__(
        self,
        store: Store,
        *,
        idle_seconds: float,
        keepalive_seconds: float,
        max_code_bytes: int,
        snapshot_every: int,
    ) -> None:
        super().__init__(
            rooms_ready=False,
            auto_clean_rooms=False,
            exception_handler=_log_exception,
            log=log,
        )
        self.store = store
        self.idle_seconds = idle_seconds
        self.keepalive_seconds = keepalive_seconds
        self.max_code_bytes = max_code_bytes
        self.snapshot_every = snapshot_every
        self._unloads: dict[str, asyncio.Task[None]] = {}
        self.rooms_unloaded = 0
        self.stats = RoomStats()

    async def __aenter__(self) -> RoomRegistry:
        await super().__aenter__()
        assert self._task_group is not None
        self._task_group.start_soon(self._keep_alive)
        return self

    async def _keep_alive(self) -> None:
        """Sends an empty message to every client that was sent nothing since the last
        sweep. Stock y-websocket clients drop and reconnect after 30 s without a message;
        the reference server's echo of their own awareness is what usually prevents it,
        and this server does not echo."""
        while True:
            await asyncio.sleep(self.keepalive_seconds)
            for room in list(self.rooms.values()):
                for peer in room.peers:
                    if not peer.sent_recently:
                        peer.send(KEEPALIVE)
                    peer.sent_recently = False

    async def get_room(self, name: str) -> DocRoom:
        """The loaded room of session `name`; raises NotFound for an unknown session.

        The room is registered before the first await, so concurrent joiners share one
        room and all wait for the same load."""
        room = self.rooms.get(name)
        if room is None:
            room = DocRoom(
                name,
                self.store,
                max_code_bytes=self.max_code_bytes,
                snapshot_every=self.snapshot_every,
                on_empty=self._schedule_unload,
                stats=self.stats,
            )
            self.rooms[name] = room
            try:
                await self.start_room(room)
            except BaseException:
                self.rooms.pop(name, None)
                raise
        await room.loaded.wait()
        if room.load_error is not None:
            if self.rooms.get(name) is room:
                del self.rooms[name]
                await room.stop()
            if isinstance(room.load_error, NotFound):
                raise room.load_error
            raise NotFound(f"session {name} could not be loaded")
        self._cancel_unload(name)
        if not room.peers:
            self._schedule_unload(room)
        return room

    async def serve(self, websocket: Any) -> None:
        """Serves one client connection (a `Peer`) in the room its path names."""
        peer: Peer = websocket
        try:
            room = await self.get_room(peer.path)
        except NotFound:
            await peer.close(CLOSE_NOT_FOUND, "unknown session")
            return
        self._cancel_unload(peer.path)
        await room.serve(peer)

    # -- documents without a client --------------------------------------------------

    async def read_document(self, session_id: str) -> DocumentView:
        """The document as the room holds it now, with the seq it is stored up to."""
        room = await self.get_room(session_id)
        await room.flush()
        state = room.document()
        return DocumentView(
            state.code,
            state.language,
            state.title,
            state.time_limit_s,
            room.last_seq,
            state.memory_mb,
        )

    async def edit(
        self, session_id: str, change: Callable[[Doc[Any]], None], author: str
    ) -> DocumentState:
        """Applies a server-side change to a session's document and waits until stored."""
        room = await self.get_room(session_id)
        room.edit(change, author)
        await room.flush()
        return room.document()

    # -- unloading and deletion ------------------------------------------------------

    def _schedule_unload(self, room: DocRoom) -> None:
        if room.closed or room.session_id in self._unloads:
            return
        self._unloads[room.session_id] = asyncio.get_running_loop().create_task(
            self._unload_later(room)
        )

    def _cancel_unload(self, name: str) -> None:
        task = self._unloads.pop(name, None)
        if task is not None:
            task.cancel()

    async def _unload_later(self, room: DocRoom) -> None:
        await asyncio.sleep(self.idle_seconds)
        await room.flush_and_snapshot()
        # No await between this check and the removal: a joiner either came before
        # (and the room stays) or finds no room and loads a fresh one.
        if room.peers or self.rooms.get(room.session_id) is not room:
            self._unloads.pop(room.session_id, None)
            return
        del self.rooms[room.session_id]
        self._unloads.pop(room.session_id, None)
        room.closed = True
        self.rooms_unloaded += 1
        await room.stop()

    async def close_session(self, session_id: str) -> None:
        """For a deleted session: its sockets are closed with 4404, its room dropped."""
        self._cancel_unload(session_id)
        room = self.rooms.pop(session_id, None)
        if room is None:
            return
        room.closed = True
        await room.close_peers(CLOSE_NOT_FOUND, "session deleted")
        await room.stop()

    async def shutdown(self, grace_seconds: float = 5.0) -> None:
        """Stores every room's pending updates and snapshots, then closes every client."""
        rooms = list(self.rooms.values())
        for room in rooms:
            room.closed = True
        try:
            async with asyncio.timeout(grace_seconds):
                await asyncio.gather(*(room.flush_and_snapshot() for room in rooms))
        except TimeoutError:
            log.error("shutdown: some rooms did not finish storing within %.0f s", grace_seconds)
        await asyncio.gather(
            *(room.close_peers(CLOSE_GOING_AWAY, "server shutting down") for room in rooms)
        )
        for task in self._unloads.values():
            task.cancel()
        self._unloads.clear()

    def new_document(self, language: str, title: str, code: str) -> bytes:
        """The first update of a new session: its `code` and `meta`."""
        doc: Doc[Any] = Doc()
        text = doc.get("code", type=Text)
        meta = doc.get("meta", type=Map)
        with doc.transaction():
            text += code
            meta["language"] = language
            meta["title"] = title
        return doc.get_update()

    @property
    def client_count(self) -> int:
        return sum(len(room.peers) for room in self.rooms.values())
