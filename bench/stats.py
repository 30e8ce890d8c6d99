"""Latency statistics for benchmark reports."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def measure(action: Callable[[], object], *, runs: int, warmup: int = 5) -> dict[str, float]:
    """Run ``action`` repeatedly and return median, p95 and mean in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, round(0.95 * runs) - 1)], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }
