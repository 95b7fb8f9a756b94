"""Index files: detect type, partition in workers, encode in batches, upsert, report.

Writes are ordered so a kill at any point converges on rerun: a file's new chunks
are upserted into every collection first, its stale chunks deleted only afterwards,
and a file that fails keeps the chunks it had.

Each file runs under a budget: ``timeout_s`` for partitioning (in a worker), at most
``max_file_chunks`` chunks, and ``file_budget_s`` for partitioning plus encoding; over
any of them it fails alone with the reason, and an unchanged file that failed so is not
read again on the next run (:mod:`indexer.failure_ledger`). Any exception while sniffing,
partitioning or chunking a file fails that file alone. A store that goes away or refuses
a write stops the run cleanly (:mod:`indexer.store_guard`). Texts are encoded through
:func:`indexer.encode_batches.encode_texts` (each distinct text once, the embedding
cache first, longest first in slices of ``batch_chunks``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from encoders import Encoder
from indexer.batch_writer import BatchWriter, EncodeProgressFn, Pending, WriterConfig
from indexer.chunking import ChunkingConfig
from indexer.embedding_cache import EmbeddingCache
from indexer.failure_ledger import FailureLedger, RunLimits
from indexer.names import display_name, source_name
from indexer.prune import prune_missing
from indexer.report import FileResult, IndexReport
from indexer.retrieval import collection_name
from indexer.sniff import Limits, Rejected, Unsupported, detect
from indexer.store_guard import guarded, stops_cleanly
from indexer.stores.base import CollectionInfo, VectorStore
from indexer.types import MAX_SOURCE_BYTES, Chunk
from indexer.walk import SkippedPath
from indexer.workers import Outcome, Partitioner, Task

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
    file_budget_s: float | None = 600.0  # partition + encode of one file; None = no limit
    max_file_chunks: int = 100_000  # a file cut into more chunks fails with the reason
    embedding_cache: Path | None = None  # SQLite file of cached vectors; None = off
    embedding_cache_mb: float = 1024.0
    failure_ledger: Path | None = None  # JSON of files failed under a limit; None = off
    retry_failed: bool = False  # read those files again even if unchanged

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout_s}")
        if self.batch_chunks < 1:
            raise ValueError(f"batch_chunks must be >= 1, got {self.batch_chunks}")
        if self.file_budget_s is not None and self.file_budget_s <= 0:
            raise ValueError(f"file budget must be > 0 seconds, got {self.file_budget_s}")
        if self.max_file_chunks < 1:
            raise ValueError(f"max_file_chunks must be >= 1, got {self.max_file_chunks}")
        if self.embedding_cache_mb <= 0:
            raise ValueError(f"embedding_cache_mb must be > 0, got {self.embedding_cache_mb}")


def index_files(
    files: Sequence[Path],
    encoders: Sequence[Encoder],
    store: VectorStore,
    base_collection: str,
    options: IndexOptions | None = None,
    on_file: ProgressFn | None = None,
    skipped: Sequence[SkippedPath] = (),
    on_encode: EncodeProgressFn | None = None,
) -> IndexReport:
    """Index ``files`` into one collection per encoder; per-file failures are reported.

    ``skipped``: paths the walk passed over (links out of the tree, special files); each
    is reported with its reason. A file's problem never stops the others. ``on_encode``
    hears ``(file, chunks encoded, chunks to encode)`` after each encoded slice.
    """
    options = options or IndexOptions()
    started = time.perf_counter()
    if not encoders:
        raise ValueError("at least one encoder is needed")
    targets = {collection_name(base_collection, e.name): e for e in encoders}
    report = IndexReport(collections=sorted(targets))
    lock = threading.Lock()

    def record(result: FileResult) -> None:
        with lock:
            report.files.append(result)
            if on_file is not None:
                on_file(result, report.chunks_written)

    for entry in skipped:
        record(FileResult(display_name(entry.path), entry.status, reason=entry.reason))
    ledger = failure_ledger(options, store, targets)
    tasks = detect_tasks(ledger.split(files, record) if ledger else files, options, record)
    workers = min(options.workers, len(tasks))  # started now: they import while we prepare
    partitioner = Partitioner(workers, options.timeout_s, options.chunking)
    try:
        with stops_cleanly(report, [task.path for task in tasks], record):
            ensure_collections(store, targets)
            _write_and_prune(tasks, partitioner, targets, store, options, report, record, on_encode)
    finally:
        partitioner.close()
        if ledger:
            ledger.update(report)
    return finish_report(report, files, started)


def ensure_collections(store: VectorStore, targets: dict[str, Encoder]) -> None:
    """Create (or check) each target collection, recording its encoder."""
    for name, encoder in targets.items():
        info = CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
        guarded(store, store.ensure_collection, name, info)


def failure_ledger(
    options: IndexOptions, store: VectorStore, targets: dict[str, Encoder]
) -> FailureLedger | None:
    """The run's :class:`FailureLedger` (None when ``options`` keep none)."""
    if options.failure_ledger is None:
        return None
    setup = {"store": store.location, "collections": sorted(targets)}
    setup["chunking"] = asdict(options.chunking)
    timeout = options.timeout_s if options.workers else None  # in-process: no timeout
    limits = RunLimits.of(setup, timeout, options.max_file_chunks, options.file_budget_s)
    return FailureLedger(options.failure_ledger, limits, options.retry_failed)


def _write_and_prune(
    tasks: list[Task],
    partitioner: Partitioner,
    targets: dict[str, Encoder],
    store: VectorStore,
    options: IndexOptions,
    report: IndexReport,
    record: Callable[[FileResult], None],
    on_encode: EncodeProgressFn | None,
) -> None:
    """Write every task, then prune (store faults are the caller's to catch)."""
    cache = options.embedding_cache and EmbeddingCache(
        options.embedding_cache, options.embedding_cache_mb
    )
    try:
        config = WriterConfig(options.batch_chunks, options.file_budget_s, cache, on_encode)
        outcomes = partitioner.partition(tasks)
        _write_all(outcomes, targets, store, options, record, config, report)
        if roots := options.prune_roots:
            report.chunks_deleted += prune_missing(store, targets, roots, tasks, report)
    finally:
        if cache:
            report.vectors_from_cache = cache.hits
            cache.close()


def finish_report(report: IndexReport, files: Sequence[Path], started: float) -> IndexReport:
    """Put ``report``'s files in the order of ``files``, stamp the seconds since
    ``started`` (``time.perf_counter``), log its summary, and return it."""
    order = {display_name(path): i for i, path in enumerate(files)}
    report.files.sort(key=lambda result: order.get(result.path, len(order)))
    report.seconds = time.perf_counter() - started
    logger.info("%s", report.summary())
    return report


def detect_tasks(
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
        except Exception as exc:  # whatever a hostile file does to sniffing, it fails alone
            logger.debug("sniffing %s failed", name, exc_info=True)
            record(FileResult(name, "failed", reason=f"{type(exc).__name__}: {exc}"))
        else:
            size = options.limits.max_file_bytes
            tasks.append(Task(path, source, kind.mime, kind.label, size))
    return tasks


def _write_all(
    outcomes: Iterable[Outcome],
    targets: dict[str, Encoder],
    store: VectorStore,
    options: IndexOptions,
    record: Callable[[FileResult], None],
    config: WriterConfig,
    report: IndexReport,
) -> None:
    """Write what changed in each partitioned file, one encoded batch in flight.

    Files share batches of about ``batch_chunks`` new chunks; a file with more is a batch
    of its own, so its budget is its own. While the writer is idle (at the start, or when
    partitioning is the slower stage) whatever is pending goes at once.
    """
    writer = BatchWriter(targets, store, report, record, config)
    pending: list[Pending] = []
    try:
        for outcome in outcomes:
            item = checked_plan(outcome, targets, store, options, record)
            if item is None:
                continue
            if item.to_encode > options.batch_chunks:
                writer.submit(pending)
                writer.submit([item])
                pending = []
                continue
            pending.append(item)
            full = sum(p.to_encode for p in pending) >= options.batch_chunks
            if full or writer.idle:
                writer.submit(pending)
                pending = []
        writer.submit(pending)
        writer.drain()
    finally:
        writer.shutdown()


def checked_plan(
    outcome: Outcome,
    targets: dict[str, Encoder],
    store: VectorStore,
    options: IndexOptions,
    record: Callable[[FileResult], None],
) -> Pending | None:
    """The file's plan, or None once its failure, skip or "unchanged" is recorded."""
    name = display_name(outcome.task.path)
    if outcome.error:
        record(FileResult(name, "failed", reason=outcome.error, limit=outcome.limit))
    elif not outcome.chunks:
        record(FileResult(name, "skipped", reason="no text found"))
    elif len(outcome.chunks) > options.max_file_chunks:
        reason = (
            f"cut into {len(outcome.chunks):,} chunks, over the limit of "
            f"{options.max_file_chunks:,} per file (--max-file-chunks); its earlier chunks kept"
        )
        record(FileResult(name, "failed", reason=reason, limit="max_file_chunks"))
    else:
        item = _plan(outcome, targets, store)
        if any(item.new.values()) or any(item.stale.values()):
            return item
        record(FileResult(name, "unchanged", item.chunks))
    return None


def _plan(outcome: Outcome, targets: dict[str, Encoder], store: VectorStore) -> Pending:
    """What to write and delete in each collection for one partitioned file."""
    wanted = {c.id for c in outcome.chunks}
    new: dict[str, list[Chunk]] = {}
    stale: dict[str, set[str]] = {}
    for name in targets:
        existing = store.ids(name, {"source": outcome.task.source})
        new[name] = [c for c in outcome.chunks if c.id not in existing]
        stale[name] = existing - wanted
    return Pending(outcome.task.path, len(outcome.chunks), new, stale, outcome.seconds)
