"""SQLite persistence of session documents (update log + snapshots), runs and output."""

from __future__ import annotations

from .records import (
    InputChunk,
    OutputChunk,
    RunRecord,
    SessionRecord,
    Snapshot,
    StoredUpdate,
)
from .replay import DocumentState, build_doc
from .store import LoadedDocument, Store, now_ms

__all__ = [
    "DocumentState",
    "InputChunk",
    "LoadedDocument",
    "OutputChunk",
    "RunRecord",
    "SessionRecord",
    "Snapshot",
    "Store",
    "StoredUpdate",
    "build_doc",
    "now_ms",
]
