"""Admission of runs: a global concurrency limit and a bounded, fair queue.

At most `concurrency` runs execute at once. Others wait in a queue of at most
`queue_size`; beyond that new runs are refused (`RateLimited`). When a slot frees,
sessions take turns (round-robin over the sessions that are waiting), so one busy
session cannot starve the others.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque

from runners.errors import RateLimited


class Ticket:
    """One run's place: granted a slot at once, or queued until one frees."""

    def __init__(self, scheduler: Scheduler, key: str) -> None:
        self._scheduler = scheduler
        self.key = key
        self._granted = asyncio.get_running_loop().create_future()
        self._released = False

    @property
    def queued(self) -> bool:
        """True while the run waits for a slot."""
        return not self._granted.done()

    async def wait(self) -> None:
        """Until this ticket holds a slot. Cancelling gives the place up."""
        try:
            await asyncio.shield(self._granted)
        except asyncio.CancelledError:
            self.release()
            raise

    def release(self) -> None:
        """Free the slot (or the queue place); idempotent."""
        if self._released:
            return
        self._released = True
        self._scheduler._release(self)


class Scheduler:
    """Grants run slots; see the module docstring."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        self.concurrency = max(1, concurrency)
        self.queue_size = max(0, queue_size)
        self._active = 0
        self._waiting: OrderedDict[str, deque[Ticket]] = OrderedDict()

    @property
    def active(self) -> int:
        """Runs holding a slot."""
        return self._active

    @property
    def queued(self) -> int:
        """Runs waiting for a slot."""
        return sum(len(q) for q in self._waiting.values())

    def admit(self, key: str) -> Ticket:
        """A ticket for a run of session `key`; `RateLimited` if the queue is full."""
        ticket = Ticket(self, key)
        if self._active < self.concurrency and not self._waiting:
            self._active += 1
            ticket._granted.set_result(None)
            return ticket
        if self.queued >= self.queue_size:
            raise RateLimited(
                f"the server is busy: {self.queued} runs are already waiting; try again soon"
            )
        self._waiting.setdefault(key, deque()).append(ticket)
        return ticket

    def _release(self, ticket: Ticket) -> None:
        if ticket._granted.done():
            self._active -= 1
        else:
            ticket._granted.cancel()
            queue = self._waiting.get(ticket.key)
            if queue is not None and ticket in queue:
                queue.remove(ticket)
                if not queue:
                    del self._waiting[ticket.key]
        self._grant_next()

    def _grant_next(self) -> None:
        while self._active < self.concurrency and self._waiting:
            key, queue = next(iter(self._waiting.items()))
            ticket = queue.popleft()
            # Round-robin: the session goes to the back of the line.
            del self._waiting[key]
            if queue:
                self._waiting[key] = queue
            self._active += 1
            ticket._granted.set_result(None)
