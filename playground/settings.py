"""The one settings object: typed fields with defaults and help, read once at start."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "PLAYGROUND_"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Each field is a `--flag` and a `PLAYGROUND_*` env var."""

    host: str = _setting("127.0.0.1", "interface to listen on")
    port: int = _setting(8000, "TCP port to listen on")
    db: Path = _setting(Path("playground.db"), "SQLite database file (created on first start)")
    web_dist: Path = _setting(
        Path(__file__).resolve().parent.parent / "web" / "dist",
        "folder of the built web client served at /",
    )
    log_level: str = _setting("info", "log level: debug, info, warning, error")
    admin_token: str = _setting(
        "",
        "when set, creating/listing sessions needs it (Bearer) and sessions need a link token",
    )
    allowed_origins: str = _setting(
        "", "extra origins (comma-separated) allowed for WebSockets and CORS; default: same origin"
    )

    # Documents and WebSockets
    max_message_bytes: int = _setting(1024 * 1024, "largest WebSocket message accepted")
    max_code_bytes: int = _setting(256 * 1024, "largest document source (code) accepted")
    ws_ping_interval_s: float = _setting(
        1.0, "WebSocket ping interval; a peer that stops answering is dropped"
    )
    ws_ping_timeout_s: float = _setting(2.0, "seconds to wait for a pong before dropping a peer")
    ws_keepalive_s: float = _setting(
        10.0,
        "keepalive sweep interval: a client sent nothing since the last sweep gets an "
        "empty message, so silences last under twice this (keep it under 15: stock "
        "y-websocket clients reconnect after 30 s without a message)",
    )
    ws_compression: bool = _setting(True, "offer permessage-deflate on WebSockets")
    ws_compression_min_bytes: int = _setting(
        1024,
        "WebSocket messages shorter than this go out uncompressed (keystrokes, cursor "
        "moves); 0 compresses every message",
    )
    room_idle_s: float = _setting(5.0, "seconds an empty room stays loaded before it is unloaded")
    snapshot_every: int = _setting(200, "store a document snapshot every N updates")
    client_send_queue: int = _setting(
        4096, "messages queued for one slow client before it is disconnected"
    )

    # History
    history_retention_days: int = _setting(
        0,
        "DESTRUCTIVE: delete edits and runs older than N days (a snapshot is kept so "
        "documents still load); 0 keeps all history",
    )
    history_import_max_mb: int = _setting(64, "largest history file accepted by import, MiB")

    # Abuse limits (0 turns one off)
    limit_update_bytes_per_s: int = _setting(
        128 * 1024, "document update bytes a connection may send per second (then slowed)"
    )
    limit_update_burst_bytes: int = _setting(
        1024 * 1024, "update bytes a connection may send at once (a reconnect's catch-up)"
    )
    limit_awareness_per_s: float = _setting(
        30.0, "awareness (presence, cursor) messages a connection may send per second"
    )
    limit_connections_per_ip: int = _setting(256, "open WebSockets per client address")
    limit_runs_per_minute: int = _setting(30, "runs one session may start per minute")
    limit_runs_per_minute_per_ip: int = _setting(
        300, "runs one client address may start per minute (across sessions and /api/execute)"
    )

    # Runs
    run_time_limit_s: float = _setting(10.0, "wall-clock limit of one run (compile + run)")
    run_memory_mb: int = _setting(256, "memory limit of one run, MiB (no swap)")
    run_pids: int = _setting(128, "process limit of one run")
    run_output_bytes: int = _setting(1024 * 1024, "output cap of one run, bytes")
    run_cpus: float = _setting(1.0, "CPU quota of one run, in cores")
    run_tmpfs_mb: int = _setting(64, "size of a run's writable work dir and /tmp, MiB")
    run_concurrency: int = _setting(2, "runs executing at once, across all sessions")
    run_queue: int = _setting(64, "runs waiting for a slot before new ones are refused")
    pool_size: int = _setting(1, "pre-created containers kept warm per language")
    image_prefix: str = _setting("playground", "language images are tagged PREFIX/LANG:latest")

    def __post_init__(self) -> None:
        if self.ws_compression_min_bytes < 0:
            raise ValueError(
                f"ws_compression_min_bytes must be 0 or more, not {self.ws_compression_min_bytes}"
            )
        if self.ws_ping_interval_s < 0:
            raise ValueError(
                f"ws_ping_interval_s must be 0 (no pings) or more, not {self.ws_ping_interval_s}"
            )
        if self.ws_ping_timeout_s <= 0:
            raise ValueError(f"ws_ping_timeout_s must be more than 0, not {self.ws_ping_timeout_s}")
        if not 0 < self.ws_keepalive_s < 15:
            raise ValueError(
                f"ws_keepalive_s must be between 0 and 15 seconds, not {self.ws_keepalive_s}"
            )

    @classmethod
    def from_sources(
        cls, args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, overridden by `PLAYGROUND_*` env vars, overridden by CLI flags."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw: Any = None
            env_name = ENV_PREFIX + f.name.upper()
            if env_name in env:
                raw = env[env_name]
            if args is not None and getattr(args, f.name, None) is not None:
                raw = getattr(args, f.name)
            if raw is not None:
                values[f.name] = _coerce(f, raw)
        try:
            return cls(**values)
        except ValueError as exc:
            raise SystemExit(f"invalid settings: {exc}") from None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One `--flag` per field; unset flags fall back to env vars, then defaults."""
        for f in dataclasses.fields(cls):
            flag = "--" + f.name.replace("_", "-")
            env_name = ENV_PREFIX + f.name.upper()
            parser.add_argument(
                flag,
                dest=f.name,
                default=None,
                help=f"{f.metadata['help']} (env {env_name}, default {f.default})",
            )


def _coerce(f: dataclasses.Field[Any], raw: Any) -> Any:
    kind: type[Any] = type(f.default)
    try:
        if kind is bool:
            return str(raw).lower() in ("1", "true", "yes", "on")
        if issubclass(kind, Path):
            return Path(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"invalid value for {f.name}: {raw!r} ({exc})") from None


def parse_settings(argv: Sequence[str]) -> Settings:
    """Settings for `playground serve ARGV`."""
    parser = argparse.ArgumentParser(prog="playground serve")
    Settings.add_arguments(parser)
    return Settings.from_sources(parser.parse_args(list(argv)))
