"""Refuses a feedback token seen before, within one worker process.

Counters cannot take a vote back, so a token is counted once. Without a store shared
between workers the guard is per process: with several workers (or replicas) a repeated
token that reaches another process counts again there, at most once per process, and
only until the token expires. docs/model-monitoring.md says so.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

# About 100 bytes a nonce: 100,000 remembered tokens hold 10 MB at most.
DEFAULT_CAPACITY = 100_000


class SeenTokens:
    """Nonces of tokens already used, forgotten when their token expires (or when full)."""

    def __init__(
        self,
        max_age_seconds: float,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_age, self._capacity, self._clock = max_age_seconds, capacity, clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # nonce -> when forgotten

    def __len__(self) -> int:
        return len(self._seen)

    def first_use(self, nonce: str) -> bool:
        """True the first time `nonce` is offered; False for a repeat still remembered."""
        now = self._clock()
        while self._seen:
            oldest, forget_at = next(iter(self._seen.items()))
            if forget_at > now and len(self._seen) < self._capacity:
                break
            del self._seen[oldest]
        if nonce in self._seen:
            return False
        self._seen[nonce] = now + self._max_age
        return True
