"""Hybrid retrieval by reciprocal rank fusion (Cormack et al., 2009) of dense and BM25 runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluation.metrics import ranking

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RRFConfig:
    """``score(d) = sum over runs of 1 / (k + rank(d))`` with 1-based ranks; keep ``top_k``."""

    k: int = 60
    top_k: int = 100

    def __post_init__(self) -> None:
        if self.k < 0:
            raise ValueError(f"RRF k must be >= 0, got {self.k}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")


def rrf_fuse_one(rankings: Sequence[Mapping[str, float]], config: RRFConfig) -> dict[str, float]:
    """Fuse one query's ``{doc_id: score}`` rankings into ``{doc_id: rrf_score}``."""
    fused: dict[str, float] = {}
    for scores in rankings:
        for rank, doc in enumerate(ranking(scores), 1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (config.k + rank)
    return {doc: fused[doc] for doc in ranking(fused)[: config.top_k]}


def rrf_fuse(
    runs: Sequence[Mapping[str, Mapping[str, float]]], config: RRFConfig | None = None
) -> dict[str, dict[str, float]]:
    """Fuse whole runs (``{query_id: {doc_id: score}}``) query by query."""
    config = config or RRFConfig()
    if not runs:
        raise ValueError("nothing to fuse")
    query_ids = list(dict.fromkeys(q for run in runs for q in run))
    return {q: rrf_fuse_one([run.get(q, {}) for run in runs], config) for q in query_ids}
