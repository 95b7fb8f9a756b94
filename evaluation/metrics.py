"""IR metrics through ranx (no hand-written nDCG): means and per-query scores.

:func:`exact_run` turns embeddings into a run by exact inner-product search, for
benchmarks that score vectors they computed themselves.

A *run* is ``{query_id: {doc_id: score}}`` (higher is better); *qrels* are
``{query_id: {doc_id: relevance}}``. Queries with no hits count as zeros.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

Run = dict[str, dict[str, float]]
Qrels = Mapping[str, Mapping[str, int]]

#: The headline metrics, in table order.
HEADLINE = ("ndcg@10", "recall@10", "recall@100", "mrr@10", "map@100")
#: Cut-offs of the recall@k curve.
RECALL_CURVE_KS = (1, 3, 5, 10, 20, 50, 100)
ALL_METRICS = HEADLINE + tuple(f"recall@{k}" for k in RECALL_CURVE_KS if k not in (10, 100))
#: Digits of the keys doc ids are given inside :func:`evaluate_run` (up to 10^10 docs).
KEY_WIDTH = 10


@dataclass(frozen=True)
class MetricResult:
    """Mean of each metric and the per-query scores behind it."""

    mean: dict[str, float]
    per_query: dict[str, dict[str, float]]


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Doc ids best first (ties by doc id, as in the fused and dense runs)."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def evaluate_run(
    qrels: Qrels, run: Mapping[str, Mapping[str, float]], metrics: Sequence[str] = ALL_METRICS
) -> MetricResult:
    """Score ``run`` against ``qrels`` with ranx; only queries in ``qrels`` count."""
    from ranx import Qrels as RanxQrels
    from ranx import Run as RanxRun
    from ranx import evaluate

    if not qrels:
        raise ValueError("qrels are empty")
    if not metrics:
        raise ValueError("no metrics requested")
    judged_ids = [q for q, docs in qrels.items() if docs]
    # ranx compiles its numba code once per doc-id width (it stores ids as fixed-width
    # arrays), so doc ids become keys of one width, in the ids' order (ties keep their
    # order): compiled once, at install. An empty ranking gets a dummy doc at score 0 (ranx
    # needs one per query) that is never relevant.
    no_hit = "\x00no-hit"
    ids = {str(d) for q in judged_ids for d in (*qrels[q], *run.get(q, {}))} | {no_hit}
    key = {doc_id: f"{i:0{KEY_WIDTH}d}" for i, doc_id in enumerate(sorted(ids))}
    judged = {q: {key[str(d)]: int(r) for d, r in qrels[q].items()} for q in judged_ids}
    filled = {
        q: {key[str(d)]: float(s) for d, s in run.get(q, {}).items()} or {key[no_hit]: 0.0}
        for q in judged
    }
    ranx_qrels, ranx_run = RanxQrels(judged), RanxRun(filled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba type-safety chatter inside ranx
        means = evaluate(ranx_qrels, ranx_run, list(metrics), make_comparable=True)
    if len(metrics) == 1:
        means = {metrics[0]: means}
    per_query: dict[str, dict[str, float]] = {q: {} for q in judged}
    for metric in metrics:
        for query_id, value in ranx_run.scores[metric].items():
            per_query[query_id][metric] = float(value)
    return MetricResult({m: float(means[m]) for m in metrics}, per_query)


def compile_metrics() -> None:
    """Compile ranx's numba kernels for every metric here once: numba caches them beside
    ranx, so no later process (an evaluation, a test worker) compiles them again. ``make``
    runs it when it installs the environment."""
    qrels = {"q": {"a": 1}}
    evaluate_run(qrels, {"q": {"a": 1.0, "b": 0.5}})


def exact_run(
    doc_ids: Sequence[str],
    doc_vectors: np.ndarray,
    query_ids: Sequence[str],
    query_vectors: np.ndarray,
    top_k: int = 100,
) -> Run:
    """Exact inner-product search: each query's ``top_k`` documents with their scores.

    ``doc_vectors`` is ``(n_docs, dim)`` and ``query_vectors`` ``(n_queries, dim)``, rows
    parallel to ``doc_ids`` and ``query_ids`` (normalised rows give cosine scores).
    """
    if len(doc_ids) != len(doc_vectors) or len(query_ids) != len(query_vectors):
        raise ValueError("need one vector per document and per query")
    scores = np.asarray(query_vectors) @ np.asarray(doc_vectors).T  # (n_queries, n_docs)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]  # (n_queries, top_k)
    return {
        str(qid): {str(doc_ids[j]): float(scores[i, j]) for j in top[i]}
        for i, qid in enumerate(query_ids)
    }
