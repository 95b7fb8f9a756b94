"""An in-memory numpy store: exact search, the oracle the Milvus store is tested against."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.stores.base import (
    CollectionInfo,
    Filters,
    check_top_k,
    check_vectors,
    validate_filters,
)
from indexer.types import Chunk, Hit


@dataclass
class _Collection:
    info: CollectionInfo
    chunks: dict[str, Chunk] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


def _matches(chunk: Chunk, clean: dict[str, list[str] | list[int]]) -> bool:
    return all(getattr(chunk, f) in values for f, values in clean.items())


class InMemoryStore:
    """A :class:`~indexer.stores.base.VectorStore` held in Python dicts."""

    def __init__(self) -> None:
        self._collections: dict[str, _Collection] = {}
        self._lock = threading.Lock()

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
        return len(chunks)

    def delete(self, name: str, ids: Sequence[str]) -> int:
        coll = self._get(name)
        with self._lock:
            for chunk_id in ids:
                coll.chunks.pop(chunk_id, None)
                coll.vectors.pop(chunk_id, None)
        return len(ids)

    def search(
        self, name: str, vectors: np.ndarray, top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        coll = self._get(name)
        check_top_k(top_k)
        queries = check_vectors(vectors, coll.info.dim, "query vectors")
        clean = validate_filters(filters)
        with self._lock:
            ids = [i for i, c in coll.chunks.items() if _matches(c, clean)]
            matrix = np.stack([coll.vectors[i] for i in ids]) if ids else None
            chunks = {i: coll.chunks[i] for i in ids}
        if matrix is None:
            return [[] for _ in range(len(queries))]
        scores = queries @ matrix.T  # (q, n)
        results: list[list[Hit]] = []
        for row in scores:
            order = np.argsort(-row, kind="stable")[:top_k]
            results.append([_hit(chunks[ids[j]], float(row[j])) for j in order])
        return results

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
