"""Python 3.12's fix for a reference cycle in 3.11's asyncio TCP transports."""

from __future__ import annotations

import sys
from asyncio import selector_events
from typing import Any


def free_closed_transports() -> None:
    """On Python 3.11, asyncio's selector TCP transport keeps a bound method of its own
    (`_read_ready_cb`) for its whole life, so every closed connection is a cycle (five
    objects) that only the collector frees: each client's WebSocket, and each
    connection aiodocker opens to the Docker daemon (one or more a run). Python 3.12
    drops the method when the transport closes (CPython gh-100348); this does the
    same, on 3.11, once the connection is lost. Idempotent."""
    if sys.version_info >= (3, 12):
        return
    transport_class: Any = getattr(selector_events, "_SelectorSocketTransport", None)
    original = getattr(transport_class, "_call_connection_lost", None)
    if original is None or getattr(original, "frees_read_ready_cb", False):
        return

    def _call_connection_lost(self: Any, exc: BaseException | None) -> None:
        try:
            original(self, exc)
        finally:
            self._read_ready_cb = None  # its reader was removed before this was called

    _call_connection_lost.frees_read_ready_cb = True  # type: ignore[attr-defined]
    transport_class._call_connection_lost = _call_connection_lost
