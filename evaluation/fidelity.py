"""Student-vs-teacher fidelity and paired significance between systems.

* top-k overlap: ``|top_k(a) ∩ top_k(b)| / k``;
* rank-biased overlap (Webber, Moffat & Zobel, 2010), extrapolated form ``RBO_ext``;
* mean cosine between two encoders' embeddings of the same documents;
* a two-sided paired randomization (sign-flip) test on per-query scores, with the paired
  t-test p-value alongside.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

logger = logging.getLogger(__name__)


def topk_overlap(a: Sequence[str], b: Sequence[str], k: int = 10) -> float:
    """``|top_k(a) ∩ top_k(b)| / k`` in [0, 1]; ``k`` shrinks to the longer list when both
    are shorter (a 5-document corpus ranked identically overlaps 1.0, not 0.5)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    depth = min(k, max(len(a), len(b)))
    return len(set(a[:k]) & set(b[:k])) / depth if depth else 1.0


def rbo(a: Sequence[str], b: Sequence[str], p: float = 0.9, depth: int | None = None) -> float:
    """Extrapolated rank-biased overlap of two rankings cut at ``depth`` (default: shorter).

    ``RBO_ext = X_k/k * p^k + (1-p)/p * sum_{d=1..k} X_d/d * p^d`` where ``X_d`` is the
    overlap of the two depth-``d`` prefixes; 1 for identical rankings, 0 for disjoint ones.
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    k = min(len(a), len(b)) if depth is None else min(depth, len(a), len(b))
    if k == 0:
        return 1.0 if len(a) == len(b) == 0 else 0.0
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    overlap, total = 0, 0.0
    for d in range(1, k + 1):
        x, y = a[d - 1], b[d - 1]
        if x == y:
            overlap += 1
        else:
            overlap += (x in seen_b) + (y in seen_a)
        seen_a.add(x)
        seen_b.add(y)
        total += overlap / d * p**d
    return overlap / k * p**k + (1 - p) / p * total


def embedding_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of ``a`` and ``b`` (both ``(n, dim)``) -> ``(n,)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"need two (n, dim) arrays of one shape, got {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.einsum("ij,ij->i", a, b) / np.maximum(norms, 1e-12)


@dataclass(frozen=True)
class RankingFidelity:
    """Per-query and mean agreement of a system's rankings with a reference's."""

    reference: str
    k: int
    p: float
    overlap: float
    rbo: float
    per_query: dict[str, dict[str, float]]


def ranking_fidelity(
    system: Mapping[str, Sequence[str]],
    reference: Mapping[str, Sequence[str]],
    reference_name: str,
    k: int = 10,
    p: float = 0.9,
) -> RankingFidelity:
    """Compare ranked doc ids per query (queries of ``reference``) at depth ``k``."""
    per_query = {
        q: {
            f"overlap@{k}": topk_overlap(system.get(q, []), ranked, k),
            "rbo": rbo(list(system.get(q, []))[:k], list(ranked)[:k], p),
        }
        for q, ranked in reference.items()
    }
    if not per_query:
        raise ValueError("no queries to compare")
    mean_overlap = float(np.mean([v[f"overlap@{k}"] for v in per_query.values()]))
    mean_rbo = float(np.mean([v["rbo"] for v in per_query.values()]))
    return RankingFidelity(reference_name, k, p, mean_overlap, mean_rbo, per_query)


@dataclass(frozen=True)
class PairedTest:
    """Outcome of a paired test of ``metric`` between systems ``a`` and ``b``."""

    a: str
    b: str
    metric: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    p_value: float
    t_test_p: float | None
    resamples: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def paired_randomization_test(
    x: Sequence[float],
    y: Sequence[float],
    names: tuple[str, str] = ("a", "b"),
    metric: str = "ndcg@10",
    resamples: int = 10_000,
    seed: int = 0,
) -> PairedTest:
    """Two-sided sign-flip test of ``mean(x - y) = 0``; ``p = (hits + 1) / (resamples + 1)``."""
    from scipy import stats

    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1 or len(xs) == 0:
        raise ValueError("need two non-empty paired score lists of equal length")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    diffs = xs - ys  # (n,)
    observed = abs(diffs.mean())
    rng = np.random.default_rng(seed)
    hits, done = 0, 0
    while done < resamples:
        batch = min(1000, resamples - done)
        signs = rng.choice((-1.0, 1.0), size=(batch, len(diffs)))  # (batch, n)
        hits += int((np.abs(signs @ diffs) / len(diffs) >= observed - 1e-12).sum())
        done += batch
    t_p = float(stats.ttest_rel(xs, ys).pvalue) if np.any(diffs != diffs[0]) else None
    return PairedTest(
        a=names[0],
        b=names[1],
        metric=metric,
        n=len(diffs),
        mean_a=float(xs.mean()),
        mean_b=float(ys.mean()),
        diff=float(diffs.mean()),
        p_value=(hits + 1) / (resamples + 1),
        t_test_p=None if t_p is None or math.isnan(t_p) else t_p,
        resamples=resamples,
    )
