"""The run channel's hub: per session, one active run broadcast to every client.

Flow: a `run` frame → the document read from its room (never from the client) →
the runner's queue → the container → `output` frames to every run-channel client of
the session, and the output and run into the store. Each client has a bounded send
queue; a client that cannot keep up is disconnected, the run and the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from crdt_store import InputChunk, OutputChunk, RunRecord, Store, now_ms
from runners import OutputEvent, RunControl, RunnerService, RunResult, Ticket
from runners.errors import RunInProgress, RuntimeUnavailable, UnknownLanguage
from runners.languages import get_language

from .errors import CLOSE_NOT_FOUND, CLOSE_TOO_SLOW, PayloadTooLarge, PlaygroundError
from .limits import RunLimits

log = logging.getLogger("playground.runs")

CLOSE_GOING_AWAY = 1001
STORE_FLUSH_S = 0.1
# What people type into a run is shown to everyone and stored up to this much; past
# it (a big paste into stdin, say) it still reaches the program, unshown.
INPUT_SHOWN_BYTES = 64 * 1024


class DocumentSource(Protocol):
    """Where the code of a run comes from: the room registry."""

    async def read_document(self, session_id: str) -> Any: ...


class RunClient(Protocol):
    """One run-channel connection, as the hub sees it."""

    async def send_text(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


def error_frame(code: str, message: str) -> dict[str, Any]:
    """The contract's `error` frame."""
    return {"type": "error", "code": code, "message": message}


def record_result(record: RunRecord, result: RunResult) -> None:
    """Copies how a run ended into the record that stores it."""
    record.status, record.exit_code = result.status, result.exit_code
    record.started_at, record.finished_at = result.started_at, result.finished_at
    record.duration_ms, record.timed_out = result.duration_ms, result.timed_out
    record.oom_killed, record.output_truncated = result.oom_killed, result.output_truncated
    record.compile_failed = result.compile_failed
    record.cpu_ms, record.memory_kb = result.cpu_ms, result.memory_kb


class _Subscriber:
    """A client plus its bounded send queue and the task draining it."""

    def __init__(
        self,
        client: RunClient,
        queue_size: int,
        on_slow: Callable[[_Subscriber], None],
        *,
        read_only: bool = False,
        address: str = "",
    ) -> None:
        self.client = client
        # A view-only link sees every run but may not start, stop or feed one.
        self.read_only = read_only
        self.address = address
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)
        self._on_slow = on_slow
        self.task = asyncio.create_task(self._drain())

    def send(self, frame: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(json.dumps(frame))
        except asyncio.QueueFull:
            self._on_slow(self)

    async def _drain(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None:
                return
            try:
                await self.client.send_text(text)
            except Exception:  # the socket is gone; its reader ends the subscription
                return


# A finished run as a late joiner catches up on it: the run, its output, its input.
LastRun = tuple[RunRecord, list[OutputChunk], list[InputChunk]]


@dataclass
class _Run:
    record: RunRecord
    control: RunControl
    ticket: Ticket
    time_limit_s: float | None
    memory_mb: int | None
    output: list[OutputChunk] = field(default_factory=list)
    pending: list[OutputChunk] = field(default_factory=list)
    input: list[InputChunk] = field(default_factory=list)
    pending_input: list[InputChunk] = field(default_factory=list)
    input_bytes: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class SessionRuns:
    """The run channel of one session."""

    def __init__(self, hub: RunHub, session_id: str) -> None:
        self.hub = hub
        self.session_id = session_id
        self.subscribers: list[_Subscriber] = []
        self.active: _Run | None = None
        self.last: LastRun | None = None
        self.starting = False

    # -- clients --------------------------------------------------------------

    async def join(
        self, client: RunClient, *, read_only: bool = False, address: str = ""
    ) -> _Subscriber:
        """Subscribe `client` and send it the `state` frame."""
        sub = _Subscriber(
            client, self.hub.client_queue, self._drop_slow, read_only=read_only, address=address
        )
        self.subscribers.append(sub)
        run: RunRecord | None = None
        output: list[OutputChunk] = []
        typed: list[InputChunk] = []
        if self.active is not None:
            run, output, typed = self.active.record, self.active.output, self.active.input
        else:
            if self.last is None:
                self.last = await self.hub.load_last_run(self.session_id)
            if self.last is not None:
                run, output, typed = self.last
        sub.send(
            {
                "type": "state",
                "active_run": run.to_json() if run else None,
                "output": [chunk.to_json() for chunk in output],
                "input": [chunk.to_json() for chunk in typed],
            }
        )
        return sub

    async def leave(self, sub: _Subscriber) -> None:
        """Unsubscribe; when the last client leaves, the active run is stopped."""
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        sub.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sub.task
        if not self.subscribers and self.active is not None:
            # Nobody is watching any more: free the slot and the container.
            self.active.control.stop()
        self.hub.forget_if_idle(self.session_id)

    def _drop_slow(self, sub: _Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        sub.task.cancel()
        self.hub.spawn(sub.client.close(CLOSE_TOO_SLOW, "client too slow"))

    def broadcast(self, frame: dict[str, Any]) -> None:
        """Queue `frame` for every client (never blocks)."""
        for sub in list(self.subscribers):
            sub.send(frame)

    async def close(self, code: int, reason: str) -> None:
        """Stop the active run and close every client."""
        if self.active is not None:
            self.active.control.stop()
        subs, self.subscribers = self.subscribers, []
        for sub in subs:
            sub.task.cancel()
            with contextlib.suppress(Exception):
                await sub.client.close(code, reason)

    # -- frames ---------------------------------------------------------------

    async def handle(self, sub: _Subscriber, text: str) -> None:
        """One client frame."""
        try:
            frame = json.loads(text)
        except ValueError:
            sub.send(error_frame("bad_message", "frames must be JSON objects"))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            sub.send(error_frame("bad_message", "frames are JSON objects with a 'type'"))
            return
        kind = frame["type"]
        if kind in ("run", "stdin", "stop") and sub.read_only:
            sub.send(error_frame("forbidden", "the view-only link cannot run, stop or type"))
            return
        if kind == "run":
            user, stdin = frame.get("user"), frame.get("stdin")
            if (user is not None and not isinstance(user, str)) or (
                stdin is not None and not isinstance(stdin, str)
            ):
                sub.send(error_frame("bad_message", "'user' and 'stdin' must be strings"))
                return
            wait = self.hub.run_limits.admit(sub.address, self.session_id)
            if wait > 0:
                sub.send(error_frame("rate_limited", f"too many runs; try again in {wait:.0f} s"))
                return
            try:
                await self.start_run(user, stdin or "")
            except PlaygroundError as exc:  # runner refusals, unknown session, the database
                sub.send(error_frame(exc.code, exc.message))
        elif kind in ("stdin", "stop"):
            if self.active is None:
                sub.send(error_frame("no_active_run", "there is no active run"))
            elif kind == "stop":
                self.active.control.stop()
            elif frame.get("eof") is True:
                self._typed(self.active, "", eof=True)
                self.active.control.close_stdin()
            elif isinstance(frame.get("data"), str):
                self._typed(self.active, frame["data"])
                self.active.control.feed(frame["data"].encode())
            else:
                sub.send(error_frame("bad_message", "stdin frames carry 'data' or 'eof'"))
        else:
            sub.send(error_frame("bad_message", f"unknown frame type {kind[:40]!r}"))

    def _typed(self, run: _Run, data: str, *, eof: bool = False) -> None:
        """Shows everyone what was typed into `run` (after what it printed so far) and
        keeps it with the run's output."""
        if run.control.stdin_closed or not (data or eof):
            return
        size = len(data.encode())
        if run.input_bytes + size > INPUT_SHOWN_BYTES:
            return
        run.input_bytes += size
        run.control.flush_output()
        chunk = InputChunk(len(run.input), now_ms(), data, eof)
        run.input.append(chunk)
        run.pending_input.append(chunk)
        self.broadcast({"type": "input", "run_id": run.record.id, **chunk.to_json()})

    # -- runs -----------------------------------------------------------------

    async def start_run(self, user: str | None, stdin: str) -> None:
        """Start a run of the document as it is now; raises `RunnerError`s, `NotFound`."""
        if self.active is not None or self.starting:
            raise RunInProgress("this session already has a run in progress")
        self.starting = True
        try:
            run = await self._admit(user, stdin)
        finally:
            self.starting = False
        self.active = run
        self.broadcast({"type": "run_started", "run": run.record.to_json()})
        run.task = self.hub.spawn(self._execute(run))

    async def _admit(self, user: str | None, stdin: str) -> _Run:
        hub = self.hub
        if not await hub.runner.docker_available():
            raise RuntimeUnavailable("the Docker engine is not reachable")
        doc = await hub.rooms.read_document(self.session_id)
        get_language(doc.language)
        if len(doc.code.encode()) > hub.max_code_bytes:
            raise PayloadTooLarge(
                f"the code is over {hub.max_code_bytes} bytes", code="code_too_large"
            )
        ticket = hub.runner.reserve(self.session_id)
        record = RunRecord(
            id=uuid.uuid4().hex,
            session_id=self.session_id,
            language=doc.language,
            user=user,
            status="queued" if ticket.queued else "running",
            doc_seq=doc.seq,
            code=doc.code,
            started_at=None if ticket.queued else now_ms(),
        )
        try:
            await hub.store.save_run(record)
        except BaseException:
            ticket.release()
            raise
        return _Run(record, RunControl(stdin.encode()), ticket, doc.time_limit_s, doc.memory_mb)

    async def _execute(self, run: _Run) -> None:
        record = run.record
        writer = asyncio.create_task(self._store_output(run))

        def on_running(started_at: int) -> None:
            was_queued = record.status == "queued"
            record.status, record.started_at = "running", started_at
            if was_queued:
                self.broadcast({"type": "run_started", "run": record.to_json()})

        def on_output(event: OutputEvent) -> None:
            chunk = OutputChunk(event.seq, event.t, event.stream, event.data)
            run.output.append(chunk)
            run.pending.append(chunk)
            self.broadcast(
                {
                    "type": "output",
                    "run_id": record.id,
                    "seq": event.seq,
                    "stream": event.stream,
                    "data": event.data,
                }
            )

        result: RunResult | None = None
        try:
            result = await self.hub.runner.execute(
                run.ticket,
                record.language,
                record.code,
                control=run.control,
                on_output=on_output,
                on_running=on_running,
                time_limit_s=run.time_limit_s,
                memory_mb=run.memory_mb,
            )
        except UnknownLanguage as exc:
            self.broadcast(error_frame(exc.code, exc.message))
        finally:
            # Never cancel the writer mid-write: it finishes its batch and stops.
            run.ended.set()
            await asyncio.shield(self._finish(run, result, writer))

    async def _finish(
        self, run: _Run, result: RunResult | None, writer: asyncio.Task[None]
    ) -> None:
        await asyncio.gather(writer, return_exceptions=True)
        record = run.record
        if result is None:
            t = now_ms()
            record.status, record.finished_at = "error", t
            record.started_at = record.started_at or t
            record.duration_ms = record.finished_at - record.started_at
        else:
            record_result(record, result)
            if result.error is not None:
                self.broadcast(error_frame(result.error.code, result.error.message))
        try:
            await self.hub.store.append_output(record.id, run.pending)
            run.pending.clear()
            await self.hub.store.append_input(record.id, run.pending_input)
            run.pending_input.clear()
            await self.hub.store.save_run(record)
        except Exception:
            log.exception("could not store run %s", record.id)
        self.active = None
        self.last = (record, run.output, run.input)
        self.broadcast({"type": "run_finished", "run": record.to_json()})
        self.hub.forget_if_idle(self.session_id)

    async def _store_output(self, run: _Run) -> None:
        # Output reaches the database in small batches while the run goes on.
        while not run.ended.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STORE_FLUSH_S):
                    await run.ended.wait()
            if run.pending or run.pending_input:
                batch, run.pending = run.pending, []
                typed, run.pending_input = run.pending_input, []
                try:
                    await self.hub.store.append_output(run.record.id, batch)
                    await self.hub.store.append_input(run.record.id, typed)
                except Exception:
                    log.exception("could not store output of run %s", run.record.id)


class RunHub:
    """Every session's run channel. An async context manager owning the run tasks."""

    def __init__(
        self,
        runner: RunnerService,
        store: Store,
        rooms: DocumentSource,
        *,
        max_code_bytes: int,
        client_queue: int,
        run_limits: RunLimits | None = None,
    ) -> None:
        self.runner = runner
        self.run_limits = run_limits or RunLimits(0, 0)
        self.store = store
        self.rooms = rooms
        self.max_code_bytes = max_code_bytes
        self.client_queue = client_queue
        self.sessions: dict[str, SessionRuns] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._entered = False
        self.closing = False

    async def __aenter__(self) -> RunHub:
        if self._entered:
            raise RuntimeError("RunHub already started")
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closing = True
        for channel in list(self.sessions.values()):
            await channel.close(CLOSE_GOING_AWAY, "server shutting down")
        runs = [t for t in self._tasks if not t.done()]
        if runs:
            # Stopped runs end within a second; then give up on them.
            await asyncio.wait(runs, timeout=5.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run `coro` as a task the hub owns (cancelled on exit)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def channel(self, session_id: str) -> SessionRuns:
        """The session's run channel (created on first use)."""
        channel = self.sessions.get(session_id)
        if channel is None:
            channel = self.sessions[session_id] = SessionRuns(self, session_id)
        return channel

    async def load_last_run(self, session_id: str) -> LastRun | None:
        """The session's latest stored run, its output and input, for a late joiner."""
        runs = await self.store.list_runs(session_id, limit=1)
        if not runs:
            return None
        run_id = runs[0].id
        return runs[0], await self.store.get_output(run_id), await self.store.get_input(run_id)

    async def close_session(self, session_id: str) -> None:
        """A deleted session: stop its run, close its run sockets with 4404."""
        channel = self.sessions.pop(session_id, None)
        if channel is not None:
            await channel.close(CLOSE_NOT_FOUND, "session deleted")

    def forget_if_idle(self, session_id: str) -> None:
        """Drop a session's channel once it has no clients and no run."""
        channel = self.sessions.get(session_id)
        if (
            channel is not None
            and not channel.subscribers
            and channel.active is None
            and not channel.starting
        ):
            del self.sessions[session_id]
