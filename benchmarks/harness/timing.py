"""Timing: percentiles, latency rounds, interleaved rounds, and the CPU clock training
budgets run on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95)) -> dict[str, float]:
    """``{"p50": ..., "p95": ...}`` of ``values`` (e.g. milliseconds)."""
    array = np.asarray(values, dtype=np.float64)
    return {f"p{p}": float(np.percentile(array, p)) for p in points}


def latency_ms(
    samples_ms: Sequence[float], points: Sequence[int] = (50, 95), digits: int = 2
) -> dict[str, float]:
    """``{"p50_ms": ..., "p95_ms": ...}`` of millisecond samples, rounded to ``digits``."""
    return {f"{k}_ms": round(v, digits) for k, v in percentiles(samples_ms, points).items()}


T = TypeVar("T")


def latencies_ms(call: Callable[[T], Any], items: Iterable[T]) -> list[float]:
    """Milliseconds of ``call(item)`` for each item in turn (one timed call each)."""
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def cpu_clock(share: float) -> Callable[[], float]:
    """Process CPU seconds / ``share`` (the cores a job keeps busy alone): a training budget
    on this clock buys the same work on a shared machine as on a quiet one."""
    return lambda: time.process_time() / share


def interleaved_rates(
    candidates: Mapping[str, Callable[[list[str]], object]],
    texts: list[str],
    rounds: int = 3,
) -> dict[str, list[float]]:
    """Texts per second of each candidate, one pass each per round, candidates interleaved
    within a round so drift in the machine's speed touches all of them alike."""
    rates: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, encode in candidates.items():
            started = time.perf_counter()
            encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return rates


def median_ratio(rates: Sequence[float], reference: Sequence[float]) -> float:
    """Median over rounds of ``rates[i] / reference[i]`` (a speed-up robust to drift)."""
    return float(np.median([a / b for a, b in zip(rates, reference, strict=True)]))
