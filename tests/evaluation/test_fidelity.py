"""Overlap, RBO, embedding cosine and the paired significance test on constructed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.fidelity import (
    embedding_cosine,
    paired_randomization_test,
    ranking_fidelity,
    rbo,
    topk_overlap,
)


def test_topk_overlap() -> None:
    a, b = ["A", "B", "C", "E"], ["B", "A", "D", "E"]
    assert topk_overlap(a, b, k=3) == pytest.approx(2 / 3)  # {A, B} of 3
    assert topk_overlap(a, b, k=4) == pytest.approx(3 / 4)
    assert topk_overlap(a, a, k=10) == 1.0  # short lists: divide by their length
    assert topk_overlap([], [], k=10) == 1.0
    with pytest.raises(ValueError):
        topk_overlap(a, b, k=0)


def test_rbo_hand_computed() -> None:
    # a = A B C, b = B A D, p = 0.5: X1 = 0, X2 = 2, X3 = 2
    # sum X_d/d p^d = 0 + 1 * 0.25 + 2/3 * 0.125 = 1/3
    # RBO_ext = X3/3 * p^3 + (1-p)/p * 1/3 = 1/12 + 1/3 = 5/12
    assert rbo(["A", "B", "C"], ["B", "A", "D"], p=0.5) == pytest.approx(5 / 12)
    assert rbo(list("ABCDE"), list("ABCDE"), p=0.9) == pytest.approx(1.0)
    assert rbo(list("ABC"), list("XYZ"), p=0.9) == 0.0
    # depth cuts both lists: only the first two ranks count -> X1 = 0, X2 = 2
    # 2/2 * 0.25 + 1 * (0 + 1 * 0.25) = 0.5
    assert rbo(["A", "B", "C"], ["B", "A", "D"], p=0.5, depth=2) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        rbo(["A"], ["A"], p=1.0)


def test_ranking_fidelity_means() -> None:
    reference = {"q1": ["A", "B", "C"], "q2": ["X", "Y", "Z"]}
    system = {"q1": ["B", "A", "D"], "q2": ["X", "Y", "Z"]}
    fid = ranking_fidelity(system, reference, "teacher", k=3, p=0.5)
    assert fid.per_query["q1"] == pytest.approx({"overlap@3": 2 / 3, "rbo": 5 / 12})
    assert fid.per_query["q2"] == pytest.approx({"overlap@3": 1.0, "rbo": 1.0})
    assert fid.overlap == pytest.approx((2 / 3 + 1) / 2)
    assert fid.rbo == pytest.approx((5 / 12 + 1) / 2)


def test_embedding_cosine() -> None:
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    b = np.array([[3.0, 0.0], [1.0, 1.0]])
    assert embedding_cosine(a, b) == pytest.approx([1.0, 1 / math.sqrt(2)])
    with pytest.raises(ValueError):
        embedding_cosine(a, np.ones((2, 3)))


def test_randomization_test_identical_systems() -> None:
    result = paired_randomization_test([0.5, 0.2, 0.9], [0.5, 0.2, 0.9], names=("s", "t"))
    assert result.p_value == 1.0 and result.diff == 0.0 and result.t_test_p is None
    assert (result.a, result.b, result.metric, result.n) == ("s", "t", "ndcg@10", 3)


def test_randomization_test_exact_small_case() -> None:
    # diffs (1, 1, 1): |mean| >= 1 only when all three signs agree: 2 of 8 -> p = 0.25
    result = paired_randomization_test([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], resamples=20_000)
    assert result.p_value == pytest.approx(0.25, abs=0.02)
    assert result.diff == 1.0 and result.mean_a == 1.0 and result.mean_b == 0.0


def test_randomization_test_clear_difference_is_significant() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.2, 0.8, size=50)
    better = base + 0.1 + rng.normal(0, 0.02, size=50)
    result = paired_randomization_test(better, base)
    assert result.p_value < 0.001 and result.t_test_p is not None and result.t_test_p < 0.001
    noise = base + rng.normal(0, 0.01, size=50)
    assert paired_randomization_test(noise, base).p_value > 0.01
    with pytest.raises(ValueError):
        paired_randomization_test([1.0], [1.0, 2.0])
