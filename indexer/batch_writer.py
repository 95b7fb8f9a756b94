"""Encode and write planned files on one background thread, one batch in flight.

Partitioning goes on while a batch is encoded (torch releases the GIL). Within a
batch, every collection's vectors are computed first, then new chunks go into every
collection, and only then are stale chunks deleted: a file that fails (or a kill)
keeps the chunks it had.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from encoders import Encoder
from indexer.embedding_cache import EmbeddingCache
from indexer.encode_batches import EncodeBudgetExceeded, encode_texts
from indexer.names import display_name
from indexer.report import FileResult, IndexReport
from indexer.store_guard import guarded
from indexer.stores.base import VectorStore
from indexer.types import Chunk

#: ``(file name, or "N files", chunks encoded, chunks to encode)`` for the batch in flight
EncodeProgressFn = Callable[[str, int, int], None]


@dataclass
class Pending:
    """One partitioned file's plan: what to write and delete in each collection."""

    path: Path
    chunks: int
    new: dict[str, list[Chunk]]  # collection -> chunks to write
    stale: dict[str, set[str]]  # collection -> ids to delete afterwards
    partition_s: float = 0.0  # seconds its partitioning took (counts against its budget)

    @property
    def to_encode(self) -> int:
        return max((len(chunks) for chunks in self.new.values()), default=0)


@dataclass(frozen=True)
class WriterConfig:
    """How batches are encoded: slice size, per-file budget, the cache (None = off)."""

    slice_size: int = 256
    file_budget_s: float | None = None
    cache: EmbeddingCache | None = None
    on_encode: EncodeProgressFn | None = None


class BatchWriter:
    """Encodes and writes batches of :class:`Pending` files on one background thread.

    A batch of one file runs under the file's budget (``file_budget_s`` less its
    partitioning time); over it, the file fails alone with the reason, nothing of it
    written, the slices encoded so far kept in the cache.
    """

    def __init__(
        self,
        targets: dict[str, Encoder],
        store: VectorStore,
        report: IndexReport,
        record: Callable[[FileResult], None],
        config: WriterConfig | None = None,
    ) -> None:
        self._targets, self._store, self._report, self._record = targets, store, report, record
        self._config = config or WriterConfig()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode")
        self._future: Future[None] | None = None

    def submit(self, items: list[Pending]) -> None:
        """Queue ``items`` once the previous batch is written; re-raises its error."""
        self._wait()
        if items:
            self._future = self._executor.submit(self._write, items)

    @property
    def idle(self) -> bool:
        """No batch is being encoded or written."""
        return self._future is None or self._future.done()

    def drain(self) -> None:
        """Wait for the batch in flight; re-raises its error."""
        self._wait()

    def shutdown(self) -> None:
        """Stop the thread after the batch in flight, without raising."""
        self._executor.shutdown(wait=True)

    def _wait(self) -> None:
        if self._future is not None:
            future, self._future = self._future, None
            future.result()

    def _write(self, items: list[Pending]) -> None:
        try:
            encoded = self._encode(items)
        except EncodeBudgetExceeded as exc:
            reason = self._why(items[0], exc)
            name = display_name(items[0].path)
            self._record(FileResult(name, "failed", reason=reason, limit="file_budget"))
            return
        store = self._store
        for name, (batch, vectors) in encoded.items():
            guarded(store, store.upsert, name, batch, vectors)
            self._report.chunks_written += len(batch)
        for item in items:
            for name, ids in item.stale.items():
                if ids:
                    guarded(store, store.delete, name, sorted(ids))
                    self._report.chunks_deleted += len(ids)
            self._record(FileResult(display_name(item.path), "indexed", item.chunks))

    def _encode(self, items: list[Pending]) -> dict[str, tuple[list[Chunk], np.ndarray]]:
        """Each collection's new chunks and their vectors ``(n, dim)``."""
        config = self._config
        label = display_name(items[0].path) if len(items) == 1 else f"{len(items)} files"
        deadline = None
        if len(items) == 1 and config.file_budget_s is not None:
            deadline = time.monotonic() + config.file_budget_s - items[0].partition_s
        total = sum(len(item.new[name]) for item in items for name in self._targets)
        encoded: dict[str, tuple[list[Chunk], np.ndarray]] = {}
        offset = 0
        for name, encoder in self._targets.items():
            batch = [c for item in items for c in item.new[name]]
            if not batch:
                continue
            progress = _offset_progress(config.on_encode, label, offset, total)
            try:
                vectors = encode_texts(
                    encoder,
                    [c.text for c in batch],
                    config.cache,
                    config.slice_size,
                    progress,
                    deadline,
                )
            except EncodeBudgetExceeded as exc:
                raise EncodeBudgetExceeded(offset + exc.done, total) from exc
            encoded[name] = (batch, vectors)
            offset += len(batch)
        return encoded

    def _why(self, item: Pending, exc: EncodeBudgetExceeded) -> str:
        kept = (
            "; the chunks encoded so far are cached, so a rerun with a larger "
            "--file-budget goes on from there"
            if self._config.cache is not None
            else ""
        )
        return (
            f"over the per-file budget of {self._config.file_budget_s:g}s (partitioning "
            f"{item.partition_s:.1f}s, then {exc.done:,} of {exc.total:,} chunks encoded); "
            f"nothing of it written, its earlier chunks kept{kept}"
        )


def _offset_progress(
    on_encode: EncodeProgressFn | None, label: str, offset: int, total: int
) -> Callable[[int, int], None] | None:
    """One collection's ``(done, n)`` progress as the batch's ``(label, offset + done, total)``."""
    if on_encode is None:
        return None
    return lambda done, _n: on_encode(label, offset + done, total)
