"""Scoring through ``evaluation``: product encoders at the index's 256 tokens, exact search
over the whole corpus (or documents scored by their best chunk), metrics by ranx. Corpus
vectors are cached by weight fingerprint."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from harness.datasets import REPO, query_texts

from core.settings import load_settings
from encoders import Encoder, EncoderConfig, build_encoder
from evaluation import BeirDataset
from evaluation.metrics import evaluate_run, exact_run

logger = logging.getLogger(__name__)

CACHE = REPO / "benchmarks" / ".cache"
EVAL_MAX_SEQ = 256
EVAL_BATCH = 32


def product_encoder(name_or_folder: str | Path, threads: int = 2) -> Encoder:
    """What the product would build for a registry name or a model folder (PyTorch, ONNX
    or OpenVINO by the folder's marker), at 256 tokens, batch 32, ``threads`` threads."""
    settings = load_settings({"DISTILSEARCH_THREADS": str(threads)})
    config = EncoderConfig(batch_size=EVAL_BATCH, max_seq_length=EVAL_MAX_SEQ)
    return build_encoder(str(name_or_folder), settings, config)


def ndcg_at_10(data: BeirDataset, doc_vectors: np.ndarray, query_vectors: np.ndarray) -> float:
    """Exact inner-product search (top 100) scored by ranx; rows follow ``data.doc_ids`` and
    ``data.query_ids``."""
    run = exact_run(data.doc_ids, doc_vectors, data.query_ids, query_vectors, top_k=100)
    return run_metrics(data, run, ["ndcg@10"])["ndcg@10"]


def run_metrics(
    data: BeirDataset, run: dict[str, dict[str, float]], metrics: Sequence[str]
) -> dict[str, float]:
    """Mean ``metrics`` (ranx names: ``ndcg@10``, ``recall@100``) of ``run`` on ``data``'s
    judgements, as fractions."""
    return evaluate_run(data.qrels, run, list(metrics)).mean


def max_pooled_run(
    query_ids: Sequence[str], scores: np.ndarray, owners: Sequence[str], depth: int = 200
) -> dict[str, dict[str, float]]:
    """Documents ranked by their best chunk: ``scores`` is ``(n_queries, n_chunks)``,
    ``owners[j]`` the document of chunk ``j``; each query looks at its ``depth`` best
    chunks."""
    run: dict[str, dict[str, float]] = {}
    for row, query_id in enumerate(query_ids):
        best: dict[str, float] = {}
        for column in np.argsort(-scores[row])[:depth]:
            best.setdefault(owners[column], float(scores[row, column]))
        run[query_id] = best
    return run


def corpus_vectors(encoder: Encoder, data: BeirDataset, cache: bool = True) -> np.ndarray:
    """``(n_docs, dim)`` document vectors, cached per (fingerprint, set, corpus size)."""
    key = f"{encoder.fingerprint}:{EVAL_MAX_SEQ}:{data.name}:{len(data.doc_ids)}"
    path = CACHE / "vectors" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npy"
    if cache and path.is_file():
        return np.load(path)
    started = time.perf_counter()
    vectors = encoder.encode_documents(list(data.documents))
    logger.info(
        "%s: %d docs of %s in %.0f s",
        encoder.name,
        len(vectors),
        data.name,
        time.perf_counter() - started,
    )
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def system_ndcg(
    data: BeirDataset, documents: Encoder, queries: Encoder | None = None, cache: bool = True
) -> float:
    """nDCG@10 of ``documents``' corpus vectors searched with ``queries``' query vectors
    (the document encoder's own by default). ``cache=False``: vectors not worth keeping (a
    scratch export) or not pinned by the key (a sequence length other than 256)."""
    doc_vectors = corpus_vectors(documents, data, cache)
    query_vectors = (queries or documents).encode_queries(query_texts(data))
    return ndcg_at_10(data, doc_vectors, query_vectors)


def top_documents(
    data: BeirDataset, doc_vectors: np.ndarray, query_vectors: np.ndarray, k: int = 10
) -> dict[str, list[str]]:
    """Each judged query's ``k`` best documents by exact inner product, best first (rows
    follow ``data.doc_ids`` and ``data.query_ids``): the hits a results page shows."""
    run = exact_run(data.doc_ids, doc_vectors, data.query_ids, query_vectors, top_k=k)
    return {qid: sorted(docs, key=lambda d: -docs[d]) for qid, docs in run.items()}


def dense_metrics(
    data: BeirDataset,
    doc_vectors: np.ndarray,
    query_vectors: np.ndarray,
    metrics: Sequence[str] = ("ndcg@10", "recall@100"),
) -> dict[str, float]:
    """``metrics`` (fractions) of exact search with these vectors (rows as in
    :func:`top_documents`), top 100 per query."""
    run = exact_run(data.doc_ids, doc_vectors, data.query_ids, query_vectors, top_k=100)
    return run_metrics(data, run, metrics)
