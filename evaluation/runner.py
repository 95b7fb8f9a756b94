"""Run an evaluation: every dense system, BM25, hybrids; then fidelity and significance.

BM25 comes two ways: bm25s in process (``bm25``, the reference baseline) and Milvus's
own BM25 through the ``Retriever``'s keyword mode (``milvus-bm25``); hybrids too: RRF of
a dense run and the bm25s run here (``teacher+bm25``), or fused inside Milvus
(``teacher+milvus-rrf60``; :mod:`evaluation.milvus_systems`). When both BM25s ran, the
report says how far they agree (``bm25_agreement``).

Dense systems (one encoder, or ``student:teacher``: the student's documents searched
with the teacher's queries) are evaluated by :mod:`evaluation.systems`: each encoder is
built once, each document encoder's corpus indexed once and reused on later runs, and
queries go one at a time through :class:`~indexer.retrieval.Retriever` (the UI's path).
Systems are named by their label (``student docs + teacher queries``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import numpy as np

from encoders import Encoder
from evaluation.beir import BeirDataset
from evaluation.bm25 import BM25Index
from evaluation.config import BM25_NAME, MILVUS_BM25_NAME, EvalConfig
from evaluation.fidelity import (
    PairedTest,
    embedding_cosine,
    paired_randomization_test,
    ranking_fidelity,
)
from evaluation.hybrid import RRFConfig, rrf_fuse_one
from evaluation.metrics import evaluate_run, ranking
from evaluation.milvus_systems import bm25_agreement, milvus_systems
from evaluation.report import EvalReport, SystemResult
from evaluation.systems import (
    CorpusIndexer,
    EncoderPool,
    eval_base,
    eval_collection,
    evaluate_dense,
    latency_summary,
    peak_rss_mb,
)
from indexer.stores.base import VectorStore

__all__ = [
    "BM25_NAME",
    "MILVUS_BM25_NAME",
    "CorpusIndexer",
    "EvalConfig",
    "eval_base",
    "eval_collection",
    "evaluate_bm25",
    "evaluate_dense",
    "fuse",
    "peak_rss_mb",
    "run_evaluation",
]


def evaluate_bm25(
    dataset: BeirDataset, config: EvalConfig
) -> tuple[SystemResult, dict[str, float]]:
    """BM25 over the same document texts; per-query latency includes tokenisation."""
    index = BM25Index(dataset.doc_ids, dataset.documents, config.bm25_config)
    run, total_ms = {}, {}
    for qid, text in dataset.queries.items():
        t0 = time.perf_counter()
        run[qid] = index.search([text], config.top_k)[0]
        total_ms[qid] = (time.perf_counter() - t0) * 1000
    efficiency: dict[str, Any] = {
        "index_seconds": index.build_seconds,
        "encode_docs_per_s": len(dataset.doc_ids) / max(index.build_seconds, 1e-9),
        "index_bytes": index.disk_bytes(),
        "stemmed": index.stemmed,
        **latency_summary(list(total_ms.values())),
        "peak_rss_mb": peak_rss_mb(),
    }
    scores = evaluate_run(dataset.qrels, run)
    rankings = {q: ranking(docs) for q, docs in run.items()}
    system = SystemResult(BM25_NAME, "bm25", scores.mean, scores.per_query, efficiency, rankings)
    return system, total_ms


def fuse(
    dense: SystemResult,
    dense_ms: dict[str, float],
    bm25: SystemResult,
    bm25_ms: dict[str, float],
    dataset: BeirDataset,
    config: EvalConfig,
) -> SystemResult:
    """RRF of a dense and the BM25 system; latency = dense + BM25 + fusion, per query."""
    rrf = RRFConfig(k=config.rrf_k, top_k=config.top_k)
    run, total_ms = {}, []
    for qid in dataset.queries:
        t0 = time.perf_counter()
        as_scores = [
            {d: -float(r) for r, d in enumerate(s.rankings.get(qid, []))} for s in (dense, bm25)
        ]
        run[qid] = rrf_fuse_one(as_scores, rrf)
        total_ms.append(dense_ms[qid] + bm25_ms[qid] + (time.perf_counter() - t0) * 1000)
    efficiency: dict[str, Any] = {
        **latency_summary(total_ms),
        "rrf_k": config.rrf_k,
        "peak_rss_mb": peak_rss_mb(),
    }
    sizes = [dense.efficiency.get("index_bytes"), bm25.efficiency.get("index_bytes")]
    efficiency["index_bytes"] = None if None in sizes else sum(sizes)
    efficiency["encode_docs_per_s"] = dense.efficiency.get("encode_docs_per_s")
    scores = evaluate_run(dataset.qrels, run)
    name = f"{dense.name}+{BM25_NAME}"
    rankings = {q: ranking(docs) for q, docs in run.items()}
    return SystemResult(name, "hybrid", scores.mean, scores.per_query, efficiency, rankings)


def run_evaluation(
    dataset: BeirDataset,
    config: EvalConfig,
    encoder_factory: Callable[[str], Encoder],
    store: VectorStore | None,
    index_corpus: CorpusIndexer | None = None,
) -> EvalReport:
    """Evaluate every configured system on ``dataset`` and compare them.

    ``encoder_factory`` is called once per encoder name; ``index_corpus`` writes the
    corpus into each document encoder's collection (needed with dense systems). A
    paired system whose query encoder is not its document encoder's teacher raises
    ``QueryEncoderMismatchError`` before anything is indexed. Systems come in this
    order: dense, bm25 (bm25s), milvus-bm25, bm25s hybrids, Milvus hybrids.
    """
    started = time.perf_counter()
    if config.encoders and (store is None or index_corpus is None):
        raise ValueError("dense encoders need a vector store and a corpus indexer")
    pool = EncoderPool(config.systems, encoder_factory)
    pool.check_pairs()
    latencies: dict[str, dict[str, float]] = {}
    bm25: SystemResult | None = None
    if config.bm25:
        bm25, latencies[BM25_NAME] = evaluate_bm25(dataset, config)
    systems, samples, milvus = _dense_systems(pool, store, dataset, config, latencies, index_corpus)
    dense = list(systems)
    if bm25 is not None:
        systems[BM25_NAME] = bm25
    if MILVUS_BM25_NAME in milvus:
        systems[MILVUS_BM25_NAME] = milvus.pop(MILVUS_BM25_NAME)
    for name in dense if bm25 is not None and config.hybrid else ():
        fused = fuse(systems[name], latencies[name], bm25, latencies[BM25_NAME], dataset, config)
        systems[fused.name] = fused
    systems.update(milvus)
    report = EvalReport(
        dataset=dataset.name,
        split=dataset.split,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config={
            **asdict(config),
            "encoders": list(config.encoders),
            "documents": len(dataset.doc_ids),
            "queries": len(dataset.queries),
        },
        systems=systems,
        fidelity=_fidelity(systems, dense, samples, config),
        significance=_significance(systems, dataset, config.resamples),
        bm25_agreement=_bm25_agreement(systems, config),
    )
    report.wall_seconds = time.perf_counter() - started
    return report


def _dense_systems(
    pool: EncoderPool,
    store: VectorStore | None,
    dataset: BeirDataset,
    config: EvalConfig,
    latencies: dict[str, dict[str, float]],
    index_corpus: CorpusIndexer | None,
) -> tuple[dict[str, SystemResult], dict[str, np.ndarray], dict[str, SystemResult]]:
    """Each dense system, then the Milvus systems on its collection while its encoders
    are built: ``(dense systems, their fidelity samples, Milvus systems)``; fills
    ``latencies`` with each dense system's per-query ms."""
    systems: dict[str, SystemResult] = {}
    samples: dict[str, np.ndarray] = {}
    milvus: dict[str, SystemResult] = {}
    for i, spec in enumerate(config.systems):
        assert store is not None and index_corpus is not None
        label, encoders = spec.label, pool.encoders_of(spec)
        systems[label], samples[label], latencies[label] = evaluate_dense(
            spec, *encoders, store, dataset, config, index_corpus
        )
        milvus.update(milvus_systems(systems[label], encoders, store, dataset, config, i == 0))
        del encoders  # so that release() can free them before the next system's are built
        pool.release(spec)
    return systems, samples, milvus


def _bm25_agreement(systems: dict[str, SystemResult], config: EvalConfig) -> dict[str, Any]:
    """Milvus BM25 against bm25s when both ran, else {}."""
    if MILVUS_BM25_NAME not in systems or BM25_NAME not in systems:
        return {}
    return bm25_agreement(
        systems[MILVUS_BM25_NAME], systems[BM25_NAME], config.fidelity_k, config.rbo_p
    )


def _significance(
    systems: dict[str, SystemResult], dataset: BeirDataset, resamples: int
) -> list[PairedTest]:
    """A paired randomization test of nDCG@10 for every pair of systems."""
    return [
        paired_randomization_test(
            [systems[a].per_query[q]["ndcg@10"] for q in dataset.queries],
            [systems[b].per_query[q]["ndcg@10"] for q in dataset.queries],
            names=(a, b),
            resamples=resamples,
        )
        for a, b in combinations(systems, 2)
    ]


def _fidelity(
    systems: dict[str, SystemResult],
    dense: list[str],
    samples: dict[str, np.ndarray],
    config: EvalConfig,
) -> dict[str, dict[str, Any]]:
    """Rank agreement and embedding cosine of every dense system against the reference.

    A paired system's sample was embedded by its document encoder (see
    :mod:`evaluation.systems`), so its cosine is its document encoder's.
    """
    ref = config.reference_label
    if ref not in dense:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name in dense:
        if name == ref:
            continue
        fid = ranking_fidelity(
            systems[name].rankings, systems[ref].rankings, ref, config.fidelity_k, config.rbo_p
        )
        a, b = samples[name], samples[ref]
        cosine = float(embedding_cosine(a, b).mean()) if a.shape == b.shape and len(a) else None
        out[name] = {
            "reference": ref,
            f"overlap@{fid.k}": fid.overlap,
            "rbo": fid.rbo,
            "rbo_p": fid.p,
            "embedding_cosine": cosine,
            "embedding_docs": len(a),
            "per_query": fid.per_query,
        }
    return out
