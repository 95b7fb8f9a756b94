"""Label-free estimate candidates on vectors whose answers are known by construction."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evaluation.estimates import (
    SHAPES,
    Passage,
    doc_cosine,
    draw_queries,
    estimates,
    graded_ndcg,
    overlap,
    shaped_query,
    top_k,
)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def vectors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    docs = _unit(rng.normal(size=(60, 16)))
    queries = _unit(rng.normal(size=(25, 16)))
    return {"docs": docs, "queries": queries}


def test_the_teacher_agrees_with_itself_on_every_candidate(vectors) -> None:
    docs, queries = vectors["docs"], vectors["queries"]
    found = estimates(docs, docs, {"span": queries}, {"span": queries})
    assert found == pytest.approx({"doc_cosine": 1.0, "span_overlap": 1.0, "span_graded": 1.0})


def test_a_noisier_system_scores_lower_on_every_candidate(vectors) -> None:
    docs, queries = vectors["docs"], vectors["queries"]
    rng = np.random.default_rng(1)
    near = _unit(docs + 0.1 * rng.normal(size=docs.shape))
    far = _unit(docs + 1.0 * rng.normal(size=docs.shape))
    close = estimates(docs, near, {"span": queries}, {"span": queries})
    loose = estimates(docs, far, {"span": queries}, {"span": queries})
    assert all(close[key] > loose[key] for key in close)
    assert 0 < loose["span_overlap"] < close["span_overlap"] < 1.0


def test_graded_ndcg_rewards_the_teachers_order_not_only_its_set() -> None:
    reference = np.array([[0, 1, 2, 3]])
    assert graded_ndcg(reference, reference) == pytest.approx(1.0)
    reversed_order = np.array([[3, 2, 1, 0]])
    assert overlap(reversed_order, reference) == 1.0
    assert graded_ndcg(reversed_order, reference) < 1.0
    assert graded_ndcg(np.array([[7, 8, 9, 10]]), reference) == 0.0


def test_top_k_is_exact_and_best_first(vectors) -> None:
    docs, queries = vectors["docs"], vectors["queries"]
    expected = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    assert np.array_equal(top_k(docs, queries), expected)
    assert doc_cosine(docs, docs) == pytest.approx(1.0)
    assert doc_cosine(docs[:, :8], docs) is None  # another space: nothing to compare


def test_every_shape_draws_from_the_passages_seeded() -> None:
    passages = [
        Passage("Template filters are plain Python functions. Register them with a Library."),
        Passage("A queryset is lazy: it hits the database only when evaluated.", "Querysets"),
        Passage("too short"),
    ]
    for shape in SHAPES:
        texts, sources = draw_queries(passages, shape, 5, seed=3)
        assert texts == draw_queries(passages, shape, 5, seed=3)[0]
        assert 2 not in sources and len(texts) == len(sources) <= 2
    question = shaped_query(passages[1], "question", random.Random(0))
    assert question.endswith("?") and "querysets" in question
    with pytest.raises(ValueError, match="unknown pseudo-query shape"):
        shaped_query(passages[0], "poem", random.Random(0))
