"""The pieces both stores share: fusion arithmetic, its settings, and the BM25 oracle."""

from __future__ import annotations

import math

import pytest

from indexer.stores import Fusion
from indexer.stores.bm25 import Bm25Index, analyze
from indexer.stores.fusion import HYBRID_DEPTH, bm25_unit, candidate_depth, dense_unit, fuse


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "sum"},
        {"rrf_k": 0},
        {"rrf_k": 16384},
        {"rrf_k": 1.5},
        {"rrf_k": True},
        {"dense_weight": -0.1},
        {"dense_weight": 1.01},
        {"dense_weight": math.nan},
        {"dense_weight": "0.5"},
    ],
)
def test_fusion_settings_are_validated(kwargs):
    with pytest.raises(ValueError):
        Fusion(**kwargs)


def test_fusion_defaults_and_candidate_depth():
    assert Fusion() == Fusion("rrf", 60, 0.5)
    assert Fusion("weighted", dense_weight=1).dense_weight == 1
    assert candidate_depth(10) == HYBRID_DEPTH == 100
    assert candidate_depth(500) == 500


def test_rrf_sums_reciprocal_ranks_over_both_sides():
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    keyword = [("c", 7.0), ("a", 3.0)]
    fused = dict(fuse(dense, keyword, Fusion(rrf_k=60), top_k=3))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in fuse(dense, keyword, Fusion(), top_k=2)] == ["a", "c"]


def test_weighted_normalises_each_side_like_milvus_and_weights_them():
    dense = [("a", 1.0), ("b", 0.0)]
    keyword = [("b", 1.7012)]
    fused = dict(fuse(dense, keyword, Fusion("weighted", dense_weight=0.25), top_k=5))
    assert dense_unit(1.0) == pytest.approx(0.75)
    assert bm25_unit(0.0) == 0.0 and bm25_unit(1e9) == pytest.approx(1.0)
    assert fused["a"] == pytest.approx(0.25 * 0.75)
    assert fused["b"] == pytest.approx(0.25 * 0.5 + 0.75 * 2 * math.atan(1.7012) / math.pi)
    only_keyword = fuse(dense, keyword, Fusion("weighted", dense_weight=0.0), top_k=5)
    assert only_keyword[0][0] == "b" and dict(only_keyword)["a"] == 0.0


def test_ties_are_broken_by_id():
    assert fuse([("b", 1.0), ("a", 1.0)], [], Fusion("weighted"), 2) == [
        ("a", pytest.approx(0.375)),
        ("b", pytest.approx(0.375)),
    ]


def test_analysis_matches_milvus_english_analyzer():
    # measured on milvus-lite 2.5.1: split on non-alphanumerics (``_`` too), stem, then
    # drop Lucene's stop words, so ``being`` -> ``be`` and ``its`` -> ``it`` go as well
    assert analyze("The Dogs were RUNNING!") == ["dog", "were", "run"]
    assert analyze("foo_bar don't 3.14 being its café") == [
        "foo",
        "bar",
        "don",
        "t",
        "3",
        "14",
        "café",
    ]
    assert analyze("the and of") == []


def test_bm25_matches_milvus_scores_and_follows_replacements():
    index = Bm25Index()
    texts = ["a dog runs fast", "the cat sleeps", "dogs and cats are running together in the park"]
    for i, text in enumerate([*texts, "The quick brown fox", "x"]):
        index.add(f"id{i}", text)
    scores = index.scores("dog running")
    assert scores == pytest.approx({"id0": 1.7012262, "id2": 1.3250337}, rel=1e-6)  # Milvus's
    assert index.scores("running running dog")["id0"] == pytest.approx(2.5518394, rel=1e-6)
    assert index.scores("dog", allowed={"id2"}).keys() == {"id2"}
    index.add("id0", "a cheetah")  # same id, new text
    index.remove("id2")
    index.remove("never-added")
    assert index.scores("dog") == {}
    assert set(index.scores("cheetah")) == {"id0"}
    assert Bm25Index().scores("dog") == {}
