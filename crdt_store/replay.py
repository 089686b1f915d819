"""Rebuilding a document from a snapshot and the updates after it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Text


@dataclass(frozen=True)
class DocumentState:
    """What a session's document says: the contract's `code` text and `meta` map."""

    code: str
    language: str
    title: str
    time_limit_s: float | None
    # A session's own memory limit per run, MiB (the runner enforces its floor and
    # ceiling).
    memory_mb: int | None = None

    @classmethod
    def of(cls, doc: Doc[Any]) -> DocumentState:
        code = doc.get("code", type=Text)
        meta = doc.get("meta", type=Map)
        limit = meta.get("time_limit_s")
        memory = meta.get("memory_mb")
        return cls(
            code=str(code),
            language=str(meta.get("language") or ""),
            title=str(meta.get("title") or ""),
            time_limit_s=float(limit) if isinstance(limit, int | float) else None,
            memory_mb=int(memory) if isinstance(memory, int | float) and memory < 2**31 else None,
        )


def build_doc(state: bytes | None, updates: Iterable[bytes]) -> Doc[Any]:
    """A document holding `state` (a full-state update) with `updates` applied in order."""
    doc: Doc[Any] = Doc()
    # Declare the root types up front so reading them never creates a new, unrelated type.
    doc.get("code", type=Text)
    doc.get("meta", type=Map)
    if state:
        doc.apply_update(state)
    for update in updates:
        doc.apply_update(update)
    return doc
