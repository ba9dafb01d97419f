"""A clock the tests move by hand, for code that takes `clock: Callable[[], float]` (monotonic seconds): what
depends on time is tested without sleeping or measuring (the pacer, the result stores' TTLs, Redis's backoff)."""

from __future__ import annotations


class ManualClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
