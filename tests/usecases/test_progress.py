"""Indexing progress: the ETA comes from chunks per second over the last minute and the
bytes left, so files of very different sizes do not swing it (a fake clock)."""

from __future__ import annotations

import pytest

from usecases.progress import IndexProgress, SmoothedRate, format_eta


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_run_eta_stays_steady_across_small_and_large_files() -> None:
    """Encoding runs at 10 chunks/s; a file has 1 chunk per 100 bytes. Small and large
    files alternate: a files-per-second estimate swings by the file size, this one not."""
    clock = Clock()
    sizes = [1_000, 50_000, 2_000, 80_000, 1_500, 60_000] * 4
    progress = IndexProgress(len(sizes), sum(sizes), window_s=60.0, clock=clock)
    files = SmoothedRate(60.0, clock)  # the old estimate, for contrast
    chunks, etas, file_etas = 0, [], []
    for i, size in enumerate(sizes):
        clock.now += size / 100 / 10  # its chunks at 10 chunks/s
        chunks += size // 100
        progress.file_done(chunks, size)
        files.add()
        true_left = sum(sizes[i + 1 :]) / 100 / 10
        if i >= 3 and i < len(sizes) - 1:
            etas.append(progress.run_eta_s() / true_left)
            file_etas.append(files.eta_s(len(sizes) - i - 1) / true_left)
    assert max(etas) / min(etas) < 1.5  # within half of itself the whole run
    assert max(file_etas) / min(file_etas) > 3  # the per-file estimate swung
    assert all(0.6 < r < 1.5 for r in etas)
    assert progress.run_eta_s() == 0.0
    assert progress.summary().startswith(f"{len(sizes)}/{len(sizes)} files · ")


def test_without_sizes_the_eta_uses_chunks_per_file_and_a_batch_has_its_own() -> None:
    clock = Clock()
    progress = IndexProgress(10, clock=clock)
    assert progress.run_eta_s() is None and "about ? left" in progress.summary()
    clock.now = 10.0
    progress.file_done(100)  # 100 chunks in 10 s
    assert progress.run_eta_s() == pytest.approx(9 * 100 / 10)
    progress.encoding("big.txt", 0, 400)
    clock.now = 20.0
    progress.encoding("big.txt", 100, 400)
    assert progress.batch_eta_s() == pytest.approx(300 / 10)
    assert (
        progress.batch_summary() == f"encoding big.txt: 100/400 chunks, about {format_eta(30)} left"
    )
    progress.encoding("big.txt", 400, 400)
    assert progress.batch_summary() == ""
