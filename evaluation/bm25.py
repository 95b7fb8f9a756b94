"""The lexical baseline: BM25 through bm25s, in process.

bm25s (Snowball English stemmer, k1=1.5, b=0.75) is the reference baseline: it
reproduces the published SciFact figure. Milvus's own BM25 is evaluated beside it as a
system of its own (``milvus-bm25``, :mod:`evaluation.milvus_systems`); how far the two
agree is in the hybrid search topic of ``docs/results/README.md``.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BM25Config:
    """bm25s parameters; ``k1=1.5, b=0.75`` (Lucene scoring) reproduce bm25s's published runs."""

    k1: float = 1.5
    b: float = 0.75
    method: str = "lucene"
    stopwords: str = "en"
    stem: bool = True

    def __post_init__(self) -> None:
        if self.k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {self.k1}")
        if not 0 <= self.b <= 1:
            raise ValueError(f"b must be in [0, 1], got {self.b}")
        if self.method not in ("lucene", "robertson", "atire", "bm25l", "bm25+"):
            raise ValueError(f"unknown BM25 method {self.method!r}")


def _stemmer(enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        import Stemmer
    except ImportError:
        logger.warning("PyStemmer is not installed: BM25 runs without stemming (lower scores)")
        return None
    return Stemmer.Stemmer("english")


class BM25Index:
    """A bm25s index over ``texts`` whose results are reported by ``doc_ids``."""

    def __init__(
        self, doc_ids: Sequence[str], texts: Sequence[str], config: BM25Config | None = None
    ) -> None:
        import bm25s

        # bm25s pins its logger at DEBUG; follow ours instead.
        logging.getLogger("bm25s").setLevel(max(logger.getEffectiveLevel(), logging.INFO))
        if len(doc_ids) != len(texts) or not texts:
            raise ValueError("need the same, non-zero number of doc ids and texts")
        self.config = config or BM25Config()
        self.doc_ids = list(doc_ids)
        self._bm25s = bm25s
        self._stem = _stemmer(self.config.stem)
        t0 = time.perf_counter()
        self._model = bm25s.BM25(k1=self.config.k1, b=self.config.b, method=self.config.method)
        self._model.index(self._tokenize(list(texts)), show_progress=False)
        self.build_seconds = time.perf_counter() - t0
        logger.info("BM25 indexed %d docs in %.2fs", len(texts), self.build_seconds)

    @property
    def stemmed(self) -> bool:
        return self._stem is not None

    def _tokenize(self, texts: list[str]) -> Any:
        return self._bm25s.tokenize(
            texts, stopwords=self.config.stopwords, stemmer=self._stem, show_progress=False
        )

    def search(self, queries: Sequence[str], top_k: int) -> list[dict[str, float]]:
        """``{doc_id: score}`` per query (best ``top_k``; docs scoring 0 are left out)."""
        if not queries:
            return []
        k = min(top_k, len(self.doc_ids))
        docs, scores = self._model.retrieve(
            self._tokenize(list(queries)), k=k, show_progress=False, n_threads=1
        )  # (q, k) doc indices and scores
        return [
            {self.doc_ids[int(j)]: float(s) for j, s in zip(row, row_scores, strict=True) if s > 0}
            for row, row_scores in zip(docs, scores, strict=True)
        ]

    def disk_bytes(self) -> int:
        """Size of the index as bm25s saves it (sparse score matrix + vocabulary)."""
        with tempfile.TemporaryDirectory() as tmp:
            self._model.save(tmp)
            return sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
