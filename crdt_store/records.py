"""Plain records the store reads and writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SessionRecord:
    id: str
    title: str
    language: str
    created_at: int
    updated_at: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredUpdate:
    """One Yjs update as it was stored: `seq` counts from 1 per session without gaps."""

    seq: int
    t: int
    author: str | None
    data: bytes


@dataclass(frozen=True)
class Snapshot:
    """The full document state after update `seq` (time `t` of that update)."""

    seq: int
    t: int
    state: bytes


@dataclass
class RunRecord:
    """One run, as the contract's RUN object plus what the history needs."""

    id: str
    session_id: str | None
    language: str
    user: str | None
    status: str
    exit_code: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    duration_ms: int | None = None
    timed_out: bool = False
    oom_killed: bool = False
    output_truncated: bool = False
    compile_failed: bool = False
    # CPU time and peak resident memory of the program (None: not measured).
    cpu_ms: int | None = None
    memory_kb: int | None = None
    doc_seq: int | None = None
    code: str = ""

    def to_json(self) -> dict[str, Any]:
        """The contract's RUN object (plus `doc_seq`, which clients may ignore)."""
        out = asdict(self)
        del out["code"]
        return out


@dataclass(frozen=True)
class OutputChunk:
    seq: int
    t: int
    stream: str
    data: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class InputChunk:
    """What someone typed into a running program: `data`, or the end of its stdin."""

    seq: int
    t: int
    data: str
    eof: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
