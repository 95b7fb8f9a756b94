"""Label-free estimates of how much of the teacher an encoder keeps, from passages alone.

Each estimate compares an encoder with the teacher on pseudo-queries drawn from the
user's own passages (no queries, no judgements). Pseudo-queries come in shapes:

* ``span``: a 6-12-word span of one sentence (:func:`evaluation.agreement.pseudo_query`);
* ``question``: a question frame around a passage's title, or around a 2-6-word span of
  it when it has none ("how do I write custom filters?");
* ``keywords``: 2-4 consecutive words, as people type into a search box.

For each shape, the teacher's top 10 over the passages is the reference, and a system's
ranking is scored against it two ways: ``overlap`` (share of the teacher's top 10 in the
system's top 10) and ``graded`` (nDCG@10 with the teacher's rank as graded relevance,
10 for its first hit down to 1 for its tenth). ``doc_cosine`` is the mean cosine between
the system's and the teacher's passage vectors. The benchmark that chooses between them
is ``benchmarks/frontier.py`` (Spearman with true retention over the dev suite).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.agreement import pseudo_query

K = 10
SHAPES = ("span", "question", "keywords")
QUESTION_FRAMES = ("how do I {}?", "what is {}?", "how does {} work?", "why {}?", "{}?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]*")


@dataclass(frozen=True)
class Passage:
    """A passage's text and its title ("" when it has none)."""

    text: str
    title: str = ""


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _window(words: list[str], rng: random.Random, shortest: int, longest: int) -> str:
    size = min(len(words), rng.randint(shortest, longest))
    start = rng.randrange(len(words) - size + 1)
    return " ".join(words[start : start + size])


def shaped_query(passage: Passage, shape: str, rng: random.Random) -> str | None:
    """One pseudo-query of ``shape`` from ``passage``; None when it is too short."""
    words = _words(passage.text)
    if shape == "span":
        return pseudo_query(passage.text, rng)
    if len(words) < 4:
        return None
    if shape == "keywords":
        return _window(words, rng, 2, 4)
    if shape == "question":
        subject = (
            passage.title if 0 < len(passage.title.split()) <= 8 else _window(words, rng, 2, 6)
        )
        return rng.choice(QUESTION_FRAMES).format(subject.rstrip(" .?!:").lower())
    raise ValueError(f"unknown pseudo-query shape {shape!r}; known: {', '.join(SHAPES)}")


def draw_queries(
    passages: Sequence[Passage], shape: str, count: int, seed: int
) -> tuple[list[str], list[int]]:
    """Up to ``count`` pseudo-queries of ``shape``, each from another passage, by ``seed``:
    ``(texts, index of the passage each came from)``."""
    rng = random.Random(f"{seed}:{shape}")
    order = list(range(len(passages)))
    rng.shuffle(order)
    texts: list[str] = []
    sources: list[int] = []
    for index in order:
        text = shaped_query(passages[index], shape, rng)
        if text:
            texts.append(text)
            sources.append(index)
            if len(texts) == count:
                break
    return texts, sources


def top_k(docs: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """``(n_queries, k)`` passage indices, best first, by inner product."""
    scores = queries @ docs.T  # (n_queries, n_docs)
    top = np.argpartition(-scores, kth=min(k, scores.shape[1] - 1), axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(top, order, axis=1)


def overlap(system: np.ndarray, reference: np.ndarray) -> float:
    """Mean share of each reference top-k found in the system's top-k."""
    shares = [len(set(s) & set(r)) / len(r) for s, r in zip(system, reference, strict=True)]
    return float(np.mean(shares))


def graded_ndcg(system: np.ndarray, reference: np.ndarray) -> float:
    """Mean nDCG@k of ``system`` with the reference's rank as graded relevance."""
    k = reference.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # (k,)
    ideal = float(np.sum(np.arange(k, 0, -1) * discounts))
    values = []
    for s, r in zip(system, reference, strict=True):
        gain = {int(doc): k - rank for rank, doc in enumerate(r)}
        values.append(sum(gain.get(int(doc), 0) * discounts[i] for i, doc in enumerate(s)) / ideal)
    return float(np.mean(values))


def doc_cosine(system_docs: np.ndarray, teacher_docs: np.ndarray) -> float | None:
    """Mean cosine between each passage's two vectors (rows are unit length); None when
    the two live in spaces of different dimensions (nothing to compare)."""
    if system_docs.shape != teacher_docs.shape:
        return None
    return float(np.mean(np.sum(system_docs * teacher_docs, axis=1)))


def estimates(
    teacher_docs: np.ndarray,
    system_docs: np.ndarray,
    teacher_queries: dict[str, np.ndarray],
    system_queries: dict[str, np.ndarray],
) -> dict[str, float | None]:
    """Every candidate for one system: ``<shape>_overlap``, ``<shape>_graded`` for each
    shape in both dicts (``(n, dim)`` query vectors of the same texts), and ``doc_cosine``
    (None for a system of another dimension).

    Vectors are unit rows; ``system_queries[shape]`` is the teacher's own for a system
    whose queries the teacher encodes.
    """
    out = {"doc_cosine": doc_cosine(system_docs, teacher_docs)}
    for shape, reference_queries in teacher_queries.items():
        reference = top_k(teacher_docs, reference_queries)
        ranked = top_k(system_docs, system_queries[shape])
        out[f"{shape}_overlap"] = overlap(ranked, reference)
        out[f"{shape}_graded"] = graded_ndcg(ranked, reference)
    return out
