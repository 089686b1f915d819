"""Counters across all rooms and their connections, read by /metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RoomStats:
    throttled: int = 0
    bad_frames: int = 0
    too_large: int = 0
    read_only_dropped: int = 0
