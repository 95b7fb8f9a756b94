"""Index files: detect type, partition in workers, encode in batches, upsert, report.

Writes are ordered so a kill at any point converges on rerun: a file's new chunks
are upserted into every collection first, its stale chunks deleted only afterwards,
and a file that fails keeps the chunks it had.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from encoders import Encoder
from indexer.chunking import ChunkingConfig
from indexer.names import display_name, path_of_source, source_name
from indexer.report import FileResult, IndexReport
from indexer.retrieval import collection_name
from indexer.sniff import Limits, Rejected, Unsupported, detect
from indexer.stores.base import CollectionInfo, StoreUnavailableError, VectorStore
from indexer.types import MAX_SOURCE_BYTES, Chunk
from indexer.walk import SkippedPath
from indexer.workers import Outcome, PartitionPool, Task, partition_one

logger = logging.getLogger(__name__)

ProgressFn = Callable[[FileResult, int], None]


@dataclass(frozen=True)
class IndexOptions:
    """How an indexing run behaves."""

    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    limits: Limits = field(default_factory=Limits)
    workers: int = 1  # partitioning processes; 0 partitions in this process (no timeout)
    timeout_s: float = 120.0
    batch_chunks: int = 256
    prune_roots: tuple[Path, ...] = ()  # delete chunks of files gone from under these

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout_s}")
        if self.batch_chunks < 1:
            raise ValueError(f"batch_chunks must be >= 1, got {self.batch_chunks}")


@dataclass
class _Pending:
    path: Path
    chunks: int
    new: dict[str, list[Chunk]]  # collection -> chunks to write
    stale: dict[str, set[str]]  # collection -> ids to delete afterwards


def index_files(
    files: Sequence[Path],
    encoders: Sequence[Encoder],
    store: VectorStore,
    base_collection: str,
    options: IndexOptions | None = None,
    on_file: ProgressFn | None = None,
    skipped: Sequence[SkippedPath] = (),
) -> IndexReport:
    """Index ``files`` into one collection per encoder; per-file failures are reported.

    ``skipped``: paths the walk passed over (links out of the tree, special files); each
    is reported with its reason. A file's problem never stops the others.
    """
    options = options or IndexOptions()
    started = time.perf_counter()
    if not encoders:
        raise ValueError("at least one encoder is needed")
    targets = {collection_name(base_collection, e.name): e for e in encoders}
    for name, encoder in targets.items():
        info = CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
        store.ensure_collection(name, info)
    report = IndexReport(collections=sorted(targets))
    lock = threading.Lock()

    def record(result: FileResult) -> None:
        with lock:
            report.files.append(result)
            if on_file is not None:
                on_file(result, report.chunks_written)

    for entry in skipped:
        record(FileResult(display_name(entry.path), "skipped", reason=entry.reason))
    tasks = _tasks(files, options, record)
    try:
        _write_all(tasks, targets, store, options, report, record)
        if options.prune_roots:
            report.chunks_deleted += _prune(store, targets, options.prune_roots, tasks, report)
    except StoreUnavailableError as exc:
        report.error = str(exc)
        logger.error("indexing stopped: %s", exc)
        done = {result.path for result in report.files}
        for task in tasks:
            if display_name(task.path) not in done:
                record(FileResult(display_name(task.path), "failed", reason=f"not written: {exc}"))
    order = {display_name(path): i for i, path in enumerate(files)}
    report.files.sort(key=lambda result: order.get(result.path, len(order)))
    report.seconds = time.perf_counter() - started
    logger.info("%s", report.summary())
    return report


def _tasks(
    files: Sequence[Path], options: IndexOptions, record: Callable[[FileResult], None]
) -> list[Task]:
    """A partitioning task per readable file; the others are reported at once."""
    tasks: list[Task] = []
    for path in dict.fromkeys(files):  # the same file named twice is indexed once
        name, source = display_name(path), source_name(path)
        try:
            if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
                raise Rejected(f"path is longer than {MAX_SOURCE_BYTES} bytes")
            kind = detect(path, options.limits)
        except Unsupported as exc:
            record(FileResult(name, "skipped", reason=str(exc)))
        except (Rejected, OSError) as exc:
            record(FileResult(name, "failed", reason=str(exc)))
        else:
            tasks.append(Task(path, source, kind.mime, kind.label))
    return tasks


def _write_all(
    tasks: list[Task],
    targets: dict[str, Encoder],
    store: VectorStore,
    options: IndexOptions,
    report: IndexReport,
    record: Callable[[FileResult], None],
) -> None:
    """Partition ``tasks`` and write what changed, one encoded batch in flight."""
    writer = _BatchWriter(targets, store, report, record)
    pending: list[_Pending] = []
    try:
        with closing(_partitioned(tasks, options)) as outcomes:
            for outcome in outcomes:
                path = outcome.task.path
                if outcome.error:
                    record(FileResult(display_name(path), "failed", reason=outcome.error))
                elif not outcome.chunks:
                    record(FileResult(display_name(path), "skipped", reason="no text found"))
                else:
                    item = _plan(outcome, targets, store)
                    if not any(item.new.values()) and not any(item.stale.values()):
                        record(FileResult(display_name(path), "unchanged", item.chunks))
                        continue
                    pending.append(item)
                    if sum(len(c) for p in pending for c in p.new.values()) >= options.batch_chunks:
                        writer.submit(pending)
                        pending = []
        writer.submit(pending)
        writer.drain()
    finally:
        writer.shutdown()


class _BatchWriter:
    """Encodes and writes batches on one background thread, one batch in flight.

    Partitioning goes on while a batch is encoded (torch releases the GIL). Within a
    batch, new chunks go into every collection before any stale chunk is deleted.
    """

    def __init__(
        self,
        targets: dict[str, Encoder],
        store: VectorStore,
        report: IndexReport,
        record: Callable[[FileResult], None],
    ) -> None:
        self._targets, self._store, self._report, self._record = targets, store, report, record
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode")
        self._future: Future[None] | None = None

    def submit(self, items: list[_Pending]) -> None:
        """Queue ``items`` once the previous batch is written; re-raises its error."""
        self._wait()
        if items:
            self._future = self._executor.submit(self._write, items)

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

    def _write(self, items: list[_Pending]) -> None:
        for name, encoder in self._targets.items():
            batch = [c for item in items for c in item.new[name]]
            if batch:
                vectors = encode_once(encoder, [c.text for c in batch])  # (n, dim)
                self._store.upsert(name, batch, vectors)
                self._report.chunks_written += len(batch)
        for item in items:
            for name, ids in item.stale.items():
                if ids:
                    self._store.delete(name, sorted(ids))
                    self._report.chunks_deleted += len(ids)
            self._record(FileResult(display_name(item.path), "indexed", item.chunks))


def encode_once(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """``encoder.encode_documents(texts)`` ``(n, dim)``, each distinct text encoded once.

    Boilerplate and repeated passages (a file of one sentence repeated gave tens of
    thousands of identical chunks) cost one encoding, not one per chunk.
    """
    unique = list(dict.fromkeys(texts))
    vectors = encoder.encode_documents(unique)  # (u, dim)
    if len(unique) == len(texts):
        return vectors
    row = {text: i for i, text in enumerate(unique)}
    return vectors[[row[text] for text in texts]]


def _partitioned(tasks: list[Task], options: IndexOptions) -> Iterator[Outcome]:
    if options.workers == 0:
        yield from (partition_one(task, options.chunking) for task in tasks)
        return
    if not tasks:
        return
    workers = min(options.workers, len(tasks))
    with PartitionPool(workers, options.timeout_s, options.chunking) as pool:
        yield from pool.imap(tasks)


def _plan(outcome: Outcome, targets: dict[str, Encoder], store: VectorStore) -> _Pending:
    """What to write and delete in each collection for one partitioned file."""
    wanted = {c.id for c in outcome.chunks}
    new: dict[str, list[Chunk]] = {}
    stale: dict[str, set[str]] = {}
    for name in targets:
        existing = store.ids(name, {"source": outcome.task.source})
        new[name] = [c for c in outcome.chunks if c.id not in existing]
        stale[name] = existing - wanted
    return _Pending(outcome.task.path, len(outcome.chunks), new, stale)


def _prune(
    store: VectorStore,
    targets: dict[str, Encoder],
    roots: tuple[Path, ...],
    tasks: list[Task],
    report: IndexReport,
) -> int:
    """Delete chunks whose source lies under ``roots`` but is no longer a file there."""
    prefixes = tuple(source_name(root).rstrip("/") + "/" for root in roots)
    seen = {task.source for task in tasks}
    deleted = 0
    for name in targets:
        for source in store.sources(name):
            gone = not path_of_source(source).exists()
            if source.startswith(prefixes) and source not in seen and gone:
                ids = store.ids(name, {"source": source})
                store.delete(name, sorted(ids))
                deleted += len(ids)
                report.pruned.append(source)
    return deleted
