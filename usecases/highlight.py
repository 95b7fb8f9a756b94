"""Sentences of retrieved text, which of them best match a query, and which of their
words the query's terms match (no Streamlit here).

Hits are highlighted in the text a reader sees (:func:`indexer.readable.readable_text`:
no markup), and sentences are scored by a :class:`~usecases.sentence_scores.SentenceScorer`
(static word vectors by default, the full encoder on request).

Words match as keyword search matches them: both sides go through the analysis the
in-memory store uses to reproduce Milvus's ``english`` analyzer
(:func:`indexer.stores.bm25.analyze`: lower-cased, Snowball-stemmed, stop words
dropped), so ``Filters`` in a chunk is marked for the query ``filter``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from indexer.readable import readable_text
from indexer.stores.bm25 import analyze
from usecases.sentence_scores import SentenceScorer

if TYPE_CHECKING:
    from usecases.results import SearchResult

_BLOCKS = re.compile(r"\n\s*\n")
#: Decoration: reST/Markdown rules and title under/overlines (``=====``, ``----``), also
#: where the partitioner joined them into the title's line.
_RULE = re.compile(r"^[ \t]*([=\-~^*#+_`.:'\"])\1{2,}[ \t]*$|([=\-~^#+_])\2{3,}", re.MULTILINE)
#: A sentence ends at . ! or ? followed by space and something that starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[`*]?[A-Z0-9])")
MAX_SENTENCES_PER_TEXT = 60
MAX_SENTENCE_CHARS = 600
#: A run of letters and digits: the analyzer's words (``foo_bar`` is two).
_WORD = re.compile(r"[^\W_]+")
#: A word's character span in its sentence, ``(start, end)``.
Span = tuple[int, int]


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace replaced by one space, stripped."""
    return " ".join(text.split())


def split_sentences(text: str, limit: int = MAX_SENTENCES_PER_TEXT) -> list[str]:
    """At most ``limit`` sentences of ``text``, whitespace collapsed, in order.

    Blank lines end a sentence (titles, list items), decoration-only lines are dropped,
    and overlong runs without punctuation (code) are cut at ``MAX_SENTENCE_CHARS``.
    """
    sentences: list[str] = []
    for block in _BLOCKS.split(_RULE.sub("", text)):
        for piece in _SENTENCE_END.split(collapse_whitespace(block)):
            while piece:
                sentences.append(piece[:MAX_SENTENCE_CHARS])
                piece = piece[MAX_SENTENCE_CHARS:].lstrip()
                if len(sentences) >= limit:
                    return sentences
    return sentences


@dataclass(frozen=True)
class Highlight:
    """A text as sentences with their query similarity; ``best`` indexes the top ones.

    ``matches`` holds, per sentence, the spans of the words the query's terms match
    (empty when terms were not asked for); ``starts`` the sentences that open a paragraph
    (a page keeps the text's paragraphs: a heading, a code line, a list item).
    """

    sentences: tuple[str, ...]
    scores: tuple[float, ...]
    best: frozenset[int]
    matches: tuple[tuple[Span, ...], ...] = ()
    starts: frozenset[int] = frozenset()

    def spans(self, sentence: int) -> tuple[Span, ...]:
        """The matched words' spans in sentence ``sentence`` (none when not computed)."""
        return self.matches[sentence] if sentence < len(self.matches) else ()

    @property
    def marked(self) -> bool:
        """Whether anything is marked: a best sentence or a matched word."""
        return bool(self.best) or any(self.matches)


def highlight_texts(
    query: str,
    texts: Sequence[str],
    scorer: SentenceScorer | None,
    per_text: int = 2,
    relative: float = 0.75,
    terms: bool = False,
) -> list[Highlight]:
    """Split each text into sentences and mark its ``per_text`` most query-like ones.

    Similarity comes from ``scorer`` (one call for all sentences). Marked sentences score
    above 0 and at least ``relative`` × the text's best score. A text with a single
    sentence gets nothing marked: emphasising all of it says nothing. Without a
    ``scorer`` (keyword search encodes nothing) no sentence is scored. With ``terms``,
    the words the query's terms match are found too (:func:`term_spans`).
    """
    split = [split_sentences(text) for text in texts]
    starts = [
        paragraph_starts(text, sentences) for text, sentences in zip(texts, split, strict=True)
    ]
    flat = [s for sentences in split for s in sentences]
    scores = np.zeros(len(flat))
    if flat and scorer is not None:
        scores = scorer.score(query, flat)  # (n_sentences,)
    wanted = query_terms(query) if terms else frozenset()
    out, start = [], 0
    for sentences, opens in zip(split, starts, strict=True):
        own = np.asarray(scores[start : start + len(sentences)], dtype=np.float64)
        start += len(sentences)
        matches = tuple(term_spans(s, wanted) for s in sentences) if terms else ()
        best = _best(own, per_text, relative)
        scored = tuple(float(s) for s in own)
        out.append(Highlight(tuple(sentences), scored, best, matches, opens))
    return out


def paragraph_starts(text: str, sentences: Sequence[str]) -> frozenset[int]:
    """Indices of the ``sentences`` (of ``text``, as :func:`split_sentences` cut them)
    that open one of its blank-line separated paragraphs."""
    starts, index = set(), 0
    for block in _BLOCKS.split(_RULE.sub("", text)):
        if index < len(sentences) and block.strip():
            starts.add(index)
        index += len(split_sentences(block))
    return frozenset(starts)


def highlight_result(result: SearchResult, scorer: SentenceScorer | None) -> SearchResult:
    """``result`` with each hit's readable text (no markup) cut into sentences and the
    best-matching ones marked, timed as ``highlight_ms`` (cleaning included): scored by
    ``scorer`` (None in keyword mode); in keyword and hybrid mode the words the query's
    terms match are marked too."""
    if not result.hits:
        return result
    t0 = time.perf_counter()
    texts, terms = [readable_text(h.text) for h in result.hits], result.mode != "dense"
    marked = highlight_texts(result.query, texts, scorer, terms=terms)
    highlights = {hit.id: h for hit, h in zip(result.hits, marked, strict=True)}
    elapsed_ms = (time.perf_counter() - t0) * 1000
    by = scorer.name if scorer is not None else "matched words"
    return replace(result, highlights=highlights, highlight_ms=elapsed_ms, highlighted_by=by)


def _best(scores: np.ndarray, per_text: int, relative: float) -> frozenset[int]:
    """Indices of the top ``per_text`` scores above 0 and ``relative`` × the best."""
    if len(scores) <= 1 or scores.max() <= 0:
        return frozenset()
    floor = relative * scores.max()
    top = np.argsort(-scores, kind="stable")[:per_text]
    return frozenset(int(i) for i in top if scores[i] >= floor)


def query_terms(query: str) -> frozenset[str]:
    """The terms keyword search looks for: the query analysed like the stored text."""
    return frozenset(analyze(query))


@lru_cache(maxsize=65536)
def _term(word: str) -> str | None:
    """One word's analysed term (None for a stop word)."""
    analysed = analyze(word)
    return analysed[0] if len(analysed) == 1 else None


def term_spans(text: str, terms: frozenset[str]) -> tuple[Span, ...]:
    """``(start, end)`` of every word in ``text`` whose analysed term is in ``terms``."""
    if not terms:
        return ()
    return tuple(m.span() for m in _WORD.finditer(text) if _term(m.group()) in terms)
