"""Index files: chunk, encode in batches, upsert into a collection, report per file.

Writes are ordered so a crash at any point converges on rerun: a file's new chunks
are upserted first, and its stale chunks are deleted only afterwards.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from indexer.chunking import ChunkingConfig, ChunkingError, chunk_file
from indexer.encoders import Encoder
from indexer.stores.base import CollectionInfo, VectorStore
from indexer.types import Chunk

logger = logging.getLogger(__name__)

Status = Literal["indexed", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    path: str
    status: Status
    chunks: int = 0
    reason: str = ""


@dataclass
class IndexReport:
    """Per-file outcomes and totals of one indexing run."""

    collection: str
    files: list[FileResult] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> str:
        return (
            f"{len(self.files)} files: {self.count('indexed')} indexed, "
            f"{self.count('unchanged')} unchanged, {self.count('skipped')} skipped, "
            f"{self.count('failed')} failed; {self.chunks_written} chunks written, "
            f"{self.chunks_deleted} deleted in {self.seconds:.1f}s"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class _Pending:
    path: Path
    chunks: list[Chunk]
    stale_ids: set[str]
    new: list[Chunk]


ProgressFn = Callable[[FileResult], None]


def index_files(
    files: Sequence[Path],
    encoder: Encoder,
    store: VectorStore,
    collection: str,
    config: ChunkingConfig | None = None,
    batch_chunks: int = 256,
    on_file: ProgressFn | None = None,
) -> IndexReport:
    """Index ``files`` into ``collection``; per-file failures are reported, not raised."""
    started = time.perf_counter()
    store.ensure_collection(
        collection, CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
    )
    report = IndexReport(collection=collection)
    pending: list[_Pending] = []

    def record(result: FileResult) -> None:
        report.files.append(result)
        if on_file is not None:
            on_file(result)

    def flush() -> None:
        new = [c for p in pending for c in p.new]
        if new:
            vectors = encoder.encode_documents([c.text for c in new])  # (n, dim)
            store.upsert(collection, new, vectors)
            report.chunks_written += len(new)
        for item in pending:
            if item.stale_ids:
                store.delete(collection, sorted(item.stale_ids))
                report.chunks_deleted += len(item.stale_ids)
            record(FileResult(str(item.path), "indexed", len(item.chunks)))
        pending.clear()

    for path in files:
        try:
            chunks = chunk_file(path, config)
        except ChunkingError as exc:
            record(FileResult(str(path), "failed", reason=str(exc)))
            continue
        if not chunks:
            record(FileResult(str(path), "skipped", reason="no text found"))
            continue
        source = chunks[0].source
        existing = store.ids(collection, {"source": source})
        wanted = {c.id for c in chunks}
        if wanted == existing:
            record(FileResult(str(path), "unchanged", len(chunks)))
            continue
        new = [c for c in chunks if c.id not in existing]
        pending.append(_Pending(path, chunks, existing - wanted, new))
        if sum(len(p.new) for p in pending) >= batch_chunks:
            flush()
    flush()
    order = {str(path): i for i, path in enumerate(files)}
    report.files.sort(key=lambda result: order.get(result.path, len(order)))
    report.seconds = time.perf_counter() - started
    logger.info("%s", report.summary())
    return report
