"""Rates and remaining time from a sliding window, so an estimate does not swing with
every slow file (the front ends show it beside their progress bars)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SmoothedRate:
    """Units per second over the last ``window_s`` seconds (everything so far until one
    window has passed)."""

    def __init__(self, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.window_s, self._clock = window_s, clock
        self._samples: deque[tuple[float, float]] = deque([(clock(), 0.0)])
        self.total = 0.0

    def add(self, units: float = 1.0) -> None:
        """``units`` more are done now."""
        now = self._clock()
        self.total += units
        self._samples.append((now, self.total))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()

    def rate(self) -> float:
        """Units per second over the window (0 before anything is done)."""
        (t0, done0), (t1, done1) = self._samples[0], self._samples[-1]
        return (done1 - done0) / (t1 - t0) if t1 > t0 else 0.0

    def eta_s(self, remaining: float) -> float | None:
        """Seconds until ``remaining`` more units are done at :meth:`rate`; None unknown."""
        rate = self.rate()
        return remaining / rate if rate > 0 else None


def format_eta(seconds: float | None) -> str:
    """``1 h 05 min``, ``4 min 10 s``, ``12 s``, or ``?``."""
    if seconds is None:
        return "?"
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
