"""Scores of the frontier's systems on one set: nDCG@10 over the whole corpus and every
label-free estimate candidate (:mod:`evaluation.estimates`), kept in
``<set dir>/scores.json`` after each system so a stopped run goes on where it was.

``probe_overlap`` is the estimate exactly as the product computes it after ``distill``
(:class:`evaluation.agreement.AgreementProbe` at its defaults: a seeded sample of
passages, span pseudo-queries drawn from them), taken from the whole-corpus vectors."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from harness.datasets import query_texts
from harness.frontier_systems import Model2VecEncoder, System, set_dir
from harness.scoring import corpus_vectors, ndcg_at_10, product_encoder

from encoders import Encoder
from evaluation import BeirDataset, EvalConfig
from evaluation.agreement import (
    DEFAULT_MAX_PASSAGES,
    DEFAULT_MAX_QUERIES,
    normalise_passage,
    sample_passages,
    sample_queries,
)
from evaluation.estimates import SHAPES, Passage, draw_queries, estimates, overlap, top_k

logger = logging.getLogger(__name__)
#: Fewer pseudo-queries, for the "more pseudo-queries" comparison (the first N of them).
FEW_QUERIES = 200


def scores_path(name: str) -> Path:
    return set_dir(name) / "scores.json"


def load_scores(name: str) -> dict[str, Any]:
    path = scores_path(name)
    return json.loads(path.read_text()) if path.is_file() else {"systems": {}}


def _save(name: str, scores: dict[str, Any]) -> None:
    path = scores_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scores, indent=2) + "\n")


class EncoderCache:
    """Each model built once per set run: a folder, ``teacher`` or ``model2vec``."""

    def __init__(self, threads: int = 1) -> None:
        self._built: dict[str, Any] = {}
        self.threads = threads

    def get(self, key: str):
        if key not in self._built:
            self._built[key] = (
                Model2VecEncoder() if key == "model2vec" else product_encoder(key, self.threads)
            )
        return self._built[key]


def pseudo_queries(data: BeirDataset, count: int) -> dict[str, list[str]]:
    """``count`` pseudo-queries of every shape from the set's own documents (no labels)."""
    passages = [Passage(doc, title) for doc, title in zip(data.documents, data.titles, strict=True)]
    return {shape: draw_queries(passages, shape, count, seed=0)[0] for shape in SHAPES}


class ProductProbe:
    """The product's probe on one set: the passages it samples (rows of the corpus) and
    its pseudo-queries, with the teacher's top 10 for each."""

    def __init__(self, data: BeirDataset, teacher_docs: np.ndarray, teacher: Encoder) -> None:
        first: dict[str, int] = {}
        for row, text in enumerate(data.documents):
            first.setdefault(normalise_passage(text), row)
        passages = sample_passages(data.documents, DEFAULT_MAX_PASSAGES, seed=0)
        self.rows = np.array([first[p] for p in passages])  # (n_passages,)
        self.texts = [q.text for q in sample_queries(passages, DEFAULT_MAX_QUERIES, seed=0)]
        self.teacher_queries = teacher.encode_queries(self.texts)  # (n_queries, dim)
        self.reference = top_k(teacher_docs[self.rows], self.teacher_queries)

    def overlap(self, docs: np.ndarray, queries: Encoder | None) -> float:
        """Top-10 overlap with the teacher of ``docs`` (whole-corpus vectors) searched with
        ``queries``' query vectors (None: the teacher's)."""
        vectors = self.teacher_queries if queries is None else queries.encode_queries(self.texts)
        return overlap(top_k(docs[self.rows], vectors), self.reference)


def score_set(name: str, data: BeirDataset, chosen: list[System], count: int) -> dict[str, Any]:
    """Score every system of ``chosen`` not scored yet (and give ``probe_overlap`` to
    those scored before it existed); the set's scores."""
    scores = load_scores(name)
    encoders = EncoderCache()
    teacher = encoders.get("teacher")
    teacher_docs = corpus_vectors(teacher, data)
    real_queries = query_texts(data)
    pseudo = pseudo_queries(data, count)
    teacher_pseudo = {shape: teacher.encode_queries(texts) for shape, texts in pseudo.items()}
    probe = ProductProbe(data, teacher_docs, teacher)
    scores["teacher_ndcg"] = ndcg_at_10(data, teacher_docs, teacher.encode_queries(real_queries))
    scores["pseudo_queries"] = {shape: len(texts) for shape, texts in pseudo.items()}
    for system in chosen:
        row = scores["systems"].get(system.name)
        if row is not None:
            if system.kind != "bm25" and "probe_overlap" not in row["estimates"]:
                row["estimates"]["probe_overlap"] = _probe(system, data, encoders, probe)
                _save(name, scores)
            continue
        if system.kind == "bm25":
            scores["systems"][system.name] = _bm25(data)
        else:
            row = _dense(system, data, encoders, teacher_docs, teacher_pseudo, pseudo)
            row["estimates"]["probe_overlap"] = _probe(system, data, encoders, probe)
            scores["systems"][system.name] = row
        logger.info(
            "%s %s: nDCG@10 %.4f", name, system.name, scores["systems"][system.name]["ndcg_at_10"]
        )
        _save(name, scores)
    return scores


def _dense(
    system: System,
    data: BeirDataset,
    encoders: EncoderCache,
    teacher_docs: np.ndarray,
    teacher_pseudo: dict[str, np.ndarray],
    pseudo: dict[str, list[str]],
) -> dict[str, Any]:
    documents, queries = encoders.get(system.documents), encoders.get(system.queries)
    docs = corpus_vectors(documents, data)
    ndcg = ndcg_at_10(data, docs, queries.encode_queries(query_texts(data)))
    if system.queries == "teacher":
        own = teacher_pseudo
    else:
        own = {shape: queries.encode_queries(texts) for shape, texts in pseudo.items()}
    found = estimates(teacher_docs, docs, teacher_pseudo, own)
    few = {shape: v[:FEW_QUERIES] for shape, v in teacher_pseudo.items()}
    few_own = {shape: v[:FEW_QUERIES] for shape, v in own.items()}
    found.update(
        {
            f"{k}@{FEW_QUERIES}": v
            for k, v in estimates(teacher_docs, docs, few, few_own).items()
            if k != "doc_cosine"
        }
    )
    return {
        "documents": system.documents,
        "queries": system.queries,
        "kind": system.kind,
        "depth": system.depth,
        "variant": system.variant,
        "ndcg_at_10": ndcg,
        "estimates": found,
    }


def _probe(system: System, data: BeirDataset, encoders: EncoderCache, probe: ProductProbe) -> float:
    """``system``'s estimate as the product computes it (vectors from the corpus cache)."""
    docs = corpus_vectors(encoders.get(system.documents), data)
    return probe.overlap(
        docs, None if system.queries == "teacher" else encoders.get(system.queries)
    )


def _bm25(data: BeirDataset) -> dict[str, Any]:
    from evaluation.runner import evaluate_bm25

    result, _ = evaluate_bm25(data, EvalConfig(encoders=(), bm25=True))
    return {
        "documents": "bm25",
        "queries": "bm25",
        "kind": "bm25",
        "depth": None,
        "variant": "",
        "ndcg_at_10": result.metrics["ndcg@10"],
        "estimates": {},
    }
