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


class RunLimits:
    """Runs started per minute, per session and per client address (a whole class can
    sit behind one address, so that limit is the larger one)."""

    MAX_TRACKED = 10_000

    def __init__(self, per_session: int, per_address: int) -> None:
        self.limits = {"session": per_session, "ip": per_address}
        self._buckets: dict[str, TokenBucket] = {}

    def admit(self, address: str, session_key: str) -> float:
        """0 when a run may start now (and counts it), else seconds to wait."""
        keys = [("ip", address), ("session", session_key)]
        buckets = [self._bucket(kind, key) for kind, key in keys if self.limits[kind] > 0]
        if not buckets:
            return 0.0
        wait = max(bucket.retry_after() for bucket in buckets)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take()
        return 0.0

    def _bucket(self, kind: str, name: str) -> TokenBucket:
        key = f"{kind}:{name}"
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_TRACKED:
                # Full buckets carry no state worth keeping.
                self._buckets = {
                    k: b for k, b in self._buckets.items() if b.retry_after(b.burst) > 0
                }
            per_minute = self.limits[kind]
            bucket = self._buckets[key] = TokenBucket(per_minute / 60.0, float(per_minute))
        return bucket
