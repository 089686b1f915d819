"""`playground serve` and `playground images build`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import uvicorn

from . import logs
from .settings import Settings
from .transports import free_closed_transports
from .ws_protocol import websocket_protocol

log = logging.getLogger("playground")


class _Server(uvicorn.Server):
    """uvicorn, but SIGTERM/SIGINT end in exit code 0 after the rooms are stored.

    (uvicorn re-raises a captured signal after its graceful shutdown, so the process
    would die by the signal instead.) A second signal stops waiting for connections;
    the rooms are still stored by the lifespan's shutdown."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
            return
        log.info("received %s: shutting down", signal.Signals(sig).name)
        self.should_exit = True


def serve(settings: Settings) -> int:
    # The database thread needs the GIL for a moment between SQLite calls; with the
    # default 5 ms switch interval a busy event loop made every write transaction wait
    # several of those (37 ms per commit under load in bench/rooms.py).
    sys.setswitchinterval(0.0005)

    logs.configure(settings.log_level)
    server = make_server(settings)
    # Everything imported and built so far lives as long as the process: moved out of
    # the collector's sight, it is no longer walked by each full collection, which
    # stops every connection while it runs (~45,000 objects, ~10 ms of each one).
    gc.collect()
    gc.freeze()
    asyncio.run(server.serve())
    return 0 if server.started else 1


def make_server(settings: Settings) -> uvicorn.Server:
    """The app on uvicorn with the playground's WebSocket protocol, not yet started."""
    from .app import create_app

    free_closed_transports()

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws_max_size=settings.max_message_bytes,
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_timeout_s,
        ws=websocket_protocol(
            settings.ws_compression_min_bytes if settings.ws_compression else None
        ),
        ws_per_message_deflate=False,  # websocket_protocol() brings its own
        timeout_graceful_shutdown=3,
        log_level=settings.log_level,
        lifespan="on",
        access_log=False,
        log_config=None,
    )
    return _Server(config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="playground", description="Collaborative code-execution playground"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="serve the HTTP API, WebSockets and web client")
    Settings.add_arguments(serve_parser)
    images = sub.add_parser("images", help="language images")
    images_sub = images.add_subparsers(dest="images_command", required=True)
    build = images_sub.add_parser("build", help="build language images (all by default)")
    build.add_argument("languages", nargs="*", metavar="LANG")

    args, rest = parser.parse_known_args(argv)
    if args.command == "serve":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return serve(Settings.from_sources(args))
    if args.command == "images":
        from runners import images as image_builder

        settings = Settings.from_sources()
        return image_builder.cli(list(args.languages) + rest, settings.image_prefix)
    return 2


if __name__ == "__main__":
    sys.exit(main())
