"""``Retriever`` = (encoder, store, collection): the one query path for CLI, UI and eval."""

from __future__ import annotations

import time
from dataclasses import dataclass

from indexer.encoders import Encoder, encoder_slug
from indexer.stores.base import CollectionInfo, Filters, VectorStore, check_top_k
from indexer.types import Hit

MAX_QUERY_CHARS = 2000


def collection_name(base: str, encoder_name: str) -> str:
    """The collection holding ``encoder_name``'s vectors for base name ``base``."""
    return f"{base}_{encoder_slug(encoder_name)}"


@dataclass(frozen=True)
class RetrievalResult:
    """Hits for one query and where the time went (milliseconds)."""

    hits: list[Hit]
    encode_ms: float
    search_ms: float

    @property
    def total_ms(self) -> float:
        return self.encode_ms + self.search_ms


class Retriever:
    """Encodes queries with ``encoder`` and searches ``collection`` in ``store``.

    Construction fails with ``CollectionMismatchError`` when the collection was built
    by a different encoder, and ``KeyError`` when it does not exist.
    """

    def __init__(self, encoder: Encoder, store: VectorStore, collection: str) -> None:
        stored = store.collection_info(collection)
        if stored is None:
            raise KeyError(f"collection {collection!r} does not exist; run `distilsearch index`")
        stored.check_compatible(
            CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint), collection
        )
        self.encoder = encoder
        self.store = store
        self.collection = collection

    def search(
        self, query: str, top_k: int = 10, filters: Filters | None = None
    ) -> RetrievalResult:
        """Top ``top_k`` chunks for ``query``; ``ValueError`` on an empty or huge query."""
        return self.search_many([query], top_k, filters)[0]

    def search_many(
        self, queries: list[str], top_k: int = 10, filters: Filters | None = None
    ) -> list[RetrievalResult]:
        """Batched :meth:`search`; timings are per batch divided evenly across queries."""
        for query in queries:
            validate_query(query)
        check_top_k(top_k)
        t0 = time.perf_counter()
        vectors = self.encoder.encode_queries(queries)  # (q, dim)
        t1 = time.perf_counter()
        hits = self.store.search(self.collection, vectors, top_k, filters)
        t2 = time.perf_counter()
        n = max(len(queries), 1)
        encode_ms, search_ms = (t1 - t0) * 1000 / n, (t2 - t1) * 1000 / n
        return [RetrievalResult(h, encode_ms, search_ms) for h in hits]


def validate_query(query: str) -> str:
    """Reject empty, non-string or over-long queries with a clear ``ValueError``."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query is longer than {MAX_QUERY_CHARS} characters")
    return query
