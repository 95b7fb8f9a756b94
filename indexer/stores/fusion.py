"""How dense and keyword (BM25) rankings are fused into one hybrid ranking.

Both stores fuse the same way. RRF scores a chunk ``sum(1 / (rrf_k + rank))`` over the
rankings it appears in (ranks from 1). Weighted fusion first maps each side's raw score
into ``[0, 1]`` the way Milvus's ``WeightedRanker`` documents it (inner product:
``0.5 + atan(s) / pi``; BM25: ``2 * atan(s) / pi``) and sums ``dense_weight`` times the
dense value and ``1 - dense_weight`` times the keyword value; a side that did not return
the chunk adds nothing.

Each side contributes its best :func:`candidate_depth` chunks, not just ``top_k``: a
chunk ranked 15th by both sides usually belongs in a fused top 10, and RRF with
``rrf_k=60`` barely separates ranks 1 and 100 of one side, so a shallow cut would drop
the chunks both sides agree on. Depth 100 is the usual choice for RRF and cheap here
(one exact scan either way; the query latency topic of ``docs/results/README.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: Candidates each side contributes to a fusion (at least ``top_k``).
HYBRID_DEPTH = 100
FUSION_KINDS = ("rrf", "weighted")


@dataclass(frozen=True)
class Fusion:
    """How :meth:`VectorStore.search_hybrid` combines its dense and keyword rankings.

    ``kind="rrf"`` uses reciprocal-rank fusion with ``rrf_k``; ``kind="weighted"`` sums
    normalised scores, ``dense_weight`` for the dense side and ``1 - dense_weight`` for
    the keyword side.
    """

    kind: Literal["rrf", "weighted"] = "rrf"
    rrf_k: int = 60
    dense_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FUSION_KINDS:
            raise ValueError(f"fusion kind must be one of {FUSION_KINDS}, got {self.kind!r}")
        if isinstance(self.rrf_k, bool) or not isinstance(self.rrf_k, int):
            raise ValueError(f"rrf_k must be an integer, got {self.rrf_k!r}")
        if not 1 <= self.rrf_k < 16384:  # Milvus's RRFRanker accepts (0, 16384)
            raise ValueError(f"rrf_k must be in [1, 16383], got {self.rrf_k}")
        weight = self.dense_weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"dense_weight must be a number, got {weight!r}")
        if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
            raise ValueError(f"dense_weight must be in [0, 1], got {weight}")


#: What ``search_hybrid`` uses when no fusion is named: RRF with k = 60.
DEFAULT_FUSION = Fusion()


def candidate_depth(top_k: int) -> int:
    """How many candidates each side of a hybrid search returns for ``top_k`` results."""
    return max(top_k, HYBRID_DEPTH)


def dense_unit(score: float) -> float:
    """An inner-product score mapped into ``(0, 1)`` (Milvus's normalisation for IP)."""
    return 0.5 + math.atan(score) / math.pi


def bm25_unit(score: float) -> float:
    """A BM25 score (>= 0) mapped into ``[0, 1)`` (Milvus's normalisation for BM25)."""
    return 2.0 * math.atan(score) / math.pi


def fuse(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    fusion: Fusion,
    top_k: int,
) -> list[tuple[str, float]]:
    """The fused top ``top_k`` ``(id, score)`` of two best-first ``(id, raw score)`` lists.

    Ties are broken by id so the order is reproducible.
    """
    fused: dict[str, float] = {}
    if fusion.kind == "rrf":
        for ranking in (dense, keyword):
            for rank, (chunk_id, _) in enumerate(ranking, 1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (fusion.rrf_k + rank)
    else:
        dense_side = (dense, fusion.dense_weight, dense_unit)
        for ranking, weight, unit in (dense_side, (keyword, 1 - fusion.dense_weight, bm25_unit)):
            for chunk_id, raw in ranking:
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * unit(raw)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top_k]
