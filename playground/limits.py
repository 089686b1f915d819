"""Abuse limits: token buckets and per-address connection counts."""

from __future__ import annotations

import time
from collections import Counter


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`. Monotonic clock."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, cost: float = 1.0) -> bool:
        """Takes `cost` tokens if there are enough."""
        self._refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def debt_seconds(self, cost: float) -> float:
        """Takes `cost` tokens now, going into debt; returns how long until it is paid.

        Used to slow a sender down (stop reading its socket for that long) rather than
        refuse what it sent."""
        self._refill()
        cost = min(cost, self.burst)
        self.tokens -= cost
        return max(0.0, -self.tokens / self.rate) if self.rate > 0 else 0.0

    def retry_after(self, cost: float = 1.0) -> float:
        self._refill()
        return max(0.0, (cost - self.tokens) / self.rate) if self.rate > 0 else 0.0


class ConnectionCounter:
    """Open WebSocket connections per client address, capped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: Counter[str] = Counter()

    def acquire(self, address: str) -> bool:
        if self.limit > 0 and self.counts[address] >= self.limit:
            return False
        self.counts[address] += 1
        return True

    def release(self, address: str) -> None:
        self.counts[address] -= 1
        if self.counts[address] <= 0:
            del self.counts[address]
