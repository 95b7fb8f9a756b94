"""BM25 for the in-memory store, analysed as Milvus's ``english`` analyzer does.

Measured on milvus-lite 2.5.1: its ``english`` analyzer splits text into runs of letters
and digits (``foo_bar`` -> ``foo``, ``bar``; ``don't`` -> ``don``, ``t``; ``3.14`` ->
``3``, ``14``), lower-cases, stems with Snowball English (``running`` -> ``run``), and
then drops Lucene's 33 English stop words, *after* stemming (so ``being`` -> ``be`` and
``its`` -> ``it`` are dropped too). Scores are Okapi BM25 with k1 1.2, b 0.75 and
Lucene's idf ``ln(1 + (N - n + 0.5) / (n + 0.5))``; a query term repeated counts again,
as in Milvus. Document frequencies and the mean length cover the whole collection, also
when a filter then narrows the candidates (Milvus does the same).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection
from functools import lru_cache
from typing import Any

K1 = 1.2
B = 0.75
#: Lucene's English stop words: the list Milvus's ``english`` analyzer drops (measured).
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the "  # noqa: SIM905
    "their then there these they this to was will with".split()
)
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """Snowball English (PyStemmer, loaded once; it ships no type hints)."""
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """``text`` as the terms BM25 counts: split, lower-cased, stemmed, stop words dropped."""
    words = _WORD.findall(text.lower())
    return [term for term in _stemmer().stemWords(words) if term not in STOP_WORDS]


class Bm25Index:
    """Term statistics of one collection, kept up to date as chunks come and go."""

    def __init__(self) -> None:
        self._terms: dict[str, Counter[str]] = {}
        self._lengths: dict[str, int] = {}
        self._postings: dict[str, dict[str, int]] = {}
        self._total_len = 0

    def add(self, chunk_id: str, text: str) -> None:
        """Index ``text`` under ``chunk_id``, replacing what that id held."""
        self.remove(chunk_id)
        terms = Counter(analyze(text))
        self._terms[chunk_id] = terms
        self._lengths[chunk_id] = sum(terms.values())
        self._total_len += self._lengths[chunk_id]
        for term, tf in terms.items():
            self._postings.setdefault(term, {})[chunk_id] = tf

    def remove(self, chunk_id: str) -> None:
        terms = self._terms.pop(chunk_id, None)
        if terms is None:
            return
        self._total_len -= self._lengths.pop(chunk_id)
        for term in terms:
            posting = self._postings[term]
            del posting[chunk_id]
            if not posting:
                del self._postings[term]

    def scores(self, query: str, allowed: Collection[str] | None = None) -> dict[str, float]:
        """BM25 score of every chunk sharing a term with ``query`` (only ids in ``allowed``
        when given); chunks that share no term are absent, never scored 0."""
        n_docs = len(self._terms)
        if not n_docs:
            return {}
        avg_len = max(self._total_len / n_docs, 1e-9)
        out: dict[str, float] = {}
        for term, qtf in Counter(analyze(query)).items():
            posting = self._postings.get(term, {})
            idf = math.log(1.0 + (n_docs - len(posting) + 0.5) / (len(posting) + 0.5))
            for chunk_id, tf in posting.items():
                if allowed is not None and chunk_id not in allowed:
                    continue
                norm = tf + K1 * (1.0 - B + B * self._lengths[chunk_id] / avg_len)
                out[chunk_id] = out.get(chunk_id, 0.0) + qtf * idf * tf * (K1 + 1.0) / norm
        return out
