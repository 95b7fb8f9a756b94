"""Filling a store for timings, through the ``VectorStore`` protocol only: seeded unit
vectors carrying real texts as payload (speed depends on how many rows there are, their
dimension and what they carry, not on what the vectors mean)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from indexer.stores.base import VectorStore
from indexer.types import Chunk

DIM = 384
BATCH = 2048


def unit_vectors(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    """``(n, dim)`` float32 rows drawn from ``rng``, each of norm 1."""
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def insert_synthetic(
    store: VectorStore, name: str, texts: Sequence[str], rows: int, dim: int = DIM
) -> float:
    """Upsert ``rows`` seeded unit vectors into ``name`` in batches of 2048, carrying
    ``texts`` in turn (20 rows per source); the seconds it took."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        chunks = [
            Chunk(
                text=texts[(start + i) % len(texts)],
                source=f"doc{(start + i) // 20}",
                file_type="txt",
                chunk_index=start + i,
            )
            for i in range(n)
        ]
        store.upsert(name, chunks, unit_vectors(rng, n, dim))
    return time.perf_counter() - started
