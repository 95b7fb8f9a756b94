"""An in-memory numpy store: exact search, the oracle the Milvus store is tested against.

Dense search is an exact inner-product scan; keyword search is BM25 analysed like
Milvus's ``english`` analyzer (:mod:`indexer.stores.bm25`); hybrid search fuses the two
rankings as :mod:`indexer.stores.fusion` describes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.stores.base import (
    CollectionInfo,
    Filters,
    check_hybrid_request,
    check_query_texts,
    check_top_k,
    check_vectors,
    validate_filters,
)
from indexer.stores.bm25 import Bm25Index
from indexer.stores.fusion import DEFAULT_FUSION, Fusion, candidate_depth, fuse
from indexer.types import Chunk, Hit


@dataclass
class _Collection:
    info: CollectionInfo
    chunks: dict[str, Chunk] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    bm25: Bm25Index = field(default_factory=Bm25Index)


def _matches(chunk: Chunk, clean: dict[str, list[str] | list[int]]) -> bool:
    return all(getattr(chunk, f) in values for f, values in clean.items())


class InMemoryStore:
    """A :class:`~indexer.stores.base.VectorStore` held in Python dicts."""

    is_server = False
    location = "memory"

    def __init__(self) -> None:
        self._collections: dict[str, _Collection] = {}
        self._lock = threading.Lock()

    def disk_bytes(self) -> int | None:
        return None

    def collection_bytes(self, name: str) -> int | None:
        return None  # held in memory: nothing on disk

    def texts(self, name: str) -> Iterator[tuple[str, str]]:
        for chunk in list(self._get(name).chunks.values()):
            yield chunk.id, chunk.text

    def close(self) -> None:
        """Nothing to release."""

    def ensure_collection(self, name: str, info: CollectionInfo) -> None:
        with self._lock:
            existing = self._collections.get(name)
            if existing is None:
                self._collections[name] = _Collection(info)
            else:
                existing.info.check_compatible(info, name)

    def collection_info(self, name: str) -> CollectionInfo | None:
        found = self._collections.get(name)
        return found.info if found else None

    def list_collections(self) -> list[str]:
        return sorted(self._collections)

    def _get(self, name: str) -> _Collection:
        if name not in self._collections:
            raise KeyError(f"collection {name!r} does not exist")
        return self._collections[name]

    def upsert(self, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        coll = self._get(name)
        array = check_vectors(vectors, coll.info.dim, "vectors")
        if len(chunks) != len(array):
            raise ValueError(f"{len(chunks)} chunks but {len(array)} vectors")
        with self._lock:
            for chunk, vector in zip(chunks, array, strict=True):
                coll.chunks[chunk.id] = chunk
                coll.vectors[chunk.id] = vector.copy()
                coll.bm25.add(chunk.id, chunk.text)
        return len(chunks)

    def delete(self, name: str, ids: Sequence[str]) -> int:
        coll = self._get(name)
        with self._lock:
            for chunk_id in ids:
                coll.chunks.pop(chunk_id, None)
                coll.vectors.pop(chunk_id, None)
                coll.bm25.remove(chunk_id)
        return len(ids)

    def search(
        self, name: str, vectors: np.ndarray, top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        coll = self._get(name)
        check_top_k(top_k)
        queries = check_vectors(vectors, coll.info.dim, "query vectors")
        chunks, stored = self._matching(coll, filters)
        return [
            [_hit(chunks[i], s) for i, s in ranked]
            for ranked in self._dense(stored, queries, top_k)
        ]

    def has_full_text(self, name: str) -> bool:
        """Always True: every in-memory collection keeps BM25 statistics."""
        self._get(name)
        return True

    def upgrade_full_text(self, name: str) -> int:
        """Nothing to do: see :meth:`has_full_text`."""
        self._get(name)
        return 0

    def search_text(
        self, name: str, queries: Sequence[str], top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        coll = self._get(name)
        check_top_k(top_k)
        texts = check_query_texts(queries)
        chunks, _ = self._matching(coll, filters)
        return [
            [_hit(chunks[i], s) for i, s in ranked]
            for ranked in self._bm25(coll, chunks, texts, top_k)
        ]

    def search_hybrid(
        self,
        name: str,
        vectors: np.ndarray,
        queries: Sequence[str],
        top_k: int,
        filters: Filters | None = None,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[list[Hit]]:
        coll = self._get(name)
        dense_queries, texts = check_hybrid_request(vectors, coll.info.dim, queries, top_k)
        chunks, stored = self._matching(coll, filters)
        depth = candidate_depth(top_k)
        dense = self._dense(stored, dense_queries, depth)
        keyword = self._bm25(coll, chunks, texts, depth)
        return [
            [_hit(chunks[i], s) for i, s in fuse(d, k, fusion, top_k)]
            for d, k in zip(dense, keyword, strict=True)
        ]

    def _matching(
        self, coll: _Collection, filters: Filters | None
    ) -> tuple[dict[str, Chunk], dict[str, np.ndarray]]:
        """The chunks ``filters`` select and their vectors, read under one lock."""
        clean = validate_filters(filters)
        with self._lock:
            chunks = {i: c for i, c in coll.chunks.items() if _matches(c, clean)}
            return chunks, {i: coll.vectors[i] for i in chunks}

    @staticmethod
    def _dense(
        vectors: dict[str, np.ndarray], queries: np.ndarray, limit: int
    ) -> list[list[tuple[str, float]]]:
        """Best ``limit`` ``(id, inner product)`` among ``vectors`` per query row."""
        ids = list(vectors)
        if not ids:
            return [[] for _ in range(len(queries))]
        matrix = np.stack([vectors[i] for i in ids])  # (n, dim)
        scores = queries @ matrix.T  # (q, n)
        return [
            [(ids[j], float(row[j])) for j in np.argsort(-row, kind="stable")[:limit]]
            for row in scores
        ]

    def _bm25(
        self, coll: _Collection, chunks: dict[str, Chunk], texts: list[str], limit: int
    ) -> list[list[tuple[str, float]]]:
        """Best ``limit`` ``(id, BM25 score)`` among ``chunks`` per query text."""
        out = []
        for text in texts:
            with self._lock:
                scores = coll.bm25.scores(text, allowed=chunks)
            out.append(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit])
        return out

    def ids(self, name: str, filters: Filters | None = None) -> set[str]:
        clean = validate_filters(filters)
        with self._lock:
            return {i for i, c in self._get(name).chunks.items() if _matches(c, clean)}

    def count(self, name: str, filters: Filters | None = None) -> int:
        return len(self.ids(name, filters))

    def sources(self, name: str) -> dict[str, int]:
        with self._lock:
            return dict(Counter(c.source for c in self._get(name).chunks.values()))

    def drop(self, name: str) -> None:
        with self._lock:
            self._collections.pop(name, None)


def _hit(chunk: Chunk, score: float) -> Hit:
    return Hit(
        id=chunk.id,
        score=score,
        text=chunk.text,
        source=chunk.source,
        file_type=chunk.file_type,
        section=chunk.section,
        page=chunk.page,
        chunk_index=chunk.chunk_index,
    )
