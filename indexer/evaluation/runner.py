"""Run an evaluation: index the corpus per encoder, query through ``Retriever``, score.

Dense systems reuse a collection named from the corpus hash, ``max_seq_length`` and the
encoder when its fingerprint matches and it holds every document; otherwise they
rebuild it. Queries go one at a time through :class:`~indexer.retrieval.Retriever`
(the UI's path), so the latencies are per query: encode + search, after one warm-up.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from indexer.encoders import Encoder
from indexer.evaluation.beir import BeirDataset, dataset_slug
from indexer.evaluation.bm25 import BM25Config, BM25Index
from indexer.evaluation.fidelity import (
    embedding_cosine,
    paired_randomization_test,
    ranking_fidelity,
)
from indexer.evaluation.hybrid import RRFConfig, rrf_fuse_one
from indexer.evaluation.metrics import evaluate_run, ranking
from indexer.evaluation.report import EvalReport, SystemResult
from indexer.retrieval import Retriever, collection_name
from indexer.stores.base import CollectionInfo, VectorStore

logger = logging.getLogger(__name__)

BM25_NAME = "bm25"


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate and how; ``top_k`` hits per query feed recall@100 and MAP@100."""

    encoders: tuple[str, ...] = ("teacher",)
    bm25: bool = False
    hybrid: bool = False
    top_k: int = 100
    max_seq_length: int = 256
    reference: str = "teacher"
    fidelity_k: int = 10
    rbo_p: float = 0.9
    fidelity_docs: int = 256
    index_batch: int = 256
    rrf_k: int = 60
    resamples: int = 10_000
    bm25_config: BM25Config = field(default_factory=BM25Config)

    def __post_init__(self) -> None:
        if not self.encoders and not self.bm25:
            raise ValueError("nothing to evaluate: name at least one encoder or pass --bm25")
        if len(set(self.encoders)) != len(self.encoders):
            raise ValueError(f"encoders are listed twice: {', '.join(self.encoders)}")
        if BM25_NAME in self.encoders:
            raise ValueError(f"{BM25_NAME!r} is a baseline, not an encoder: use --bm25")
        if self.hybrid and not (self.encoders and self.bm25):
            raise ValueError("--hybrid fuses dense and BM25 runs: it needs an encoder and --bm25")
        if not 10 <= self.top_k <= 1000:
            raise ValueError(f"top_k must be in [10, 1000], got {self.top_k}")
        if self.fidelity_docs < 0 or self.index_batch < 1 or self.resamples < 1:
            raise ValueError("fidelity_docs must be >= 0, index_batch and resamples >= 1")
        if not 1 <= self.fidelity_k <= self.top_k or not 0 < self.rbo_p < 1:
            raise ValueError("fidelity_k must be in [1, top_k] and rbo_p in (0, 1)")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (MiB; ``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def path_bytes(path: Path) -> int:
    """Size of a file or of every file under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_bytes(db_path: Path | None, collection: str) -> int | None:
    """On-disk size of ``collection`` in a Milvus Lite path (its folder when it has one)."""
    if db_path is None or not db_path.exists():
        return None
    own = db_path / "collections" / collection
    return path_bytes(own if own.is_dir() else db_path)


def _latency(total_ms: list[float]) -> dict[str, float]:
    array = np.asarray(total_ms, dtype=np.float64)
    return {"latency_p50_ms": float(np.percentile(array, 50)),
            "latency_p95_ms": float(np.percentile(array, 95)),
            "latency_mean_ms": float(array.mean())}  # fmt: skip


def eval_collection(dataset: BeirDataset, encoder_name: str, config: EvalConfig) -> str:
    """Collection for ``dataset`` encoded by ``encoder_name`` at ``config.max_seq_length``."""
    key = hashlib.sha256(f"{dataset.corpus_hash}:{config.max_seq_length}".encode()).hexdigest()
    return collection_name(f"beir_{dataset_slug(dataset.name)}_{key[:12]}", encoder_name)


def ensure_index(
    store: VectorStore, encoder: Encoder, dataset: BeirDataset, collection: str, batch: int
) -> dict[str, Any]:
    """Reuse ``collection`` when built by this encoder over the whole corpus, else (re)build."""
    info = CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
    expected = len(set(dataset.doc_ids))
    existing = store.collection_info(collection)
    if existing is not None:
        same = existing.dim == info.dim and existing.fingerprint == info.fingerprint
        if same and store.count(collection) == expected:
            logger.info("reusing collection %s (%d docs)", collection, expected)
            return {"index_reused": True}
        logger.info("collection %s is stale or incomplete: rebuilding", collection)
        store.drop(collection)
    store.ensure_collection(collection, info)
    chunks, documents = dataset.chunks(), dataset.documents
    encode_s = upsert_s = 0.0
    for start in tqdm(range(0, len(chunks), batch), desc=f"encoding {encoder.name}", unit="batch"):
        t0 = time.perf_counter()
        vectors = encoder.encode_documents(documents[start : start + batch])  # (b, dim)
        t1 = time.perf_counter()
        store.upsert(collection, chunks[start : start + batch], vectors)
        encode_s, upsert_s = encode_s + t1 - t0, upsert_s + time.perf_counter() - t1
    return {"index_reused": False, "encode_seconds": encode_s, "upsert_seconds": upsert_s,
            "encode_docs_per_s": len(chunks) / max(encode_s, 1e-9)}  # fmt: skip


def evaluate_dense(
    name: str, encoder: Encoder, store: VectorStore, dataset: BeirDataset, config: EvalConfig,
    db_path: Path | None,
) -> tuple[SystemResult, np.ndarray, dict[str, float]]:  # fmt: skip
    """Index (or reuse), query each judged query, score; also embed the fidelity sample.

    Returns the result, the sample's document vectors ``(fidelity_docs, dim)`` and the
    per-query latencies in ms (for hybrid timing).
    """
    collection = eval_collection(dataset, name, config)
    efficiency = ensure_index(store, encoder, dataset, collection, config.index_batch)
    retriever = Retriever(encoder, store, collection)
    queries = dataset.queries
    retriever.search(next(iter(queries.values())), config.top_k)  # warm-up: index build, caches
    run: dict[str, dict[str, float]] = {}
    encode_ms, search_ms, total_ms = [], [], {}
    for qid, text in tqdm(queries.items(), desc=f"querying {name}", unit="query"):
        result = retriever.search(text, config.top_k)
        run[qid] = {hit.source: hit.score for hit in result.hits}
        encode_ms.append(result.encode_ms)
        search_ms.append(result.search_ms)
        total_ms[qid] = result.total_ms
    sample = dataset.documents[: config.fidelity_docs]
    t0 = time.perf_counter()
    sample_vectors = encoder.encode_documents(sample)
    sample_s = time.perf_counter() - t0
    if efficiency["index_reused"] and sample:
        efficiency["encode_docs_per_s"] = len(sample) / max(sample_s, 1e-9)
        efficiency["encode_measured_on"] = f"{len(sample)}-doc sample (index reused)"
    efficiency.update(_latency(list(total_ms.values())))
    efficiency["query_encode_p50_ms"] = float(np.percentile(encode_ms, 50))
    efficiency["query_search_p50_ms"] = float(np.percentile(search_ms, 50))
    efficiency["index_bytes"] = index_bytes(db_path, collection)
    efficiency["collection"] = collection
    efficiency["peak_rss_mb"] = peak_rss_mb()
    scores = evaluate_run(dataset.qrels, run)
    rankings = {q: ranking(docs) for q, docs in run.items()}
    system = SystemResult(name, "dense", scores.mean, scores.per_query, efficiency, rankings)
    return system, sample_vectors, total_ms


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
        **_latency(list(total_ms.values())),
        "peak_rss_mb": peak_rss_mb(),
    }
    scores = evaluate_run(dataset.qrels, run)
    rankings = {q: ranking(docs) for q, docs in run.items()}
    system = SystemResult(BM25_NAME, "bm25", scores.mean, scores.per_query, efficiency, rankings)
    return system, total_ms


def fuse(
    dense: SystemResult, dense_ms: dict[str, float], bm25: SystemResult, bm25_ms: dict[str, float],
    dataset: BeirDataset, config: EvalConfig,
) -> SystemResult:  # fmt: skip
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
    efficiency: dict[str, Any] = {**_latency(total_ms), "rrf_k": config.rrf_k,
                                  "peak_rss_mb": peak_rss_mb()}  # fmt: skip
    sizes = [dense.efficiency.get("index_bytes"), bm25.efficiency.get("index_bytes")]
    efficiency["index_bytes"] = None if None in sizes else sum(sizes)
    efficiency["encode_docs_per_s"] = dense.efficiency.get("encode_docs_per_s")
    scores = evaluate_run(dataset.qrels, run)
    name = f"{dense.name}+{BM25_NAME}"
    rankings = {q: ranking(docs) for q, docs in run.items()}
    return SystemResult(name, "hybrid", scores.mean, scores.per_query, efficiency, rankings)


def run_evaluation(
    dataset: BeirDataset, config: EvalConfig, encoder_factory: Callable[[str], Encoder],
    store: VectorStore | None, db_path: Path | None = None,
) -> EvalReport:  # fmt: skip
    """Evaluate every configured system on ``dataset`` and compare them."""
    started = time.perf_counter()
    if config.encoders and store is None:
        raise ValueError("dense encoders need a vector store")
    systems: dict[str, SystemResult] = {}
    samples: dict[str, np.ndarray] = {}
    latencies: dict[str, dict[str, float]] = {}
    bm25: SystemResult | None = None
    if config.bm25:
        bm25, latencies[BM25_NAME] = evaluate_bm25(dataset, config)
    for name in config.encoders:
        encoder = encoder_factory(name)
        assert store is not None
        systems[name], samples[name], latencies[name] = evaluate_dense(
            name, encoder, store, dataset, config, db_path
        )
        del encoder
        gc.collect()
    if bm25 is not None:
        systems[BM25_NAME] = bm25
        if config.hybrid:
            for name in config.encoders:
                fused = fuse(systems[name], latencies[name], bm25, latencies[BM25_NAME],
                             dataset, config)  # fmt: skip
                systems[fused.name] = fused
    report = EvalReport(
        dataset=dataset.name, split=dataset.split,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config={**asdict(config), "encoders": list(config.encoders), "documents":
                len(dataset.doc_ids), "queries": len(dataset.queries)},
        systems=systems,
        fidelity=_fidelity(systems, samples, config),
        significance=[
            paired_randomization_test(
                [systems[a].per_query[q]["ndcg@10"] for q in dataset.queries],
                [systems[b].per_query[q]["ndcg@10"] for q in dataset.queries],
                names=(a, b), resamples=config.resamples,
            )
            for a, b in combinations(systems, 2)
        ],
    )  # fmt: skip
    report.wall_seconds = time.perf_counter() - started
    return report


def _fidelity(
    systems: dict[str, SystemResult], samples: dict[str, np.ndarray], config: EvalConfig
) -> dict[str, dict[str, Any]]:
    """Rank agreement and embedding cosine of every encoder against the reference one."""
    ref = config.reference
    if ref not in config.encoders:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name in config.encoders:
        if name == ref:
            continue
        fid = ranking_fidelity(systems[name].rankings, systems[ref].rankings, ref,
                               config.fidelity_k, config.rbo_p)  # fmt: skip
        a, b = samples[name], samples[ref]
        cosine = float(embedding_cosine(a, b).mean()) if a.shape == b.shape and len(a) else None
        out[name] = {"reference": ref, f"overlap@{fid.k}": fid.overlap, "rbo": fid.rbo,
                     "rbo_p": fid.p, "embedding_cosine": cosine, "embedding_docs": len(a),
                     "per_query": fid.per_query}  # fmt: skip
    return out
