"""The controls of one run from outside: stdin and stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class RunControl:
    """Stdin data and EOF, and the stop request, for one run.

    Usable before the run has started (queued): stdin fed early is buffered and
    delivered once the program runs; a stop while queued cancels the run.
    """

    def __init__(self, stdin: bytes = b"", *, eof: bool = False) -> None:
        self._stdin: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._eof = False
        self.stopped = asyncio.Event()
        # Set by the runner while the program runs: sends on what it printed so far,
        # so that an echo of what someone typed never overtakes the prompt it answers.
        self.flush_output: Callable[[], None] = lambda: None
        if stdin:
            self.feed(stdin)
        if eof:
            self.close_stdin()

    def feed(self, data: bytes) -> None:
        """Queue bytes for the program's stdin (ignored after EOF)."""
        if data and not self._eof:
            self._stdin.put_nowait(data)

    @property
    def stdin_closed(self) -> bool:
        """EOF was given: nothing more reaches the program."""
        return self._eof

    def close_stdin(self) -> None:
        """The program reads EOF after what was fed so far."""
        if not self._eof:
            self._eof = True
            self._stdin.put_nowait(None)

    def stop(self) -> None:
        """Kill the run (or cancel it while queued)."""
        self.stopped.set()

    async def next_stdin(self) -> bytes | None:
        """The next stdin bytes, or None at EOF."""
        return await self._stdin.get()
