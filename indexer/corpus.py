"""Index a corpus that arrives already cut into chunks (a BEIR corpus: one chunk per document).

The corpus is one unit, written the way a file is: every chunk not yet stored is encoded
(through the embedding cache) and upserted into each collection, and only then are the
stored ids that are not in the corpus deleted, so a kill at any point converges on rerun.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from encoders import Encoder
from indexer.batch_writer import BatchWriter, EncodeProgressFn, Pending, WriterConfig
from indexer.embedding_cache import EmbeddingCache
from indexer.pipeline import IndexOptions
from indexer.report import FileResult, IndexReport
from indexer.stores.base import CollectionInfo, StoreUnavailableError, VectorStore
from indexer.types import Chunk


def index_corpus(
    name: str,
    chunks: Sequence[Chunk],
    targets: dict[str, Encoder],
    store: VectorStore,
    options: IndexOptions | None = None,
    on_encode: EncodeProgressFn | None = None,
) -> IndexReport:
    """Make each collection of ``targets`` (collection -> its encoder) hold exactly ``chunks``.

    ``name`` labels the unit in the report and the progress callback. The per-file budget
    does not apply (a corpus is not a file); the chunk ids decide what is new and stale.
    """
    options = options or IndexOptions()
    started = time.perf_counter()
    report = IndexReport(collections=sorted(targets))
    wanted = {chunk.id for chunk in chunks}
    new: dict[str, list[Chunk]] = {}
    stale: dict[str, set[str]] = {}
    for coll, encoder in targets.items():
        store.ensure_collection(
            coll, CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
        )
        existing = store.ids(coll)
        new[coll] = [chunk for chunk in chunks if chunk.id not in existing]
        stale[coll] = existing - wanted
    pending = Pending(Path(name), len(chunks), new, stale)
    cache = options.embedding_cache and EmbeddingCache(
        options.embedding_cache, options.embedding_cache_mb
    )
    config = WriterConfig(options.batch_chunks, None, cache or None, on_encode)
    writer = BatchWriter(targets, store, report, report.files.append, config)
    try:
        if any(new.values()) or any(stale.values()):
            writer.submit([pending])
            writer.drain()
        else:
            report.files.append(FileResult(name, "unchanged", len(chunks)))
    except StoreUnavailableError as exc:
        report.error = str(exc)
        report.files.append(FileResult(name, "failed", reason=f"not written: {exc}"))
    finally:
        writer.shutdown()
        if cache:
            report.vectors_from_cache = cache.hits
            cache.close()
    report.seconds = time.perf_counter() - started
    return report
