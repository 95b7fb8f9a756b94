"""Metrics (ranx) and RRF fusion pinned to hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.hybrid import RRFConfig, rrf_fuse, rrf_fuse_one
from evaluation.metrics import HEADLINE, evaluate_run, exact_run, ranking

QRELS = {"q1": {"d1": 1, "d2": 1}, "q2": {"d3": 1}, "q3": {"d4": 1}}
RUN = {
    "q1": {"d1": 0.9, "x": 0.8, "d2": 0.7},  # relevant at ranks 1 and 3
    "q2": {"x": 0.9, "y": 0.8, "d3": 0.7},  # relevant at rank 3
    # q3 retrieved nothing: every metric is 0 for it
}


def test_metrics_match_hand_computation() -> None:
    result = evaluate_run(QRELS, RUN, [*HEADLINE, "recall@1"])
    q1, q2, q3 = (result.per_query[q] for q in ("q1", "q2", "q3"))
    # q1: DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.63093 -> 0.91972
    assert q1["ndcg@10"] == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # q2: DCG = 1/log2(4) = 0.5; IDCG = 1 -> 0.5
    assert q2["ndcg@10"] == pytest.approx(0.5)
    assert q3["ndcg@10"] == 0.0
    # recall@1: q1 finds 1 of 2 in the top 1; recall@10 finds everything except for q3
    assert (q1["recall@1"], q2["recall@1"]) == (0.5, 0.0)
    assert (q1["recall@10"], q2["recall@10"], q3["recall@10"]) == (1.0, 1.0, 0.0)
    # MRR@10: first relevant at rank 1 and 3
    assert (q1["mrr@10"], q2["mrr@10"]) == (pytest.approx(1.0), pytest.approx(1 / 3))
    # AP: q1 = (1/1 + 2/3) / 2 = 0.83333; q2 = (1/3) / 1
    assert q1["map@100"] == pytest.approx((1 + 2 / 3) / 2)
    assert q2["map@100"] == pytest.approx(1 / 3)
    # means over the three judged queries
    assert result.mean["ndcg@10"] == pytest.approx((1.5 / (1 + 1 / math.log2(3)) + 0.5) / 3)
    assert result.mean["recall@10"] == pytest.approx(2 / 3)
    assert result.mean["recall@100"] == pytest.approx(2 / 3)
    assert result.mean["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert result.mean["map@100"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 3) / 3)


def test_cutoffs_apply() -> None:
    qrels = {"q": {"d": 1}}
    run = {"q": {f"x{i:02d}": 1.0 - i / 100 for i in range(10)} | {"d": 0.5}}  # d at rank 11
    scores = evaluate_run(qrels, run, ["ndcg@10", "mrr@10", "recall@10", "recall@100"]).mean
    assert scores["ndcg@10"] == scores["mrr@10"] == scores["recall@10"] == 0.0
    assert scores["recall@100"] == 1.0


def test_unjudged_queries_in_the_run_are_ignored() -> None:
    run = dict(RUN, extra={"d1": 1.0})
    assert evaluate_run(QRELS, run).mean == pytest.approx(evaluate_run(QRELS, RUN).mean)


def test_empty_qrels_rejected() -> None:
    with pytest.raises(ValueError, match="qrels"):
        evaluate_run({}, RUN)


def test_ranking_breaks_ties_by_doc_id() -> None:
    assert ranking({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]


def test_rrf_hand_computed() -> None:
    dense = {"a": 0.9, "b": 0.8, "c": 0.7}  # ranks a1 b2 c3
    lexical = {"c": 12.0, "a": 3.0}  # ranks c1 a2
    fused = rrf_fuse_one([dense, lexical], RRFConfig(k=60, top_k=10))
    # a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62
    assert fused == pytest.approx({"a": 1 / 61 + 1 / 62, "c": 1 / 63 + 1 / 61, "b": 1 / 62})
    assert list(fused) == ["a", "c", "b"]
    top1 = rrf_fuse_one([dense, lexical], RRFConfig(k=60, top_k=1))
    assert list(top1) == ["a"]


def test_rrf_whole_runs_and_missing_queries() -> None:
    fused = rrf_fuse([{"q1": {"a": 1.0}}, {"q1": {"b": 1.0}, "q2": {"c": 1.0}}], RRFConfig(k=0))
    # k=0: rank-1 docs score 1/1 each; tie broken by doc id
    assert fused == {"q1": {"a": 1.0, "b": 1.0}, "q2": {"c": 1.0}}
    with pytest.raises(ValueError):
        rrf_fuse([])
    with pytest.raises(ValueError):
        RRFConfig(k=-1)


def test_exact_run_ranks_by_inner_product_and_cuts_at_top_k() -> None:
    docs = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])  # (3 docs, 2)
    queries = np.array([[1.0, 0.0], [0.0, 1.0]])  # (2 queries, 2)
    run = exact_run(["a", "b", "c"], docs, ["q1", "q2"], queries, top_k=2)
    assert run == {
        "q1": {"a": 1.0, "b": pytest.approx(0.6)},
        "q2": {"c": 1.0, "b": pytest.approx(0.8)},
    }
    assert ranking(run["q2"]) == ["c", "b"]
    scores = evaluate_run({"q1": {"b": 1}, "q2": {"c": 1}}, run, ["ndcg@10"]).per_query
    assert scores["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert scores["q2"]["ndcg@10"] == 1.0
    with pytest.raises(ValueError, match="one vector per document"):
        exact_run(["a"], docs, ["q1", "q2"], queries)
