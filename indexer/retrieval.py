"""``Retriever`` = (encoder, store, collection): the one query path for CLI, UI and eval."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, get_args

from encoders import Encoder, check_pairing, encoder_slug
from indexer.stores.base import CollectionInfo, Filters, VectorStore, check_top_k
from indexer.stores.fusion import DEFAULT_FUSION, Fusion
from indexer.types import Hit

MAX_QUERY_CHARS = 2000
#: How a query is matched: by its embedding, by its words (Milvus BM25), or both fused.
Mode = Literal["dense", "keyword", "hybrid"]
MODES: tuple[Mode, ...] = get_args(Mode)


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
    """Searches ``collection`` in ``store``, which ``encoder`` built, with encoded queries.

    Queries are encoded by ``query_encoder`` (default: ``encoder``). Another query
    encoder must be the teacher ``encoder`` was distilled from (teacher-query mode, see
    :mod:`encoders.pairing`). Construction fails with ``CollectionMismatchError`` when
    the collection was built by a different encoder, ``QueryEncoderMismatchError`` when
    the query encoder does not pair with it, and ``KeyError`` when it does not exist.
    """

    def __init__(
        self,
        encoder: Encoder,
        store: VectorStore,
        collection: str,
        query_encoder: Encoder | None = None,
    ) -> None:
        stored = store.collection_info(collection)
        if stored is None:
            raise KeyError(f"collection {collection!r} does not exist; run `distilsearch index`")
        stored.check_compatible(
            CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint), collection
        )
        if query_encoder is not None and query_encoder is not encoder:
            check_pairing(encoder, query_encoder)
        self.encoder = encoder
        self.query_encoder = query_encoder or encoder
        self.store = store
        self.collection = collection

    @property
    def teacher_queries(self) -> bool:
        """Whether queries are encoded by other weights than the documents were."""
        return self.query_encoder.fingerprint != self.encoder.fingerprint

    def search(
        self,
        query: str,
        top_k: int = 10,
        filters: Filters | None = None,
        mode: Mode = "dense",
        fusion: Fusion = DEFAULT_FUSION,
    ) -> RetrievalResult:
        """Top ``top_k`` chunks for ``query``; ``ValueError`` on an empty or huge query.

        ``mode``: ``dense`` (embeddings), ``keyword`` (BM25 inside Milvus; no encoding) or
        ``hybrid`` (both, fused per ``fusion``). Keyword and hybrid raise
        ``FullTextUnavailableError`` on a collection built before full-text fields.
        """
        return self.search_many([query], top_k, filters, mode, fusion)[0]

    def search_many(
        self,
        queries: list[str],
        top_k: int = 10,
        filters: Filters | None = None,
        mode: Mode = "dense",
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[RetrievalResult]:
        """Batched :meth:`search`; timings are per batch divided evenly across queries."""
        for query in queries:
            validate_query(query)
        check_top_k(top_k)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        t0 = time.perf_counter()
        vectors = None if mode == "keyword" else self.query_encoder.encode_queries(queries)
        t1 = time.perf_counter() if vectors is not None else t0  # keyword: nothing encoded
        if vectors is None:
            hits = self.store.search_text(self.collection, queries, top_k, filters)
        elif mode == "hybrid":
            hits = self.store.search_hybrid(
                self.collection, vectors, queries, top_k, filters, fusion
            )
        else:
            hits = self.store.search(self.collection, vectors, top_k, filters)  # (q, dim)
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
