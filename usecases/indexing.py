"""The one indexing use case: every write into Milvus goes through here.

The command line, UI uploads, evaluation corpora and the Ray engine share its rules:
collections are prepared first (``rebuild`` drops them; one built before full text gets
its BM25 field in place, every chunk and vector kept), texts are encoded through the
embedding cache, a file's new chunks are written before its stale ones are deleted, and
every run leaves a per-file report. Front ends hear what happens through
:class:`IndexEvents` and render it their own way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from core.settings import Settings
from encoders import Encoder, build_encoder
from indexer.pipeline import IndexOptions
from indexer.ray_engine import RayOptions
from indexer.report import FileResult, IndexReport, save_report
from indexer.retrieval import collection_name
from indexer.stores import VectorStore, store_for
from indexer.types import Chunk
from indexer.walk import Walk, walk_files
from usecases.progress import file_bytes

logger = logging.getLogger(__name__)


class NothingToIndexError(ValueError):
    """The named paths hold no file to index (nor any to report as skipped)."""


class IndexEvents(Protocol):
    """What an indexing run tells its front end, as it happens."""

    def started(self, files: int, engine: str, total_bytes: int = 0) -> None: ...

    def file_done(self, result: FileResult, chunks_written: int) -> None: ...

    def encoding(self, label: str, done: int, total: int) -> None: ...

    def notice(self, message: str) -> None: ...


class QuietEvents:
    """Events that go to the log only."""

    def started(self, files: int, engine: str, total_bytes: int = 0) -> None:
        logger.info("indexing %d files, %d bytes (%s engine)", files, total_bytes, engine)

    def file_done(self, result: FileResult, chunks_written: int) -> None:
        logger.debug("%s: %s", result.path, result.status)

    def encoding(self, label: str, done: int, total: int) -> None:
        return None

    def notice(self, message: str) -> None:
        logger.warning("%s", message)


@dataclass(frozen=True)
class IndexRequest:
    """What to index, with which encoders, and how."""

    paths: tuple[Path, ...]
    encoders: tuple[str, ...]
    options: IndexOptions | None = None  # default: default_options(settings)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    follow_links: bool = False
    rebuild: bool = False
    ray: RayOptions | None = None
    report_path: Path | None = None  # default <data dir>/reports/last-index.json

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("name at least one file or folder to index")
        if not self.encoders:
            raise ValueError("name at least one encoder to index with")


@dataclass(frozen=True)
class IndexOutcome:
    """The run's report, where it was written (None when no disk could hold it), and the
    chunks now in each collection."""

    report: IndexReport
    report_path: Path | None
    counts: dict[str, int]
    location: str


def index_paths(
    settings: Settings,
    request: IndexRequest,
    events: IndexEvents | None = None,
    *,
    store: VectorStore | None = None,
    encoders: Sequence[Encoder] | None = None,
) -> IndexOutcome:
    """Index ``request.paths`` into one collection per encoder under ``settings.collection``.

    ``store`` and ``encoders`` let a caller that already holds them (the UI: Milvus Lite
    allows one process per file) pass them in; otherwise they are opened and built here.
    ``NothingToIndexError`` when the paths hold nothing at all.
    """
    events = events or QuietEvents()
    walk = walk_files(list(request.paths), request.include, request.exclude, request.follow_links)
    if not walk.files and not walk.skipped:
        raise NothingToIndexError("no files found under the given paths")
    if request.options is None:
        request = replace(request, options=default_options(settings))
    loaded = list(encoders or [build_encoder(name, settings) for name in request.encoders])
    if request.ray is not None:
        from usecases.indexing_ray import run_on_ray

        report, counts = run_on_ray(settings, walk, loaded, request, events)
    else:
        report, counts = _run_local(settings, walk, loaded, request, events, store)
    path = request.report_path or settings.data_dir / "reports" / "last-index.json"
    saved = save_report(report, path)
    return IndexOutcome(report, saved, counts, settings.milvus_uri)


def default_options(settings: Settings) -> IndexOptions:
    """The pipeline's defaults with the settings' embedding cache and failure ledger."""
    return IndexOptions(
        embedding_cache=settings.embedding_cache,
        embedding_cache_mb=max(1.0, settings.embedding_cache_mb),
        failure_ledger=settings.failure_ledger,
    )


def _run_local(
    settings: Settings,
    walk: Walk,
    encoders: list[Encoder],
    request: IndexRequest,
    events: IndexEvents,
    store: VectorStore | None,
) -> tuple[IndexReport, dict[str, int]]:
    from indexer.pipeline import index_files

    own = store is None
    store = store or store_for(settings)
    try:
        prepare_collections(store, settings, encoders, request.rebuild, events)
        events.started(len(walk.files) + len(walk.skipped), "local", file_bytes(walk.files))
        report = index_files(
            walk.files,
            encoders,
            store,
            settings.collection,
            request.options,
            events.file_done,
            walk.skipped,
            events.encoding,
        )
        return report, collection_counts(store, report)
    finally:
        if own:
            store.close()


def collection_counts(store: VectorStore, report: IndexReport) -> dict[str, int]:
    """Chunks in each collection the run wrote to (none when it stopped on the store)."""
    return {} if report.error else {name: store.count(name) for name in report.collections}


def prepare_collections(
    store: VectorStore,
    settings: Settings,
    encoders: Sequence[Encoder],
    rebuild: bool,
    events: IndexEvents,
) -> None:
    """With ``rebuild``, say what will not come back and drop each existing target
    collection; without, give each existing one that lacks full text its BM25 field."""
    names = [collection_name(settings.collection, e.name) for e in encoders]
    existing = [name for name in names if store.collection_info(name) is not None]
    if rebuild and existing:
        events.notice(
            "--rebuild: only files under the given paths come back; chunks indexed from "
            f"other folders, and files uploaded in the UI (under {settings.data_dir / 'uploads'},"
            " deleted once indexed), are gone until indexed or uploaded again."
        )
    for name in existing:
        if rebuild:
            events.notice(f"dropping collection {name} ({store.count(name)} chunks)")
            store.drop(name)
        elif not store.has_full_text(name):
            upgrade_collection(store, name, events)


def upgrade_collection(store: VectorStore, name: str, events: IndexEvents) -> int:
    """Add the full-text field to ``name`` in place, saying so; every row kept."""
    events.notice(
        f"collection {name} has no full-text field: adding it in place "
        "(every chunk and vector kept, nothing re-encoded)"
    )
    kept = store.upgrade_full_text(name)
    events.notice(f"collection {name}: full text added, {kept} chunks kept")
    return kept


def index_corpus(
    store: VectorStore,
    encoder: Encoder,
    collection: str,
    corpus: tuple[str, Sequence[Chunk]],
    options: IndexOptions,
    events: IndexEvents | None = None,
) -> IndexReport:
    """Make ``encoder``'s ``collection`` hold exactly the chunks of ``corpus`` (its name and
    chunks), by the same rules as files.

    Such a collection is derived data (evaluation builds it from a BEIR corpus), so one
    built by other weights is dropped and built again rather than refused.
    """
    from indexer.corpus import index_corpus as write_corpus

    events = events or QuietEvents()
    info = store.collection_info(collection)
    if info is not None and (info.fingerprint, info.dim) != (encoder.fingerprint, encoder.dim):
        events.notice(f"collection {collection} was built by other weights: building it again")
        store.drop(collection)
    elif info is not None and not store.has_full_text(collection):
        upgrade_collection(store, collection, events)
    label, chunks = corpus
    targets = {collection: encoder}
    return write_corpus(label, chunks, targets, store, options, events.encoding)
