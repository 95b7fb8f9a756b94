"""Dense, keyword (BM25) and hybrid searches on one Milvus collection.

Keyword search sends the raw query text to the ``sparse`` field; Milvus analyses it
with the collection's ``english`` analyzer and scores BM25 over the postings. Hybrid
search with RRF is one ``hybrid_search`` call: one ``AnnSearchRequest`` per side, each
with the same filter expression and a limit of ``candidate_depth(top_k)``, fused by
``RRFRanker(rrf_k)``. Weighted fusion runs the two searches and fuses them here
(:func:`indexer.stores.fusion.fuse`), because Milvus Lite 2.5.1's ``WeightedRanker``
maps BM25 scores as if they were distances (``1 - 2 * atan(s) / pi``: a higher BM25
score could rank lower, and ``norm_score=False`` was ignored), which turns the keyword
ranking upside down.

``hybrid_search`` fetches the output fields with a second query by id, which Lite
answers slowly on large collections; on a server that fetch is a primary-key lookup.
What each mode costs: the query latency topic of ``docs/results/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from indexer.stores.fusion import Fusion, candidate_depth, fuse
from indexer.stores.milvus_calls import CALL_TIMEOUT_S
from indexer.stores.milvus_rows import SCALAR_FIELDS, SPARSE_FIELD, VECTOR_FIELD, hit_from_result
from indexer.types import Hit


@dataclass(frozen=True)
class SearchTarget:
    """One collection to search: the client, the store's retry wrapper, the filter
    expression (``""`` for none) and the dense index's search parameters."""

    client: Any
    run: Callable[..., Any]
    name: str
    expr: str
    dense_params: dict[str, int]

    def _search(self, data: list[Any], field: str, metric: dict[str, Any], limit: int) -> Any:
        return self.run(
            self.client.search,
            self.name,
            data=data,
            anns_field=field,
            filter=self.expr,
            limit=limit,
            output_fields=list(SCALAR_FIELDS),
            search_params=metric,
            timeout=CALL_TIMEOUT_S,
        )

    def dense(self, vectors: np.ndarray, limit: int) -> list[list[Hit]]:
        """Nearest chunks by inner product for each row of ``vectors`` ``(q, dim)``."""
        metric = {"metric_type": "IP", "params": self.dense_params}
        return _hits(self._search(vectors.tolist(), VECTOR_FIELD, metric, limit))

    def keyword(self, texts: list[str], limit: int) -> list[list[Hit]]:
        """Best BM25 chunks for each query text (only chunks sharing a term)."""
        metric = {"metric_type": "BM25"}
        return _hits(self._search(_analysable(texts), SPARSE_FIELD, metric, limit))

    def hybrid(
        self, vectors: np.ndarray, texts: list[str], top_k: int, fusion: Fusion
    ) -> list[list[Hit]]:
        """Dense and keyword rankings of depth ``candidate_depth(top_k)`` fused per query."""
        depth = candidate_depth(top_k)
        if fusion.kind == "weighted":
            return [
                _fused(dense, keyword, fusion, top_k)
                for dense, keyword in zip(
                    self.dense(vectors, depth), self.keyword(texts, depth), strict=True
                )
            ]
        from pymilvus import AnnSearchRequest, RRFRanker

        requests = [
            AnnSearchRequest(
                data=vectors.tolist(),
                anns_field=VECTOR_FIELD,
                param={"metric_type": "IP", "params": self.dense_params},
                limit=depth,
                expr=self.expr,
            ),
            AnnSearchRequest(
                data=_analysable(texts),
                anns_field=SPARSE_FIELD,
                param={"metric_type": "BM25"},
                limit=depth,
                expr=self.expr,
            ),
        ]
        results = self.run(
            self.client.hybrid_search,
            self.name,
            requests,
            RRFRanker(fusion.rrf_k),
            limit=top_k,
            output_fields=list(SCALAR_FIELDS),
            timeout=CALL_TIMEOUT_S,
        )
        return _hits(results)


def _analysable(texts: list[str]) -> list[str]:
    """Query texts with NUL as a space: Milvus's analyzer stops at the first NUL."""
    return [text.replace("\x00", " ") for text in texts]


def _hits(results: Any) -> list[list[Hit]]:
    return [[hit_from_result(raw) for raw in per_query] for per_query in results]


def _fused(dense: list[Hit], keyword: list[Hit], fusion: Fusion, top_k: int) -> list[Hit]:
    """Weighted fusion of one query's two rankings; ``Hit.score`` becomes the fused score."""
    by_id = {hit.id: hit for hit in (*dense, *keyword)}
    fused = fuse(
        [(h.id, h.score) for h in dense], [(h.id, h.score) for h in keyword], fusion, top_k
    )
    return [replace(by_id[chunk_id], score=score) for chunk_id, score in fused]
