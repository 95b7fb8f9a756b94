"""Milvus's own BM25 and hybrid search as evaluation systems, and how far its BM25
agrees with bm25s.

Both go through the one query path (:class:`~indexer.retrieval.Retriever`), on the
collection a dense system was evaluated on:

* ``milvus-bm25``: keyword mode on the first dense system's collection. Every eval
  collection of one corpus stores the same texts (title + text, what the encoders and
  bm25s read), so which dense system's collection it is does not change the ranking. No
  query is encoded: its latency is the search alone. Its ``index_bytes`` is the shared
  collection's (the BM25 postings live beside the vectors and are not sized apart).
* ``<system>+milvus-rrf60`` / ``<system>+milvus-weighted0.5``: hybrid mode on a dense
  system's collection, its queries encoded by that system's query encoder, fused inside
  the store per :class:`~indexer.stores.Fusion` (``config.milvus_hybrid``).

bm25s stays the reference baseline (it reproduces the published SciFact figure);
:func:`bm25_agreement` compares Milvus's ranking with it query by query: top-k overlap,
RBO, and the nDCG@10 difference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from encoders import Encoder
from evaluation.beir import BeirDataset
from evaluation.config import MILVUS_BM25_NAME, EvalConfig, milvus_hybrid_name
from evaluation.fidelity import ranking_fidelity
from evaluation.report import SystemResult
from evaluation.systems import peak_rss_mb, query_all, scored
from indexer.retrieval import Retriever
from indexer.stores.base import VectorStore
from indexer.stores.fusion import Fusion

NDCG = "ndcg@10"


def milvus_systems(
    dense: SystemResult,
    encoders: tuple[Encoder, Encoder],
    store: VectorStore,
    dataset: BeirDataset,
    config: EvalConfig,
    first: bool,
) -> dict[str, SystemResult]:
    """The Milvus keyword (when ``first`` dense system and asked for) and hybrid systems
    on ``dense``'s collection; ``encoders`` = (document encoder, query encoder)."""
    found: dict[str, SystemResult] = {}
    if first and config.milvus_bm25:
        found[MILVUS_BM25_NAME] = evaluate_milvus_bm25(dense, encoders[0], store, dataset, config)
    for fusion in config.milvus_hybrid:
        system = evaluate_milvus_hybrid(dense, encoders, store, dataset, config, fusion)
        found[system.name] = system
    return found


def _shared_index(dense: SystemResult) -> dict[str, Any]:
    eff = dense.efficiency
    return {
        "engine": "milvus",
        "collection": eff.get("collection"),
        "index_bytes": eff.get("index_bytes"),
        "index_shared_with": dense.name,
    }


def evaluate_milvus_bm25(
    dense: SystemResult,
    encoder: Encoder,
    store: VectorStore,
    dataset: BeirDataset,
    config: EvalConfig,
) -> SystemResult:
    """Milvus BM25 (keyword mode) on ``dense``'s collection, built by ``encoder``."""
    efficiency = _shared_index(dense)
    retriever = Retriever(encoder, store, efficiency["collection"])
    run, _ = query_all(
        retriever, MILVUS_BM25_NAME, dataset, config.top_k, efficiency, mode="keyword"
    )
    efficiency["peak_rss_mb"] = peak_rss_mb()
    return scored(MILVUS_BM25_NAME, "bm25", dataset, run, efficiency)


def evaluate_milvus_hybrid(
    dense: SystemResult,
    encoders: tuple[Encoder, Encoder],
    store: VectorStore,
    dataset: BeirDataset,
    config: EvalConfig,
    fusion: Fusion,
) -> SystemResult:
    """``dense``'s system in hybrid mode, fused inside Milvus per ``fusion``."""
    name = milvus_hybrid_name(dense.name, fusion)
    efficiency = _shared_index(dense)
    setting = (
        {"rrf_k": fusion.rrf_k} if fusion.kind == "rrf" else {"dense_weight": fusion.dense_weight}
    )
    efficiency.update(
        fusion=fusion.kind, **setting, encode_docs_per_s=dense.efficiency.get("encode_docs_per_s")
    )
    document_encoder, query_encoder = encoders
    retriever = Retriever(
        document_encoder, store, efficiency["collection"], query_encoder=query_encoder
    )
    run, _ = query_all(
        retriever, name, dataset, config.top_k, efficiency, mode="hybrid", fusion=fusion
    )
    efficiency["peak_rss_mb"] = peak_rss_mb()
    return scored(name, "hybrid", dataset, run, efficiency)


def bm25_agreement(
    system: SystemResult, reference: SystemResult, k: int = 10, p: float = 0.9
) -> dict[str, Any]:
    """How far ``system`` (Milvus BM25) agrees with ``reference`` (bm25s), per query and
    on average: top-``k`` overlap, RBO (``p``), the share of queries whose first hit is
    the same, and ``system`` minus ``reference`` in nDCG@10 (mean, and mean absolute).

    Queries are the reference's; a query both answer with nothing agrees fully.
    """
    fidelity = ranking_fidelity(system.rankings, reference.rankings, reference.name, k, p)
    per_query: dict[str, dict[str, float]] = {}
    diffs, same_first = [], []
    for qid, agreement in fidelity.per_query.items():
        mine, theirs = system.rankings.get(qid, []), reference.rankings.get(qid, [])
        same_first.append(float(mine[:1] == theirs[:1]))
        row = dict(agreement)
        a, b = system.per_query.get(qid, {}).get(NDCG), reference.per_query.get(qid, {}).get(NDCG)
        if a is not None and b is not None:
            row[f"{NDCG}_diff"] = a - b
            diffs.append(a - b)
        per_query[qid] = row
    ours, theirs = system.metrics.get(NDCG), reference.metrics.get(NDCG)
    return {
        "system": system.name,
        "reference": reference.name,
        "queries": len(per_query),
        f"overlap@{k}": fidelity.overlap,
        "rbo": fidelity.rbo,
        "rbo_p": p,
        "same_first": float(np.mean(same_first)),
        NDCG: ours,
        f"reference_{NDCG}": theirs,
        f"{NDCG}_diff": None if ours is None or theirs is None else ours - theirs,
        f"{NDCG}_abs_diff_mean": float(np.mean(np.abs(diffs))) if diffs else None,
        "per_query": per_query,
    }
