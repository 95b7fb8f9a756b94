"""What the index holds and changes to it from the UI: stats, uploads, deleting a source.

Uploads are written under ``<data dir>/uploads/<safe name>`` only while they are
checked and indexed, then deleted; that stable path is each chunk's ``source``, so
uploading a file of the same name again replaces its chunks instead of duplicating
them. The type is checked by content with :func:`indexer.sniff.detect` (as the CLI
does), and indexing goes through the service's own store and encoders, all chosen
encoders in one pass (Milvus Lite allows one process per file).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from indexer.chunking import file_type_of
from indexer.names import shown_source, source_name, source_root
from indexer.retrieval import collection_name
from indexer.sniff import EXTENSIONS
from usecases.results import CollectionStats, IndexOverview, UploadOutcome, UploadReport
from usecases.uploads import ProgressFn, UploadRejected, check_upload, index_accepted
from usecases.workspace import IndexContext

logger = logging.getLogger(__name__)

#: How long a source list stays fresh. Listing sources scans every row (seconds at 100k
#: chunks), so it is cached; this process's own writes clear it, and
#: with a Milvus Lite file no other process can write.
SOURCES_TTL_S = {"lite": 600.0, "server": 60.0}


def supported_suffixes() -> frozenset[str]:
    """File suffixes the indexer reads (from :mod:`indexer.sniff`, so the list stays true)."""
    return frozenset(EXTENSIONS)


class IndexLibrary:
    """Index management for one :class:`~usecases.search.SearchService`."""

    def __init__(self, index: IndexContext, workers: int = 1) -> None:
        self._ctx = index
        #: partitioning processes per upload run (each file under a timeout); 0 = in-process
        self.workers = workers
        self._write_lock = threading.Lock()
        self._sources: dict[str, tuple[float, dict[str, int]]] = {}
        #: collection -> (source_root of its sources but uploads or None, any uploads)
        self._roots: dict[str, tuple[str | None, bool]] = {}
        self._loading: dict[str, threading.Thread] = {}
        self._generation = 0  # bumped by every write: a scan started before it is dropped
        self._sources_lock = threading.Lock()
        #: collection -> ((file bytes, rows) when measured, its bytes)
        self._sizes: dict[str, tuple[tuple[int | None, int], int | None]] = {}

    @property
    def upload_dir(self) -> Path:
        return self._ctx.settings.data_dir / "uploads"

    @property
    def max_upload_bytes(self) -> int:
        return self._ctx.settings.max_upload_mb * 2**20

    def sources(self, encoder: str, wait: float | None = None) -> dict[str, int] | None:
        """Source path -> chunk count in ``encoder``'s collection (cached, see ``SOURCES_TTL_S``).

        ``wait`` bounds the seconds to wait for a missing or stale list (None: as long as
        it takes). The scan goes on in a background thread; until it is done the stale
        list, or None, is returned, so a page never blocks on a big index.
        """
        coll = collection_name(self._ctx.base_collection, encoder)
        ttl = SOURCES_TTL_S["server" if self._ctx.settings.is_server else "lite"]
        cached = self._sources.get(coll)
        if cached is not None and time.monotonic() - cached[0] <= ttl:
            return dict(cached[1])
        with self._sources_lock:
            thread = self._loading.get(coll)
            if thread is None:
                thread = threading.Thread(target=self._fetch_sources, args=(coll,), daemon=True)
                self._loading[coll] = thread
                thread.start()
        thread.join(timeout=wait)
        if wait is None and coll not in self._sources:
            self._fetch_sources(coll)  # the scan raced a write and was dropped: once more
            if coll not in self._sources:
                raise RuntimeError(f"listing the sources of {coll} failed (see the log)")
        cached = self._sources.get(coll)
        return dict(cached[1]) if cached else None

    def _forget_sources(self) -> None:
        with self._sources_lock:
            self._generation += 1
            self._sources.clear()

    def _fetch_sources(self, coll: str) -> None:
        generation = self._generation
        try:
            found = self._ctx.store.sources(coll)
            indexed = [s for s in found if not s.startswith(self._uploads_prefix)]
            root = (source_root(indexed) if indexed else None, len(indexed) < len(found))
            with self._sources_lock:
                if generation == self._generation:
                    self._sources[coll] = (time.monotonic(), found)
                    self._roots[coll] = root
        except Exception:
            logger.exception("listing the sources of %s failed", coll)
        finally:
            with self._sources_lock:
                self._loading.pop(coll, None)

    def source_roots(self, wait: float | None = None) -> tuple[str, ...] | None:
        """The folders every page and the CLI show sources relative to (each source to the
        deepest one holding it, :func:`indexer.names.shown_source`): the deepest folder
        holding every indexed source of every collection (:func:`indexer.names.source_root`),
        then, when files were uploaded, the data folder (they show as ``uploads/NAME``).

        ``wait`` as in :meth:`sources`; None while a source list is not ready yet.
        """
        roots, uploads = [], False
        for name in self._ctx.indexed_encoders():
            if self.sources(name, wait) is None:
                return None
            root, uploaded = self._roots.get(self._ctx.collection(name), (None, False))
            uploads = uploads or uploaded
            if root is not None:  # None: only uploads (or nothing) here, no say
                roots.append(root)
        common = "" if not roots or "" in roots else source_root(f"{r}/x" for r in roots)
        data = source_name(self._ctx.settings.data_dir) if uploads else ""
        return tuple(root for root in (common, data) if root)

    @property
    def _uploads_prefix(self) -> str:
        return source_name(self.upload_dir) + "/"

    def shown(self, source: str, wait: float | None = 0.0) -> str:
        """``source`` as the pages show it (whole while :meth:`source_roots` is not known)."""
        return shown_source(source, self.source_roots(wait) or ())

    def file_types(self, encoder: str, wait: float | None = None) -> list[str] | None:
        """File type labels (``md``, ``html``...) of the sources in ``encoder``'s collection."""
        sources = self.sources(encoder, wait)
        return None if sources is None else sorted({file_type_of(Path(s)) for s in sources})

    def overview(self, wait: float | None = None) -> IndexOverview:
        """Chunks, files and disk per encoder collection, and every source across them.

        ``wait`` as in :meth:`sources`; a collection whose source list is not ready yet
        reports ``files=None`` and adds no sources.
        """
        collections, by_source = [], {}
        total = self._ctx.store.disk_bytes()
        for name in self._ctx.indexed_encoders():
            coll = collection_name(self._ctx.base_collection, name)
            sources = self.sources(name, wait)
            for source, n in (sources or {}).items():
                by_source.setdefault(source, {})[name] = n
            chunks = self._ctx.store.count(coll)
            files = None if sources is None else len(sources)
            disk = self._collection_bytes(coll, (total, chunks))
            collections.append(CollectionStats(name, coll, chunks, files, disk))
        return IndexOverview(
            self._ctx.settings.milvus_uri, collections, dict(sorted(by_source.items())), total
        )

    def _collection_bytes(self, coll: str, state: tuple[int | None, int]) -> int | None:
        """``coll``'s bytes in the store (``VectorStore.collection_bytes``), measured again
        only when the file's size or the collection's row count changed."""
        cached = self._sizes.get(coll)
        if cached is None or cached[0] != state:
            cached = (state, self._ctx.store.collection_bytes(coll))
            self._sizes[coll] = cached
        return cached[1]

    def delete_source(self, source: str, *, key: str | None = None) -> dict[str, int]:
        """Delete ``source``'s chunks from every encoder collection; encoder -> deleted.

        A write: refused (:class:`~usecases.access.WriteRefusedError`) without ``key``.
        """
        self._ctx.writes.check(key)
        deleted = {}
        with self._write_lock:
            for name in self._ctx.indexed_encoders():
                coll = collection_name(self._ctx.base_collection, name)
                ids = self._ctx.store.ids(coll, {"source": source})
                if ids:
                    self._ctx.store.delete(coll, sorted(ids))
                deleted[name] = len(ids)
        self._forget_sources()
        logger.info("deleted source %s: %s", source, deleted)
        return deleted

    def index_uploads(
        self,
        uploads: Sequence[tuple[str, bytes]],
        encoders: Sequence[str],
        on_progress: ProgressFn | None = None,
        *,
        key: str | None = None,
    ) -> UploadReport:
        """Check, write, index with each encoder (its own collection), then delete the files.

        A write: refused (:class:`~usecases.access.WriteRefusedError`) without ``key``.
        """
        self._ctx.writes.check(key)
        started = time.perf_counter()
        if not encoders:
            raise ValueError("choose at least one encoder to index with")
        outcomes: list[UploadOutcome] = []
        accepted: dict[str, bytes] = {}
        suffixes = supported_suffixes()
        for name, data in uploads:
            try:
                safe = check_upload(name, data, self.max_upload_bytes, suffixes)
                if safe in accepted:
                    raise UploadRejected(f"{safe}: uploaded twice in one go")
            except UploadRejected as exc:
                outcomes.append(UploadOutcome(name, "rejected", reason=str(exc)))
                continue
            accepted[safe] = data
        if accepted:
            loaded = [self._ctx.encoder(name) for name in encoders]  # fail before writing
            with self._write_lock:
                outcomes.extend(
                    index_accepted(self._ctx, accepted, loaded, self.workers, on_progress)
                )
            self._forget_sources()
        return UploadReport(outcomes, time.perf_counter() - started)
