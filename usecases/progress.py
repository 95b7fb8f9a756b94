"""Rates and remaining time from a sliding window, so an estimate does not swing with
every slow file (the front ends show it beside their progress bars): :class:`SmoothedRate`,
:func:`format_eta`, and :class:`IndexProgress`, an indexing run's phases and their ETAs."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable


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


class IndexProgress:
    """Where an indexing run stands, per phase, with remaining times from smoothed rates
    (chunks per second over the last ``window_s`` seconds), so a run of small files
    followed by a large one does not swing the estimate.

    * the run: chunks still to come ÷ chunks written per second. Chunks still to come are
      the bytes not yet read × chunks per byte so far, when the files' sizes are known
      (``total_bytes``), else the files left × chunks per file so far;
    * the batch being encoded (a large file): its chunks left ÷ chunks encoded per second.
    """

    def __init__(
        self,
        files: int,
        total_bytes: int = 0,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.files, self.total_bytes = files, total_bytes
        self.files_done, self.bytes_done, self.chunks = 0, 0, 0
        self.written = SmoothedRate(window_s, clock)
        self.encoded: SmoothedRate | None = None  # from the first batch on
        self._window, self._clock = window_s, clock
        self._batch: tuple[str, int, int] = ("", 0, 0)

    def file_done(self, chunks_written: int, file_bytes: int = 0) -> None:
        """One more file is through; ``chunks_written`` counts every chunk so far."""
        self.files_done += 1
        self.bytes_done += file_bytes
        self.written.add(max(0, chunks_written - self.chunks))
        self.chunks = max(self.chunks, chunks_written)

    def encoding(self, label: str, done: int, total: int) -> None:
        """``done`` of the ``total`` chunks of batch ``label`` are encoded."""
        last, last_done, _ = self._batch
        if self.encoded is None:
            self.encoded = SmoothedRate(self._window, self._clock)
        self.encoded.add(done - last_done if label == last and done >= last_done else done)
        self._batch = (label, done, total)

    def chunks_left(self) -> float | None:
        """Chunks still to come in the run (an estimate; None before the first file)."""
        if self.files_done == 0 or self.chunks == 0:
            return None
        if self.total_bytes and self.bytes_done:
            return max(0, self.total_bytes - self.bytes_done) * self.chunks / self.bytes_done
        return max(0, self.files - self.files_done) * self.chunks / self.files_done

    def run_eta_s(self) -> float | None:
        """Seconds until the run ends, or None while unknown."""
        if self.files_done >= self.files:
            return 0.0
        left = self.chunks_left()
        return None if left is None else self.written.eta_s(left)

    def batch_eta_s(self) -> float | None:
        """Seconds until the batch being encoded is done, or None."""
        _, done, total = self._batch
        return self.encoded.eta_s(total - done) if total and self.encoded else None

    def summary(self) -> str:
        """``12/40 files · 35.2 chunks/s over the last minute · about 4 min 10 s left``."""
        rate = self.written.rate()
        return (
            f"{self.files_done}/{self.files} files · {rate:.1f} chunks/s over the last "
            f"minute · about {format_eta(self.run_eta_s())} left"
        )

    def batch_summary(self) -> str:
        """``encoding big.txt: 120/800 chunks, about 1 min 05 s left`` (empty when idle)."""
        label, done, total = self._batch
        if not total or done >= total:
            return ""
        eta = format_eta(self.batch_eta_s())
        return f"encoding {label[-40:]}: {done}/{total} chunks, about {eta} left"


def file_bytes(paths: Iterable[str | os.PathLike[str]]) -> int:
    """The files' sizes added up (a file that cannot be read counts 0)."""
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
    return total
